/**
 * The notifier app: builds Fastify from plugins (logging, health), registers a readiness
 * check per dependency, the e-mail intake (SNS doorbell on /sns/notifier + SQS drain loops,
 * see plugins/notifications.ts; idempotency in notifications.ts) and owns the one error
 * handler. Templates are compiled here, at boot.
 */
import { SESv2Client } from '@aws-sdk/client-sesv2';
import {
  awsClientConfig,
  createDynamoDbClient,
  createLogger,
  createSqsClient,
  fastifyLogging,
  healthPlugin,
  installErrorHandling,
  type Logger,
  tableReady,
} from '@gas/service-kit';
import Fastify, { type FastifyInstance } from 'fastify';
import type { NotifierConfig } from './config.ts';
import { loadTemplates } from './mail/templates.ts';
import { notificationsPlugin } from './plugins/notifications.ts';

export async function buildApp(
  config: NotifierConfig,
  options: { logger?: Logger } = {},
): Promise<FastifyInstance> {
  const logger = options.logger ?? createLogger({ service: 'notifier', level: config.LOG_LEVEL });
  const templates = loadTemplates();
  const app = Fastify(fastifyLogging(logger));
  const sqs = createSqsClient(config);
  const dynamodb = createDynamoDbClient(config);
  const ses = new SESv2Client(awsClientConfig(config));

  await app.register(healthPlugin);
  await app.register(notificationsPlugin, { config, sqs, ses, dynamodb, templates });
  app.readiness.add('dynamodb:jobs', tableReady(dynamodb, config.JOBS_TABLE));
  app.addHook('onClose', async () => {
    for (const client of [sqs, dynamodb, ses]) client.destroy();
  });

  installErrorHandling(app);
  return app;
}
