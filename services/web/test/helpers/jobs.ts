/**
 * Test support for jobs: upload through the presigned POST exactly as the browser script
 * does (multipart form straight to devcloud S3), and finish a job the way the annotator does
 * (result objects under results/<user>/<job>/, record RUNNING -> COMPLETED with result keys,
 * counts and results_status AVAILABLE). The annotator itself is tested in services/annotator;
 * here the finished state is written directly, with hand-made result files in the engine's
 * TSV and summary formats.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type JobRecord, resultObjectKeys } from '@gas/contracts';
import type { WebClient } from './clients.ts';
import type { TestStack } from './stack.ts';

export const SMALL_VCF = [
  '##fileformat=VCFv4.2',
  '##contig=<ID=21,length=46709983>',
  '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO',
  '21\t26960070\trs116645811\tG\tA\t.\tPASS\t.',
  '21\t26965148\trs1135638\tG\tA\t.\tPASS\t.',
  '',
].join('\n');

export function awsClients(stack: TestStack) {
  const options = {
    region: stack.cloud.region,
    endpoint: stack.cloud.url,
    credentials: stack.cloud.credentials,
    forcePathStyle: true,
  };
  return { s3: new S3Client(options), dynamodb: new DynamoDBClient(options) };
}

/** Asks web for POST fields (as upload.js does), posts the file to S3; returns web's next URL (or the refusal). */
export async function uploadThroughPresignedPost(
  client: WebClient,
  fileName: string,
  content: string | Buffer,
): Promise<{ next: string; key: string; s3Status: number }> {
  const size = Buffer.byteLength(content);
  const presign = await client.get(
    `/annotate/presign?file_name=${encodeURIComponent(fileName)}&size=${size}`,
  );
  if (presign.statusCode !== 200) throw new Error(`presign refused ${presign.statusCode}: ${presign.body}`);
  const { url, fields, next } = presign.json() as {
    url: string;
    fields: Record<string, string>;
    next: string;
  };
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([typeof content === 'string' ? content : new Uint8Array(content)]), fileName);
  const response = await fetch(url, { method: 'POST', body: form });
  await response.text();
  return { next, key: fields.key!, s3Status: response.status };
}

export const RESULT_TSV_COLUMNS = [
  'CHROM',
  'POS',
  'ID',
  'REF',
  'ALT',
  'Allele',
  'Consequence',
  'IMPACT',
  'SYMBOL',
  'Gene',
  'Feature',
  'BIOTYPE',
  'NOTE',
];

/** A result TSV of `rows` rows: genes alternate APP / SOD1, consequences and impacts rotate. */
export function resultTsv(rows: number): string {
  const consequences = [
    ['missense_variant', 'MODERATE'],
    ['synonymous_variant', 'LOW'],
    ['stop_gained&splice_region_variant', 'HIGH'],
    ['intron_variant', 'MODIFIER'],
  ];
  const lines = [RESULT_TSV_COLUMNS.join('\t')];
  for (let i = 0; i < rows; i++) {
    const [consequence, impact] = consequences[i % consequences.length]!;
    const gene = i % 2 === 0 ? 'APP' : 'SOD1';
    lines.push(
      [
        '21',
        String(1000 + i),
        '.',
        'G',
        'A',
        'A',
        consequence,
        impact,
        gene,
        `ENSG${i % 2}`,
        `ENST${i}`,
        'protein_coding',
        '',
      ].join('\t'),
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function completeJobLikeAnnotator(
  stack: TestStack,
  job: Pick<JobRecord, 'job_id' | 'user_id' | 'input_file_name'>,
  options: { rows?: number; log?: string; alreadyRunning?: boolean } = {},
): Promise<void> {
  const { s3, dynamodb } = awsClients(stack);
  const keys = resultObjectKeys(job.user_id, job.job_id, job.input_file_name);
  const bucket = stack.resources.buckets.results;
  const rows = options.rows ?? 120;
  const summary = {
    counts: {
      byConsequence: {
        missense_variant: 30,
        synonymous_variant: 30,
        stop_gained: 30,
        splice_region_variant: 30,
        intron_variant: 30,
        // the longest SO term a summary holds: its chart label must fit (browser test)
        non_coding_transcript_exon_variant: 12,
        // big enough for thousands separators on the page and in the chart
        downstream_gene_variant: 31606,
      },
      byImpact: { MODERATE: 30, LOW: 30, HIGH: 30, MODIFIER: 30 },
      byChromosome: { '21': rows },
    },
    problems: {
      total: 1,
      byReason: { malformed: 1 },
      list: [{ line: 7, kind: 'malformed', message: 'POS "12a" is not a whole number' }],
      listComplete: true,
    },
  };
  const put = (Key: string, Body: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
  await put(keys.annotated_vcf_key, 'vcf-bytes');
  await put(keys.tsv_key, resultTsv(rows));
  await put(keys.json_key, '{}');
  await put(keys.summary_key, JSON.stringify(summary));
  await put(keys.log_key, options.log ?? `GAS job ${job.job_id}: annotated ${rows} records\n`);
  const documents = DynamoDBDocumentClient.from(dynamodb);
  if (!options.alreadyRunning) await markRunningLikeAnnotator(stack, job.job_id, 40);
  await documents.send(
    new UpdateCommand({
      TableName: stack.resources.jobsTable,
      Key: { job_id: job.job_id },
      UpdateExpression:
        'SET #status = :completed, completed_at = :now, results_bucket = :bucket, result_keys = :keys, log_key = :log, counts = :counts, results_status = :available REMOVE progress',
      ConditionExpression: '#status = :running',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':completed': 'COMPLETED',
        ':running': 'RUNNING',
        ':now': new Date().toISOString(),
        ':bucket': bucket,
        ':keys': {
          annotated_vcf_key: keys.annotated_vcf_key,
          tsv_key: keys.tsv_key,
          json_key: keys.json_key,
          summary_key: keys.summary_key,
        },
        ':log': keys.log_key,
        ':counts': { variants_read: rows, variants_annotated: rows, records_skipped: 1, consequences: rows },
        ':available': 'AVAILABLE',
      },
    }),
  );
  s3.destroy();
  dynamodb.destroy();
}

/** PENDING -> RUNNING with progress `percent` of the input read, as the annotator's claim and heartbeat write it. */
export async function markRunningLikeAnnotator(
  stack: TestStack,
  jobId: string,
  percent: number,
): Promise<void> {
  const { s3, dynamodb } = awsClients(stack);
  const now = new Date().toISOString();
  await DynamoDBDocumentClient.from(dynamodb).send(
    new UpdateCommand({
      TableName: stack.resources.jobsTable,
      Key: { job_id: jobId },
      UpdateExpression: 'SET #status = :running, started_at = :now, progress = :progress',
      ConditionExpression: '#status = :pending',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':running': 'RUNNING',
        ':pending': 'PENDING',
        ':now': now,
        ':progress': {
          phase: 'annotating',
          records_done: percent,
          bytes_read: percent,
          bytes_total: 100,
          updated_at: now,
        },
      },
    }),
  );
  s3.destroy();
  dynamodb.destroy();
}
