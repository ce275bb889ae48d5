import Type, { type Static } from 'typebox';
import { BucketName, Email, IsoTime, JobId, ObjectKey, SchemaVersion1, UserId } from './fields.ts';

/** Published by the thawer on `archive-restored` once a job's results are back and the record is AVAILABLE. */
export const ArchiveRestored = Type.Object(
  {
    schema_version: SchemaVersion1,
    type: Type.Literal('ArchiveRestored'),
    job_id: JobId,
    user_id: UserId,
    user_email: Email,
    results_bucket: BucketName,
    annotated_vcf_key: ObjectKey,
    restored_at: IsoTime,
  },
  { title: 'ArchiveRestored' },
);
export type ArchiveRestored = Static<typeof ArchiveRestored>;
