/**
 * The thawer app: what it is made of. Its AWS clients (SQS, SNS, DynamoDB, S3), a readiness
 * check per dependency and the restoring plugin (queues + /sns/thawer doorbell, see
 * plugins/restoring.ts and thawer.ts). Logger, health routes, closing the clients and the one
 * error handler come from service-kit's `buildServiceApp`.
 */
import {
  bucketReady,
  buildServiceApp,
  createDynamoDbClient,
  createS3Client,
  createSnsClient,
  createSqsClient,
  type Logger,
  tableReady,
  topicReady,
} from '@gas/service-kit';
import type { FastifyInstance } from 'fastify';
import type { ThawerConfig } from './config.ts';
import { restoringPlugin } from './plugins/restoring.ts';

export async function buildApp(
  config: ThawerConfig,
  options: { logger?: Logger } = {},
): Promise<FastifyInstance> {
  const sqs = createSqsClient(config);
  const sns = createSnsClient(config);
  const dynamodb = createDynamoDbClient(config);
  const s3 = createS3Client(config);
  const clients = [sqs, sns, dynamodb, s3];
  return buildServiceApp(
    { service: 'thawer', logLevel: config.LOG_LEVEL, logger: options.logger, clients },
    async (app) => {
      app.readiness.add('sns:archive-restored', topicReady(sns, config.ARCHIVE_RESTORED_TOPIC_ARN));
      app.readiness.add('dynamodb:jobs', tableReady(dynamodb, config.JOBS_TABLE));
      app.readiness.add('s3:results', bucketReady(s3, config.RESULTS_BUCKET));
      // The topic consumers add sqs:user-tier-changed and sqs:cold-storage-events.
      await app.register(restoringPlugin, { config, sqs, sns, s3, dynamodb });
    },
  );
}
