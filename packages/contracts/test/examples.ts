// Valid example messages, one per schema; tests derive invalid ones from them.
import type {
  ArchiveRestored,
  GlacierJobCompleted,
  JobCompleted,
  JobRecord,
  JobRequested,
  S3EventNotification,
  UserTierChanged,
} from '../src/index.ts';

export const jobId = '7f0c2f44-3a43-4c55-9d5e-8f6a1b2c3d4e';

export const jobRequested: JobRequested = {
  schema_version: 1,
  type: 'JobRequested',
  job_id: jobId,
  user_id: 'user-42',
  user_email: 'ada@example.org',
  user_tier: 'free',
  input_bucket: 'gas-inputs',
  input_key: `inputs/user-42/${jobId}~sample.vcf`,
  input_file_name: 'sample.vcf',
  input_size_bytes: 18231,
  submitted_at: '2026-11-22T01:00:00.000Z',
};

export const jobSucceeded: JobCompleted = {
  schema_version: 1,
  type: 'JobCompleted',
  status: 'COMPLETED',
  job_id: jobId,
  user_id: 'user-42',
  user_email: 'ada@example.org',
  user_tier: 'free',
  input_file_name: 'sample.vcf',
  submitted_at: '2026-11-22T01:00:00.000Z',
  completed_at: '2026-11-22T01:00:09.500Z',
  results_bucket: 'gas-results',
  log_key: `results/user-42/${jobId}/sample.log`,
  counts: { variants_read: 120, variants_annotated: 118, records_skipped: 2, consequences: 301 },
  result_keys: {
    annotated_vcf_key: `results/user-42/${jobId}/sample.annot.vcf.gz`,
    tsv_key: `results/user-42/${jobId}/sample.annot.tsv`,
    json_key: `results/user-42/${jobId}/sample.annot.json`,
    summary_key: `results/user-42/${jobId}/summary.json`,
  },
};

export const jobFailed: JobCompleted = {
  schema_version: 1,
  type: 'JobCompleted',
  status: 'FAILED',
  job_id: jobId,
  user_id: 'user-42',
  user_email: 'ada@example.org',
  user_tier: 'premium',
  input_file_name: 'sample.vcf',
  submitted_at: '2026-11-22T01:00:00.000Z',
  completed_at: '2026-11-22T01:00:02.000Z',
  results_bucket: 'gas-results',
  log_key: `results/user-42/${jobId}/sample.log`,
  error_message:
    'Line 12: the chromosome "chr1" is not in the reference (it uses "1"); rename with bcftools annotate.',
};

export const userTierChanged: UserTierChanged = {
  schema_version: 1,
  type: 'UserTierChanged',
  user_id: 'user-42',
  user_email: 'ada@example.org',
  previous_tier: 'free',
  new_tier: 'premium',
  changed_at: '2026-11-22T02:00:00.000Z',
  cause: 'evt_1QabcDEF',
};

export const archiveRestored: ArchiveRestored = {
  schema_version: 1,
  type: 'ArchiveRestored',
  job_id: jobId,
  user_id: 'user-42',
  user_email: 'ada@example.org',
  results_bucket: 'gas-results',
  annotated_vcf_key: `results/user-42/${jobId}/sample.annot.vcf.gz`,
  restored_at: '2026-11-22T03:00:00.000Z',
};

export const s3RestoreCompleted: S3EventNotification = {
  Records: [
    {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: '2026-11-22T03:00:00.000Z',
      eventName: 'ObjectRestore:Completed',
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'thawer-restore',
        bucket: { name: 'gas-results', arn: 'arn:aws:s3:::gas-results' },
        object: {
          key: `results/user-42/${jobId}/my+sample%7E1.annot.vcf.gz`,
          size: 4096,
          sequencer: '0055AED6DCD90281E5',
        },
      },
      glacierEventData: {
        restoreEventData: {
          lifecycleRestorationExpiryTime: '2026-11-29T00:00:00.000Z',
          lifecycleRestoreStorageClass: 'GLACIER',
        },
      },
    },
  ],
};

export const glacierJobCompleted: GlacierJobCompleted = {
  Action: 'ArchiveRetrieval',
  JobId: 'HkF9p6o7yjhFx-K3CGl6fuSm6VzW9T7esGQfco8nUXVYwS0jlb5gq1JZ55yHgt5vP54ZShjoQzQVVh7vEXAMPLEjobID',
  VaultARN: 'arn:aws:glacier:us-east-1:012345678901:vaults/gas-results-archive',
  Completed: true,
  StatusCode: 'Succeeded',
  StatusMessage: 'Succeeded',
  CreationDate: '2026-11-22T02:10:00.000Z',
  CompletionDate: '2026-11-22T06:10:00.000Z',
  ArchiveId:
    'NkbByEejwEggmBz2fTHgJrg0XBoDfjP4q6iu87-TjhqG6eGoOY9Z8i1_AUyUsuhPAdTqLHy8pTl5nfCFJmDl2yEZONi5L26Omw12vcs01MNGntHEQL8MBfGlqrEXAMPLEArchiveId',
  ArchiveSizeInBytes: 4096,
  SNSTopic: 'arn:aws:sns:us-east-1:012345678901:gas-cold-storage-events',
  Tier: 'Standard',
};

export const jobRecordRunning: JobRecord = {
  job_id: jobId,
  user_id: 'user-42',
  user_email: 'ada@example.org',
  user_tier: 'free',
  status: 'RUNNING',
  submitted_at: '2026-11-22T01:00:00.000Z',
  input_bucket: 'gas-inputs',
  input_key: `inputs/user-42/${jobId}~sample.vcf`,
  input_file_name: 'sample.vcf',
  input_size_bytes: 18231,
  started_at: '2026-11-22T01:00:01.000Z',
  lease_owner: 'annotator-1',
  lease_expires_at: '2026-11-22T01:05:01.000Z',
  attempts: 1,
};

/** A deep copy with `mutate` applied, for invalid variants. */
export function variant<T>(value: T, mutate: (copy: Record<string, unknown>) => void): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  mutate(copy);
  return copy;
}
