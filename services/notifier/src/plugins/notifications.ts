/**
 * The notifier's intake: service-kit's topic consumers for job-completed and archive-restored
 * (each queue drained, the durable path with a slow idle timer as the safety net; the SNS
 * webhook on `/sns/notifier` for both topics only wakes the matching loop, so the e-mail is
 * always sent from the queue's copy and the webhook adds no second send path). What is the
 * notifier's own: which e-mail each message becomes (notifications.ts, one per job, idempotent).
 */
import { hostname } from 'node:os';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type ServiceAwsClients, topicConsumersPlugin, topicConsumersSettings } from '@gas/service-kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { NotifierConfig } from '../config.ts';
import type { MailTemplates } from '../mail/templates.ts';
import { createNotifier } from '../notifications.ts';

export type NotificationsOptions = {
  config: NotifierConfig;
  aws: Pick<ServiceAwsClients, 'sqs' | 'dynamodb'>;
  ses: SESv2Client;
  templates: MailTemplates;
};

async function notifications(app: FastifyInstance, options: NotificationsOptions): Promise<void> {
  const { config } = options;
  const notifier = createNotifier({
    doc: DynamoDBDocumentClient.from(options.aws.dynamodb, {
      marshallOptions: { removeUndefinedValues: true },
    }),
    ses: options.ses,
    templates: options.templates,
    table: config.JOBS_TABLE,
    mailFrom: config.MAIL_FROM,
    webBaseUrl: config.WEB_BASE_URL,
    owner: `${hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`,
    leaseSeconds: config.NOTIFY_LEASE_SECONDS,
  });
  await app.register(topicConsumersPlugin, {
    service: 'notifier',
    sqs: options.aws.sqs,
    ...topicConsumersSettings(config, config.QUEUE_WAIT_SECONDS),
    consumers: [
      {
        topic: 'jobCompleted',
        topicArn: config.JOB_COMPLETED_TOPIC_ARN,
        queue: 'notifierJobCompleted',
        queueUrl: config.JOB_COMPLETED_QUEUE_URL,
        handle: async (completed, { logger }) => {
          const result = await notifier.jobCompleted(completed, logger.child({ job_id: completed.job_id }));
          if (result === 'already-sent')
            logger.info({ job_id: completed.job_id }, 'e-mail already sent; duplicate dropped');
        },
      },
      {
        topic: 'archiveRestored',
        topicArn: config.ARCHIVE_RESTORED_TOPIC_ARN,
        queue: 'notifierArchiveRestored',
        queueUrl: config.ARCHIVE_RESTORED_QUEUE_URL,
        handle: async (restored, { logger }) => {
          await notifier.archiveRestored(restored, logger.child({ job_id: restored.job_id }));
        },
      },
    ],
  });
}

export const notificationsPlugin = fp(notifications, {
  name: 'notifier-notifications',
  fastify: '5.x',
  dependencies: ['gas-health'],
});
