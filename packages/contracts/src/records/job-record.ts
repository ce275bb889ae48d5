/**
 * The DynamoDB `jobs` item (after unmarshalling), key `job_id`. Indexes (resources.json):
 * `user_id` + `submitted_at` for a user's job list; `archive_shard` + `archive_due_at` for
 * the archiver's durable schedule (both keys are strings; the shard is a small decimal
 * number as text, so the archiver can query every shard for `archive_due_at <= now`).
 * Attributes appear as the job advances; all times are ISO 8601 UTC strings.
 */
import Type, { type Static } from 'typebox';
import {
  BucketName,
  Email,
  IsoTime,
  JobId,
  NonNegativeInt,
  ObjectKey,
  UserId,
  UserTier,
} from '../messages/fields.ts';
import { JobCounts, ResultKeys } from '../messages/job-completed.ts';
import { JobStatus, ResultsStatus } from './status-machines.ts';

/** Progress of a RUNNING job (annotator), for the job page. */
export const JobProgress = Type.Object({
  phase: Type.Enum(['annotating', 'writing-tsv', 'writing-json', 'uploading']),
  records_done: NonNegativeInt,
  bytes_read: NonNegativeInt,
  bytes_total: NonNegativeInt,
  updated_at: IsoTime,
});
export type JobProgress = Static<typeof JobProgress>;

export const ColdStorageBackend = Type.Enum(['s3-glacier', 'glacier-vault']);
export type ColdStorageBackend = Static<typeof ColdStorageBackend>;

export const JobRecord = Type.Object(
  {
    job_id: JobId,
    user_id: UserId,
    user_email: Email,
    /** Tier when submitted; the archiver re-checks the current tier before archiving. */
    user_tier: UserTier,
    status: JobStatus,
    submitted_at: IsoTime,
    input_bucket: BucketName,
    input_key: ObjectKey,
    input_file_name: Type.String({ minLength: 1, maxLength: 255 }),
    input_size_bytes: NonNegativeInt,

    /** RUNNING: which annotator holds the job and until when (lease takeover after that). */
    started_at: Type.Optional(IsoTime),
    lease_owner: Type.Optional(Type.String({ minLength: 1 })),
    lease_expires_at: Type.Optional(IsoTime),
    attempts: Type.Optional(NonNegativeInt),
    /** SQS message id the lease holder is working from (a redelivery of it is not a duplicate). */
    lease_message_id: Type.Optional(Type.String({ minLength: 1 })),
    /** RUNNING: written by the annotator every few seconds for the job page. */
    progress: Type.Optional(JobProgress),

    /** COMPLETED / FAILED. */
    completed_at: Type.Optional(IsoTime),
    results_bucket: Type.Optional(BucketName),
    result_keys: Type.Optional(ResultKeys),
    log_key: Type.Optional(ObjectKey),
    counts: Type.Optional(JobCounts),
    /** Milliseconds per phase of the run that finished the job (e.g. annotate_ms, total_ms). */
    timings_ms: Type.Optional(Type.Record(Type.String(), NonNegativeInt)),
    /** Annotator: JobCompleted was published for the final status (a redelivery re-publishes when absent). */
    completion_published_at: Type.Optional(IsoTime),
    /** Annotator: until when the delivery that finished the job holds the right to publish JobCompleted. */
    completion_publish_claimed_until: Type.Optional(IsoTime),
    error_message: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    /** Versions of the reference bundle used (gene models, known variants), as written in the outputs. */
    reference_versions: Type.Optional(Type.Record(Type.String(), Type.String())),

    /** Results lifecycle (COMPLETED jobs only). */
    results_status: Type.Optional(ResultsStatus),
    archive_shard: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
    archive_due_at: Type.Optional(IsoTime),
    archived_at: Type.Optional(IsoTime),
    cold_storage_backend: Type.Optional(ColdStorageBackend),
    /** Vault backend: the Glacier archive id of the results file. */
    results_file_archive_id: Type.Optional(Type.String({ minLength: 1 })),
    restore_requested_at: Type.Optional(IsoTime),
    /** Vault backend: the retrieval job id while RESTORING. */
    restore_job_id: Type.Optional(Type.String({ minLength: 1 })),
    restored_at: Type.Optional(IsoTime),
    /** S3 storage-class backend: key of the GLACIER-class copy (in the results bucket) while archived. */
    results_file_archive_key: Type.Optional(ObjectKey),
    /** Archiver: who is archiving the results file now, and until when (claim before copying). */
    archive_lease_owner: Type.Optional(Type.String({ minLength: 1 })),
    archive_lease_expires_at: Type.Optional(IsoTime),
    /** `changed_at` of the newest UserTierChanged applied to `user_tier` (older events never overwrite it). */
    tier_changed_at: Type.Optional(IsoTime),
    /** RESTORING: when the restored file is expected back (retrieval tier's upper bound), for the job page. */
    restore_expected_at: Type.Optional(IsoTime),
    /** Set only while RESTORING: with `restore_expected_at`, the key of the sparse GSI the thawer sweeps for lost completions. */
    restore_shard: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
    /** Restores started for the current archive (retries after a failed retrieval count too). */
    restore_attempts: Type.Optional(NonNegativeInt),
    /** The last restore failure, in words a user can read (the job page shows it); removed once restored. */
    restore_error: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    /** Thawer: ArchiveRestored was published for `restored_at` (a redelivered completion re-publishes when absent). */
    restore_published_at: Type.Optional(IsoTime),
    /** Until when one thawer delivery holds the right to publish ArchiveRestored. */
    restore_publish_claimed_until: Type.Optional(IsoTime),

    /** The user's choice (account page) copied at submission; absent = send e-mails. */
    email_notifications: Type.Optional(Type.Boolean()),
    /** Notifier: the completion e-mail was sent (idempotency; see services/notifier). */
    notified_at: Type.Optional(IsoTime),
    /** Notifier: who is sending the completion e-mail right now, and until when (claim before SendEmail). */
    notify_lease_owner: Type.Optional(Type.String({ minLength: 1 })),
    notify_lease_expires_at: Type.Optional(IsoTime),
    /** Notifier: why the last attempt to send the completion e-mail failed (removed once sent). */
    notify_error: Type.Optional(Type.String()),
    /** Notifier: SES message id of the completion e-mail. */
    notification_message_id: Type.Optional(Type.String({ minLength: 1 })),
    /** Notifier: the `restored_at` whose "available again" e-mail was sent. */
    restore_notified_for: Type.Optional(IsoTime),
  },
  { title: 'JobRecord' },
);
export type JobRecord = Static<typeof JobRecord>;
