/**
 * The thawer's intake as one plugin: two SQS drain loops (user-tier-changed,
 * cold-storage-events: the durable path, with a slow idle timer as the safety net) and the
 * SNS webhook on `/sns/thawer` for both topics (the doorbell: a verified notification only
 * wakes the matching loop; the work always comes from the queue's copy, so a duplicate
 * through both paths is handled once by the record's conditional writes), plus the check of
 * overdue restores every RESTORE_CHECK_INTERVAL_SECONDS (the recovery for lost completion
 * notifications, see thawer.ts): the first when the app is ready, each next one an interval
 * after the previous ENDED (checks never overlap); closing waits for a running one.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
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
import type { ThawerConfig } from '../config.ts';
import { createThawer, type Thawer } from '../thawer.ts';

export type RestoringOptions = {
  config: ThawerConfig;
  sqs: SQSClient;
  sns: SNSClient;
  s3: S3Client;
  dynamodb: DynamoDBClient;
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
    s3: options.s3,
    clientConfig: awsClientConfig(config),
    vault: config.RESULTS_VAULT,
    notificationTopicArn: config.COLD_STORAGE_EVENTS_TOPIC_ARN,
  });
  const thawer = createThawer({
    records: new JobArchiveRecords(
      DynamoDBDocumentClient.from(options.dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
      config.JOBS_TABLE,
    ),
    storages,
    s3: options.s3,
    sns: options.sns,
    archiveRestoredTopicArn: config.ARCHIVE_RESTORED_TOPIC_ARN,
    resultsBucket: config.RESULTS_BUCKET,
    restoreTier: config.RESTORE_TIER,
    maxAttempts: config.RESTORE_MAX_ATTEMPTS,
  });
  app.decorate('thawer', thawer);

  const common = {
    sqs: options.sqs,
    idleDelayMs: config.DRAIN_IDLE_SECONDS * 1000,
    waitTimeSeconds: config.RECEIVE_WAIT_SECONDS,
    concurrency: 4,
  };
  await app.register(queueDrainersPlugin, {
    stopDeadlineMs: config.STOP_TIMEOUT_SECONDS * 1000,
    queues: {
      'user-tier-changed': {
        ...common,
        queueUrl: config.USER_TIER_CHANGED_QUEUE_URL,
        visibilityTimeoutSeconds: queueSpec('thawerUserTierChanged').visibilityTimeoutSeconds,
        handler: async (message, context) => {
          const { message: changed } = unwrapTopicMessage(message, 'userTierChanged');
          await thawer.tierChanged(changed, context.logger.child({ user_id: changed.user_id }));
        },
      },
      'cold-storage-events': {
        ...common,
        queueUrl: config.COLD_STORAGE_EVENTS_QUEUE_URL,
        visibilityTimeoutSeconds: queueSpec('thawerColdStorageEvents').visibilityTimeoutSeconds,
        handler: async (message, context) => {
          const { message: event } = unwrapTopicMessage(message, 'coldStorageEvents');
          await thawer.coldStorageEvent(event, context.logger);
        },
      },
    },
  });

  await app.register(snsWebhookPlugin, {
    path: webhookOf('thawer').path,
    topics: [
      { arn: config.USER_TIER_CHANGED_TOPIC_ARN, topic: 'userTierChanged' as const },
      { arn: config.COLD_STORAGE_EVENTS_TOPIC_ARN, topic: 'coldStorageEvents' as const },
    ],
    ...snsTrustFromConfig(config),
    onNotification: async (
      notification: VerifiedSnsNotification<'userTierChanged' | 'coldStorageEvents'>,
    ) => {
      app.queueDrainers[
        notification.topic === 'userTierChanged' ? 'user-tier-changed' : 'cold-storage-events'
      ]!.ring();
    },
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
