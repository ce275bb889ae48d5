/**
 * The archiver app: what it is made of. Its AWS clients (SQS, DynamoDB, S3), a readiness
 * check per dependency and the archiving plugin (queues + /sns/archiver doorbell + schedule
 * sweep, see plugins/archiving.ts and archiver.ts). Logger, health routes, closing the clients
 * and the one error handler come from service-kit's `buildServiceApp`.
 */
import {
  bucketReady,
  buildServiceApp,
  createDynamoDbClient,
  createS3Client,
  createSqsClient,
  type Logger,
  tableReady,
} from '@gas/service-kit';
import type { FastifyInstance } from 'fastify';
import type { ArchiverConfig } from './config.ts';
import { archivingPlugin } from './plugins/archiving.ts';

export async function buildApp(
  config: ArchiverConfig,
  options: { logger?: Logger } = {},
): Promise<FastifyInstance> {
  const sqs = createSqsClient(config);
  const dynamodb = createDynamoDbClient(config);
  const s3 = createS3Client(config);
  const clients = [sqs, dynamodb, s3];
  return buildServiceApp(
    { service: 'archiver', logLevel: config.LOG_LEVEL, logger: options.logger, clients },
    async (app) => {
      app.readiness.add('dynamodb:jobs', tableReady(dynamodb, config.JOBS_TABLE));
      app.readiness.add('s3:results', bucketReady(s3, config.RESULTS_BUCKET));
      // The topic consumers add sqs:job-completed and sqs:user-tier-changed.
      await app.register(archivingPlugin, { config, sqs, s3, dynamodb });
    },
  );
}
