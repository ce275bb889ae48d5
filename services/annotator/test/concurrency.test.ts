/**
 * A big job does not hold up small ones: with two engine workers, a 100,000-record job keeps
 * one busy while a small job submitted after it runs and completes on the other. The big job
 * is then released by a graceful close (it is not run to the end here: crash.test.ts does).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type PipelineCloud, sharedData, startPipelineCloud } from './support/pipeline-cloud.ts';

let t: PipelineCloud;

beforeAll(async () => {
  t = await startPipelineCloud();
}, 120_000);

afterAll(async () => {
  await t?.dispose();
});

describe('concurrency', () => {
  it('a small job completes while a big one is still running', async () => {
    const annotator = await t.startAnnotator({ ANNOTATOR_CONCURRENCY: '2' });
    const big = await t.submitJob({
      body: readFileSync(join(sharedData, 'inputs/synthetic-100k.chr21.vcf.gz')),
      fileName: 'big.vcf.gz',
    });
    await eventually(async () => (await t.job(big.jobId))?.status === 'RUNNING', 'the big job to start');
    const small = await t.submitJob({
      body: readFileSync(join(sharedData, 'inputs/vep-test.chr21.vcf')),
      fileName: 'small.vcf',
    });
    const smallRecord = await t.finished(small.jobId);
    expect(smallRecord.status).toBe('COMPLETED');
    const bigRecord = await t.job(big.jobId);
    expect(bigRecord?.status).toBe('RUNNING');
    expect(bigRecord?.completed_at).toBeUndefined();

    // Closing releases the big job for another annotator: lease expired, message visible.
    await annotator.close();
    const released = await t.job(big.jobId);
    expect(released?.status).toBe('RUNNING');
    expect(released?.lease_expires_at).toBe(new Date(0).toISOString());
    expect(await t.queueDepth('annotatorJobRequests')).toBe(1);
  }, 300_000);
});
