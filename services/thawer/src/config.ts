/**
 * The thawer's configuration, validated once at boot (server.ts). Names of queues,
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

export const ThawerConfig = Type.Object({
  ...baseConfig(servicePort('thawer')),
  ...awsConfig,
  ...snsWebhookConfig,
  JOBS_TABLE: Type.String({ minLength: 3, description: 'DynamoDB jobs table, e.g. gas-jobs' }),
  RESULTS_BUCKET: Type.String({ minLength: 3, description: 'S3 bucket of results, e.g. gas-results' }),
  USER_TIER_CHANGED_QUEUE_URL: Type.String({
    format: 'uri',
    description: 'SQS URL of thawer-user-tier-changed',
  }),
  COLD_STORAGE_EVENTS_QUEUE_URL: Type.String({
    format: 'uri',
    description: 'SQS URL of thawer-cold-storage-events',
  }),
  USER_TIER_CHANGED_TOPIC_ARN: {
    ...SnsTopicArn,
    description: 'ARN of the user-tier-changed topic (webhook doorbell)',
  },
  COLD_STORAGE_EVENTS_TOPIC_ARN: {
    ...SnsTopicArn,
    description: 'ARN of the cold-storage-events topic (webhook doorbell)',
  },
  ARCHIVE_RESTORED_TOPIC_ARN: {
    ...SnsTopicArn,
    description: 'ARN of the archive-restored topic to publish to',
  },
  ...coldStorageConfig,
  RESTORE_TIER: Type.Enum(['Expedited', 'Standard', 'Bulk'], {
    default: 'Standard',
    description: 'Glacier retrieval tier',
  }),
  RESTORE_MAX_ATTEMPTS: Type.Integer({
    minimum: 1,
    maximum: 20,
    default: 3,
    description: 'retrievals started per job before a failing restore is left ARCHIVED with its error',
  }),
  RESTORE_CHECK_INTERVAL_SECONDS: Type.Number({
    exclusiveMinimum: 0,
    maximum: 86_400,
    default: 60,
    description:
      'how often RESTORING records past restore_expected_at are checked with the backend (lost completion notifications)',
  }),
  ...queueDrainConfig(
    'RECEIVE_WAIT_SECONDS',
    'SQS long-poll wait per ReceiveMessage (a closed consumer may leave one poll open this long)',
  ),
  STOP_TIMEOUT_SECONDS: Type.Number({
    minimum: 1,
    default: 10,
    description: 'on SIGTERM, running restores may finish this long',
  }),
});
export type ThawerConfig = Static<typeof ThawerConfig>;

/** The vault backend needs a vault name. */
export const checkThawerConfig: CrossCheck<ThawerConfig> = checkColdStorageConfig;
