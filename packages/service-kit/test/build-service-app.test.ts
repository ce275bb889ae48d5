import { describe, expect, it } from 'vitest';
import { buildServiceApp } from '../src/index.ts';
import { captureLog } from './support/log-capture.ts';

describe('buildServiceApp', () => {
  it("serves health, registers the service's parts, logs as the service, and destroys clients after the service's own close hooks", async () => {
    const log = captureLog('archiver');
    const closing: string[] = [];
    const client = { destroy: () => closing.push('client destroyed') };
    const app = await buildServiceApp(
      { service: 'archiver', logLevel: 'info', logger: log.logger, clients: [client] },
      async (app) => {
        app.readiness.add('dynamodb:jobs', async () => {
          throw new Error('connect ECONNREFUSED 127.0.0.1:9');
        });
        app.addHook('onClose', async () => {
          closing.push('intake closed');
        });
        app.get('/boom', async () => {
          throw new Error('secret internals');
        });
      },
    );
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().failed).toEqual(['dynamodb:jobs']);
    const boom = await app.inject('/boom');
    expect(boom.statusCode).toBe(500);
    expect(boom.body).not.toContain('secret internals');
    expect(log.lines.some((l) => l.service === 'archiver' && l.msg === 'not ready')).toBe(true);
    await app.close();
    expect(closing).toEqual(['intake closed', 'client destroyed']);
  });
});
