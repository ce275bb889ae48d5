/**
 * Duplicate deliveries of every message type: devcloud makes every SNS delivery twice (to each
 * SQS queue and each webhook, one SNS MessageId), and every message of a GAS queue is received
 * twice (one SQS MessageId: a second consumer gets it while the first works on it), from before
 * the first job to the end. The
 * messages go through the whole life of a job: JobRequested (annotator), JobCompleted
 * (notifier, archiver), the archive after the (short) Free retention window, UserTierChanged
 * when the Free user pays for Premium (archiver, thawer), the S3 restore-completed event
 * (cold-storage-events, thawer) and ArchiveRestored (notifier). Each job must still run once,
 * be e-mailed once, and its restore be announced once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedData } from '../journey/stack-process.ts';
import { payForPremium } from '../support/browser-session.ts';
import {
  eventually,
  type FaultStack,
  type GasUser,
  startFaultStack,
  writeMalformedVcf,
} from './fault-stack.ts';
import { checkInvariants } from './invariants.ts';

const vepTest = join(sharedData, 'inputs/vep-test.chr21.vcf');
const RETENTION_SECONDS = 6;

let fs: FaultStack;
let free: GasUser;
let premium: GasUser;
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'gas-faults-dup-'));
  fs = await startFaultStack({ database: 'gas_faults_duplicates_test', retentionSeconds: RETENTION_SECONDS });
  free = await fs.signIn('free@example.org');
  premium = await fs.signIn('premium@example.org');
}, 300_000);

afterAll(async () => {
  await fs?.dispose();
  await rm(scratch, { recursive: true, force: true });
});

describe('duplicate deliveries of every message type', () => {
  it('jobs run once, are e-mailed once, are archived and restored once', async () => {
    const twice = await fs.faults.add({ kind: 'duplicate-deliveries' });
    const received = await fs.faults.add({
      kind: 'sqs-duplicate-receives',
      queuePrefix: `${fs.plan.prefix}-`,
    });
    const malformed = await writeMalformedVcf(scratch);
    const archived = await free.submit(vepTest);
    const jobs = [archived, await free.submit(malformed), await premium.submit(vepTest)];

    // The Free result goes to cold storage after the window; then the user pays for Premium.
    await eventually(
      'the Free result archived',
      async () =>
        ((await free.status(archived)) as { results_status?: string }).results_status === 'ARCHIVED' ||
        undefined,
      90_000,
    );
    const page = await free.context.newPage();
    await payForPremium(page, fs.stack.urls);
    await page.close();
    await eventually(
      'the Free result restored',
      async () =>
        ((await free.status(archived)) as { results_status?: string }).results_status === 'AVAILABLE' ||
        undefined,
      90_000,
    );

    expect((await free.status(jobs[1]!)).status).toBe('FAILED');
    const report = await checkInvariants(fs, 'duplicate deliveries of every message type', jobs, {
      restoredJobIds: [archived],
    });
    const rules = await fs.faults.list();
    const duplicated = rules.find((f) => f.id === twice.id)?.injected ?? 0;
    const receivedTwice = rules.find((f) => f.id === received.id)?.injected ?? 0;
    process.stdout.write(
      `[faults] duplicate deliveries: ${duplicated} SNS deliveries made twice, ${receivedTwice} SQS messages received twice\n`,
    );
    expect(report.problems).toEqual([]);
    expect(report.lost).toBe(0);
    expect(duplicated).toBeGreaterThan(jobs.length);
    expect(receivedTwice).toBeGreaterThan(jobs.length);
  }, 240_000);
});
