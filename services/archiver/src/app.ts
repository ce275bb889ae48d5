/**
 * The archiver app: builds Fastify from plugins (logging, health), registers a readiness
 * check per dependency, the archiving plugin (queues + /sns/archiver doorbell + schedule
 * sweep, see plugins/archiving.ts and archiver.ts) and owns the one error handler.
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
  tableReady,
} from '@gas/service-kit';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ArchiverConfig } from './config.ts';
import { archivingPlugin } from './plugins/archiving.ts';

export async function buildApp(
  config: ArchiverConfig,
  options: { logger?: Logger } = {},
): Promise<FastifyInstance> {
  const logger = options.logger ?? createLogger({ service: 'archiver', level: config.LOG_LEVEL });
  const app = Fastify(fastifyLogging(logger));
  const sqs = createSqsClient(config);
  const dynamodb = createDynamoDbClient(config);
  const s3 = createS3Client(config);

  await app.register(healthPlugin);
  app.readiness.add('dynamodb:jobs', tableReady(dynamodb, config.JOBS_TABLE));
  app.readiness.add('s3:results', bucketReady(s3, config.RESULTS_BUCKET));
  // The drainers add sqs:job-completed and sqs:user-tier-changed.
  await app.register(archivingPlugin, { config, sqs, s3, dynamodb });
  // Registered after the plugin so it runs after it: clients outlive the last write.
  app.addHook('onClose', async () => {
    for (const client of [sqs, dynamodb, s3]) client.destroy();
  });

  installErrorHandling(app);
  return app;
}
