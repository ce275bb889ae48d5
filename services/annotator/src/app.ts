/**
 * The annotator app: builds Fastify from plugins (logging, health), registers a readiness
 * check per dependency (its queue, topics, table, buckets), the job intake (SNS doorbell on
 * /sns/job-requests + SQS drain loop + engine worker pool, see plugins/job-requests.ts) and
 * owns the one error handler.
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
import type { AnnotatorConfig } from './config.ts';
import { jobRequestsPlugin } from './plugins/job-requests.ts';

export async function buildApp(
  config: AnnotatorConfig,
  options: { logger?: Logger } = {},
): Promise<FastifyInstance> {
  const logger = options.logger ?? createLogger({ service: 'annotator', level: config.LOG_LEVEL });
  const app = Fastify(fastifyLogging(logger));
  const sqs = createSqsClient(config);
  const sns = createSnsClient(config);
  const s3 = createS3Client(config);
  const dynamodb = createDynamoDbClient(config);

  await app.register(healthPlugin);
  app.readiness.add('sqs:job-requests', queueReady(sqs, config.JOB_REQUESTS_QUEUE_URL));
  app.readiness.add('sns:job-completed', topicReady(sns, config.JOB_COMPLETED_TOPIC_ARN));
  app.readiness.add('dynamodb:jobs', tableReady(dynamodb, config.JOBS_TABLE));
  app.readiness.add('s3:inputs', bucketReady(s3, config.INPUTS_BUCKET));
  app.readiness.add('s3:results', bucketReady(s3, config.RESULTS_BUCKET));

  await app.register(jobRequestsPlugin, { config, sqs, sns, s3, dynamodb });
  // Registered after the intake so it runs after it: clients outlive the last job's writes.
  app.addHook('onClose', async () => {
    for (const client of [sqs, sns, s3, dynamodb]) client.destroy();
  });

  installErrorHandling(app);
  return app;
}
