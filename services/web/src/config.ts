/**
 * The web's configuration, validated once at boot (server.ts). Names of queues,
 * topics, the table and buckets are the deployed ones (`<prefix>-<name>`, resources.json).
 */
import { SnsTopicArn, servicePort } from '@gas/contracts';
import { awsConfig, baseConfig } from '@gas/service-kit';
import Type, { type Static } from 'typebox';

export const WebConfig = Type.Object({
  ...baseConfig(servicePort('web')),
  ...awsConfig,
  DATABASE_URL: Type.String({
    pattern: '^postgres(ql)?://',
    description: 'PostgreSQL URL of the accounts database, postgres://user:pass@host:5432/db',
  }),
  JOBS_TABLE: Type.String({ minLength: 3, description: 'DynamoDB jobs table, e.g. gas-jobs' }),
  INPUTS_BUCKET: Type.String({
    minLength: 3,
    description: 'S3 bucket browsers upload VCFs to, e.g. gas-inputs',
  }),
  RESULTS_BUCKET: Type.String({ minLength: 3, description: 'S3 bucket of results, e.g. gas-results' }),
  JOB_REQUESTS_TOPIC_ARN: { ...SnsTopicArn, description: 'ARN of the job-requests topic to publish to' },
  USER_TIER_CHANGED_TOPIC_ARN: {
    ...SnsTopicArn,
    description: 'ARN of the user-tier-changed topic to publish to',
  },
});
export type WebConfig = Static<typeof WebConfig>;
