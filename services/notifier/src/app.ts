/**
 * The notifier app: builds Fastify from plugins (logging, health), registers a readiness
 * check per dependency and owns the one error handler.
 * Skeleton of issue 2: the /sns/notifier webhook, the drain loops and SES sending arrive with the
 * notifier issue, as plugins registered here.
 */
import {
  createDynamoDbClient,
  createLogger,
  createSqsClient,
  fastifyLogging,
  healthPlugin,
  installErrorHandling,
  type Logger,
  queueReady,
  tableReady,
} from '@gas/service-kit';
import Fastify, { type FastifyInstance } from 'fastify';
import type { NotifierConfig } from './config.ts';

export async function buildApp(
  config: NotifierConfig,
  options: { logger?: Logger } = {},
): Promise<FastifyInstance> {
  const logger = options.logger ?? createLogger({ service: 'notifier', level: config.LOG_LEVEL });
  const app = Fastify(fastifyLogging(logger));
  const sqs = createSqsClient(config);
  const dynamodb = createDynamoDbClient(config);
  app.addHook('onClose', async () => {
    for (const client of [sqs, dynamodb]) client.destroy();
  });

  await app.register(healthPlugin);
  app.readiness.add('sqs:job-completed', queueReady(sqs, config.JOB_COMPLETED_QUEUE_URL));
  app.readiness.add('sqs:archive-restored', queueReady(sqs, config.ARCHIVE_RESTORED_QUEUE_URL));
  app.readiness.add('dynamodb:jobs', tableReady(dynamodb, config.JOBS_TABLE));

  installErrorHandling(app);
  return app;
}
