/**
 * The notifier app: what it is made of. Its SES client (SQS and DynamoDB come from service-kit),
 * the e-mail intake (SNS doorbell on /sns/notifier + SQS drain loops, see plugins/notifications.ts;
 * idempotency in notifications.ts) and a readiness check per dependency. Templates are
 * compiled here, at boot. Logger, health routes, the AWS clients (closed last) and the one
 * error handler come from service-kit's `buildServiceApp`.
 */
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { awsClientConfig, buildServiceApp, type Logger, tableReady } from '@gas/service-kit';
import type { FastifyInstance } from 'fastify';
import type { NotifierConfig } from './config.ts';
import { loadTemplates } from './mail/templates.ts';
import { notificationsPlugin } from './plugins/notifications.ts';

export async function buildApp(
  config: NotifierConfig,
  options: { logger?: Logger } = {},
): Promise<FastifyInstance> {
  const templates = loadTemplates();
  const ses = new SESv2Client(awsClientConfig(config));
  return buildServiceApp(
    { service: 'notifier', config, logger: options.logger, otherClients: [ses] },
    async (app, aws) => {
      // The topic consumers add sqs:job-completed and sqs:archive-restored.
      await app.register(notificationsPlugin, { config, aws, ses, templates });
      app.readiness.add('dynamodb:jobs', tableReady(aws.dynamodb, config.JOBS_TABLE));
    },
  );
}
