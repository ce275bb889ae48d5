/**
 * The web app: builds Fastify from plugins (logging, health), registers a readiness
 * check per dependency and owns the one error handler.
 * Skeleton of issue 2: the pages, OIDC login, uploads, the REST API and Stripe arrive with their
 * issues, as plugins and routes registered here (the PostgreSQL readiness check with the database
 * plugin).
 */
import {
  bucketReady,
  createDynamoDbClient,
  createLogger,
  createS3Client,
  createSnsClient,
  fastifyLogging,
  healthPlugin,
  installErrorHandling,
  type Logger,
  tableReady,
  topicReady,
} from '@gas/service-kit';
import Fastify, { type FastifyInstance } from 'fastify';
import type { WebConfig } from './config.ts';

export async function buildApp(
  config: WebConfig,
  options: { logger?: Logger } = {},
): Promise<FastifyInstance> {
  const logger = options.logger ?? createLogger({ service: 'web', level: config.LOG_LEVEL });
  const app = Fastify(fastifyLogging(logger));
  const dynamodb = createDynamoDbClient(config);
  const s3 = createS3Client(config);
  const sns = createSnsClient(config);
  app.addHook('onClose', async () => {
    for (const client of [dynamodb, s3, sns]) client.destroy();
  });

  await app.register(healthPlugin);
  app.readiness.add('dynamodb:jobs', tableReady(dynamodb, config.JOBS_TABLE));
  app.readiness.add('s3:inputs', bucketReady(s3, config.INPUTS_BUCKET));
  app.readiness.add('s3:results', bucketReady(s3, config.RESULTS_BUCKET));
  app.readiness.add('sns:job-requests', topicReady(sns, config.JOB_REQUESTS_TOPIC_ARN));
  app.readiness.add('sns:user-tier-changed', topicReady(sns, config.USER_TIER_CHANGED_TOPIC_ARN));

  installErrorHandling(app);
  return app;
}
