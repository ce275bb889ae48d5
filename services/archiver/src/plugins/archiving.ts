/**
 * The archiver's intake and timer as one plugin: two SQS drain loops (job-completed,
 * user-tier-changed: the durable path, with a slow idle timer as the safety net), the SNS
 * webhook on `/sns/archiver` for both topics (the doorbell: a verified notification only
 * wakes the matching loop; the work always comes from the queue's copy), and the sweep of
 * the archive schedule every SWEEP_INTERVAL_SECONDS (first sweep when the app is ready).
 * Closing waits for a running sweep and running messages (STOP_TIMEOUT_SECONDS).
 */
import { hostname } from 'node:os';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createColdStorages, JobArchiveRecords } from '@gas/cold-storage';
import { queueSpec, unwrapTopicMessage, webhookOf } from '@gas/contracts';
import {
  awsClientConfig,
  queueDrainersPlugin,
  snsTrustFromConfig,
  snsWebhookPlugin,
  type VerifiedSnsNotification,
} from '@gas/service-kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type Archiver, createArchiver } from '../archiver.ts';
import type { ArchiverConfig } from '../config.ts';
import { createSweeper, type Sweeper } from '../sweeper.ts';

export type ArchivingOptions = {
  config: ArchiverConfig;
  sqs: SQSClient;
  s3: S3Client;
  dynamodb: DynamoDBClient;
};

declare module 'fastify' {
  interface FastifyInstance {
    archiving: { archiver: Archiver; sweeper: Sweeper; owner: string };
  }
}

async function archiving(app: FastifyInstance, options: ArchivingOptions): Promise<void> {
  const { config } = options;
  const owner = `${hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`;
  const storages = createColdStorages({
    backend: config.COLD_STORAGE_BACKEND,
    s3: options.s3,
    clientConfig: awsClientConfig(config),
    vault: config.RESULTS_VAULT,
  });
  const records = new JobArchiveRecords(
    DynamoDBDocumentClient.from(options.dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    config.JOBS_TABLE,
  );
  const archiver = createArchiver({
    records,
    storages,
    s3: options.s3,
    retentionSeconds: config.FREE_RETENTION_SECONDS,
    leaseSeconds: config.ARCHIVE_LEASE_SECONDS,
    owner,
    logger: app.log.child({ component: 'archiver' }),
  });
  const sweeper = createSweeper({
    intervalMs: config.SWEEP_INTERVAL_SECONDS * 1000,
    sweep: () => archiver.sweep(),
    logger: app.log.child({ component: 'sweeper' }),
  });
  app.decorate('archiving', { archiver, sweeper, owner });

  const common = {
    sqs: options.sqs,
    idleDelayMs: config.DRAIN_IDLE_SECONDS * 1000,
    waitTimeSeconds: config.RECEIVE_WAIT_SECONDS,
    concurrency: 4,
  };
  await app.register(queueDrainersPlugin, {
    stopDeadlineMs: config.STOP_TIMEOUT_SECONDS * 1000,
    queues: {
      'job-completed': {
        ...common,
        queueUrl: config.JOB_COMPLETED_QUEUE_URL,
        visibilityTimeoutSeconds: queueSpec('archiverJobCompleted').visibilityTimeoutSeconds,
        handler: async (message, context) => {
          const { message: completed } = unwrapTopicMessage(message, 'jobCompleted');
          await archiver.jobCompleted(completed, context.logger.child({ job_id: completed.job_id }));
        },
      },
      'user-tier-changed': {
        ...common,
        queueUrl: config.USER_TIER_CHANGED_QUEUE_URL,
        visibilityTimeoutSeconds: queueSpec('archiverUserTierChanged').visibilityTimeoutSeconds,
        handler: async (message, context) => {
          const { message: changed } = unwrapTopicMessage(message, 'userTierChanged');
          await archiver.tierChanged(changed, context.logger.child({ user_id: changed.user_id }));
        },
      },
    },
  });

  await app.register(snsWebhookPlugin, {
    path: webhookOf('archiver').path,
    topics: [
      { arn: config.JOB_COMPLETED_TOPIC_ARN, topic: 'jobCompleted' as const },
      { arn: config.USER_TIER_CHANGED_TOPIC_ARN, topic: 'userTierChanged' as const },
    ],
    ...snsTrustFromConfig(config),
    onNotification: async (notification: VerifiedSnsNotification<'jobCompleted' | 'userTierChanged'>) => {
      app.queueDrainers[
        notification.topic === 'jobCompleted' ? 'job-completed' : 'user-tier-changed'
      ]!.ring();
    },
  });

  app.addHook('onReady', async () => {
    sweeper.start();
  });
  app.addHook('onClose', async () => {
    await sweeper.stop(config.STOP_TIMEOUT_SECONDS * 1000);
    storages.destroy();
  });
}

export const archivingPlugin = fp(archiving, {
  name: 'archiver-archiving',
  fastify: '5.x',
  dependencies: ['gas-health'],
});
