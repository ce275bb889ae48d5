import { randomUUID } from 'node:crypto';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { inputObjectKey, unwrapTopicMessage } from '@gas/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/database.ts';
import { decodeHtml, WebClient } from './helpers/clients.ts';
import {
  awsClients,
  completeJobLikeAnnotator,
  markRunningLikeAnnotator,
  SMALL_VCF,
  uploadThroughPresignedPost,
} from './helpers/jobs.ts';
import { buildTestApp, startTestStack, type TestStack } from './helpers/stack.ts';

let stack: TestStack;
let app: FastifyInstance;
let db: Db;
let frances: WebClient;
let paula: WebClient;
let francesId: string;
let paulaId: string;

beforeAll(async () => {
  stack = await startTestStack();
  ({ app, db } = await buildTestApp(stack));
  frances = new WebClient(app);
  await frances.signIn('free@example.org');
  paula = new WebClient(app);
  await paula.signIn('premium@example.org');
  francesId = (
    await db
      .selectFrom('users')
      .select('id')
      .where('email', '=', 'free@example.org')
      .executeTakeFirstOrThrow()
  ).id;
  paulaId = (
    await db
      .selectFrom('users')
      .select('id')
      .where('email', '=', 'premium@example.org')
      .executeTakeFirstOrThrow()
  ).id;
}, 60_000);

afterAll(async () => {
  await app?.close();
  await stack?.close();
});

async function receiveJobRequests(): Promise<unknown[]> {
  const sqs = new SQSClient({
    region: stack.cloud.region,
    endpoint: stack.cloud.url,
    credentials: stack.cloud.credentials,
  });
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: stack.resources.queueUrls.annotatorJobRequests,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
    }),
  );
  const messages = (out.Messages ?? []).map((m) => {
    return {
      body: unwrapTopicMessage({ MessageId: m.MessageId!, Body: m.Body! }, 'jobRequests').message,
      handle: m.ReceiptHandle!,
    };
  });
  for (const m of messages)
    await sqs.send(
      new DeleteMessageCommand({
        QueueUrl: stack.resources.queueUrls.annotatorJobRequests,
        ReceiptHandle: m.handle,
      }),
    );
  sqs.destroy();
  return messages.map((m) => m.body);
}

async function jobCount(userId: string): Promise<number> {
  const page = await app.gas.jobs.listForUser(userId, 100);
  return page.jobs.length;
}

async function objectExists(key: string): Promise<boolean> {
  const { s3 } = awsClients(stack);
  try {
    await s3.send(new HeadObjectCommand({ Bucket: stack.resources.buckets.inputs, Key: key }));
    return true;
  } catch {
    return false;
  } finally {
    s3.destroy();
  }
}

describe('upload form', () => {
  it('GET /annotate renders a presigned POST: exact bucket, the user prefix, the Free size range, short expiry, redirect back', async () => {
    const page = await frances.get('/annotate');
    expect(page.statusCode).toBe(200);
    const policyField = /name="Policy" value="([^"]+)"/.exec(page.body)?.[1];
    expect(policyField).toBeTruthy();
    const policy = JSON.parse(Buffer.from(decodeHtml(policyField!), 'base64').toString('utf8')) as {
      expiration: string;
      conditions: unknown[];
    };
    const minutesLeft = (Date.parse(policy.expiration) - Date.now()) / 60_000;
    expect(minutesLeft).toBeGreaterThan(8);
    expect(minutesLeft).toBeLessThanOrEqual(10);
    expect(policy.conditions).toContainEqual({ bucket: stack.resources.buckets.inputs });
    expect(policy.conditions).toContainEqual(['content-length-range', 1, 153600]);
    expect(policy.conditions).toContainEqual({ success_action_redirect: `${stack.baseUrl}/annotate/job` });
    const keyCondition = policy.conditions.find((c) => Array.isArray(c) && c[1] === '$key') as string[];
    expect(keyCondition[0]).toBe('starts-with');
    expect(keyCondition[2]).toMatch(new RegExp(`^inputs/${francesId}/[0-9a-f-]{36}~$`));
    expect(page.body).toContain('<script src="/assets/upload.js" defer></script>');
  });

  it('the presign endpoint refuses a Free user over the limit and offers the upgrade; Premium gets 5 GB', async () => {
    const over = await frances.get('/annotate/presign?file_name=big.vcf&size=200000');
    expect(over.statusCode).toBe(413);
    expect(over.json()).toEqual({
      message: 'The file is 195.3 KB, over the 150 KB limit of your plan.',
      upgrade: true,
    });
    const wrongType = await frances.get('/annotate/presign?file_name=notes.txt&size=10');
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json().message).toContain('is not a VCF');
    const premium = await paula.get('/annotate/presign?file_name=big.vcf&size=200000');
    expect(premium.statusCode).toBe(200);
    const policy = JSON.parse(Buffer.from(premium.json().fields.Policy, 'base64').toString('utf8'));
    expect(policy.conditions).toContainEqual(['content-length-range', 1, 5368709120]);
    expect(policy.conditions).toContainEqual({ key: premium.json().fields.key });
  });

  it('S3 itself refuses a Free upload over the limit (the policy, not only the page)', async () => {
    const presign = (await frances.get('/annotate/presign?file_name=a.vcf&size=100')).json();
    const form = new FormData();
    for (const [name, value] of Object.entries(presign.fields as Record<string, string>))
      form.append(name, value);
    form.append('file', new Blob([Buffer.alloc(153601, 65)]), 'a.vcf');
    const response = await fetch(presign.url, { method: 'POST', body: form });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('EntityTooLarge');
  });
});

describe('submit', () => {
  it('creates one PENDING job, publishes JobRequested once, and a reload creates nothing new', async () => {
    const upload = await uploadThroughPresignedPost(frances, 'sample one.vcf', SMALL_VCF);
    expect(upload.s3Status).toBe(201);
    const submitted = await frances.get(upload.next);
    expect(submitted.statusCode).toBe(303);
    const jobId = /^\/annotations\/([0-9a-f-]{36})$/.exec(submitted.headers.location as string)![1]!;
    const job = await app.gas.jobs.get(jobId);
    expect(job).toMatchObject({
      job_id: jobId,
      user_id: francesId,
      user_email: 'free@example.org',
      user_tier: 'free',
      status: 'PENDING',
      input_key: upload.key,
      input_file_name: 'sample_one.vcf',
      input_size_bytes: Buffer.byteLength(SMALL_VCF),
      email_notifications: true,
    });
    const messages = await receiveJobRequests();
    expect(messages).toEqual([
      expect.objectContaining({ type: 'JobRequested', job_id: jobId, input_key: upload.key }),
    ]);

    const reload = await frances.get(upload.next);
    expect(reload.headers.location).toBe(`/annotations/${jobId}`);
    expect(await jobCount(francesId)).toBe(1);

    const page = await frances.get(`/annotations/${jobId}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('sample_one.vcf');
    expect(page.body).toContain('PENDING');
    expect(page.body).toContain('<script src="/assets/job.js" defer></script>');
  });

  it('a forged key under another user is refused with a sentence and nothing is created or deleted', async () => {
    const { s3 } = awsClients(stack);
    const paulasKey = inputObjectKey(paulaId, randomUUID(), 'theirs.vcf');
    await s3.send(
      new PutObjectCommand({ Bucket: stack.resources.buckets.inputs, Key: paulasKey, Body: SMALL_VCF }),
    );
    s3.destroy();
    const before = await jobCount(francesId);
    const forged = await frances.get(
      `/annotate/job?bucket=${stack.resources.buckets.inputs}&key=${encodeURIComponent(paulasKey)}&etag=x`,
    );
    expect(forged.statusCode).toBe(403);
    expect(forged.body).toContain('That file is not one of your uploads');
    expect(await jobCount(francesId)).toBe(before);
    expect(await jobCount(paulaId)).toBe(0);
    expect(await objectExists(paulasKey)).toBe(true);
    const otherBucket = await frances.get(
      `/annotate/job?bucket=${stack.resources.buckets.results}&key=${encodeURIComponent(inputObjectKey(francesId, randomUUID(), 'a.vcf'))}`,
    );
    expect(otherBucket.statusCode).toBe(403);
  });

  it('an object over the Free limit is deleted and explained with the upgrade offer; no job', async () => {
    const { s3 } = awsClients(stack);
    const key = inputObjectKey(francesId, randomUUID(), 'large.vcf');
    await s3.send(
      new PutObjectCommand({
        Bucket: stack.resources.buckets.inputs,
        Key: key,
        Body: Buffer.alloc(160_000, 65),
      }),
    );
    s3.destroy();
    const before = await jobCount(francesId);
    const refused = await frances.get(
      `/annotate/job?bucket=${stack.resources.buckets.inputs}&key=${encodeURIComponent(key)}`,
    );
    expect(refused.statusCode).toBe(413);
    expect(refused.body).toContain(
      'The file is 156.3 KB, over the 150 KB limit of the Free plan, so it was deleted.',
    );
    expect(refused.body).toContain('Upgrade to Premium');
    expect(await objectExists(key)).toBe(false);
    expect(await jobCount(francesId)).toBe(before);
  });

  it('a missing object and a non-VCF name are 4xx sentences', async () => {
    const missing = await frances.get(
      `/annotate/job?bucket=${stack.resources.buckets.inputs}&key=${encodeURIComponent(inputObjectKey(francesId, randomUUID(), 'gone.vcf'))}`,
    );
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toContain('The uploaded file was not found');
    const { s3 } = awsClients(stack);
    const key = inputObjectKey(francesId, randomUUID(), 'notes.txt');
    await s3.send(new PutObjectCommand({ Bucket: stack.resources.buckets.inputs, Key: key, Body: 'hello' }));
    s3.destroy();
    const wrongType = await frances.get(
      `/annotate/job?bucket=${stack.resources.buckets.inputs}&key=${encodeURIComponent(key)}`,
    );
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.body).toContain('is not a VCF');
    expect(await objectExists(key)).toBe(false);
  });

  it('without a session the submit link sends the user to sign in first', async () => {
    const response = await new WebClient(app).get('/annotate/job?bucket=b&key=k');
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(
      `/auth/login?return_to=${encodeURIComponent('/annotate/job?bucket=b&key=k')}`,
    );
  });
});

describe('a job from submission to results', () => {
  let jobId: string;

  beforeAll(async () => {
    const upload = await uploadThroughPresignedPost(frances, 'trio.vcf', SMALL_VCF);
    const submitted = await frances.get(upload.next);
    jobId = (submitted.headers.location as string).split('/').pop()!;
    await receiveJobRequests();
  });

  it('shows progress while running, then timings, charts with table fallback, skipped records, downloads and the log', async () => {
    await markRunningLikeAnnotator(stack, jobId, 40);
    const running = await frances.get(`/annotations/${jobId}`);
    expect(running.body).toContain('40% of the input read.');
    expect(running.body).toContain('value="40"');
    const status = await frances.get(`/annotations/${jobId}/status`);
    expect(status.json()).toMatchObject({ status: 'RUNNING', percent: 40, phase: 'annotating' });

    await completeJobLikeAnnotator(
      stack,
      { job_id: jobId, user_id: francesId, input_file_name: 'trio.vcf' },
      { alreadyRunning: true },
    );
    const page = await frances.get(`/annotations/${jobId}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('COMPLETED');
    expect(page.body).not.toContain('/assets/job.js');
    expect(page.body).toContain('<svg class="gas-chart" role="img" aria-label="Consequences"');
    expect(page.body).toMatch(/<td>missense_variant<\/td><td>30<\/td>/);
    // counts read as people write them, in the table and on the chart's bar
    expect(page.body).toContain('<td>downstream_gene_variant</td><td>31,606</td>');
    expect(page.body).toMatch(/<svg class="gas-chart" role="img" aria-label="Consequences".*>31,606<\/text>/);
    expect(page.body).toContain('POS &quot;12a&quot; is not a whole number');
    expect(page.body).toContain(`/annotations/${jobId}/download/vcf`);
    expect(page.body).toContain(`/annotations/${jobId}/log`);

    const log = await frances.get(`/annotations/${jobId}/log`);
    expect(log.statusCode).toBe(200);
    expect(log.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(log.body).toContain(`GAS job ${jobId}: annotated 120 records`);

    const download = await frances.get(`/annotations/${jobId}/download/tsv`);
    expect(download.statusCode).toBe(303);
    const url = new URL(download.headers.location as string);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('120');
    expect(url.pathname).toContain(`/results/${francesId}/${jobId}/trio.annot.tsv`);
    const file = await fetch(url);
    expect(file.status).toBe(200);
    expect((await file.text()).split('\n')[0]).toMatch(/^CHROM\tPOS/);
  });

  it('the result viewer pages and filters by gene, consequence and impact', async () => {
    const first = await frances.get(`/annotations/${jobId}`);
    // Result rows are chromosome 21 at positions from 1000 (the chromosome chart table has 21 -> 120).
    const rowsOf = (html: string) =>
      [...html.matchAll(/<tr><td>21<\/td><td>(\d+)<\/td>/g)]
        .map((m) => Number(m[1]))
        .filter((pos) => pos >= 1000);
    expect(rowsOf(first.body)).toHaveLength(50);
    expect(first.body).toContain('rel="next"');
    const third = await frances.get(`/annotations/${jobId}?page=3`);
    expect(rowsOf(third.body)).toEqual(Array.from({ length: 20 }, (_, i) => 1100 + i));
    expect(third.body).not.toContain('rel="next"');

    // Genes alternate APP (even rows) / SOD1 (odd); consequences rotate with period 4.
    const sod1Low = await frances.get(`/annotations/${jobId}?gene=sod1&impact=LOW`);
    expect(rowsOf(sod1Low.body)).toEqual(Array.from({ length: 30 }, (_, i) => 1001 + i * 4));
    const none = await frances.get(`/annotations/${jobId}?gene=SOD1&consequence=stop_gained`);
    expect(rowsOf(none.body)).toEqual([]);
    expect(none.body).toContain('No records match.');
    const app1 = await frances.get(`/annotations/${jobId}?gene=APP&consequence=splice_region_variant`);
    expect(rowsOf(app1.body)).toEqual(Array.from({ length: 30 }, (_, i) => 1002 + i * 4));
    const bad = await frances.get(`/annotations/${jobId}?max_af=7`);
    expect(bad.statusCode).toBe(400);
  });

  it('another user gets 404 for the job, its status, log and downloads, exactly like an unknown id', async () => {
    for (const path of [
      `/annotations/${jobId}`,
      `/annotations/${jobId}/log`,
      `/annotations/${jobId}/download/vcf`,
    ]) {
      const response = await paula.get(path);
      expect(response.statusCode).toBe(404);
      expect(response.body).not.toContain('trio');
    }
    expect((await paula.get(`/annotations/${jobId}/status`)).statusCode).toBe(404);
    const unknown = await frances.get(`/annotations/${randomUUID()}`);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toContain('There is no job with that id in your account.');
    expect((await frances.get('/annotations/not-a-uuid')).statusCode).toBe(400);
  });

  it('an archived result says so, offers the upgrade and gives no download link; a restoring one says when it was asked for', async () => {
    const { dynamodb } = awsClients(stack);
    const { DynamoDBDocumentClient, UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    await DynamoDBDocumentClient.from(dynamodb).send(
      new UpdateCommand({
        TableName: stack.resources.jobsTable,
        Key: { job_id: jobId },
        UpdateExpression: 'SET results_status = :archived',
        ExpressionAttributeValues: { ':archived': 'ARCHIVED' },
      }),
    );
    dynamodb.destroy();
    const page = await frances.get(`/annotations/${jobId}`);
    expect(page.body).toContain('moved to cold storage');
    expect(page.body).not.toContain(`/annotations/${jobId}/download/vcf`);
    const download = await frances.get(`/annotations/${jobId}/download/vcf`);
    expect(download.statusCode).toBe(409);
    expect(download.body).toContain('Upgrade to Premium');
    const list = await frances.get('/annotations');
    expect(list.body).toContain('archived');

    const { dynamodb: again } = awsClients(stack);
    await DynamoDBDocumentClient.from(again).send(
      new UpdateCommand({
        TableName: stack.resources.jobsTable,
        Key: { job_id: jobId },
        UpdateExpression: 'SET results_status = :restoring, restore_requested_at = :at',
        ExpressionAttributeValues: { ':restoring': 'RESTORING', ':at': '2026-11-22T01:00:00.000Z' },
      }),
    );
    again.destroy();
    const restoring = await frances.get(`/annotations/${jobId}`);
    expect(restoring.body).toContain('restored from cold storage (requested 2026-11-22 01:00:00 UTC)');
    expect((await frances.get(`/annotations/${jobId}/download/tsv`)).body).toContain('being restored');
    expect((await frances.get('/annotations')).body).toContain('restoring');
  });
});

describe('jobs list', () => {
  it('lists newest first, 20 per page, following the cursor; a forged cursor is a 400', async () => {
    const { dynamodb } = awsClients(stack);
    const { DynamoDBDocumentClient, PutCommand } = await import('@aws-sdk/lib-dynamodb');
    const documents = DynamoDBDocumentClient.from(dynamodb);
    const userId = paulaId;
    for (let i = 0; i < 23; i++) {
      const jobId = randomUUID();
      await documents.send(
        new PutCommand({
          TableName: stack.resources.jobsTable,
          Item: {
            job_id: jobId,
            user_id: userId,
            user_email: 'premium@example.org',
            user_tier: 'premium',
            status: 'PENDING',
            submitted_at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
            input_bucket: stack.resources.buckets.inputs,
            input_key: inputObjectKey(userId, jobId, `file-${String(i).padStart(2, '0')}.vcf`),
            input_file_name: `file-${String(i).padStart(2, '0')}.vcf`,
            input_size_bytes: 10,
          },
        }),
      );
    }
    dynamodb.destroy();
    const first = await paula.get('/annotations');
    const names = (html: string) => [...html.matchAll(/>(file-\d\d\.vcf)</g)].map((m) => m[1]);
    expect(names(first.body)).toEqual(
      Array.from({ length: 20 }, (_, i) => `file-${String(22 - i).padStart(2, '0')}.vcf`),
    );
    const next = decodeHtml(/href="(\/annotations\?cursor[^"]+)" rel="next"/.exec(first.body)![1]!);
    const second = await paula.get(next);
    expect(names(second.body)).toEqual(['file-02.vcf', 'file-01.vcf', 'file-00.vcf']);
    // Frances following Paula's cursor gets a refusal, not Paula's jobs.
    const stolen = await frances.get(next);
    expect(stolen.statusCode).toBe(400);
    expect(stolen.body).not.toContain('file-');
  });
});

describe('Premium multipart upload', () => {
  it('starts an upload with one presigned URL per part, completes it from the ETags, and the job takes it', async () => {
    const limited = await buildTestApp(stack, { MULTIPART_PART_BYTES: String(5 * 1024 * 1024) });
    try {
      const client = new WebClient(limited.app);
      await client.signIn('premium@example.org');
      const csrf = await client.csrfToken('/annotate');
      const content = Buffer.concat([Buffer.from(SMALL_VCF), Buffer.alloc(11 * 1024 * 1024, 10)]);
      const start = await client.request({
        method: 'POST',
        url: '/annotate/multipart',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        payload: JSON.stringify({ file_name: 'big.vcf', size: content.length }),
      });
      expect(start.statusCode).toBe(200);
      const upload = start.json() as {
        key: string;
        upload_id: string;
        part_bytes: number;
        parts: Array<{ part_number: number; url: string }>;
      };
      expect(upload.key).toMatch(new RegExp(`^inputs/${paulaId}/[0-9a-f-]{36}~big\\.vcf$`));
      expect(upload.parts.map((p) => p.part_number)).toEqual([1, 2, 3]);
      expect(new URL(upload.parts[0]!.url).searchParams.get('X-Amz-Expires')).toBe('600');
      const parts = [];
      for (const part of upload.parts) {
        const from = (part.part_number - 1) * upload.part_bytes;
        const response = await fetch(part.url, {
          method: 'PUT',
          body: new Uint8Array(content.subarray(from, from + upload.part_bytes)),
        });
        expect(response.status).toBe(200);
        parts.push({ part_number: part.part_number, etag: response.headers.get('etag')! });
      }
      // Completing someone else's key is refused before S3 is asked.
      const forged = await client.request({
        method: 'POST',
        url: '/annotate/multipart/complete',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        payload: JSON.stringify({
          key: inputObjectKey(francesId, randomUUID(), 'x.vcf'),
          upload_id: upload.upload_id,
          parts,
        }),
      });
      expect(forged.statusCode).toBe(403);
      const done = await client.request({
        method: 'POST',
        url: '/annotate/multipart/complete',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        payload: JSON.stringify({ key: upload.key, upload_id: upload.upload_id, parts }),
      });
      expect(done.statusCode).toBe(200);
      const submitted = await client.get(done.json().next);
      expect(submitted.statusCode).toBe(303);
      const job = await app.gas.jobs.get((submitted.headers.location as string).split('/').pop()!);
      expect(job).toMatchObject({
        status: 'PENDING',
        user_tier: 'premium',
        input_size_bytes: content.length,
        input_key: upload.key,
      });
    } finally {
      await limited.app.close();
    }
  });

  it('is refused to a Free user with the upgrade offered, and without the CSRF header', async () => {
    const free = await frances.request({
      method: 'POST',
      url: '/annotate/multipart',
      headers: { 'content-type': 'application/json', 'x-csrf-token': await frances.csrfToken('/annotate') },
      payload: JSON.stringify({ file_name: 'big.vcf', size: 10_000_000 }),
    });
    expect(free.statusCode).toBe(403);
    expect(free.json()).toEqual({ message: 'Large uploads are a Premium feature.', upgrade: true });
    const noToken = await paula.request({
      method: 'POST',
      url: '/annotate/multipart',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ file_name: 'big.vcf', size: 10_000_000 }),
    });
    expect(noToken.statusCode).toBe(403);
  });
});
