import { createConnection } from 'node:net';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { fastifyLogging, healthPlugin, installErrorHandling, jobLogger } from '../src/index.ts';
import { captureLog } from './support/log-capture.ts';

async function buildTestApp() {
  const log = captureLog('notifier');
  const app = Fastify(fastifyLogging(log.logger));
  await app.register(healthPlugin, { checkTimeoutMs: 200 });
  installErrorHandling(app);
  app.get('/boom', async (request) => {
    request.log = jobLogger(request.log, 'job-123');
    throw new Error('password=hunter2 at db.internal:5432');
  });
  // a backend nothing listens on (127.0.0.1:1): the real ECONNREFUSED a client library passes on
  app.get('/away', async () => {
    await new Promise((resolve, reject) => {
      const socket = createConnection({ host: '127.0.0.1', port: 1 }, () => resolve(socket.end()));
      socket.once('error', reject);
    });
  });
  app.get('/teapot', async () => {
    throw Object.assign(new Error('the job is still running'), { statusCode: 409 });
  });
  app.post('/strict', { schema: { body: { type: 'object', required: ['name'] } } }, async () => ({
    ok: true,
  }));
  return { app, log };
}

describe('health plugin', () => {
  it('/healthz answers while a dependency is down; /readyz names the failed check', async () => {
    const { app } = await buildTestApp();
    app.readiness.add('database', async () => true);
    app.readiness.add('sqs', async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:4566');
    });
    app.readiness.add('slow', () => new Promise(() => undefined));
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().failed).toEqual(['sqs', 'slow']);
    expect(ready.json().checks).toEqual([
      expect.objectContaining({ name: 'database', ok: true }),
      expect.objectContaining({ name: 'sqs', ok: false, error: 'connect ECONNREFUSED 127.0.0.1:4566' }),
      expect.objectContaining({ name: 'slow', ok: false, error: 'slow did not answer within 200 ms' }),
    ]);
    await app.close();
  });

  it('/readyz is 200 when every check passes', async () => {
    const { app } = await buildTestApp();
    app.readiness.add('database', async () => true);
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json().status).toBe('ready');
    await app.close();
  });
});

describe('error handling and request ids', () => {
  it('a backend out of reach is a 503 with Retry-After and a sentence to try again', async () => {
    const { app } = await buildTestApp();
    const response = await app.inject({ url: '/away', headers: { 'x-request-id': 'req-away' } });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.json()).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message:
        'GAS is briefly unavailable: part of it could not be reached just now (it may be restarting). Please try again in 5 seconds.',
      request_id: 'req-away',
    });
    await app.close();
  });

  it('a 5xx hides its message, returns the request id, and logs the error with its context', async () => {
    const { app, log } = await buildTestApp();
    const response = await app.inject({ url: '/boom', headers: { 'x-request-id': 'req-abc.1' } });
    expect(response.statusCode).toBe(500);
    const body = response.json();
    expect(body.request_id).toBe('req-abc.1');
    expect(body.message).toBe(
      'Something went wrong on our side. If it keeps happening, quote request id req-abc.1.',
    );
    expect(JSON.stringify(body)).not.toContain('hunter2');
    const logged = log.lines.find((line) => line.msg === 'request failed')!;
    expect(logged).toMatchObject({
      service: 'notifier',
      request_id: 'req-abc.1',
      job_id: 'job-123',
      route: '/boom',
    });
    expect((logged.err as { stack: string }).stack).toContain('password=hunter2');
    await app.close();
  });

  it('a 4xx keeps its message; a schema failure names the field', async () => {
    const { app } = await buildTestApp();
    const conflict = await app.inject('/teapot');
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toMatchObject({ error: 'Conflict', message: 'the job is still running' });
    const invalid = await app.inject({ method: 'POST', url: '/strict', payload: {} });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().message).toContain("must have required property 'name'");
    const missing = await app.inject('/nope?x=1');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().message).toBe('No route GET /nope.');
    await app.close();
  });

  it('replaces an unsafe x-request-id by a fresh UUID', async () => {
    const { app } = await buildTestApp();
    const response = await app.inject({ url: '/boom', headers: { 'x-request-id': 'bad id\nwith newline' } });
    expect(response.json().request_id).toMatch(/^[0-9a-f-]{36}$/);
    await app.close();
  });
});
