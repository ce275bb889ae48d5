/**
 * The archiver app: what it is made of. A readiness check per dependency and the archiving plugin (queues + /sns/archiver doorbell + schedule
 * sweep, see plugins/archiving.ts and archiver.ts). Logger, health routes, the AWS clients
 * (closed last) and the one error handler come from service-kit's `buildServiceApp`.
 */
import { bucketReady, buildServiceApp, type Logger, tableReady } from '@gas/service-kit';
import type { FastifyInstance } from 'fastify';
import type { ArchiverConfig } from './config.ts';
import { archivingPlugin } from './plugins/archiving.ts';

export async function buildApp(
  config: ArchiverConfig,
  options: { logger?: Logger } = {},
): Promise<FastifyInstance> {
  return buildServiceApp({ service: 'archiver', config, logger: options.logger }, async (app, aws) => {
    app.readiness.add('dynamodb:jobs', tableReady(aws.dynamodb, config.JOBS_TABLE));
    app.readiness.add('s3:results', bucketReady(aws.s3, config.RESULTS_BUCKET));
    // The topic consumers add sqs:job-completed and sqs:user-tier-changed.
    await app.register(archivingPlugin, { config, aws });
  });
}
