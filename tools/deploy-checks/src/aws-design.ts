/**
 * The AWS calls each service is designed to make (shared/ARCHITECTURE.md, "The flow"), on
 * which resources. The services start as skeletons, so their code cannot yet show every call
 * they will make; this list is the design's side of the IAM check. The terraform task role of
 * each service must grant every entry here and every call found in the code (sdk-calls.ts),
 * and nothing else.
 *
 * Resources are named by what they are (`objects of the inputs bucket`), and `grantTarget`
 * turns them into the symbolic form the terraform evaluator prints, e.g.
 * `«aws_s3_bucket.bucket["inputs"].arn»/*`.
 */
import resources from '../../../packages/contracts/resources.json' with { type: 'json' };
import type { ServiceName } from './paths.ts';

type BucketKey = keyof typeof resources.buckets;
type TopicKey = keyof typeof resources.topics;
type QueueKey = keyof typeof resources.queues;

export type DesignedResource =
  | { kind: 'bucket'; bucket: BucketKey }
  | { kind: 'objects'; bucket: BucketKey }
  | { kind: 'jobs-table' }
  | { kind: 'jobs-indexes' }
  | { kind: 'topic'; topic: TopicKey }
  | { kind: 'queue'; queue: QueueKey }
  | { kind: 'sender-identity' }
  | { kind: 'results-vault' };

export interface DesignedGrant {
  actions: string[];
  on: DesignedResource;
  /** The step of the flow that needs it. */
  why: string;
}

const objects = (bucket: BucketKey): DesignedResource => ({ kind: 'objects', bucket });
const topic = (key: TopicKey): DesignedResource => ({ kind: 'topic', topic: key });

/**
 * /readyz probes (service-kit readiness-checks.ts): GetQueueAttributes of each queue,
 * GetTopicAttributes of each topic it publishes to, DescribeTable of the jobs table and
 * HeadBucket (s3:ListBucket) of each bucket the service reads or writes.
 */
function readiness(
  service: ServiceName,
  uses: { topics?: TopicKey[]; buckets?: BucketKey[]; jobsTable?: boolean },
): DesignedGrant[] {
  const why = '/readyz probe';
  return [
    ...(Object.keys(resources.queues) as QueueKey[])
      .filter((key) => resources.queues[key].service === service)
      .map(
        (key): DesignedGrant => ({
          actions: ['sqs:GetQueueAttributes'],
          on: { kind: 'queue', queue: key },
          why,
        }),
      ),
    ...(uses.topics ?? []).map(
      (t): DesignedGrant => ({ actions: ['sns:GetTopicAttributes'], on: topic(t), why }),
    ),
    ...(uses.buckets ?? []).map(
      (b): DesignedGrant => ({ actions: ['s3:ListBucket'], on: { kind: 'bucket', bucket: b }, why }),
    ),
    ...(uses.jobsTable
      ? [{ actions: ['dynamodb:DescribeTable'], on: { kind: 'jobs-table' }, why } as DesignedGrant]
      : []),
  ];
}

/** The queue-drain calls (receive, delete, heartbeat, look up the URL) on each queue of a service. */
function drainsOwnQueues(service: ServiceName): DesignedGrant[] {
  return (Object.keys(resources.queues) as QueueKey[])
    .filter((key) => resources.queues[key].service === service)
    .map((key) => ({
      actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl'],
      on: { kind: 'queue', queue: key },
      why: `drain ${resources.queues[key].name} (receive, heartbeat, delete)`,
    }));
}

export const designedGrants: Record<ServiceName, DesignedGrant[]> = {
  web: [
    {
      actions: ['s3:PutObject'],
      on: objects('inputs'),
      why: 'presigned POST / multipart upload signed by the task role',
    },
    {
      actions: ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      on: objects('inputs'),
      why: 'large Premium uploads',
    },
    {
      actions: ['s3:GetObject'],
      on: objects('inputs'),
      why: 'submit: HeadObject checks the upload exists and fits',
    },
    {
      actions: ['s3:ListBucket'],
      on: { kind: 'bucket', bucket: 'inputs' },
      why: 'HeadObject of a missing key is 404',
    },
    { actions: ['s3:GetObject'], on: objects('results'), why: 'presigned downloads, log and summary pages' },
    { actions: ['dynamodb:PutItem'], on: { kind: 'jobs-table' }, why: 'submit: conditional put of the job' },
    { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], on: { kind: 'jobs-table' }, why: 'job pages' },
    { actions: ['dynamodb:Query'], on: { kind: 'jobs-indexes' }, why: "a user's job list (user_id index)" },
    { actions: ['sns:Publish'], on: topic('jobRequests'), why: 'submit: JobRequested' },
    { actions: ['sns:Publish'], on: topic('userTierChanged'), why: 'Stripe webhook: UserTierChanged' },
    ...readiness('web', {
      topics: ['jobRequests', 'userTierChanged'],
      buckets: ['inputs', 'results'],
      jobsTable: true,
    }),
  ],
  annotator: [
    ...drainsOwnQueues('annotator'),
    { actions: ['s3:GetObject'], on: objects('inputs'), why: 'stream the input VCF' },
    {
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      on: objects('results'),
      why: 'results, log, summary',
    },
    { actions: ['s3:GetObject'], on: objects('reference'), why: 'reference bundle, cached on disk' },
    { actions: ['s3:ListBucket'], on: { kind: 'bucket', bucket: 'reference' }, why: 'list the bundle files' },
    {
      actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      on: { kind: 'jobs-table' },
      why: 'PENDING -> RUNNING -> COMPLETED',
    },
    { actions: ['sns:Publish'], on: topic('jobCompleted'), why: 'JobCompleted' },
    ...readiness('annotator', {
      topics: ['jobCompleted'],
      buckets: ['inputs', 'results', 'reference'],
      jobsTable: true,
    }),
  ],
  notifier: [
    ...drainsOwnQueues('notifier'),
    {
      actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      on: { kind: 'jobs-table' },
      why: 'one e-mail per job',
    },
    { actions: ['ses:SendEmail'], on: { kind: 'sender-identity' }, why: 'the e-mail (SES v2 SendEmail)' },
    ...readiness('notifier', { jobsTable: true }),
  ],
  archiver: [
    ...drainsOwnQueues('archiver'),
    {
      actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      on: { kind: 'jobs-table' },
      why: 'mark ARCHIVED',
    },
    { actions: ['dynamodb:Query'], on: { kind: 'jobs-indexes' }, why: 'durable schedule: archive-due index' },
    {
      actions: ['s3:GetObject', 's3:PutObject'],
      on: objects('results'),
      why: 'CopyObject to the GLACIER storage class',
    },
    {
      actions: ['s3:DeleteObject'],
      on: objects('results'),
      why: 'vault backend: remove the object once archived',
    },
    { actions: ['glacier:UploadArchive'], on: { kind: 'results-vault' }, why: 'vault backend' },
    ...readiness('archiver', { buckets: ['results'], jobsTable: true }),
  ],
  thawer: [
    ...drainsOwnQueues('thawer'),
    {
      actions: ['dynamodb:Query'],
      on: { kind: 'jobs-indexes' },
      why: "the user's archived jobs (user_id index)",
    },
    {
      actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      on: { kind: 'jobs-table' },
      why: 'record restored',
    },
    { actions: ['s3:RestoreObject'], on: objects('results'), why: 'restore from GLACIER' },
    { actions: ['s3:DeleteObject'], on: objects('results'), why: 'discard the archived copy once restored' },
    {
      actions: ['s3:GetObject', 's3:PutObject'],
      on: objects('results'),
      why: 'copy back to STANDARD / write the retrieved vault archive',
    },
    {
      actions: [
        'glacier:InitiateJob',
        'glacier:DescribeJob',
        'glacier:GetJobOutput',
        'glacier:DeleteArchive',
      ],
      on: { kind: 'results-vault' },
      why: 'vault backend: archive retrieval',
    },
    { actions: ['sns:Publish'], on: topic('archiveRestored'), why: 'ArchiveRestored' },
    ...readiness('thawer', { topics: ['archiveRestored'], buckets: ['results'], jobsTable: true }),
  ],
};

/**
 * How a designed resource reads in a statement evaluated by hcl-eval in symbolic mode, as a
 * test on the resource string.
 */
export function grantTarget(on: DesignedResource, prefix: string): (resource: string) => boolean {
  switch (on.kind) {
    case 'bucket':
      return (r) => r === `«aws_s3_bucket.bucket["${on.bucket}"].arn»`;
    case 'objects':
      return (r) => r === `«aws_s3_bucket.bucket["${on.bucket}"].arn»/*`;
    case 'jobs-table':
      return (r) => r === '«aws_dynamodb_table.jobs.arn»';
    case 'jobs-indexes':
      return (r) => r === '«aws_dynamodb_table.jobs.arn»/index/*';
    case 'topic':
      return (r) => r === `«aws_sns_topic.topic["${on.topic}"].arn»`;
    case 'queue':
      return (r) => r === `«aws_sqs_queue.queue["${on.queue}"].arn»`;
    case 'sender-identity':
      return (r) => r === '«aws_sesv2_email_identity.sender.arn»';
    case 'results-vault':
      return (r) => r.includes(':glacier:') && r.endsWith(`:vaults/${prefix}-${resources.vaults.results}`);
  }
}

export function describeResource(on: DesignedResource): string {
  switch (on.kind) {
    case 'bucket':
      return `the ${on.bucket} bucket`;
    case 'objects':
      return `objects of the ${on.bucket} bucket`;
    case 'jobs-table':
      return 'the jobs table';
    case 'jobs-indexes':
      return "the jobs table's indexes";
    case 'topic':
      return `the ${on.topic} topic`;
    case 'queue':
      return `the ${on.queue} queue`;
    case 'sender-identity':
      return 'the SES sender identity';
    case 'results-vault':
      return 'the results vault';
  }
}
