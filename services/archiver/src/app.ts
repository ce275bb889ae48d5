/**
 * The archiver app: builds Fastify from plugins (logging, health), registers a readiness
 * check per dependency and owns the one error handler.
 * Skeleton of issue 2: the /sns/archiver webhook, the drain loops, the schedule and both cold-storage
 * backends arrive with the archiver issue, as plugins registered here.
 */
import {
  bucketReady,
  createDynamoDbClient,
  createLogger,
  createS3Client,
  createSqsClient,
  fastifyLogging,
  healthPlugin,
  installErrorHandling,
  type Logger,
  queueReady,
  tableReady,
} from '@gas/service-kit';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ArchiverConfig } from './config.ts';

export async function buildApp(
  config: ArchiverConfig,
  options: { logger?: Logger } = {},
): Promise<FastifyInstance> {
  const logger = options.logger ?? createLogger({ service: 'archiver', level: config.LOG_LEVEL });
  const app = Fastify(fastifyLogging(logger));
  const sqs = createSqsClient(config);
  const dynamodb = createDynamoDbClient(config);
  const s3 = createS3Client(config);
  app.addHook('onClose', async () => {
    for (const client of [sqs, dynamodb, s3]) client.destroy();
  });

  await app.register(healthPlugin);
  app.readiness.add('sqs:job-completed', queueReady(sqs, config.JOB_COMPLETED_QUEUE_URL));
  app.readiness.add('sqs:user-tier-changed', queueReady(sqs, config.USER_TIER_CHANGED_QUEUE_URL));
  app.readiness.add('dynamodb:jobs', tableReady(dynamodb, config.JOBS_TABLE));
  app.readiness.add('s3:results', bucketReady(s3, config.RESULTS_BUCKET));

  installErrorHandling(app);
  return app;
}
