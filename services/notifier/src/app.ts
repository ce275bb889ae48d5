/**
 * The notifier app: what it is made of. Its AWS clients (SQS, DynamoDB, SES), the e-mail
 * intake (SNS doorbell on /sns/notifier + SQS drain loops, see plugins/notifications.ts;
 * idempotency in notifications.ts) and a readiness check per dependency. Templates are
 * compiled here, at boot. Logger, health routes, closing the clients and the one error
 * handler come from service-kit's `buildServiceApp`.
 */
import { SESv2Client } from '@aws-sdk/client-sesv2';
import {
  awsClientConfig,
  buildServiceApp,
  createDynamoDbClient,
  createSqsClient,
  type Logger,
  tableReady,
} from '@gas/service-kit';
import type { FastifyInstance } from 'fastify';
import type { NotifierConfig } from './config.ts';
import { loadTemplates } from './mail/templates.ts';
import { notificationsPlugin } from './plugins/notifications.ts';

export async function buildApp(
  config: NotifierConfig,
  options: { logger?: Logger } = {},
): Promise<FastifyInstance> {
  const templates = loadTemplates();
  const sqs = createSqsClient(config);
  const dynamodb = createDynamoDbClient(config);
  const ses = new SESv2Client(awsClientConfig(config));
  const clients = [sqs, dynamodb, ses];
  return buildServiceApp(
    { service: 'notifier', logLevel: config.LOG_LEVEL, logger: options.logger, clients },
    async (app) => {
      // The topic consumers add sqs:job-completed and sqs:archive-restored.
      await app.register(notificationsPlugin, { config, sqs, ses, dynamodb, templates });
      app.readiness.add('dynamodb:jobs', tableReady(dynamodb, config.JOBS_TABLE));
    },
  );
}
