/**
 * The archiver's configuration, validated once at boot (server.ts). Names of queues,
 * topics, the table and buckets are the deployed ones (`<prefix>-<name>`, resources.json).
 */
import { SnsTopicArn, servicePort } from '@gas/contracts';
import {
  awsConfig,
  baseConfig,
  type CrossCheck,
  checkColdStorageConfig,
  coldStorageConfig,
  queueDrainConfig,
  snsWebhookConfig,
} from '@gas/service-kit';
import Type, { type Static } from 'typebox';

export const ArchiverConfig = Type.Object({
  ...baseConfig(servicePort('archiver')),
  ...awsConfig,
  ...snsWebhookConfig,
  JOBS_TABLE: Type.String({ minLength: 3, description: 'DynamoDB jobs table, e.g. gas-jobs' }),
  RESULTS_BUCKET: Type.String({ minLength: 3, description: 'S3 bucket of results, e.g. gas-results' }),
  JOB_COMPLETED_QUEUE_URL: Type.String({ format: 'uri', description: 'SQS URL of archiver-job-completed' }),
  USER_TIER_CHANGED_QUEUE_URL: Type.String({
    format: 'uri',
    description: 'SQS URL of archiver-user-tier-changed',
  }),
  JOB_COMPLETED_TOPIC_ARN: {
    ...SnsTopicArn,
    description: 'ARN of the job-completed topic (webhook doorbell)',
  },
  USER_TIER_CHANGED_TOPIC_ARN: {
    ...SnsTopicArn,
    description: 'ARN of the user-tier-changed topic (webhook doorbell)',
  },
  FREE_RETENTION_SECONDS: Type.Integer({
    minimum: 0,
    default: 300,
    description: 'seconds a Free result stays in the results bucket',
  }),
  ...coldStorageConfig,
  SWEEP_INTERVAL_SECONDS: Type.Number({
    minimum: 0.2,
    maximum: 3600,
    default: 30,
    description: 'how often the archive schedule is swept for due results (archives are at most this late)',
  }),
  ARCHIVE_LEASE_SECONDS: Type.Integer({
    minimum: 5,
    maximum: 86_400,
    default: 900,
    description:
      'how long one archiver holds a record it archives; a failed or crashed attempt is retried after it',
  }),
  ...queueDrainConfig(
    'RECEIVE_WAIT_SECONDS',
    'SQS long-poll wait per ReceiveMessage (a closed consumer may leave one poll open this long)',
  ),
  STOP_TIMEOUT_SECONDS: Type.Number({
    minimum: 1,
    default: 10,
    description: 'on SIGTERM, messages and a running sweep may finish this long',
  }),
});
export type ArchiverConfig = Static<typeof ArchiverConfig>;

/** The vault backend needs a vault name. */
export const checkArchiverConfig: CrossCheck<ArchiverConfig> = checkColdStorageConfig;
