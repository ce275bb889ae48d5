/**
 * The annotator app: what it is made of. The job intake (SNS doorbell on /sns/job-requests + SQS drain loop + engine worker pool, see
 * plugins/job-requests.ts) and a readiness check per dependency, ending with the engine's
 * reference data. Logger, health routes, the AWS clients (closed last) and the one error
 * handler come from service-kit's `buildServiceApp`.
 */
import { bucketReady, buildServiceApp, type Logger, tableReady, topicReady } from '@gas/service-kit';
import type { FastifyInstance } from 'fastify';
import type { AnnotatorConfig } from './config.ts';
import { jobRequestsPlugin } from './plugins/job-requests.ts';

export async function buildApp(
  config: AnnotatorConfig,
  options: { logger?: Logger } = {},
): Promise<FastifyInstance> {
  return buildServiceApp({ service: 'annotator', config, logger: options.logger }, async (app, aws) => {
    // The intake's topic consumer adds sqs:job-requests.
    await app.register(jobRequestsPlugin, { config, aws });
    app.readiness.add('sns:job-completed', topicReady(aws.sns, config.JOB_COMPLETED_TOPIC_ARN));
    app.readiness.add('dynamodb:jobs', tableReady(aws.dynamodb, config.JOBS_TABLE));
    app.readiness.add('s3:inputs', bucketReady(aws.s3, config.INPUTS_BUCKET));
    app.readiness.add('s3:results', bucketReady(aws.s3, config.RESULTS_BUCKET));
    app.readiness.add('engine:reference', app.jobRequests.referenceReady);
  });
}
