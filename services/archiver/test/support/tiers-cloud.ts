/**
 * Test support for the tier lifecycle (archive, restore, downgrade): one test cloud per test
 * file (`startTestCloud`; these tests need the Glacier vault, S3 restores with a set delay and
 * SNS webhooks, so it is devcloud: port 0, temp data dir, random keys) with short cold-storage
 * delays, provisioned with the real plan (topics, queues with DLQs and redrive, SQS
 * subscriptions, buckets, the S3 restore notification, jobs table with its GSIs, the vault).
 * Helpers do what the other services do (the annotator finishing a job, web publishing a
 * tier change) and read what a user or operator would check (the record, the objects, the
 * vault, the archive-restored topic's queue).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DescribeVaultCommand } from '@aws-sdk/client-glacier';
import {
  GetObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { PublishCommand } from '@aws-sdk/client-sns';
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type ColdStorages, createColdStorages, JobArchiveRecords } from '@gas/cold-storage';
import {
  type ArchiveRestored,
  type JobCompleted,
  type JobRecord,
  type QueueKey,
  resultObjectKeys,
  type UserTierChanged,
  unwrapTopicMessage,
} from '@gas/contracts';
import { startTestCloud } from '@gas/devcloud/test-cloud';
import { awsClientConfig, createLogger, loadConfig } from '@gas/service-kit';
import { eventually } from '@gas/service-kit/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { subscribeWebhooks } from '../../../../tools/devcloud/src/provision/apply.ts';
import { buildApp as buildThawerApp } from '../../../thawer/src/app.ts';
import { checkThawerConfig, ThawerConfig } from '../../../thawer/src/config.ts';
import { buildApp as buildArchiverApp } from '../../src/app.ts';
import { ArchiverConfig, checkArchiverConfig } from '../../src/config.ts';

/** Re-exported for this folder's tests (one copy: @gas/service-kit/testing). */
export { eventually };

export type Backend = 's3-glacier' | 'glacier-vault';
export const backends: Backend[] = ['s3-glacier', 'glacier-vault'];

/** Log lines of one app, parsed (what an operator would grep). */
export type LogLines = Array<Record<string, unknown> & { msg?: string; level?: number }>;

export type TiersCloud = Awaited<ReturnType<typeof startTiersCloud>>;

export async function startTiersCloud(options: { restoreDelayMs: number }) {
  const cloud = await startTestCloud({
    needs: ['snsWebhooks', 'glacierVault', 's3Restore'],
    uploadOrigins: ['https://gas.test:4433'],
    senderEmail: 'gas@example.org',
    devcloud: {
      s3RestoreDelayMs: options.restoreDelayMs,
      glacierJobDelayMs: options.restoreDelayMs,
      snsDeliveryRetry: { attempts: 3, baseDelayMs: 200, maxDelayMs: 500 },
    },
  });
  const { aws, plan, clients, provisioned } = cloud;
  const vault = provisioned.resultsVault!;
  const doc = DynamoDBDocumentClient.from(clients.dynamodb);
  const apps = new Set<FastifyInstance>();
  const restoredSeen: ArchiveRestored[] = [];

  const common = {
    ...aws,
    LOG_LEVEL: process.env.GAS_TEST_LOG_LEVEL ?? 'info',
    HOST: '127.0.0.1',
    PORT: '0',
    SNS_CERT_HOSTS: cloud.snsCertHost,
    SNS_EXTRA_CA_FILE: cloud.ca.certPath,
    JOBS_TABLE: provisioned.jobsTable,
    RESULTS_BUCKET: provisioned.buckets.results,
    RESULTS_VAULT: vault,
    USER_TIER_CHANGED_TOPIC_ARN: provisioned.topicArns.userTierChanged,
    DRAIN_IDLE_SECONDS: '1',
    // Short long polls: devcloud keeps a closed consumer's poll open until it ends, and a
    // message it takes then stays invisible for the queue's visibility timeout.
    RECEIVE_WAIT_SECONDS: '1',
    STOP_TIMEOUT_SECONDS: '5',
  };

  function logSink(): { lines: LogLines; stream: { write(line: string): void } } {
    const lines: LogLines = [];
    return { lines, stream: { write: (line: string) => void lines.push(JSON.parse(line)) } };
  }

  async function listenAndSubscribe(service: 'archiver' | 'thawer', app: FastifyInstance): Promise<void> {
    await app.listen({ port: 0, host: '127.0.0.1' });
    apps.add(app);
    const { port } = app.server.address() as { port: number };
    await subscribeWebhooks(plan, clients.sns, provisioned.topicArns, {
      [service]: `http://127.0.0.1:${port}`,
    });
  }

  const state = {
    cloud,
    /** SDK client options for this devcloud, as the services build them. */
    clientConfig: awsClientConfig(aws),
    clients,
    provisioned,
    vault,
    doc,

    /**
     * The archiver's parts on this cloud without its app, for tests that drive its steps
     * themselves: the backend's cold storage (destroy it after) and the job records.
     */
    archiverParts(backend: Backend): { storages: ColdStorages; records: JobArchiveRecords } {
      return {
        storages: createColdStorages({ backend, s3: clients.s3, clientConfig: state.clientConfig, vault }),
        records: new JobArchiveRecords(doc, provisioned.jobsTable),
      };
    },

    archiverEnv(backend: Backend, overrides: Record<string, string> = {}): Record<string, string> {
      return {
        ...common,
        JOB_COMPLETED_QUEUE_URL: provisioned.queueUrls.archiverJobCompleted,
        USER_TIER_CHANGED_QUEUE_URL: provisioned.queueUrls.archiverUserTierChanged,
        JOB_COMPLETED_TOPIC_ARN: provisioned.topicArns.jobCompleted,
        COLD_STORAGE_BACKEND: backend,
        FREE_RETENTION_SECONDS: '3',
        SWEEP_INTERVAL_SECONDS: '0.5',
        ...overrides,
      };
    },

    thawerEnv(backend: Backend, overrides: Record<string, string> = {}): Record<string, string> {
      return {
        ...common,
        USER_TIER_CHANGED_QUEUE_URL: provisioned.queueUrls.thawerUserTierChanged,
        COLD_STORAGE_EVENTS_QUEUE_URL: provisioned.queueUrls.thawerColdStorageEvents,
        COLD_STORAGE_EVENTS_TOPIC_ARN: provisioned.topicArns.coldStorageEvents,
        ARCHIVE_RESTORED_TOPIC_ARN: provisioned.topicArns.archiveRestored,
        COLD_STORAGE_BACKEND: backend,
        RESTORE_TIER: 'Expedited',
        ...overrides,
      };
    },

    /** The archiver in this process, listening on a free port, its webhook subscribed. */
    async startArchiver(backend: Backend, overrides: Record<string, string> = {}) {
      const config = loadConfig(ArchiverConfig, state.archiverEnv(backend, overrides), checkArchiverConfig);
      const sink = logSink();
      const app = await buildArchiverApp(config, {
        logger: createLogger({ service: 'archiver', level: config.LOG_LEVEL }, sink.stream),
      });
      await listenAndSubscribe('archiver', app);
      return { app, config, logs: sink.lines };
    },

    async startThawer(backend: Backend, overrides: Record<string, string> = {}) {
      const config = loadConfig(ThawerConfig, state.thawerEnv(backend, overrides), checkThawerConfig);
      const sink = logSink();
      const app = await buildThawerApp(config, {
        logger: createLogger({ service: 'thawer', level: config.LOG_LEVEL }, sink.stream),
      });
      await listenAndSubscribe('thawer', app);
      return { app, config, logs: sink.lines };
    },

    /** Closes an app, then outlasts its last long poll (see RECEIVE_WAIT_SECONDS above). */
    async stop(app: FastifyInstance): Promise<void> {
      apps.delete(app);
      await app.close();
      await new Promise((resolve) => setTimeout(resolve, 1500));
    },

    /**
     * What the annotator does when a job succeeds: result objects and log in the results
     * bucket, the COMPLETED record (results AVAILABLE), JobCompleted published `publishTimes` times.
     */
    async completeJob(options: {
      userId: string;
      tier: 'free' | 'premium';
      completedAt?: Date;
      publishTimes?: number;
    }): Promise<{ jobId: string; record: JobRecord; vcf: Buffer }> {
      const jobId = randomUUID();
      const keys = resultObjectKeys(options.userId, jobId, 'sample.vcf.gz');
      const vcf = randomBytes(1.5 * 1024 * 1024); // > 1 MiB: two tree-hash chunks in the vault
      const bucket = provisioned.buckets.results;
      const put = (Key: string, Body: Buffer | string, ContentType: string) =>
        clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body, ContentType }));
      await put(keys.annotated_vcf_key, vcf, 'application/gzip');
      await put(keys.tsv_key, 'chrom\tpos\n', 'text/tab-separated-values');
      await put(keys.json_key, '[]', 'application/json');
      await put(keys.summary_key, '{}', 'application/json');
      await put(keys.log_key, 'annotated 1 variant\n', 'text/plain');
      const completedAt = (options.completedAt ?? new Date()).toISOString();
      const submittedAt = new Date(Date.parse(completedAt) - 1000).toISOString();
      const email = `${options.userId}@example.org`;
      const counts = { variants_read: 1, variants_annotated: 1, records_skipped: 0, consequences: 1 };
      const { log_key, ...result_keys } = keys;
      const record: JobRecord = {
        job_id: jobId,
        user_id: options.userId,
        user_email: email,
        user_tier: options.tier,
        status: 'COMPLETED',
        submitted_at: submittedAt,
        input_bucket: provisioned.buckets.inputs,
        input_key: `inputs/${options.userId}/${jobId}~sample.vcf.gz`,
        input_file_name: 'sample.vcf.gz',
        input_size_bytes: 100,
        completed_at: completedAt,
        results_bucket: bucket,
        result_keys,
        log_key,
        counts,
        results_status: 'AVAILABLE',
      };
      await doc.send(new PutCommand({ TableName: provisioned.jobsTable, Item: record }));
      const message: JobCompleted = {
        schema_version: 1,
        type: 'JobCompleted',
        status: 'COMPLETED',
        job_id: jobId,
        user_id: options.userId,
        user_email: email,
        user_tier: options.tier,
        input_file_name: 'sample.vcf.gz',
        submitted_at: submittedAt,
        completed_at: completedAt,
        results_bucket: bucket,
        log_key,
        counts,
        result_keys,
      };
      for (let i = 0; i < (options.publishTimes ?? 1); i++) {
        await clients.sns.send(
          new PublishCommand({
            TopicArn: provisioned.topicArns.jobCompleted,
            Message: JSON.stringify(message),
          }),
        );
      }
      return { jobId, record, vcf };
    },

    /** What web publishes after the Stripe webhook stored the new tier. */
    async changeTier(userId: string, newTier: 'free' | 'premium', changedAt = new Date()): Promise<void> {
      const message: UserTierChanged = {
        schema_version: 1,
        type: 'UserTierChanged',
        user_id: userId,
        user_email: `${userId}@example.org`,
        previous_tier: newTier === 'premium' ? 'free' : 'premium',
        new_tier: newTier,
        changed_at: changedAt.toISOString(),
        cause: `evt_test_${randomBytes(6).toString('hex')}`,
      };
      await clients.sns.send(
        new PublishCommand({
          TopicArn: provisioned.topicArns.userTierChanged,
          Message: JSON.stringify(message),
        }),
      );
    },

    /** Publishes a cold-storage event as S3 or Glacier would (for duplicate-notification tests). */
    async publishColdStorageEvent(event: unknown): Promise<void> {
      await clients.sns.send(
        new PublishCommand({
          TopicArn: provisioned.topicArns.coldStorageEvents,
          Message: JSON.stringify(event),
        }),
      );
    },

    async job(jobId: string): Promise<JobRecord> {
      const out = await doc.send(
        new GetCommand({ TableName: provisioned.jobsTable, Key: { job_id: jobId }, ConsistentRead: true }),
      );
      return out.Item as JobRecord;
    },

    /** Waits until the record says ARCHIVED and its archive-due entry is gone. */
    archived(jobId: string): Promise<JobRecord> {
      return eventually(async () => {
        const record = await state.job(jobId);
        return record.results_status === 'ARCHIVED' && !record.archive_due_at ? record : undefined;
      }, `job ${jobId} to be archived`);
    },

    /** Waits until the record says RESTORING (the thawer started the restore). */
    restoring(jobId: string): Promise<JobRecord> {
      return eventually(async () => {
        const record = await state.job(jobId);
        return record.results_status === 'RESTORING' ? record : undefined;
      }, `job ${jobId} to be restoring`);
    },

    async object(key: string): Promise<Buffer | undefined> {
      try {
        const out = await clients.s3.send(
          new GetObjectCommand({ Bucket: provisioned.buckets.results, Key: key }),
        );
        return Buffer.from(await out.Body!.transformToByteArray());
      } catch (error) {
        if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
        throw error;
      }
    },

    async head(key: string): Promise<HeadObjectCommandOutput | undefined> {
      try {
        return await clients.s3.send(
          new HeadObjectCommand({ Bucket: provisioned.buckets.results, Key: key }),
        );
      } catch (error) {
        if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
          return undefined;
        throw error;
      }
    },

    async vaultArchiveCount(): Promise<number> {
      const out = await clients.glacier!.send(new DescribeVaultCommand({ accountId: '-', vaultName: vault }));
      return out.NumberOfArchives ?? 0;
    },

    /** Messages in a queue, visible or in flight (0 = every message was handled and deleted). */
    async queueDepth(queue: QueueKey, deadLetter = false): Promise<number> {
      const out = await clients.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: (deadLetter ? provisioned.deadLetterQueueUrls : provisioned.queueUrls)[queue],
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return (
        Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
        Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
      );
    },

    /** ArchiveRestored messages published for a job so far (read from the notifier's queue; no notifier runs). */
    async archiveRestoredFor(jobId: string): Promise<ArchiveRestored[]> {
      for (;;) {
        const out = await clients.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: provisioned.queueUrls.notifierArchiveRestored,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
          }),
        );
        const messages = out.Messages ?? [];
        if (messages.length === 0) break;
        for (const m of messages) {
          restoredSeen.push(unwrapTopicMessage(m, 'archiveRestored').message);
          await clients.sqs.send(
            new DeleteMessageCommand({
              QueueUrl: provisioned.queueUrls.notifierArchiveRestored,
              ReceiptHandle: m.ReceiptHandle,
            }),
          );
        }
      }
      return restoredSeen.filter((m) => m.job_id === jobId);
    },

    async dispose(): Promise<void> {
      for (const app of [...apps].reverse()) await app.close().catch(() => undefined);
      await cloud.dispose();
    },
  };
  return state;
}

/**
 * The tiers cloud of one test file, started in the file's beforeAll and disposed in its
 * afterAll. The object returned stands for it from then on (the file names it once, `t`);
 * reading it before beforeAll has run is an error that says so.
 */
export function useTiersCloud(options: { restoreDelayMs: number }): TiersCloud {
  let started: TiersCloud | undefined;
  beforeAll(async () => {
    started = await startTiersCloud(options);
  });
  afterAll(async () => {
    await started?.dispose();
  });
  return new Proxy({} as TiersCloud, {
    get(_target, property) {
      if (!started) throw new Error('the tiers cloud starts in beforeAll: use it in hooks and tests');
      return started[property as keyof TiersCloud];
    },
  });
}

export type RunningService = { app: FastifyInstance; logs: LogLines };

/**
 * An archiver and a thawer on one backend for the calling describe: started in its
 * beforeAll, stopped in its afterAll. A test may replace either (a restart): the one running
 * at the end is stopped. Also the user names of that backend (users differ per backend, so
 * both backends share a cloud) and the check for an error the thawer logged about a job.
 */
export function useArchiverAndThawer(t: TiersCloud, backend: Backend) {
  const running = {
    archiver: undefined as unknown as RunningService,
    thawer: undefined as unknown as RunningService,
    user: (name: string) => `${name}-${backend}`,
    thawerLoggedError: (message: string, jobId: string) =>
      running.thawer.logs.some(
        (line) => (line.level ?? 0) >= 50 && line.msg === message && line.job_id === jobId,
      ),
  };
  beforeAll(async () => {
    running.archiver = await t.startArchiver(backend);
    running.thawer = await t.startThawer(backend);
  });
  afterAll(async () => {
    await t.stop(running.archiver.app);
    await t.stop(running.thawer.app);
  });
  return running;
}
