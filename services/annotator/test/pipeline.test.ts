/**
 * The job pipeline end to end, services built in this process (`buildApp` + listen) against
 * a provisioned devcloud: JobRequested -> annotator (SNS doorbell + SQS drain, engine in a
 * worker thread) -> results in S3 -> JobCompleted -> notifier -> the e-mail a user reads.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RENAME_CONTIGS_ADVICE } from '../src/engine/run-job.ts';
import { INTERNAL_ERROR_MESSAGE } from '../src/job-handler.ts';
import { JobsTable } from '../src/jobs-table.ts';
import {
  eventually,
  type PipelineCloud,
  sharedData,
  startPipelineCloud,
  WEB_BASE_URL,
} from './support/pipeline-cloud.ts';

const vepTest = readFileSync(join(sharedData, 'inputs/vep-test.chr21.vcf'), 'utf8');
const vepLines = vepTest.split('\n').filter((line) => line !== '');
const header = vepLines.filter((line) => line.startsWith('#'));
const records = vepLines.filter((line) => !line.startsWith('#'));

let t: PipelineCloud;
let annotator: FastifyInstance;
let work: string;

beforeAll(async () => {
  t = await startPipelineCloud();
  await t.startNotifier();
  annotator = await t.startAnnotator();
  work = await mkdtemp(join(tmpdir(), 'gas-pipeline-test-'));
}, 120_000);

afterAll(async () => {
  await t?.dispose();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Every job scratch folder under the annotator's scratch dir (none may be left). */
function scratchLeft(): string[] {
  const base = join(t.scratchDir, 'gas-annotator');
  try {
    return readdirSync(base).flatMap((pid) => readdirSync(join(base, pid)).map((job) => `${pid}/${job}`));
  } catch {
    return [];
  }
}

function dataLines(vcfGz: Buffer): string[] {
  return gunzipSync(vcfGz)
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'));
}

describe('a job from submission to e-mail', { timeout: 240_000 }, () => {
  it('annotates a real VCF: COMPLETED, outputs in S3 that bcftools reads with CSQ, one e-mail with the job link', async () => {
    const { jobId } = await t.submitJob({ body: vepTest, fileName: 'vep-test.chr21.vcf' });
    const record = await t.finished(jobId);
    expect(record.status).toBe('COMPLETED');
    expect(record.attempts).toBe(1);
    expect(record.counts).toEqual({
      variants_read: 132,
      variants_annotated: 132,
      records_skipped: 0,
      consequences: expect.any(Number),
    });
    expect(record.counts!.consequences).toBeGreaterThan(132);
    const folder = `results/user-alice/${jobId}/`;
    expect(record.result_keys).toEqual({
      annotated_vcf_key: `${folder}vep-test.chr21.annot.vcf.gz`,
      tsv_key: `${folder}vep-test.chr21.annot.tsv`,
      json_key: `${folder}vep-test.chr21.annot.json`,
      summary_key: `${folder}summary.json`,
    });
    expect(record.log_key).toBe(`${folder}vep-test.chr21.log`);
    expect(record.results_status).toBe('AVAILABLE');
    expect(record.timings_ms?.total_ms).toBeGreaterThan(0);
    expect(record.reference_versions?.gene_models).toMatch(
      /^ensembl84\.chr21\.gff3\.gz sha256:[0-9a-f]{64}$/,
    );
    expect(record.lease_owner).toBeUndefined();
    expect(record.progress).toBeUndefined();

    // The annotated VCF, as a user's tool reads it.
    const vcfPath = join(work, 'annotated.vcf.gz');
    writeFileSync(vcfPath, await t.resultBytes(record.result_keys!.annotated_vcf_key));
    const headerText = execFileSync('bcftools', ['view', '-h', vcfPath], { encoding: 'utf8' });
    expect(headerText).toMatch(/^##INFO=<ID=CSQ,/m);
    const body = execFileSync('bcftools', ['view', '-H', vcfPath], { encoding: 'utf8' }).trim().split('\n');
    expect(body).toHaveLength(132);
    const rs142513484 = body.find((line) => line.split('\t')[2] === 'rs142513484');
    expect(rs142513484).toMatch(/CSQ=[^\t]*missense_variant[^\t]*ENST00000352957/);

    const tsv = (await t.resultBytes(record.result_keys!.tsv_key)).toString('utf8').trim().split('\n');
    expect(tsv.filter((line) => !line.startsWith('#')).length).toBeGreaterThan(132);
    const json = (await t.resultBytes(record.result_keys!.json_key)).toString('utf8').trim().split('\n');
    expect(json.length).toBeGreaterThanOrEqual(132);
    for (const line of json.slice(-3)) expect(() => JSON.parse(line)).not.toThrow();
    const summary = JSON.parse((await t.resultBytes(record.result_keys!.summary_key)).toString('utf8'));
    expect(summary.records).toMatchObject({ read: 132, annotated: 132 });
    expect(summary.input.name).toBe('vep-test.chr21.vcf');
    const log = (await t.resultBytes(record.log_key!)).toString('utf8');
    expect(log).toContain(`GAS job ${jobId}: vep-test.chr21.vcf`);
    expect(log).toContain('read 132 records');
    // One engine pass wrote all three formats: one read of the input, one run in the log.
    expect(log).toContain('also writing TSV');
    expect(log).toContain('also writing JSON');
    expect(log.match(/read 132 records/g)).toHaveLength(1);
    expect(Object.keys(record.timings_ms ?? {})).toContain('annotate_ms');

    const mails = await eventually(async () => {
      const found = await t.mailbox('alice@example.org');
      return found.length > 0 ? found : undefined;
    }, 'the e-mail');
    expect(mails).toHaveLength(1);
    const [mail] = mails;
    const link = `${WEB_BASE_URL}/annotations/${jobId}`;
    expect(mail!.subject).toBe('Your GAS job vep-test.chr21.vcf is done');
    expect(mail!.text).toContain(link);
    expect(mail!.text).toMatch(/Variants annotated:\s+132/);
    expect(mail!.html).toContain(`href="${link}"`);
    const after = await t.job(jobId);
    expect(after?.completion_published_at).toBeDefined();
    expect(after?.notified_at).toBeDefined();
    expect(scratchLeft()).toEqual([]);
    const ready = await annotator.inject('/readyz');
    expect(ready.statusCode).toBe(200);
  });

  it('a bad VCF: FAILED with the line number in the job record and in the e-mail', async () => {
    const bad =
      '##fileformat=VCFv4.2\n##source=test\n#CHROM POS ID REF ALT QUAL FILTER INFO\n21\t25585733\trs1\tC\tT\t.\t.\t.\n';
    const { jobId } = await t.submitJob({
      body: bad,
      fileName: 'spaces instead of tabs.vcf',
      email: 'bob@example.org',
    });
    const record = await t.finished(jobId);
    expect(record.status).toBe('FAILED');
    expect(record.error_message).toMatch(
      /^The input file could not be annotated: line 3: the #CHROM header line/,
    );
    expect(record.result_keys).toBeUndefined();
    const log = (await t.resultBytes(record.log_key!)).toString('utf8');
    expect(log).toContain('line 3: the #CHROM header line');

    const mails = await eventually(async () => {
      const found = await t.mailbox('bob@example.org');
      return found.length > 0 ? found : undefined;
    }, 'the e-mail');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe('Your GAS job spaces instead of tabs.vcf failed');
    expect(mails[0]!.text).toContain('line 3: the #CHROM header line');
    expect(mails[0]!.text).toContain(`${WEB_BASE_URL}/annotations/${jobId}`);
    expect(scratchLeft()).toEqual([]);
  });

  it('a duplicate JobRequested: one run, one result, one e-mail', async () => {
    const { jobId } = await t.submitJob({
      body: [...header, ...records.slice(0, 10)].join('\n'),
      fileName: 'twice.vcf',
      email: 'carol@example.org',
      publishTimes: 2,
    });
    const record = await t.finished(jobId);
    expect(record.status).toBe('COMPLETED');
    // Both copies have been handled once the queue is empty; only then count runs and e-mails.
    await eventually(async () => (await t.queueDepth('annotatorJobRequests')) === 0, 'the queue to drain');
    await eventually(
      async () => (await t.queueDepth('notifierJobCompleted')) === 0,
      'the notifier queue to drain',
    );
    const after = await t.job(jobId);
    expect(after?.attempts).toBe(1);
    expect(after?.counts?.variants_read).toBe(10);
    expect(await t.mailbox('carol@example.org')).toHaveLength(1);
  });

  it('a file on another contig: FAILED, the message says what to do on the site (not the CLI flag)', async () => {
    const body = [...header, ...records.slice(0, 3).map((r) => r.replace(/^21\t/, 'chr22\t'))].join('\n');
    const { jobId } = await t.submitJob({ body, fileName: 'chr22.vcf', email: 'judy@example.org' });
    const record = await t.finished(jobId);
    expect(record.status).toBe('FAILED');
    expect(record.error_message).toBe(
      `The input file could not be annotated: none of the 3 records is on a contig of the reference FASTA: the input's contigs are "chr22" (3 records, first at line 8); the FASTA has 21; the input's header names GCF_000001405.26. Check that the input and the reference are the same assembly and species.${RENAME_CONTIGS_ADVICE}`,
    );
    expect(record.error_message).not.toContain('--synonyms');
  });

  it('counts add up for a file with malformed lines: every data line read, the bad ones skipped', async () => {
    const body = [
      ...header,
      ...records.slice(0, 4),
      '21\tabc\t.\tA\tG\t.\t.\t.\tGT\t0|0',
      ...records.slice(4, 6),
      '21\t25592836\t.\tG',
    ].join('\n');
    const { jobId } = await t.submitJob({ body, fileName: 'two bad lines.vcf', email: 'ivy@example.org' });
    const record = await t.finished(jobId);
    expect(record.status).toBe('COMPLETED');
    expect(record.counts).toMatchObject({ variants_read: 8, variants_annotated: 6, records_skipped: 2 });
  });

  it('a malformed message goes to the dead-letter queue and does not hold up the next job', async () => {
    await t.publishJobRequested({ schema_version: 1, type: 'JobRequested', job_id: 'not-a-uuid' });
    const { jobId } = await t.submitJob({
      body: [...header, ...records.slice(0, 3)].join('\n'),
      fileName: 'after-poison.vcf',
      email: 'dave@example.org',
    });
    expect((await t.finished(jobId)).status).toBe('COMPLETED');
    await eventually(
      async () => (await t.queueDepth('annotatorJobRequests', true)) === 1,
      'the malformed message in the dead-letter queue',
    );
  });

  it('20 jobs at once: all complete, each with its own outputs, one e-mail each', async () => {
    const jobs = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.submitJob({
          body: [...header, ...records.slice(i, i + i + 1)].join('\n'),
          fileName: `batch-${i}.vcf`,
          email: `batch-${i}@example.org`,
        }),
      ),
    );
    const finished = await Promise.all(jobs.map(({ jobId }) => t.finished(jobId, 200_000)));
    for (const [i, record] of finished.entries()) {
      const expected = records.slice(i, i + i + 1);
      expect(record.status).toBe('COMPLETED');
      expect(record.counts?.variants_read).toBe(expected.length);
      const lines = dataLines(await t.resultBytes(record.result_keys!.annotated_vcf_key));
      expect(lines.map((line) => line.split('\t')[2])).toEqual(expected.map((line) => line.split('\t')[2]));
      const summary = JSON.parse((await t.resultBytes(record.result_keys!.summary_key)).toString('utf8'));
      expect(summary.input.name).toBe(`batch-${i}.vcf`);
    }
    await eventually(async () => {
      for (let i = 0; i < 20; i++) if ((await t.mailbox(`batch-${i}@example.org`)).length !== 1) return false;
      return true;
    }, 'one e-mail per job');
    expect(scratchLeft()).toEqual([]);
  });
});

describe('the SNS webhook is down', { timeout: 240_000 }, () => {
  it('the queue still holds the job; an annotator started later runs it', async () => {
    await annotator.close();
    const { jobId } = await t.submitJob({
      body: [...header, ...records.slice(0, 5)].join('\n'),
      fileName: 'while-down.vcf',
      email: 'erin@example.org',
    });
    await eventually(async () => (await t.queueDepth('annotatorJobRequests')) === 1, 'the job in the queue');
    expect((await t.job(jobId))?.status).toBe('PENDING');
    annotator = await t.startAnnotator();
    const record = await t.finished(jobId);
    expect(record.status).toBe('COMPLETED');
    expect(record.counts?.variants_read).toBe(5);
    await eventually(async () => (await t.mailbox('erin@example.org')).length === 1, 'the e-mail');
  });
});

describe('the SNS doorbell', { timeout: 240_000 }, () => {
  it('wakes an idle annotator at once (its safety-net timer is 10 minutes)', async () => {
    await annotator.close();
    annotator = await t.startAnnotator({ DRAIN_IDLE_SECONDS: '600', QUEUE_WAIT_SECONDS: '0' });
    // The drain loop's first receive finds nothing and sleeps; only a verified notification wakes it.
    const { jobId } = await t.submitJob({
      body: [...header, ...records.slice(0, 1)].join('\n'),
      fileName: 'doorbell.vcf',
      email: 'hugo@example.org',
    });
    expect((await t.finished(jobId, 150_000)).status).toBe('COMPLETED');
  });
});

describe('an internal error', () => {
  it('is retried, then FAILED with a plain sentence; the details stay in the service log', async () => {
    await annotator.close();
    annotator = await t.startAnnotator({
      REFERENCE_GFF3: join(t.scratchDir, 'missing-gene-models.gff3'),
      JOB_MAX_ATTEMPTS: '2',
    });
    const { jobId } = await t.submitJob({
      body: [...header, ...records.slice(0, 2)].join('\n'),
      fileName: 'unlucky.vcf',
      email: 'grace@example.org',
    });
    const record = await t.finished(jobId);
    expect(record.status).toBe('FAILED');
    expect(record.attempts).toBe(2);
    expect(record.error_message).toBe(INTERNAL_ERROR_MESSAGE);
    expect(record.error_message).not.toContain('missing-gene-models');
    const log = (await t.resultBytes(record.log_key!)).toString('utf8');
    expect(log).toContain('internal error');
    expect(log).not.toContain('missing-gene-models');
    const mails = await eventually(async () => {
      const found = await t.mailbox('grace@example.org');
      return found.length > 0 ? found : undefined;
    }, 'the e-mail');
    expect(mails[0]!.text).toContain('internal error on our side, not because of your file');
    // The operator sees why on /readyz.
    const ready = await annotator.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(JSON.stringify(ready.json())).toContain(
      'reference data cannot be loaded: gene model file not found',
    );
    expect(scratchLeft()).toEqual([]);
  }, 240_000);
});

describe('the JobCompleted publish claim', () => {
  it('is taken by the final write; a duplicate re-publishes only once it has lapsed, and never after the publish', async () => {
    const { jobId } = await t.submitJob({ body: vepTest, fileName: 'claim.vcf' });
    const record = await t.finished(jobId);
    expect(record.completion_publish_claimed_until).toBeDefined();
    const jobs = new JobsTable(t.doc, t.annotatorEnv().JOBS_TABLE!);
    const table = t.annotatorEnv().JOBS_TABLE!;
    const unpublish = (claimedUntil: Date) =>
      t.doc.send(
        new UpdateCommand({
          TableName: table,
          Key: { job_id: jobId },
          UpdateExpression: 'SET completion_publish_claimed_until = :until REMOVE completion_published_at',
          ExpressionAttributeValues: { ':until': claimedUntil.toISOString() },
        }),
      );
    // The finisher died after its final write, before publishing: its claim is still live.
    await unpublish(new Date(Date.now() + 60_000));
    expect(await jobs.claimPublish(jobId, 60)).toBe(false);
    // The claim has lapsed: one delivery takes it, the next one does not.
    await unpublish(new Date(Date.now() - 1000));
    expect(await jobs.claimPublish(jobId, 60)).toBe(true);
    expect(await jobs.claimPublish(jobId, 60)).toBe(false);
    await jobs.markPublished(jobId);
    await unpublish(new Date(Date.now() - 1000));
    await jobs.markPublished(jobId);
    expect(await jobs.claimPublish(jobId, 60)).toBe(false);
  });
});
