/**
 * What must hold after any fault, checked against the stack's real stores once it has settled:
 *
 *   - every submitted job has its record, and it is COMPLETED or FAILED (none PENDING or RUNNING
 *     left, no record nobody submitted);
 *   - it finished once: JobCompleted was published for it exactly once (distinct SNS MessageIds
 *     on the audit queue; a duplicated delivery of one publish counts once), with the record's status;
 *   - one e-mail per job (the mailbox, by the job link in the text), and one "available again"
 *     e-mail per restore when the test restores results;
 *   - no orphan objects: every object in the inputs and results buckets belongs to a job of the
 *     table, and no multipart upload is left open in either bucket;
 *   - nothing parked: every GAS queue and dead-letter queue is empty.
 *
 * "Settled" = all submitted jobs final and e-mailed and every GAS queue empty (the check waits
 * for that, bounded); then everything is read once and compared. The report is printed as one
 * line per check, `lost: 0` meaning every submitted job reached a final status and its e-mail.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { eventually, type FaultStack } from './fault-stack.ts';

interface JobRow {
  job_id: string;
  user_id: string;
  status: string;
  notified_at?: string;
  restored_at?: string;
}

interface Mail {
  subject: string;
  text: string | null;
}

export interface InvariantReport {
  label: string;
  jobs: number;
  completed: number;
  failed: number;
  emails: number;
  lost: number;
  /** Every broken invariant, one sentence each; empty when all hold. */
  problems: string[];
}

async function scanJobs(fs: FaultStack): Promise<JobRow[]> {
  const rows: JobRow[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await fs.aws.dynamodb.send(
      new ScanCommand({
        TableName: fs.plan.jobsTable.name,
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start as never } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      const row: Record<string, string> = {};
      for (const [k, v] of Object.entries(item)) if (v.S !== undefined) row[k] = v.S;
      rows.push(row as unknown as JobRow);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return rows;
}

async function mailbox(fs: FaultStack): Promise<Mail[]> {
  const res = await fetch(`${fs.stack.urls.mailbox}/api/messages`);
  return ((await res.json()) as { messages: Mail[] }).messages;
}

async function queueDepths(fs: FaultStack): Promise<Map<string, number>> {
  const depths = new Map<string, number>();
  for (const queue of fs.plan.queues) {
    for (const name of [queue.name, queue.deadLetterName]) {
      const out = await fs.aws.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: fs.queueUrl(name),
          AttributeNames: [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
            'ApproximateNumberOfMessagesDelayed',
          ],
        }),
      );
      const a = out.Attributes ?? {};
      depths.set(
        name,
        Number(a.ApproximateNumberOfMessages ?? 0) +
          Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) +
          Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
      );
    }
  }
  return depths;
}

async function objectKeys(fs: FaultStack, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await fs.aws.s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of page.Contents ?? []) keys.push(o.Key!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

const mailsOf = (mails: Mail[], jobId: string) =>
  mails.filter((m) => (m.text ?? '').includes(`/annotations/${jobId}`));

/**
 * Waits until the stack has settled, then checks every invariant for the jobs submitted so far
 * (`jobIds`: all of them, across the faults of a file). `restoredJobIds`: jobs whose results
 * were restored once after an upgrade (each then has one "available again" e-mail too).
 */
export async function checkInvariants(
  fs: FaultStack,
  label: string,
  jobIds: string[],
  options: { restoredJobIds?: string[]; settleMs?: number } = {},
): Promise<InvariantReport> {
  const restored = new Set(options.restoredJobIds ?? []);
  const started = Date.now();
  const settled = await eventually(
    `${label}: every job final and e-mailed, every queue empty`,
    async () => {
      const jobs = await scanJobs(fs);
      const byId = new Map(jobs.map((j) => [j.job_id, j]));
      const final = jobIds.every((id) => {
        const job = byId.get(id);
        return (job?.status === 'COMPLETED' || job?.status === 'FAILED') && job.notified_at;
      });
      if (!final) return undefined;
      const depths = await queueDepths(fs);
      if ([...depths.values()].some((n) => n > 0)) return undefined;
      const mails = await mailbox(fs);
      if ([...restored].some((id) => mailsOf(mails, id).length < 2)) return undefined;
      return { jobs, depths, mails };
    },
    options.settleMs ?? 120_000,
    500,
  ).catch(async (error: Error) => {
    // Not settled: check anyway, so the report says what is missing.
    return { jobs: await scanJobs(fs), depths: await queueDepths(fs), mails: await mailbox(fs), error };
  });

  const problems: string[] = [];
  if ('error' in settled) problems.push(settled.error.message);
  const { jobs, depths, mails } = settled;
  const byId = new Map(jobs.map((j) => [j.job_id, j]));
  const submitted = new Set(jobIds);
  let lost = 0;
  for (const id of jobIds) {
    const job = byId.get(id);
    if (!job) {
      lost++;
      problems.push(`job ${id} has no record`);
      continue;
    }
    if (job.status !== 'COMPLETED' && job.status !== 'FAILED') {
      lost++;
      problems.push(`job ${id} is stuck ${job.status}`);
      continue;
    }
    const own = mailsOf(mails, id);
    const expected = restored.has(id) ? 2 : 1;
    if (own.length === 0) {
      lost++;
      problems.push(`job ${id} (${job.status}) got no e-mail`);
    } else if (own.length !== expected) {
      problems.push(
        `job ${id} got ${own.length} e-mails, expected ${expected}: ${own.map((m) => m.subject).join(' | ')}`,
      );
    }
  }
  for (const job of jobs) {
    if (!submitted.has(job.job_id))
      problems.push(`job ${job.job_id} (${job.status}) was never submitted by the test`);
  }

  const completions = await fs.completions();
  for (const id of jobIds) {
    const seen = completions.get(id);
    const job = byId.get(id);
    if (!seen) {
      problems.push(`job ${id}: JobCompleted never published`);
      continue;
    }
    if (seen.messageIds.size !== 1)
      problems.push(`job ${id}: JobCompleted published ${seen.messageIds.size} times (expected once)`);
    if (seen.statuses.size !== 1 || !seen.statuses.has(job?.status ?? ''))
      problems.push(
        `job ${id}: JobCompleted said ${[...seen.statuses].join(' and ')}, the record ${job?.status}`,
      );
  }

  let orphans = 0;
  for (const [bucket, pattern] of [
    [fs.plan.buckets.inputs, /^inputs\/[^/]+\/([0-9a-f-]{36})~/],
    [fs.plan.buckets.results, /^results\/[^/]+\/([0-9a-f-]{36})\//],
  ] as const) {
    for (const key of await objectKeys(fs, bucket)) {
      const jobId = pattern.exec(key)?.[1];
      if (!jobId || !byId.has(jobId)) {
        orphans++;
        problems.push(`orphan object s3://${bucket}/${key}`);
      }
    }
    const uploads = await fs.aws.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    for (const upload of uploads.Uploads ?? []) {
      orphans++;
      problems.push(`open multipart upload s3://${bucket}/${upload.Key} (${upload.UploadId})`);
    }
  }
  for (const [queue, depth] of depths)
    if (depth > 0) problems.push(`queue ${queue} still holds ${depth} message(s)`);

  const report: InvariantReport = {
    label,
    jobs: jobIds.length,
    completed: jobIds.filter((id) => byId.get(id)?.status === 'COMPLETED').length,
    failed: jobIds.filter((id) => byId.get(id)?.status === 'FAILED').length,
    emails: mails.length,
    lost,
    problems,
  };
  process.stdout.write(
    `[faults] ${label}: jobs ${report.jobs} (COMPLETED ${report.completed}, FAILED ${report.failed}), ` +
      `e-mails ${report.emails}, lost: ${lost}, orphan objects: ${orphans}, problems: ${problems.length} ` +
      `(settled in ${((Date.now() - started) / 1000).toFixed(1)} s)` +
      `${problems.length ? `\n  - ${problems.join('\n  - ')}` : ''}\n`,
  );
  return report;
}
