/**
 * The annotator's configuration, validated once at boot (server.ts). Names of queues,
 * topics, the table and buckets are the deployed ones (`<prefix>-<name>`, resources.json).
 *
 * Timings work together (see `timingProblem`): the SQS heartbeat renews the message every
 * third of QUEUE_VISIBILITY_TIMEOUT_SECONDS, the job lease is renewed with every progress
 * write (PROGRESS_INTERVAL_SECONDS). After a crash the message reappears at the earliest two
 * thirds of the visibility timeout after the last heartbeat, so a lease no longer than that
 * has always expired by then and the next worker takes the job over at once.
 */
import { queueSpec, SnsTopicArn, servicePort } from '@gas/contracts';
import { awsConfig, baseConfig, type CrossCheck, queueDrainConfig, snsWebhookConfig } from '@gas/service-kit';
import Type, { type Static } from 'typebox';
import { S3_URI_PATTERN } from './engine/reference-cache.ts';

const queueDefaults = queueSpec('annotatorJobRequests');

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

  REFERENCE_BUNDLE_DIR: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'an engine reference bundle folder (manifest.json): FASTA, gene models, synonyms, known-variant sources (rsIDs, ClinVar, allele frequencies) and assembly come from its manifest, checksums verified; REFERENCE_FASTA/GFF3/SYNONYMS/ASSEMBLY are then not used',
    }),
  ),
  REFERENCE_BUNDLE_ROOT: Type.Optional(
    Type.String({
      minLength: 1,
      description: "where the bundle's file paths resolve from, instead of the manifest's root",
    }),
  ),
  REFERENCE_FASTA: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'path of the reference FASTA (bgzip + .fai + .gzi, or plain + .fai); without REFERENCE_BUNDLE_DIR',
    }),
  ),
  REFERENCE_GFF3: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'path of the gene models (GFF3 or GTF, may be gzip); without REFERENCE_BUNDLE_DIR',
    }),
  ),
  REFERENCE_SYNONYMS: Type.Optional(
    Type.String({ minLength: 1, description: 'path of a contig synonyms file (e.g. 21 chr21 NC_000021.9)' }),
  ),
  REFERENCE_BUNDLE_URI: Type.Optional(
    Type.String({
      pattern: S3_URI_PATTERN,
      description:
        'where the reference bundle is (s3://bucket/prefix/): mirrored into REFERENCE_CACHE_DIR at start, before the workers load it',
    }),
  ),
  REFERENCE_CACHE_DIR: Type.String({
    minLength: 1,
    default: '/var/cache/gas/reference',
    description: 'local folder the bundle is mirrored into (REFERENCE_FASTA/GFF3/SYNONYMS point into it)',
  }),
  REFERENCE_ASSEMBLY: Type.String({ minLength: 1, default: 'GRCh38', description: 'assembly name' }),
  ANNOTATOR_CONCURRENCY: Type.Integer({
    minimum: 1,
    maximum: 64,
    default: 2,
    description: 'jobs run at once, each in its own worker thread',
  }),
  WORKER_MAX_HEAP_MB: Type.Integer({
    minimum: 64,
    default: 1024,
    description: 'V8 heap limit of each engine worker thread; a job that needs more fails alone',
  }),
  QUEUE_VISIBILITY_TIMEOUT_SECONDS: Type.Integer({
    minimum: 6,
    maximum: 43_200,
    default: queueDefaults.visibilityTimeoutSeconds,
    description: 'SQS visibility per receive, renewed by the heartbeat every third of it',
  }),
  JOB_LEASE_SECONDS: Type.Integer({
    minimum: 3,
    default: 120,
    description: 'how long a RUNNING job stays ours without a renewal (takeover after that)',
  }),
  JOB_MAX_ATTEMPTS: Type.Integer({
    minimum: 1,
    default: queueDefaults.maxReceiveCount,
    description:
      'runs of a job that hit an internal error before it is marked FAILED (at most the queue maxReceiveCount)',
  }),
  PROGRESS_INTERVAL_SECONDS: Type.Number({
    minimum: 0.2,
    default: 5,
    description: 'progress written to the job record (and lease renewed) this often',
  }),
  ...queueDrainConfig('QUEUE_WAIT_SECONDS', 'SQS long poll per ReceiveMessage'),
  STOP_TIMEOUT_SECONDS: Type.Number({
    minimum: 1,
    default: 20,
    description: 'on SIGTERM, in-flight jobs may finish this long before they are released',
  }),
  SCRATCH_DIR: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'parent of per-job scratch folders (default: the OS temp dir)',
    }),
  ),
});
export type AnnotatorConfig = Static<typeof AnnotatorConfig>;

/** Rules between keys, checked by `loadConfig` after the schema (see the module comment). */
export const annotatorCrossCheck: CrossCheck<AnnotatorConfig> = (config) => {
  const problems: Array<{ key: string; problem: string }> = [];
  if (config.REFERENCE_BUNDLE_DIR === undefined) {
    for (const key of ['REFERENCE_FASTA', 'REFERENCE_GFF3'] as const) {
      if (config[key] === undefined)
        problems.push({
          key,
          problem: 'is required unless REFERENCE_BUNDLE_DIR names a reference bundle',
        });
    }
  } else if (config.REFERENCE_FASTA !== undefined || config.REFERENCE_GFF3 !== undefined) {
    problems.push({
      key: 'REFERENCE_BUNDLE_DIR',
      problem:
        'takes the FASTA and gene models from its manifest: leave REFERENCE_FASTA and REFERENCE_GFF3 unset, so that no one reads them as the files in use',
    });
  }
  if (config.REFERENCE_BUNDLE_ROOT !== undefined && config.REFERENCE_BUNDLE_DIR === undefined) {
    problems.push({ key: 'REFERENCE_BUNDLE_ROOT', problem: 'needs REFERENCE_BUNDLE_DIR' });
  }
  const maxLease = Math.floor((config.QUEUE_VISIBILITY_TIMEOUT_SECONDS * 2) / 3);
  if (config.JOB_LEASE_SECONDS > maxLease) {
    problems.push({
      key: 'JOB_LEASE_SECONDS',
      problem: `must be at most two thirds of QUEUE_VISIBILITY_TIMEOUT_SECONDS (${maxLease}), so a crashed job's lease has expired when its message reappears (got ${config.JOB_LEASE_SECONDS})`,
    });
  }
  if (config.PROGRESS_INTERVAL_SECONDS * 3 > config.JOB_LEASE_SECONDS) {
    problems.push({
      key: 'PROGRESS_INTERVAL_SECONDS',
      problem: `must be at most a third of JOB_LEASE_SECONDS, so the lease is renewed well before it expires (got ${config.PROGRESS_INTERVAL_SECONDS})`,
    });
  }
  if (config.JOB_MAX_ATTEMPTS > queueDefaults.maxReceiveCount) {
    problems.push({
      key: 'JOB_MAX_ATTEMPTS',
      problem: `must be at most the queue's maxReceiveCount (${queueDefaults.maxReceiveCount}), or the last attempt's message is in the dead-letter queue before the job is marked FAILED (got ${config.JOB_MAX_ATTEMPTS})`,
    });
  }
  return problems;
};
