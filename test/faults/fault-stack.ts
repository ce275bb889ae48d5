/**
 * The local stack for fault tests: started through the same entry point as `./scripts/start.sh`
 * (test/journey/stack-process.ts) with the test-only control channel (`--test-control`: kill,
 * stop and start a service, restart the private PostgreSQL) and devcloud's fault injection
 * (`/_devcloud/faults`), plus what a test needs to drive and observe it:
 *   - users signed in through the identity provider in Chromium, submitting jobs the way the
 *     upload page does (presigned POST to S3, then `/annotate/job`);
 *   - real AWS SDK clients on devcloud for the invariant checks (invariants.ts);
 *   - an audit queue subscribed to `job-completed`, so a check can count how often each job's
 *     JobCompleted was published (SNS MessageIds), duplicates of a delivery counted once.
 *
 * Every fault stack runs the annotator with short recovery times, so that a killed annotator's
 * job comes back in seconds, not in the production's 5 minutes: visibility 12 s (heartbeat every
 * 4 s), lease 6 s, progress every quarter second (so a test sees a job running with progress
 * well before it ends).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Browser, BrowserContext } from 'playwright-core';
import type { FaultRule, FaultRuleInput } from '../../tools/devcloud/src/faults/faults.ts';
import { type ProvisionPlan, planResources } from '../../tools/devcloud/src/provision/plan.ts';
import { type StackProcess, startStackProcess } from '../journey/stack-process.ts';
import { eventually, launchChromium, signIn } from '../support/browser-session.ts';

export const FAST_RECOVERY = [
  'annotator:QUEUE_VISIBILITY_TIMEOUT_SECONDS=12',
  'annotator:JOB_LEASE_SECONDS=6',
  'annotator:PROGRESS_INTERVAL_SECONDS=0.25',
];

export type ServiceName = 'web' | 'annotator' | 'notifier' | 'archiver' | 'thawer';

export interface JobStatus {
  status: string;
  percent: number | null;
  phase: string | null;
}

/** A signed-in user of the web service. */
export interface GasUser {
  email: string;
  context: BrowserContext;
  /** Uploads `file` under `name` as the upload page does and creates the job; resolves with its id. */
  submit(file: string, name?: string): Promise<string>;
  /** The two halves of submit: the upload to S3 (resolves with web's `/annotate/job?...` path)... */
  upload(file: string, name?: string): Promise<string>;
  /** ...and opening that path, which creates the job (a user reloads it after an error). */
  createJob(next: string): Promise<string>;
  status(jobId: string): Promise<JobStatus>;
}

/** JobCompleted publishes seen on the audit queue: job id -> distinct SNS MessageIds and statuses. */
export type CompletionAudit = Map<string, { messageIds: Set<string>; statuses: Set<string> }>;

export interface FaultStack {
  stack: StackProcess;
  plan: ProvisionPlan;
  aws: { s3: S3Client; sqs: SQSClient; sns: SNSClient; dynamodb: DynamoDBClient };
  queueUrl(name: string): string;
  /** The stack's test control channel (test-control.ts): POST `path`. */
  control(path: string): Promise<unknown>;
  /** Service name -> pid and whether it runs. */
  services(): Promise<Record<string, { pid: number; running: boolean }>>;
  faults: {
    add(rule: FaultRuleInput): Promise<FaultRule>;
    list(): Promise<FaultRule[]>;
    clear(): Promise<void>;
  };
  signIn(email: string): Promise<GasUser>;
  /** Reads the audit queue dry and returns everything seen so far. */
  completions(): Promise<CompletionAudit>;
  dispose(): Promise<void>;
}

export { eventually };

/** Writes a VCF whose header line has spaces, not tabs: its job ends FAILED ("line 2"). */
export async function writeMalformedVcf(dir: string): Promise<string> {
  const path = join(dir, 'spaces-not-tabs.vcf');
  await writeFile(
    path,
    '##fileformat=VCFv4.2\n#CHROM POS ID REF ALT QUAL FILTER INFO\n21\t25585733\trs1\tC\tT\t.\t.\t.\n',
  );
  return path;
}

async function json(res: Response, what: string): Promise<unknown> {
  const body = await res.text();
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${body}`);
  return JSON.parse(body);
}

export async function startFaultStack(opts: {
  database: string;
  extraArgs?: string[];
  retentionSeconds?: number;
}): Promise<FaultStack> {
  const serviceEnv = FAST_RECOVERY.flatMap((pair) => ['--service-env', pair]);
  const stack = await startStackProcess({
    database: opts.database,
    ...(opts.retentionSeconds !== undefined ? { retentionSeconds: opts.retentionSeconds } : {}),
    extraArgs: ['--test-control', ...serviceEnv, ...(opts.extraArgs ?? [])],
  });
  const plan = planResources('gas');
  const config = {
    region: 'us-east-1',
    endpoint: stack.urls.devcloud,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const aws = {
    s3: new S3Client({ ...config, forcePathStyle: true }),
    sqs: new SQSClient(config),
    sns: new SNSClient(config),
    dynamodb: new DynamoDBClient(config),
  };
  const queueUrl = (name: string) => `${stack.urls.devcloud}/000000000000/${name}`;

  // The audit queue: every JobCompleted publish, as the notifier and archiver get it.
  const audit = await aws.sqs.send(new CreateQueueCommand({ QueueName: 'fault-test-audit-job-completed' }));
  const auditArn = await aws.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: audit.QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const jobCompletedTopic = `arn:aws:sns:us-east-1:000000000000:${plan.topics.find((t) => t.key === 'jobCompleted')!.name}`;
  await aws.sns.send(
    new SubscribeCommand({
      TopicArn: jobCompletedTopic,
      Protocol: 'sqs',
      Endpoint: auditArn.Attributes!.QueueArn!,
    }),
  );
  const seen: CompletionAudit = new Map();

  const browser: Browser = await launchChromium();
  const faultsUrl = `${stack.urls.devcloud}/_devcloud/faults`;

  return {
    stack,
    plan,
    aws,
    queueUrl,
    async control(path) {
      // a control call the stack cuts off mostly means the stack is stopping (a service exited):
      // its last output says which and why
      const res = await fetch(`${stack.control}${path}`, { method: 'POST' }).catch((error: Error) => {
        throw new Error(
          `control ${path}: ${error.message}; the stack's last output:\n${stack.output().slice(-3000)}`,
          {
            cause: error,
          },
        );
      });
      return json(res, `control ${path}`);
    },
    async services() {
      return (await json(await fetch(`${stack.control}/services`), 'services')) as Record<
        string,
        { pid: number; running: boolean }
      >;
    },
    faults: {
      async add(rule) {
        return (await json(
          await fetch(faultsUrl, { method: 'POST', body: JSON.stringify(rule) }),
          'add a fault rule',
        )) as FaultRule;
      },
      async list() {
        return ((await json(await fetch(faultsUrl), 'list fault rules')) as { faults: FaultRule[] }).faults;
      },
      async clear() {
        await json(await fetch(faultsUrl, { method: 'DELETE' }), 'clear fault rules');
      },
    },
    async signIn(email) {
      const { context, page } = await signIn(browser, stack.urls.web, email);
      await page.close();
      const web = stack.urls.web;
      const user: GasUser = {
        email,
        context,
        async submit(file, name) {
          return user.createJob(await user.upload(file, name));
        },
        async upload(file, name = basename(file)) {
          const bytes = await readFile(file);
          const presign = await context.request.get(
            `${web}/annotate/presign?file_name=${encodeURIComponent(name)}&size=${bytes.length}`,
            { headers: { accept: 'application/json' } },
          );
          if (!presign.ok()) throw new Error(`presign ${name}: ${presign.status()} ${await presign.text()}`);
          const post = (await presign.json()) as {
            url: string;
            fields: Record<string, string>;
            next: string;
          };
          const upload = await context.request.post(post.url, {
            multipart: { ...post.fields, file: { name, mimeType: 'text/plain', buffer: bytes } },
          });
          if (upload.status() !== 201)
            throw new Error(`upload ${name}: ${upload.status()} ${await upload.text()}`);
          return post.next;
        },
        async createJob(next) {
          const submitted = await context.request.get(`${web}${next}`, { maxRedirects: 0 });
          const location = submitted.headers().location ?? '';
          const jobId = /\/annotations\/([0-9a-f-]{36})$/.exec(location)?.[1];
          if (!jobId) throw new Error(`${next}: HTTP ${submitted.status()}`);
          return jobId;
        },
        async status(jobId) {
          const res = await context.request.get(`${web}/annotations/${jobId}/status`);
          if (!res.ok()) throw new Error(`status of ${jobId}: ${res.status()}`);
          return (await res.json()) as JobStatus;
        },
      };
      return user;
    },
    async completions() {
      for (;;) {
        const got = await aws.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: audit.QueueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
          }),
        );
        const messages = got.Messages ?? [];
        if (messages.length === 0) return seen;
        for (const m of messages) {
          const envelope = JSON.parse(m.Body!) as { MessageId: string; Message: string };
          const completed = JSON.parse(envelope.Message) as { job_id: string; status: string };
          const entry = seen.get(completed.job_id) ?? { messageIds: new Set(), statuses: new Set() };
          entry.messageIds.add(envelope.MessageId);
          entry.statuses.add(completed.status);
          seen.set(completed.job_id, entry);
        }
        await aws.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: audit.QueueUrl,
            Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
    },
    async dispose() {
      await browser.close();
      for (const client of Object.values(aws)) client.destroy();
      // Ctrl-C first: the stack stops its services and its private PostgreSQL itself.
      await stack.interrupt();
      await stack.dispose();
    },
  };
}
