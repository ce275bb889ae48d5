/**
 * The notifier's intake: two SQS drain loops (job-completed, archive-restored; the durable
 * path, with a slow idle timer as the safety net) and the SNS webhook on `/sns/notifier`
 * for both topics (the doorbell: a verified notification only wakes the matching loop; the
 * e-mail is always sent from the queue's copy, so the webhook adds no second send path).
 * Each queue gets a readiness check (service-kit's drainers plugin).
 */
import { hostname } from 'node:os';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queueSpec, unwrapTopicMessage, webhookOf } from '@gas/contracts';
import {
  queueDrainersPlugin,
  snsTrustFromConfig,
  snsWebhookPlugin,
  type VerifiedSnsNotification,
} from '@gas/service-kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { NotifierConfig } from '../config.ts';
import type { MailTemplates } from '../mail/templates.ts';
import { createNotifier } from '../notifications.ts';

export type NotificationsOptions = {
  config: NotifierConfig;
  sqs: SQSClient;
  ses: SESv2Client;
  dynamodb: DynamoDBClient;
  templates: MailTemplates;
};

async function notifications(app: FastifyInstance, options: NotificationsOptions): Promise<void> {
  const { config } = options;
  const notifier = createNotifier({
    doc: DynamoDBDocumentClient.from(options.dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    ses: options.ses,
    templates: options.templates,
    table: config.JOBS_TABLE,
    mailFrom: config.MAIL_FROM,
    webBaseUrl: config.WEB_BASE_URL,
    owner: `${hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`,
    leaseSeconds: config.NOTIFY_LEASE_SECONDS,
  });
  const common = {
    sqs: options.sqs,
    idleDelayMs: config.DRAIN_IDLE_SECONDS * 1000,
    waitTimeSeconds: config.QUEUE_WAIT_SECONDS,
    concurrency: 4,
  };
  await app.register(queueDrainersPlugin, {
    stopDeadlineMs: config.STOP_TIMEOUT_SECONDS * 1000,
    queues: {
      'job-completed': {
        ...common,
        queueUrl: config.JOB_COMPLETED_QUEUE_URL,
        visibilityTimeoutSeconds: queueSpec('notifierJobCompleted').visibilityTimeoutSeconds,
        handler: async (message, context) => {
          const { message: completed } = unwrapTopicMessage(message, 'jobCompleted');
          const result = await notifier.jobCompleted(
            completed,
            context.logger.child({ job_id: completed.job_id }),
          );
          if (result === 'already-sent')
            context.logger.info({ job_id: completed.job_id }, 'e-mail already sent; duplicate dropped');
        },
      },
      'archive-restored': {
        ...common,
        queueUrl: config.ARCHIVE_RESTORED_QUEUE_URL,
        visibilityTimeoutSeconds: queueSpec('notifierArchiveRestored').visibilityTimeoutSeconds,
        handler: async (message, context) => {
          const { message: restored } = unwrapTopicMessage(message, 'archiveRestored');
          await notifier.archiveRestored(restored, context.logger.child({ job_id: restored.job_id }));
        },
      },
    },
  });

  await app.register(snsWebhookPlugin, {
    path: webhookOf('notifier').path,
    topics: [
      { arn: config.JOB_COMPLETED_TOPIC_ARN, topic: 'jobCompleted' as const },
      { arn: config.ARCHIVE_RESTORED_TOPIC_ARN, topic: 'archiveRestored' as const },
    ],
    ...snsTrustFromConfig(config),
    onNotification: async (notification: VerifiedSnsNotification<'jobCompleted' | 'archiveRestored'>) => {
      app.queueDrainers[notification.topic === 'jobCompleted' ? 'job-completed' : 'archive-restored']!.ring();
    },
  });
}

export const notificationsPlugin = fp(notifications, {
  name: 'notifier-notifications',
  fastify: '5.x',
  dependencies: ['gas-health'],
});
