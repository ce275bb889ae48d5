/**
 * The archiver's intake and timer as one plugin: service-kit's topic consumers for
 * job-completed and user-tier-changed (each queue drained, the durable path with a slow idle
 * timer as the safety net; the SNS webhook on `/sns/archiver` for both topics only wakes the
 * matching loop, so the work always comes from the queue's copy), and the sweep of the archive
 * schedule every SWEEP_INTERVAL_SECONDS (first sweep when the app is ready). What is the
 * archiver's own: what each message does to the schedule (archiver.ts) and the sweep.
 * Closing waits for a running sweep and running messages (STOP_TIMEOUT_SECONDS).
 */
import { hostname } from 'node:os';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createColdStorages, JobArchiveRecords } from '@gas/cold-storage';
import {
  awsClientConfig,
  type ServiceAwsClients,
  topicConsumersPlugin,
  topicConsumersSettings,
} from '@gas/service-kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type Archiver, createArchiver } from '../archiver.ts';
import type { ArchiverConfig } from '../config.ts';
import { createSweeper, type Sweeper } from '../sweeper.ts';

export type ArchivingOptions = {
  config: ArchiverConfig;
  aws: Pick<ServiceAwsClients, 'sqs' | 's3' | 'dynamodb'>;
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
    s3: options.aws.s3,
    clientConfig: awsClientConfig(config),
    vault: config.RESULTS_VAULT,
  });
  const records = new JobArchiveRecords(
    DynamoDBDocumentClient.from(options.aws.dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    config.JOBS_TABLE,
  );
  const archiver = createArchiver({
    records,
    storages,
    s3: options.aws.s3,
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

  await app.register(topicConsumersPlugin, {
    service: 'archiver',
    sqs: options.aws.sqs,
    ...topicConsumersSettings(config, config.RECEIVE_WAIT_SECONDS),
    consumers: [
      {
        topic: 'jobCompleted',
        topicArn: config.JOB_COMPLETED_TOPIC_ARN,
        queue: 'archiverJobCompleted',
        queueUrl: config.JOB_COMPLETED_QUEUE_URL,
        handle: (completed, { logger }) =>
          archiver.jobCompleted(completed, logger.child({ job_id: completed.job_id })),
      },
      {
        topic: 'userTierChanged',
        topicArn: config.USER_TIER_CHANGED_TOPIC_ARN,
        queue: 'archiverUserTierChanged',
        queueUrl: config.USER_TIER_CHANGED_QUEUE_URL,
        handle: (changed, { logger }) =>
          archiver.tierChanged(changed, logger.child({ user_id: changed.user_id })),
      },
    ],
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
