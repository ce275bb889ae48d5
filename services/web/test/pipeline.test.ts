/**
 * Web with the real annotator (services/annotator built in this process, draining the
 * job-requests queue, running the annotation engine on the shared chr21 reference): a VCF
 * uploaded through web's presigned POST is annotated, and web's job page reads the engine's
 * own summary, TSV and log. This checks web against the annotator's real output formats,
 * which the other web tests write by hand.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@gas/service-kit';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp as buildAnnotatorApp } from '../../annotator/src/app.ts';
import { AnnotatorConfig, annotatorCrossCheck } from '../../annotator/src/config.ts';
import { WebClient } from './helpers/clients.ts';
import { uploadThroughPresignedPost } from './helpers/jobs.ts';
import { buildTestApp, startTestStack, type TestStack } from './helpers/stack.ts';

const sharedData = '/work/shared/data';
const reference = join(sharedData, 'reference/grch38-chr21');

let stack: TestStack;
let web: FastifyInstance;
let annotator: FastifyInstance;
let scratch: string;

beforeAll(async () => {
  stack = await startTestStack();
  ({ app: web } = await buildTestApp(stack));
  scratch = await mkdtemp(join(tmpdir(), 'gas-web-pipeline-'));
  const env = stack.env;
  annotator = await buildAnnotatorApp(
    loadConfig(
      AnnotatorConfig,
      {
        AWS_REGION: env.AWS_REGION,
        AWS_ENDPOINT_URL: env.AWS_ENDPOINT_URL,
        AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
        LOG_LEVEL: 'silent',
        SNS_CERT_HOSTS: stack.cloud.snsCertHost,
        SNS_EXTRA_CA_FILE: stack.cloud.ca.certPath,
        JOBS_TABLE: stack.resources.jobsTable,
        INPUTS_BUCKET: stack.resources.buckets.inputs,
        RESULTS_BUCKET: stack.resources.buckets.results,
        JOB_REQUESTS_QUEUE_URL: stack.resources.queueUrls.annotatorJobRequests,
        JOB_REQUESTS_TOPIC_ARN: stack.resources.topicArns.jobRequests,
        JOB_COMPLETED_TOPIC_ARN: stack.resources.topicArns.jobCompleted,
        REFERENCE_FASTA: join(reference, 'chr21.fa.gz'),
        REFERENCE_GFF3: join(reference, 'ensembl84.chr21.gff3.gz'),
        REFERENCE_SYNONYMS: join(reference, 'chr_synonyms.txt'),
        ANNOTATOR_CONCURRENCY: '1',
        PROGRESS_INTERVAL_SECONDS: '1',
        DRAIN_IDLE_SECONDS: '1',
        QUEUE_WAIT_SECONDS: '1',
        STOP_TIMEOUT_SECONDS: '5',
        SCRATCH_DIR: scratch,
      },
      annotatorCrossCheck,
    ),
  );
  await annotator.ready();
}, 90_000);

afterAll(async () => {
  await annotator?.close();
  await web?.close();
  await stack?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** Signs the Free demo user in, uploads a shared input through the page's presigned POST and waits for COMPLETED. */
async function annotateThroughWeb(input: string): Promise<{ user: WebClient; jobId: string }> {
  const user = new WebClient(web);
  await user.signIn('free@example.org');
  const vcf = await readFile(join(sharedData, 'inputs', input));
  const upload = await uploadThroughPresignedPost(user, input, vcf);
  const submitted = await user.get(upload.next);
  const jobId = (submitted.headers.location as string).split('/').pop()!;
  await expect
    .poll(async () => (await web.gas.jobs.get(jobId))?.status, { timeout: 120_000, interval: 1000 })
    .toBe('COMPLETED');
  return { user, jobId };
}

describe('web + the real annotator', () => {
  it('an uploaded VCF is annotated; the job page shows the engine summary, its TSV filtered, and the log', async () => {
    const { user: frances, jobId } = await annotateThroughWeb('vep-test.chr21.vcf');
    const page = await frances.get(`/annotations/${jobId}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('132 read, 132 annotated, 0 skipped');
    expect(page.body).toContain('<svg class="gas-chart" role="img" aria-label="Consequences"');
    expect(page.body).toMatch(/<td>missense_variant<\/td><td>\d+<\/td>/);
    /** The rows of the result viewer's table (not the summary tables). */
    const resultRows = (html: string) => {
      const table = html.slice(html.indexOf('data-testid="result-rows"'));
      const body = table.slice(table.indexOf('<tbody>'), table.indexOf('</tbody>'));
      return [...body.matchAll(/<tr>((?:<td>[^<]*<\/td>)+)<\/tr>/g)].map((m) => m[1]!);
    };
    expect(resultRows(page.body)).toHaveLength(50);

    const high = await frances.get(`/annotations/${jobId}?impact=HIGH`);
    const highRows = resultRows(high.body);
    expect(highRows.length).toBeGreaterThan(0);
    for (const row of highRows) expect(row).toContain('<td>HIGH</td>');

    const log = await frances.get(`/annotations/${jobId}/log`);
    expect(log.statusCode).toBe(200);
    expect(log.body).toContain(`GAS job ${jobId}`);
    const download = await frances.get(`/annotations/${jobId}/download/vcf`);
    const file = await fetch(download.headers.location as string);
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer()).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  }, 150_000);

  it('records on contigs the reference lacks: one row per problem with its lines, not one per line', async () => {
    // VEP's unsorted test file: 7 records on contig 1 (lines 3-9), 41 on 21, 29 on 22 (lines 51-79)
    const { user, jobId } = await annotateThroughWeb('vep-test-not-ordered.vcf');
    const page = await user.get(`/annotations/${jobId}`);
    expect(page.body).toContain('77 read, 41 annotated, 36 skipped');
    expect(page.body).toContain('Problems in the input (36)');
    const skipped = page.body.slice(page.body.indexOf('data-testid="skipped"'));
    const rows = [
      ...skipped
        .slice(0, skipped.indexOf('</tbody>'))
        .matchAll(/<tr><td>([^<]*)<\/td><td>(.*?)<\/td><\/tr>/g),
    ].map((m) => [m[1], m[2]]);
    const missing = (contig: string) =>
      `contig &quot;${contig}&quot; is not in the reference FASTA (which has 21) under this or a synonym name; record not annotated`;
    expect(rows).toEqual([
      ['3-9', `${missing('1')} <span class="text-muted">(7 lines)</span>`],
      ['51-79', `${missing('22')} <span class="text-muted">(29 lines)</span>`],
    ]);
    // result rows stay one line high: the NOTE of a record not annotated does not wrap
    expect(page.body).toContain(
      'class="table table-sm table-striped small text-nowrap" data-testid="result-rows"',
    );
  }, 150_000);
});
