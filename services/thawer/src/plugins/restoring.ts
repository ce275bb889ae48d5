/**
 * The thawer's intake as one plugin: service-kit's topic consumers for user-tier-changed and
 * cold-storage-events (each queue drained, the durable path with a slow idle timer as the
 * safety net; the SNS webhook on `/sns/thawer` for both topics only wakes the matching loop, so
 * the work always comes from the queue's copy and a duplicate through both paths is handled
 * once by the record's conditional writes). What is the thawer's own: what each message does
 * (thawer.ts), and the check of overdue restores every RESTORE_CHECK_INTERVAL_SECONDS (the
 * recovery for lost completion notifications, see thawer.ts): the first when the app is ready,
 * each next one an interval after the previous ENDED (checks never overlap); closing waits for
 * a running one.
 */
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
import type { ThawerConfig } from '../config.ts';
import { createThawer, type Thawer } from '../thawer.ts';

export type RestoringOptions = {
  config: ThawerConfig;
  aws: ServiceAwsClients;
};

declare module 'fastify' {
  interface FastifyInstance {
    thawer: Thawer;
  }
}

async function restoring(app: FastifyInstance, options: RestoringOptions): Promise<void> {
  const { config } = options;
  const storages = createColdStorages({
    backend: config.COLD_STORAGE_BACKEND,
    s3: options.aws.s3,
    clientConfig: awsClientConfig(config),
    vault: config.RESULTS_VAULT,
    notificationTopicArn: config.COLD_STORAGE_EVENTS_TOPIC_ARN,
  });
  const thawer = createThawer({
    records: new JobArchiveRecords(
      DynamoDBDocumentClient.from(options.aws.dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
      config.JOBS_TABLE,
    ),
    storages,
    s3: options.aws.s3,
    sns: options.aws.sns,
    archiveRestoredTopicArn: config.ARCHIVE_RESTORED_TOPIC_ARN,
    resultsBucket: config.RESULTS_BUCKET,
    restoreTier: config.RESTORE_TIER,
    maxAttempts: config.RESTORE_MAX_ATTEMPTS,
  });
  app.decorate('thawer', thawer);

  await app.register(topicConsumersPlugin, {
    service: 'thawer',
    sqs: options.aws.sqs,
    ...topicConsumersSettings(config, config.RECEIVE_WAIT_SECONDS),
    consumers: [
      {
        topic: 'userTierChanged',
        topicArn: config.USER_TIER_CHANGED_TOPIC_ARN,
        queue: 'thawerUserTierChanged',
        queueUrl: config.USER_TIER_CHANGED_QUEUE_URL,
        handle: (changed, { logger }) =>
          thawer.tierChanged(changed, logger.child({ user_id: changed.user_id })),
      },
      {
        topic: 'coldStorageEvents',
        topicArn: config.COLD_STORAGE_EVENTS_TOPIC_ARN,
        queue: 'thawerColdStorageEvents',
        queueUrl: config.COLD_STORAGE_EVENTS_QUEUE_URL,
        handle: (event, { logger }) => thawer.coldStorageEvent(event, logger),
      },
    ],
  });

  const checkLog = app.log.child({ component: 'restore-check' });
  let checkTimer: NodeJS.Timeout | undefined;
  let checking: Promise<void> | undefined;
  let closing = false;
  const scheduleCheck = (delayMs: number): void => {
    if (closing) return;
    checkTimer = setTimeout(() => {
      checking = thawer
        .checkOverdueRestores(checkLog)
        .then(
          () => undefined,
          (error: unknown) =>
            checkLog.error({ err: error }, 'overdue restore check failed; the next one retries'),
        )
        .finally(() => {
          checking = undefined;
          scheduleCheck(config.RESTORE_CHECK_INTERVAL_SECONDS * 1000);
        });
    }, delayMs);
  };
  app.addHook('onReady', async () => {
    scheduleCheck(0);
  });
  app.addHook('onClose', async () => {
    closing = true;
    clearTimeout(checkTimer);
    if (checking) {
      let deadline: NodeJS.Timeout | undefined;
      await Promise.race([
        checking,
        new Promise((resolve) => {
          deadline = setTimeout(resolve, config.STOP_TIMEOUT_SECONDS * 1000);
        }),
      ]);
      clearTimeout(deadline);
    }
    storages.destroy();
  });
}

export const restoringPlugin = fp(restoring, {
  name: 'thawer-restoring',
  fastify: '5.x',
  dependencies: ['gas-health'],
});
