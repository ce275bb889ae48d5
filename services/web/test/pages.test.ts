import { randomUUID } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { inputObjectKey } from '@gas/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/database.ts';
import { migrateDown, migrateToLatest } from '../src/db/database.ts';
import { WebClient } from './helpers/clients.ts';
import { awsClients } from './helpers/jobs.ts';
import { buildTestApp, startTestStack, type TestStack } from './helpers/stack.ts';

let stack: TestStack;
let app: FastifyInstance;
let db: Db;
let frances: WebClient;

beforeAll(async () => {
  stack = await startTestStack();
  ({ app, db } = await buildTestApp(stack));
  frances = new WebClient(app);
  await frances.signIn('free@example.org');
}, 60_000);

afterAll(async () => {
  await app?.close();
  await stack?.close();
});

describe('pages', () => {
  it('the home page states what GAS does, the plans, limits and the retention window', async () => {
    const home = await new WebClient(app).get('/');
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain('Sequence Ontology consequence');
    expect(home.body).toContain('Input files up to 150 KB.');
    expect(home.body).toContain('Results stay downloadable for 5 minutes after the job completes');
    expect(home.body).toContain('No input size limit (files over 5 GB are sent in parts).');
  });

  it('every page form carries the CSRF token, and each form post without it is refused', async () => {
    const account = await frances.get('/account');
    const forms = [
      ...account.body.matchAll(
        /<form method="post" action="([^"]+)"[^>]*>\s*<input type="hidden" name="_csrf" value="[^"]+">/g,
      ),
    ].map((m) => m[1]);
    expect(forms).toEqual(
      expect.arrayContaining([
        '/auth/logout',
        '/account/upgrade',
        '/account/notifications',
        '/account/tokens',
      ]),
    );
    for (const action of [
      '/account/upgrade',
      '/account/portal',
      '/account/notifications',
      '/account/tokens',
      '/auth/logout',
    ]) {
      const refused = await frances.postForm(action!, { name: 'x' });
      expect(refused.statusCode, action).toBe(403);
    }
    // A token from another session does not work either.
    const other = new WebClient(app);
    await other.signIn('free@example.org');
    const foreign = await frances.postForm('/account/tokens', {
      _csrf: await other.csrfToken('/account'),
      name: 'x',
    });
    expect(foreign.statusCode).toBe(403);
    expect(await db.selectFrom('api_tokens').selectAll().execute()).toEqual([]);
  });

  it('e-mail notifications can be switched off and on, and new jobs carry the choice', async () => {
    const off = await frances.postForm('/account/notifications', {
      _csrf: await frances.csrfToken('/account'),
    });
    expect(off.statusCode).toBe(303);
    expect(
      (await db.selectFrom('users').select('email_notifications').executeTakeFirstOrThrow())
        .email_notifications,
    ).toBe(false);
    expect((await frances.get('/account')).body).not.toMatch(/id="notify" checked/);
    await frances.postForm('/account/notifications', {
      _csrf: await frances.csrfToken('/account'),
      email_notifications: 'on',
    });
    expect(
      (await db.selectFrom('users').select('email_notifications').executeTakeFirstOrThrow())
        .email_notifications,
    ).toBe(true);
  });

  it('unknown pages and bad input answer with a page, the API with JSON', async () => {
    const page = await frances.get('/no-such-page', { accept: 'text/html' });
    expect(page.statusCode).toBe(404);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('There is no page at /no-such-page.');
    const bad = await frances.get('/annotations/not-a-uuid', { accept: 'text/html' });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/text\/html/);
    expect(bad.body).toContain('That did not work');
    expect(bad.body).toContain('params/id must match format');
    const api = await frances.get('/api/v1/nothing', { accept: 'text/html' });
    expect(api.statusCode).toBe(404);
    expect(api.json().message).toBe('No route GET /api/v1/nothing.');
  });
});

describe('a failed job', () => {
  it('shows the reason in plain words, the log, and FAILED in the list; no downloads', async () => {
    const { s3, dynamodb } = awsClients(stack);
    const user = await db
      .selectFrom('users')
      .select('id')
      .where('email', '=', 'free@example.org')
      .executeTakeFirstOrThrow();
    const jobId = randomUUID();
    const logKey = `results/${user.id}/${jobId}/broken.log`;
    await s3.send(
      new PutObjectCommand({
        Bucket: stack.resources.buckets.results,
        Key: logKey,
        Body: 'line 3: POS "x" is not a whole number\n',
      }),
    );
    await DynamoDBDocumentClient.from(dynamodb).send(
      new PutCommand({
        TableName: stack.resources.jobsTable,
        Item: {
          job_id: jobId,
          user_id: user.id,
          user_email: 'free@example.org',
          user_tier: 'free',
          status: 'FAILED',
          submitted_at: new Date().toISOString(),
          completed_at: new Date().toISOString(),
          input_bucket: stack.resources.buckets.inputs,
          input_key: inputObjectKey(user.id, jobId, 'broken.vcf'),
          input_file_name: 'broken.vcf',
          input_size_bytes: 20,
          results_bucket: stack.resources.buckets.results,
          log_key: logKey,
          error_message: 'The file has no #CHROM header line, so it is not a VCF (line 1).',
        },
      }),
    );
    s3.destroy();
    dynamodb.destroy();
    const page = await frances.get(`/annotations/${jobId}`);
    expect(page.body).toMatch(
      /data-testid="job-error">The file has no #CHROM header line, so it is not a VCF \(line 1\)\.</,
    );
    expect(page.body).not.toContain('/download/');
    expect((await frances.get(`/annotations/${jobId}/log`)).body).toContain('is not a whole number');
    expect((await frances.get(`/annotations/${jobId}/download/tsv`)).statusCode).toBe(409);
    expect((await frances.get('/annotations')).body).toMatch(
      /text-bg-danger" data-testid="job-status">FAILED/,
    );
  });
});

describe('migrations', () => {
  it('roll down and up again cleanly, and re-running is a no-op', async () => {
    await migrateDown(db);
    const after = await db.introspection.getTables();
    expect(after.map((t) => t.name)).not.toContain('users');
    expect(await migrateToLatest(db)).toEqual(['0001_accounts']);
    expect(await migrateToLatest(db)).toEqual([]);
    const tables = (await db.introspection.getTables()).map((t) => t.name);
    expect(tables).toEqual(expect.arrayContaining(['users', 'sessions', 'api_tokens', 'stripe_events']));
  });
});
