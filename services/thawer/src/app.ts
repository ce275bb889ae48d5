/**
 * The thawer app: builds Fastify from plugins (logging, health), registers a readiness
 * check per dependency, the restoring plugin (queues + /sns/thawer doorbell, see
 * plugins/restoring.ts and thawer.ts) and owns the one error handler.
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
  tableReady,
  topicReady,
} from '@gas/service-kit';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ThawerConfig } from './config.ts';
import { restoringPlugin } from './plugins/restoring.ts';

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

  await app.register(healthPlugin);
  app.readiness.add('sns:archive-restored', topicReady(sns, config.ARCHIVE_RESTORED_TOPIC_ARN));
  app.readiness.add('dynamodb:jobs', tableReady(dynamodb, config.JOBS_TABLE));
  app.readiness.add('s3:results', bucketReady(s3, config.RESULTS_BUCKET));
  // The drainers add sqs:user-tier-changed and sqs:cold-storage-events.
  await app.register(restoringPlugin, { config, sqs, sns, s3, dynamodb });
  // Registered after the plugin so it runs after it: clients outlive the last write.
  app.addHook('onClose', async () => {
    for (const client of [sqs, sns, dynamodb, s3]) client.destroy();
  });

  installErrorHandling(app);
  return app;
}
