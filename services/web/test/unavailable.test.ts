/**
 * PostgreSQL out of reach: web answers 503 with Retry-After and says to try again, for pages and
 * for the API, instead of "Something went wrong on our side" (500). The database here is a real
 * address nothing listens on (127.0.0.1:1: connection refused), so every session and API-token
 * lookup fails the way it does while PostgreSQL restarts; the classifier is checked on errors
 * the real pg client raises.
 */
import { isBackendUnavailable } from '@gas/service-kit';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { createDb, type Db } from '../src/db/database.ts';
import { SESSION_COOKIE } from '../src/plugins/sessions.ts';
import { startTestStack, type TestStack } from './helpers/stack.ts';

const NOTHING_LISTENS = 'postgres://postgres@127.0.0.1:1/gas';

let stack: TestStack;
let app: FastifyInstance;
let db: Db;

beforeAll(async () => {
  stack = await startTestStack();
  db = createDb(NOTHING_LISTENS, 1, () => undefined);
  app = await buildApp(stack.config, { db });
  await app.ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await stack?.close();
});

describe('PostgreSQL out of reach', () => {
  it('a signed-in page answers 503 with Retry-After and a sentence, not a 500', async () => {
    const cookie = `${SESSION_COOKIE}=${app.signCookie('a'.repeat(43))}`;
    const page = await app.inject({
      method: 'GET',
      url: '/annotations',
      headers: { cookie, accept: 'text/html', 'x-forwarded-proto': 'https' },
    });
    expect(page.statusCode).toBe(503);
    expect(page.headers['retry-after']).toBe('5');
    expect(page.body).toContain('GAS is briefly unavailable');
    expect(page.body).toContain('Please try again in 5 seconds');
    expect(page.body).not.toContain('Something went wrong');
  });

  it('the API answers 503 JSON with Retry-After', async () => {
    const api = await app.inject({
      method: 'GET',
      url: '/api/v1/annotations',
      headers: { authorization: `Bearer gas_${'b'.repeat(43)}`, 'x-forwarded-proto': 'https' },
    });
    expect(api.statusCode).toBe(503);
    expect(api.headers['retry-after']).toBe('5');
    expect(api.json()).toMatchObject({ code: 503, status: 'error' });
    expect(api.json().message).toMatch(/^GAS is briefly unavailable: .* Please try again in 5 seconds\.$/);
  });

  it('the classifier takes what pg raises when the server is away, and nothing else', async () => {
    const refused = await new pg.Client({ connectionString: NOTHING_LISTENS }).connect().then(
      () => null,
      (error: unknown) => error,
    );
    expect(isBackendUnavailable(refused)).toBe(true);
    // a server that ends the connection: pg_terminate_backend on our own session
    const client = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
    client.on('error', () => undefined);
    await client.connect();
    const terminated = await client.query('select pg_terminate_backend(pg_backend_pid())').then(
      () => null,
      (error: unknown) => error,
    );
    expect(isBackendUnavailable(terminated)).toBe(true);
    // errors of the request or of our code stay what they are
    const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
    await admin.connect();
    const syntax = await admin.query('select from where').then(
      () => null,
      (error: unknown) => error,
    );
    await admin.end();
    expect((syntax as { code: string }).code).toBe('42601');
    expect(isBackendUnavailable(syntax)).toBe(false);
    expect(isBackendUnavailable(new Error('boom'))).toBe(false);
    expect(isBackendUnavailable(undefined)).toBe(false);
  });
});
