/**
 * The annotator's configuration, validated once at boot (server.ts). Names of queues,
 * topics, the table and buckets are the deployed ones (`<prefix>-<name>`, resources.json).
 */
import { SnsTopicArn, servicePort } from '@gas/contracts';
import { awsConfig, baseConfig, snsWebhookConfig } from '@gas/service-kit';
import Type, { type Static } from 'typebox';

export const AnnotatorConfig = Type.Object({
  ...baseConfig(servicePort('annotator')),
  ...awsConfig,
  ...snsWebhookConfig,
  JOBS_TABLE: Type.String({ minLength: 3, description: 'DynamoDB jobs table, e.g. gas-jobs' }),
  INPUTS_BUCKET: Type.String({ minLength: 3, description: 'S3 bucket of uploaded VCFs, e.g. gas-inputs' }),
  RESULTS_BUCKET: Type.String({
    minLength: 3,
    description: 'S3 bucket for results and logs, e.g. gas-results',
  }),
  JOB_REQUESTS_QUEUE_URL: Type.String({ format: 'uri', description: 'SQS URL of annotator-job-requests' }),
  JOB_REQUESTS_TOPIC_ARN: { ...SnsTopicArn, description: 'ARN of the job-requests topic (webhook doorbell)' },
  JOB_COMPLETED_TOPIC_ARN: { ...SnsTopicArn, description: 'ARN of the job-completed topic to publish to' },
});
export type AnnotatorConfig = Static<typeof AnnotatorConfig>;
