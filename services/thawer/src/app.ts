/**
 * The thawer app: what it is made of. A readiness check per dependency and the restoring plugin (queues + /sns/thawer doorbell, see
 * plugins/restoring.ts and thawer.ts). Logger, health routes, the AWS clients (closed last)
 * and the one error handler come from service-kit's `buildServiceApp`.
 */
import { bucketReady, buildServiceApp, type Logger, tableReady, topicReady } from '@gas/service-kit';
import type { FastifyInstance } from 'fastify';
import type { ThawerConfig } from './config.ts';
import { restoringPlugin } from './plugins/restoring.ts';

export async function buildApp(
  config: ThawerConfig,
  options: { logger?: Logger } = {},
): Promise<FastifyInstance> {
  return buildServiceApp({ service: 'thawer', config, logger: options.logger }, async (app, aws) => {
    app.readiness.add('sns:archive-restored', topicReady(aws.sns, config.ARCHIVE_RESTORED_TOPIC_ARN));
    app.readiness.add('dynamodb:jobs', tableReady(aws.dynamodb, config.JOBS_TABLE));
    app.readiness.add('s3:results', bucketReady(aws.s3, config.RESULTS_BUCKET));
    // The topic consumers add sqs:user-tier-changed and sqs:cold-storage-events.
    await app.register(restoringPlugin, { config, aws });
  });
}
