import { randomUUID } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { inputObjectKey } from '@gas/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/database.ts';
import { WebClient } from './helpers/clients.ts';
import { awsClients, completeJobLikeAnnotator, SMALL_VCF } from './helpers/jobs.ts';
import { buildTestApp, startTestStack, type TestStack } from './helpers/stack.ts';

let stack: TestStack;
let app: FastifyInstance;
let db: Db;
let frances: WebClient;
let francesId: string;
let francesToken: string;
let paulaToken: string;

async function createToken(client: WebClient, name: string): Promise<string> {
  const page = await client.postForm('/account/tokens', { _csrf: await client.csrfToken('/account'), name });
  expect(page.statusCode).toBe(200);
  return /data-testid="new-token">(gas_[A-Za-z0-9_-]+)</.exec(page.body)![1]!;
}

function api(method: 'GET' | 'POST', url: string, token: string | null, body?: unknown) {
  return app.inject({
    method,
    url,
    headers: {
      'x-forwarded-proto': 'https',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { payload: JSON.stringify(body) } : {}),
  });
}

async function uploadInput(userId: string, name = 'api.vcf'): Promise<string> {
  const key = inputObjectKey(userId, randomUUID(), name);
  const { s3 } = awsClients(stack);
  await s3.send(new PutObjectCommand({ Bucket: stack.resources.buckets.inputs, Key: key, Body: SMALL_VCF }));
  s3.destroy();
  return key;
}

beforeAll(async () => {
  stack = await startTestStack();
  ({ app, db } = await buildTestApp(stack));
  frances = new WebClient(app);
  await frances.signIn('free@example.org');
  const paula = new WebClient(app);
  await paula.signIn('premium@example.org');
  francesId = (
    await db
      .selectFrom('users')
      .select('id')
      .where('email', '=', 'free@example.org')
      .executeTakeFirstOrThrow()
  ).id;
  francesToken = await createToken(frances, 'laptop');
  paulaToken = await createToken(paula, 'cluster');
}, 60_000);

afterAll(async () => {
  await app?.close();
  await stack?.close();
});

describe('API tokens', () => {
  it('are shown once and stored only as a keyed hash', async () => {
    const rows = await db.selectFrom('api_tokens').selectAll().execute();
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
      expect([francesToken, paulaToken]).not.toContain(row.token_hash);
    }
    const account = await frances.get('/account');
    expect(account.body).not.toContain(francesToken);
    expect(account.body).toContain(francesToken.slice(0, 10));
  });

  it('no token, a malformed or an unknown one: 401 with code and status', async () => {
    const none = await api('GET', '/api/v1/annotations', null);
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ code: 401, status: 'error' });
    expect((await api('GET', '/api/v1/annotations', 'nonsense')).statusCode).toBe(401);
    const unknown = await api('GET', '/api/v1/annotations', `gas_${'A'.repeat(43)}`);
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().message).toContain('not valid');
  });

  it('a revoked token stops working', async () => {
    const extra = await createToken(frances, 'old');
    expect((await api('GET', '/api/v1/annotations', extra)).statusCode).toBe(200);
    const id = (
      await db.selectFrom('api_tokens').select('id').where('name', '=', 'old').executeTakeFirstOrThrow()
    ).id;
    const revoke = await frances.postForm(`/account/tokens/${id}/delete`, {
      _csrf: await frances.csrfToken('/account'),
    });
    expect(revoke.statusCode).toBe(303);
    expect((await api('GET', '/api/v1/annotations', extra)).statusCode).toBe(401);
  });
});

describe('REST API', () => {
  it('POST /api/v1/annotations starts a job for an uploaded file; repeating it is 200 with the same job', async () => {
    const key = await uploadInput(francesId);
    const files = await api('GET', '/api/v1/annotate/files', francesToken);
    expect(files.json()).toMatchObject({
      code: 200,
      status: 'success',
      files: [expect.objectContaining({ input_file: key })],
    });

    const created = await api('POST', '/api/v1/annotations', francesToken, { input_file: key });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body).toMatchObject({ code: 201, status: 'success' });
    expect(body.job_details).toBe(`${stack.baseUrl}/api/v1/annotations/${body.job_id}`);
    const again = await api('POST', '/api/v1/annotations', francesToken, { input_file: key });
    expect(again.statusCode).toBe(200);
    expect(again.json().job_id).toBe(body.job_id);

    const list = await api('GET', '/api/v1/annotations', francesToken);
    expect(list.json()).toMatchObject({
      code: 200,
      status: 'success',
      jobs: [{ job_id: body.job_id, job_status: 'PENDING', input_file: 'api.vcf' }],
    });

    await completeJobLikeAnnotator(
      stack,
      { job_id: body.job_id, user_id: francesId, input_file_name: 'api.vcf' },
      { log: 'the log text\n' },
    );
    const detail = await api('GET', `/api/v1/annotations/${body.job_id}`, francesToken);
    expect(detail.json()).toMatchObject({
      code: 200,
      status: 'success',
      job: {
        job_id: body.job_id,
        job_status: 'COMPLETED',
        log: 'the log text\n',
        results_status: 'AVAILABLE',
      },
    });
    expect(detail.json().job).not.toHaveProperty('user_id');
  });

  it("another user's job is 404 and another user's file is refused (403), nothing created", async () => {
    const key = await uploadInput(francesId, 'private.vcf');
    const created = (await api('POST', '/api/v1/annotations', francesToken, { input_file: key })).json();
    const other = await api('GET', `/api/v1/annotations/${created.job_id}`, paulaToken);
    expect(other.statusCode).toBe(404);
    expect(other.json()).toEqual({
      code: 404,
      status: 'error',
      message: 'There is no job with that id in your account.',
    });
    const stolen = await api('POST', '/api/v1/annotations', paulaToken, {
      input_file: await uploadInput(francesId, 'x.vcf'),
    });
    expect(stolen.statusCode).toBe(403);
    expect(stolen.json().status).toBe('error');
    expect((await api('GET', '/api/v1/annotations', paulaToken)).json().jobs).toEqual([]);
    const bad = await api('POST', '/api/v1/annotations', francesToken, { file: 'x' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 400, status: 'error' });
    expect(bad.json().message).toContain('input_file');
  });

  it('with a browser session, POST needs the x-csrf-token header', async () => {
    const key = await uploadInput(francesId, 'session.vcf');
    const refused = await frances.request({
      method: 'POST',
      url: '/api/v1/annotations',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ input_file: key }),
    });
    expect(refused.statusCode).toBe(403);
    const accepted = await frances.request({
      method: 'POST',
      url: '/api/v1/annotations',
      headers: { 'content-type': 'application/json', 'x-csrf-token': await frances.csrfToken('/account') },
      payload: JSON.stringify({ input_file: key }),
    });
    expect(accepted.statusCode).toBe(201);
  });

  it('publishes an OpenAPI document generated from the route schemas', async () => {
    const doc = (await frances.get('/api/openapi.json')).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/v1/annotate/files',
      '/api/v1/annotations',
      '/api/v1/annotations/{job_id}',
    ]);
    expect(
      doc.paths['/api/v1/annotations'].post.requestBody.content['application/json'].schema.required,
    ).toEqual(['input_file']);
  });

  it('rate-limits API clients', async () => {
    const limited = await buildTestApp(stack, { RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) {
        const response = await limited.app.inject({
          url: '/api/v1/annotations',
          headers: { 'x-forwarded-proto': 'https', authorization: `Bearer ${francesToken}` },
        });
        statuses.push(response.statusCode);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await limited.app.close();
    }
  });
});
