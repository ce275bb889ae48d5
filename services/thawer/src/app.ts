/**
 * The thawer app: builds Fastify from plugins (logging, health), registers a readiness
 * check per dependency and owns the one error handler.
 * Skeleton of issue 2: the /sns/thawer webhook, the drain loops and both restore backends arrive with
 * the thawer issue, as plugins registered here.
 */
import {
  bucketReady,
  createDynamoDbClient,
  createLogger,
  createS3Client,
  createSnsClient,
  createSqsClient,
  fastifyLogging,
  healthPlugin,
  installErrorHandling,
  type Logger,
  queueReady,
  tableReady,
  topicReady,
} from '@gas/service-kit';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ThawerConfig } from './config.ts';

export async function buildApp(
  config: ThawerConfig,
  options: { logger?: Logger } = {},
): Promise<FastifyInstance> {
  const logger = options.logger ?? createLogger({ service: 'thawer', level: config.LOG_LEVEL });
  const app = Fastify(fastifyLogging(logger));
  const sqs = createSqsClient(config);
  const sns = createSnsClient(config);
  const dynamodb = createDynamoDbClient(config);
  const s3 = createS3Client(config);
  app.addHook('onClose', async () => {
    for (const client of [sqs, sns, dynamodb, s3]) client.destroy();
  });

  await app.register(healthPlugin);
  app.readiness.add('sqs:user-tier-changed', queueReady(sqs, config.USER_TIER_CHANGED_QUEUE_URL));
  app.readiness.add('sqs:cold-storage-events', queueReady(sqs, config.COLD_STORAGE_EVENTS_QUEUE_URL));
  app.readiness.add('sns:archive-restored', topicReady(sns, config.ARCHIVE_RESTORED_TOPIC_ARN));
  app.readiness.add('dynamodb:jobs', tableReady(dynamodb, config.JOBS_TABLE));
  app.readiness.add('s3:results', bucketReady(s3, config.RESULTS_BUCKET));

  installErrorHandling(app);
  return app;
}
