/**
 * Faults of the services and of the cloud around them, one stack for the file (the faults do
 * not overlap: each is cleared before the next), checked after each with invariants.ts over
 * every job submitted so far:
 *   1. the annotator is killed (SIGKILL) in the middle of a job, and started again;
 *   2. the notifier is down while jobs complete, then back;
 *   3. every SNS webhook delivery (the doorbells) fails: the queues drain anyway;
 *   4. S3 answers 500 once on the upload of results (the SDK retries), then three times in a
 *      row (more than the SDK's attempts: the job itself is retried).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedData } from '../journey/stack-process.ts';
import {
  eventually,
  type FaultStack,
  type GasUser,
  startFaultStack,
  writeMalformedVcf,
} from './fault-stack.ts';
import { checkInvariants } from './invariants.ts';

const vepTest = join(sharedData, 'inputs/vep-test.chr21.vcf');
/** 100,000 records: a job of seconds even on a fast machine, long enough to be killed while it runs. */
const synthetic = join(sharedData, 'inputs/synthetic-100k.chr21.vcf.gz');

let fs: FaultStack;
let free: GasUser;
let premium: GasUser;
let scratch: string;
let malformed: string;
const jobs: string[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'gas-faults-'));
  malformed = await writeMalformedVcf(scratch);
  const started = Date.now();
  fs = await startFaultStack({ database: 'gas_faults_services_test' });
  process.stdout.write(`[faults] stack started in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  free = await fs.signIn('free@example.org');
  premium = await fs.signIn('premium@example.org');
}, 300_000);

afterAll(async () => {
  await fs?.dispose();
  await rm(scratch, { recursive: true, force: true });
});

async function submit(user: GasUser, file: string): Promise<string> {
  const id = await user.submit(file);
  jobs.push(id);
  return id;
}

async function expectNothingLost(label: string, restoredJobIds?: string[]) {
  const report = await checkInvariants(fs, label, jobs, restoredJobIds ? { restoredJobIds } : {});
  expect(report.problems).toEqual([]);
  expect(report.lost).toBe(0);
}

describe('faults of services and cloud: nothing is lost', () => {
  it('1. the annotator is killed in the middle of a job and started again', async () => {
    const long = await submit(premium, synthetic);
    const running = await eventually('the long job running with progress', async () => {
      const s = await premium.status(long);
      return s.status === 'RUNNING' && (s.percent ?? 0) > 0 ? s : undefined;
    });
    expect(running.status).toBe('RUNNING');
    await fs.control('/services/annotator/kill');
    // Jobs submitted while no annotator runs wait in the queue.
    await submit(free, vepTest);
    await submit(free, vepTest);
    await fs.control('/services/annotator/start');
    await expectNothingLost('annotator killed mid-job');
    expect((await premium.status(long)).status).toBe('COMPLETED');
    // The kill did interrupt the run: the job was claimed again and run from the start.
    const record = await fs.aws.dynamodb.send(
      new GetItemCommand({
        TableName: fs.plan.jobsTable.name,
        Key: { job_id: { S: long } },
        ConsistentRead: true,
      }),
    );
    expect(Number(record.Item?.attempts?.N)).toBe(2);
  }, 180_000);

  it('2. the notifier is down while jobs complete, then back', async () => {
    const mailsBefore = await mailCount();
    await fs.control('/services/notifier/kill');
    const down = [await submit(free, vepTest), await submit(free, malformed), await submit(premium, vepTest)];
    const finals = await eventually('the jobs final while the notifier is down', async () => {
      const statuses = await Promise.all(down.map(async (id, i) => (i === 2 ? premium : free).status(id)));
      return statuses.every((s) => s.status === 'COMPLETED' || s.status === 'FAILED') ? statuses : undefined;
    });
    expect(finals.map((s) => s.status)).toEqual(['COMPLETED', 'FAILED', 'COMPLETED']);
    expect(await mailCount()).toBe(mailsBefore);
    await fs.control('/services/notifier/start');
    await expectNothingLost('notifier down, then back');
  }, 180_000);

  it('3. every SNS webhook delivery fails; the queues drain anyway', async () => {
    const webhooks = await Promise.all(
      (['annotator', 'notifier', 'archiver', 'thawer'] as const).map((name) =>
        fs.faults.add({
          kind: 'sns-http-failure',
          endpointPrefix: `http://127.0.0.1:${fs.stack.ports[name]}/`,
        }),
      ),
    );
    await submit(free, vepTest);
    await submit(premium, vepTest);
    await expectNothingLost('SNS webhook endpoints failing');
    const fired = (await fs.faults.list()).filter((f) => webhooks.some((w) => w.id === f.id));
    // The doorbells really failed: JobRequested to the annotator, JobCompleted to notifier and archiver.
    expect(fired.reduce((n, f) => n + f.injected, 0)).toBeGreaterThanOrEqual(3);
    await fs.faults.clear();
  }, 180_000);

  it('4. S3 answers 500 on the upload of results: once, then three times in a row', async () => {
    const results = {
      kind: 's3-error' as const,
      bucket: fs.plan.buckets.results,
      keyPrefix: 'results/',
      operations: ['PutObject' as const, 'CreateMultipartUpload' as const, 'UploadPart' as const],
    };
    const once = await fs.faults.add({ ...results, times: 1 });
    await submit(free, vepTest);
    await expectNothingLost('S3 500 once on the upload of results');
    expect((await fs.faults.list()).find((f) => f.id === once.id)?.injected).toBe(1);

    await fs.faults.add({ ...results, times: 3 });
    const retried = await submit(free, vepTest);
    await expectNothingLost('S3 500 three times in a row on the upload of results');
    expect((await free.status(retried)).status).toBe('COMPLETED');
    await fs.faults.clear();
  }, 180_000);
});

async function mailCount(): Promise<number> {
  const res = await fetch(`${fs.stack.urls.mailbox}/api/messages`);
  return ((await res.json()) as { messages: unknown[] }).messages.length;
}
