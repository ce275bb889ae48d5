/**
 * The bad-input corpus (issue #10) through the real job path: every hostile VCF of
 * `test/bad-input/generate-corpus.ts` is uploaded to devcloud S3 and submitted as a job
 * (PENDING record + JobRequested), and the annotator (built in this process, its engine in
 * worker threads, ANNOTATOR_CONCURRENCY jobs at once) runs them all, with copies of a valid VCF
 * submitted before (the workers are warm then), at the start, in the middle and at the end.
 *
 * Checked for every case: the job ends FAILED with a message a user can read (matching the
 * problem, with its line number where there is one; no stack trace, "undefined" or path) or
 * COMPLETED with exactly the expected skipped lines in its summary; one attempt (a worker crash
 * or an internal error would have retried it); then the service is still healthy and ready, the
 * queue and its dead-letter queue are empty, and the valid jobs completed with correct output.
 *
 * Hang detector, not a speed assertion: a job RUNNING longer than HANG_LIMIT_MS, or no job
 * changing state for STALL_LIMIT_MS, fails the test naming the case. The run's wall time is
 * printed as a figure. GAS_CORPUS_SEED=N runs another corpus; GAS_CORPUS_ONLY=<regex> only the
 * cases whose name matches (e.g. `^gzip-bomb`), for looking into one family.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { JobRecord } from '@gas/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CorpusCase, DEFAULT_SEED, generateCorpus } from '../../../test/bad-input/generate-corpus.ts';
import { judge, type ObservedOutcome } from '../../../test/bad-input/judge.ts';
import { INTERNAL_ERROR_MESSAGE } from '../src/job-handler.ts';
import { type PipelineCloud, sharedData, startPipelineCloud } from './support/pipeline-cloud.ts';

const SEED = Number(process.env.GAS_CORPUS_SEED ?? DEFAULT_SEED);
/** A job RUNNING this long is hung (the slowest case needs a few seconds). */
const HANG_LIMIT_MS = 60_000;
/** No job started or finished for this long while some are left: the pipeline is stuck. */
const STALL_LIMIT_MS = 60_000;
const SUBMIT_PARALLEL = 8;

let t: PipelineCloud;
let annotator: FastifyInstance;
let corpus: CorpusCase[];
let warmUpJobId: string;
const validVcf = readFileSync(`${sharedData}inputs/vep-test.chr21.vcf`);

beforeAll(async () => {
  corpus = generateCorpus({ sharedData, seed: SEED }).filter(
    (c) => !process.env.GAS_CORPUS_ONLY || new RegExp(process.env.GAS_CORPUS_ONLY).test(c.name),
  );
  t = await startPipelineCloud();
  annotator = await t.startAnnotator();
  // One valid job first: the workers have loaded the reference before the corpus run starts.
  const { jobId } = await t.submitJob({
    body: validVcf,
    fileName: 'vep-test.chr21.vcf',
    userId: 'user-valid',
  });
  warmUpJobId = jobId;
  await t.finished(jobId, 110_000);
}, 120_000);

afterAll(async () => {
  await t?.dispose();
});

type Submitted = { jobId: string; name: string; case?: CorpusCase };

async function scanJobs(): Promise<Map<string, JobRecord>> {
  const jobs = new Map<string, JobRecord>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await t.doc.send(
      new ScanCommand({ TableName: t.provisioned.jobsTable, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) jobs.set(item.job_id as string, item as JobRecord);
    start = page.LastEvaluatedKey;
  } while (start);
  return jobs;
}

/** Waits until every job is COMPLETED or FAILED; throws naming the case that hangs. */
async function waitForAll(submitted: Submitted[]): Promise<Map<string, JobRecord>> {
  const runningSince = new Map<string, number>();
  let lastChange = Date.now();
  let lastSignature = '';
  for (;;) {
    const jobs = await scanJobs();
    const now = Date.now();
    let left = 0;
    const signature: string[] = [];
    for (const s of submitted) {
      const job = jobs.get(s.jobId);
      const status = job?.status ?? 'MISSING';
      signature.push(status[0]!);
      if (status === 'COMPLETED' || status === 'FAILED') continue;
      left++;
      if (status === 'RUNNING') {
        const since = runningSince.get(s.jobId) ?? now;
        runningSince.set(s.jobId, since);
        if (now - since > HANG_LIMIT_MS) {
          throw new Error(
            `case ${s.name} hangs: RUNNING for over ${HANG_LIMIT_MS / 1000} s (progress ${JSON.stringify(job?.progress)}, attempt ${job?.attempts})`,
          );
        }
      }
    }
    if (left === 0) return jobs;
    const joined = signature.join('');
    if (joined !== lastSignature) {
      lastSignature = joined;
      lastChange = now;
    } else if (now - lastChange > STALL_LIMIT_MS) {
      const stuck = submitted.filter((s) => !/^(COMPLETED|FAILED)$/.test(jobs.get(s.jobId)?.status ?? ''));
      throw new Error(
        `no job moved for ${STALL_LIMIT_MS / 1000} s; not finished: ${stuck
          .slice(0, 10)
          .map((s) => `${s.name} (${jobs.get(s.jobId)?.status ?? 'no record'})`)
          .join(', ')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function observed(record: JobRecord): Promise<ObservedOutcome> {
  if (record.status === 'FAILED') return { status: 'FAILED', message: record.error_message ?? '' };
  const summary = JSON.parse((await t.resultBytes(record.result_keys!.summary_key)).toString('utf8')) as {
    records: { read: number };
    problems: {
      total: number;
      list: Array<{ line: number; kind: string; message: string }>;
      listComplete: boolean;
    };
  };
  return {
    status: 'COMPLETED',
    recordsRead: summary.records.read,
    recordsSkipped: record.counts?.records_skipped,
    problems: summary.problems.list,
    listComplete: summary.problems.listComplete,
  };
}

describe('the bad-input corpus as real jobs', () => {
  it('every hostile file ends FAILED with a plain sentence or COMPLETED with its skipped lines; no crash, no hang, valid jobs unaffected', async () => {
    if (!process.env.GAS_CORPUS_ONLY) expect(corpus.length).toBeGreaterThanOrEqual(200);
    const started = performance.now();
    const submitted: Submitted[] = [];
    const valid = async (when: string) => {
      const { jobId } = await t.submitJob({
        body: validVcf,
        fileName: 'vep-test.chr21.vcf',
        userId: 'user-valid',
      });
      submitted.push({ jobId, name: `valid job (${when})` });
    };
    submitted.push({ jobId: warmUpJobId, name: 'valid job (before the corpus)' });
    await valid('submitted first');
    const queue = [...corpus];
    const half = Math.floor(queue.length / 2);
    let submittedCases = 0;
    await Promise.all(
      Array.from({ length: SUBMIT_PARALLEL }, async () => {
        for (let c = queue.shift(); c; c = queue.shift()) {
          const { jobId } = await t.submitJob({
            body: c.bytes,
            fileName: c.fileName,
            userId: 'user-mallory',
          });
          submitted.push({ jobId, name: c.name, case: c });
          if (++submittedCases === half) await valid('submitted in the middle');
        }
      }),
    );
    await valid('submitted last');

    const jobs = await waitForAll(submitted);
    const wallSeconds = (performance.now() - started) / 1000;

    // Per case: the outcome the user sees.
    const wrong: string[] = [];
    const outcomes = { failed: 0, completedWithSkips: 0, completedClean: 0 };
    for (const s of submitted) {
      const record = jobs.get(s.jobId)!;
      if (record.attempts !== 1)
        wrong.push(`${s.name}: ${record.attempts} attempts (a crash or an internal error)`);
      if (record.error_message === INTERNAL_ERROR_MESSAGE) wrong.push(`${s.name}: internal error`);
      if (!s.case) continue;
      const seen = await observed(record);
      if (seen.status === 'FAILED') outcomes.failed++;
      else if ((seen.recordsSkipped ?? 0) > 0) outcomes.completedWithSkips++;
      else outcomes.completedClean++;
      for (const problem of judge(s.case.expected, seen))
        wrong.push(`${s.name} (${s.case.note}): ${problem}`);
    }
    expect(wrong).toEqual([]);

    // A FAILED job's log tells the same story as its message.
    const failedWithLine = submitted.find(
      (s) => s.case?.expected.outcome === 'failed' && s.case.expected.line !== undefined,
    )!;
    const failedRecord = jobs.get(failedWithLine.jobId)!;
    const log = (await t.resultBytes(failedRecord.log_key!)).toString('utf8');
    expect(log).toContain(`line ${(failedWithLine.case!.expected as { line: number }).line}:`);

    // The valid jobs: COMPLETED, nothing skipped, the known missense variant annotated.
    for (const s of submitted.filter((x) => !x.case)) {
      const record = jobs.get(s.jobId)!;
      expect(record.status, s.name).toBe('COMPLETED');
      expect(record.counts, s.name).toMatchObject({
        variants_read: 132,
        variants_annotated: 132,
        records_skipped: 0,
      });
      const vcf = gunzipSync(await t.resultBytes(record.result_keys!.annotated_vcf_key)).toString('utf8');
      const data = vcf.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
      expect(data, s.name).toHaveLength(132);
      expect(
        data.find((line) => line.split('\t')[2] === 'rs142513484'),
        s.name,
      ).toMatch(
        /CSQ=(?:[^\t]*,)?T\|missense_variant[^|,]*\|MODERATE\|MRPL39\|[^|,]*\|Transcript\|ENST00000352957/,
      );
    }

    // The service survived: alive, ready, nothing left in the queue or its dead-letter queue.
    expect((await annotator.inject('/healthz')).statusCode).toBe(200);
    expect((await annotator.inject('/readyz')).statusCode).toBe(200);
    expect(await t.queueDepth('annotatorJobRequests')).toBe(0);
    expect(await t.queueDepth('annotatorJobRequests', true)).toBe(0);

    console.log(
      `bad-input corpus (seed ${SEED}): ${corpus.length} files, ${outcomes.failed} FAILED with a message, ${outcomes.completedWithSkips} COMPLETED with skipped records reported, ${outcomes.completedClean} COMPLETED clean; ${submitted.length - corpus.length} valid jobs COMPLETED; ${wallSeconds.toFixed(1)} s from the first upload to the last job`,
    );
  }, 600_000);
});
