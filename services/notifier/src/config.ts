/**
 * The notifier's configuration, validated once at boot (server.ts). Names of queues,
 * topics, the table and buckets are the deployed ones (`<prefix>-<name>`, resources.json).
 */
import { SnsTopicArn, servicePort } from '@gas/contracts';
import { awsConfig, baseConfig, queueDrainConfig, snsWebhookConfig } from '@gas/service-kit';
import Type, { type Static } from 'typebox';

export const NotifierConfig = Type.Object({
  ...baseConfig(servicePort('notifier')),
  ...awsConfig,
  ...snsWebhookConfig,
  JOBS_TABLE: Type.String({ minLength: 3, description: 'DynamoDB jobs table, e.g. gas-jobs' }),
  JOB_COMPLETED_QUEUE_URL: Type.String({ format: 'uri', description: 'SQS URL of notifier-job-completed' }),
  ARCHIVE_RESTORED_QUEUE_URL: Type.String({
    format: 'uri',
    description: 'SQS URL of notifier-archive-restored',
  }),
  JOB_COMPLETED_TOPIC_ARN: {
    ...SnsTopicArn,
    description: 'ARN of the job-completed topic (webhook doorbell)',
  },
  ARCHIVE_RESTORED_TOPIC_ARN: {
    ...SnsTopicArn,
    description: 'ARN of the archive-restored topic (webhook doorbell)',
  },
  MAIL_FROM: Type.String({ format: 'email', description: 'verified SES sender address' }),
  WEB_BASE_URL: Type.String({ format: 'uri', description: 'public https URL of web, for job links' }),
  NOTIFY_LEASE_SECONDS: Type.Integer({
    minimum: 5,
    maximum: 900,
    default: 60,
    description: 'how long a claim to send one e-mail holds before another delivery may send it',
  }),
  ...queueDrainConfig('QUEUE_WAIT_SECONDS', 'SQS long poll per ReceiveMessage'),
  STOP_TIMEOUT_SECONDS: Type.Number({
    minimum: 1,
    default: 10,
    description: 'on SIGTERM, e-mails being sent may finish this long',
  }),
});
export type NotifierConfig = Static<typeof NotifierConfig>;
