/**
 * Test support for the job pipeline: one test cloud per test file (`startTestCloud`: devcloud
 * on port 0 with a temp data dir and random keys, or LocalStack where Docker runs and the test
 * can use it), provisioned with the real plan (topics, queues with DLQs and redrive, SQS
 * subscriptions, buckets, jobs table, SES identity), and helpers that do what web does when a
 * user submits a job (upload the input, write the PENDING record, publish JobRequested) and
 * what a user checks afterwards (the record, the results bucket, the mailbox). The services'
 * SNS webhooks are subscribed here, so these tests need `snsWebhooks` (devcloud).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ListSubscriptionsByTopicCommand, PublishCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { inputObjectKey, type JobRecord, type JobRequested, type QueueKey } from '@gas/contracts';
import { type SentEmail, startTestCloud } from '@gas/devcloud/test-cloud';
import { buildApp as buildNotifierApp } from '@gas/notifier';
import { loadConfig } from '@gas/service-kit';
import { eventually } from '@gas/service-kit/testing';
import type { FastifyInstance } from 'fastify';
import { subscribeWebhooks } from '../../../../tools/devcloud/src/provision/apply.ts';
import { NotifierConfig } from '../../../notifier/src/config.ts';
import { buildApp as buildAnnotatorApp } from '../../src/app.ts';
import { AnnotatorConfig, annotatorCrossCheck } from '../../src/config.ts';

/** Re-exported for this folder's tests (one copy: @gas/service-kit/testing). */
export { eventually };

export const sharedData = new URL('../../../../../shared/data/', import.meta.url).pathname;
export const referenceDir = join(sharedData, 'reference/grch38-chr21');
export const WEB_BASE_URL = 'https://gas.test:4433';
const SENDER = 'gas@example.org';

export type MailboxMessage = SentEmail;

export type PipelineCloud = Awaited<ReturnType<typeof startPipelineCloud>>;

export async function startPipelineCloud() {
  const cloud = await startTestCloud({
    needs: ['snsWebhooks', 'sesMailbox'],
    uploadOrigins: [WEB_BASE_URL],
    senderEmail: SENDER,
    // A webhook that is down is retried briefly, then given up (the queue keeps the job).
    devcloud: { snsDeliveryRetry: { attempts: 3, baseDelayMs: 200, maxDelayMs: 500 } },
  });
  const { aws, plan, provisioned, clients } = cloud;
  const doc = DynamoDBDocumentClient.from(clients.dynamodb);
  const scratchDir = await mkdtemp(join(tmpdir(), 'gas-annotator-scratch-'));
  const apps: FastifyInstance[] = [];

  const common = {
    ...aws,
    LOG_LEVEL: process.env.GAS_TEST_LOG_LEVEL ?? 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    SNS_CERT_HOSTS: cloud.snsCertHost,
    SNS_EXTRA_CA_FILE: cloud.ca.certPath,
    JOBS_TABLE: provisioned.jobsTable,
  };

  const state = {
    cloud,
    aws,
    plan,
    provisioned,
    clients,
    doc,
    scratchDir,

    /** The annotator's environment as the local stack gives it, with test-sized timings. */
    /** `undefined` in `overrides` leaves a key unset (e.g. REFERENCE_FASTA beside a bundle). */
    annotatorEnv(overrides: Record<string, string | undefined> = {}): Record<string, string> {
      const env: Record<string, string | undefined> = {
        ...common,
        INPUTS_BUCKET: provisioned.buckets.inputs,
        RESULTS_BUCKET: provisioned.buckets.results,
        JOB_REQUESTS_QUEUE_URL: provisioned.queueUrls.annotatorJobRequests,
        JOB_REQUESTS_TOPIC_ARN: provisioned.topicArns.jobRequests,
        JOB_COMPLETED_TOPIC_ARN: provisioned.topicArns.jobCompleted,
        REFERENCE_FASTA: join(referenceDir, 'chr21.fa.gz'),
        REFERENCE_GFF3: join(referenceDir, 'ensembl84.chr21.gff3.gz'),
        REFERENCE_SYNONYMS: join(referenceDir, 'chr_synonyms.txt'),
        ANNOTATOR_CONCURRENCY: '2',
        QUEUE_VISIBILITY_TIMEOUT_SECONDS: '12',
        JOB_LEASE_SECONDS: '8',
        PROGRESS_INTERVAL_SECONDS: '1',
        DRAIN_IDLE_SECONDS: '2',
        QUEUE_WAIT_SECONDS: '1',
        STOP_TIMEOUT_SECONDS: '5',
        SCRATCH_DIR: scratchDir,
        ...overrides,
      };
      return Object.fromEntries(
        Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
      );
    },

    notifierEnv(overrides: Record<string, string> = {}): Record<string, string> {
      return {
        ...common,
        JOB_COMPLETED_QUEUE_URL: provisioned.queueUrls.notifierJobCompleted,
        ARCHIVE_RESTORED_QUEUE_URL: provisioned.queueUrls.notifierArchiveRestored,
        JOB_COMPLETED_TOPIC_ARN: provisioned.topicArns.jobCompleted,
        ARCHIVE_RESTORED_TOPIC_ARN: provisioned.topicArns.archiveRestored,
        MAIL_FROM: SENDER,
        WEB_BASE_URL,
        DRAIN_IDLE_SECONDS: '2',
        QUEUE_WAIT_SECONDS: '1',
        ...overrides,
      };
    },

    /** Builds the annotator in this process, listening on a free port with its webhook subscribed. */
    async startAnnotator(overrides: Record<string, string | undefined> = {}): Promise<FastifyInstance> {
      const app = await buildAnnotatorApp(
        loadConfig(AnnotatorConfig, state.annotatorEnv(overrides), annotatorCrossCheck),
      );
      await app.listen({ port: 0, host: '127.0.0.1' });
      apps.push(app);
      await state.subscribe('annotator', app);
      return app;
    },

    async startNotifier(overrides: Record<string, string> = {}): Promise<FastifyInstance> {
      const app = await buildNotifierApp(loadConfig(NotifierConfig, state.notifierEnv(overrides)));
      await app.listen({ port: 0, host: '127.0.0.1' });
      apps.push(app);
      await state.subscribe('notifier', app);
      return app;
    },

    /** Subscribes the app's webhook and waits until the app has confirmed every subscription. */
    async subscribe(service: 'annotator' | 'notifier', app: FastifyInstance): Promise<void> {
      const { port } = app.server.address() as { port: number };
      const base = `http://127.0.0.1:${port}`;
      await subscribeWebhooks(plan, clients.sns, provisioned.topicArns, { [service]: base });
      const webhook = plan.webhooks.find((w) => w.service === service)!;
      const endpoint = new URL(webhook.path, base).toString();
      for (const topicKey of webhook.topicKeys) {
        await eventually(async () => {
          const out = await clients.sns.send(
            new ListSubscriptionsByTopicCommand({ TopicArn: provisioned.topicArns[topicKey] }),
          );
          const found = out.Subscriptions?.find((sub) => sub.Endpoint === endpoint);
          return found?.SubscriptionArn && found.SubscriptionArn !== 'PendingConfirmation' ? true : undefined;
        }, `${service} to confirm its ${topicKey} subscription`);
      }
    },

    /** What web does on submit: input object, PENDING record, JobRequested. Returns the job id. */
    async submitJob(options: {
      body: Uint8Array | string;
      fileName: string;
      userId?: string;
      email?: string;
      jobId?: string;
      emailNotifications?: boolean;
      publishTimes?: number;
    }): Promise<{ jobId: string; request: JobRequested }> {
      const jobId = options.jobId ?? randomUUID();
      const userId = options.userId ?? 'user-alice';
      const email = options.email ?? 'alice@example.org';
      const key = inputObjectKey(userId, jobId, options.fileName);
      const body = typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
      await clients.s3.send(
        new PutObjectCommand({ Bucket: provisioned.buckets.inputs, Key: key, Body: body }),
      );
      const submittedAt = new Date().toISOString();
      const record: JobRecord = {
        job_id: jobId,
        user_id: userId,
        user_email: email,
        user_tier: 'free',
        status: 'PENDING',
        submitted_at: submittedAt,
        input_bucket: provisioned.buckets.inputs,
        input_key: key,
        input_file_name: options.fileName,
        input_size_bytes: body.length,
        ...(options.emailNotifications !== undefined
          ? { email_notifications: options.emailNotifications }
          : {}),
      };
      await doc.send(
        new PutCommand({
          TableName: provisioned.jobsTable,
          Item: record,
          ConditionExpression: 'attribute_not_exists(job_id)',
        }),
      );
      const request: JobRequested = {
        schema_version: 1,
        type: 'JobRequested',
        job_id: jobId,
        user_id: userId,
        user_email: email,
        user_tier: 'free',
        input_bucket: provisioned.buckets.inputs,
        input_key: key,
        input_file_name: options.fileName,
        input_size_bytes: body.length,
        submitted_at: submittedAt,
      };
      for (let i = 0; i < (options.publishTimes ?? 1); i++) await state.publishJobRequested(request);
      return { jobId, request };
    },

    async publishJobRequested(message: unknown): Promise<void> {
      await clients.sns.send(
        new PublishCommand({ TopicArn: provisioned.topicArns.jobRequests, Message: JSON.stringify(message) }),
      );
    },

    async job(jobId: string): Promise<JobRecord | undefined> {
      const out = await doc.send(
        new GetCommand({ TableName: provisioned.jobsTable, Key: { job_id: jobId }, ConsistentRead: true }),
      );
      return out.Item as JobRecord | undefined;
    },

    /** Waits for a final status (the bound only stops a hung test; nothing is timed). */
    async finished(jobId: string, limitMs = 200_000): Promise<JobRecord> {
      return eventually(
        async () => {
          const record = await state.job(jobId);
          return record && (record.status === 'COMPLETED' || record.status === 'FAILED') ? record : undefined;
        },
        `job ${jobId} to finish`,
        limitMs,
      );
    },

    async resultBytes(key: string): Promise<Buffer> {
      const out = await clients.s3.send(
        new GetObjectCommand({ Bucket: provisioned.buckets.results, Key: key }),
      );
      return Buffer.from(await out.Body!.transformToByteArray());
    },

    mailbox: (to?: string): Promise<MailboxMessage[]> => cloud.mailbox(to),

    async queueDepth(queue: QueueKey, deadLetter = false): Promise<number> {
      const url = deadLetter ? provisioned.deadLetterQueueUrls[queue] : provisioned.queueUrls[queue];
      const out = await clients.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return (
        Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
        Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
      );
    },

    async dispose(): Promise<void> {
      for (const app of apps.reverse()) await app.close().catch(() => undefined);
      await cloud.dispose();
      await rm(scratchDir, { recursive: true, force: true });
    },
  };
  return state;
}
