import Type, { type Static } from 'typebox';
import { discriminatedUnion } from '../validate.ts';
import {
  BucketName,
  Email,
  IsoTime,
  JobId,
  NonNegativeInt,
  ObjectKey,
  SchemaVersion1,
  UserId,
  UserTier,
} from './fields.ts';

const common = {
  schema_version: SchemaVersion1,
  type: Type.Literal('JobCompleted'),
  job_id: JobId,
  user_id: UserId,
  user_email: Email,
  user_tier: UserTier,
  input_file_name: Type.String({ minLength: 1, maxLength: 255 }),
  submitted_at: IsoTime,
  completed_at: IsoTime,
  results_bucket: BucketName,
  /** The job log is written for failed jobs too. */
  log_key: ObjectKey,
};

/** What the annotator counted while running the engine. */
export const JobCounts = Type.Object({
  /** Data records in the input, malformed ones included (annotated + skipped <= read). */
  variants_read: NonNegativeInt,
  variants_annotated: NonNegativeInt,
  records_skipped: NonNegativeInt,
  consequences: NonNegativeInt,
});
export type JobCounts = Static<typeof JobCounts>;

/** Keys of the result objects in the results bucket (under `results/<user>/<job>/`). */
export const ResultKeys = Type.Object({
  annotated_vcf_key: ObjectKey,
  tsv_key: ObjectKey,
  json_key: ObjectKey,
  summary_key: ObjectKey,
});
export type ResultKeys = Static<typeof ResultKeys>;

export const JobSucceeded = Type.Object(
  { ...common, status: Type.Literal('COMPLETED'), counts: JobCounts, result_keys: ResultKeys },
  { title: 'JobCompleted (COMPLETED)' },
);

export const JobFailed = Type.Object(
  {
    ...common,
    status: Type.Literal('FAILED'),
    error_message: Type.String({ minLength: 1, maxLength: 2000, description: 'what a user can act on' }),
    counts: Type.Optional(JobCounts),
  },
  { title: 'JobCompleted (FAILED)' },
);

/** Published by the annotator on `job-completed` once the job record is final. */
export const JobCompleted = discriminatedUnion('status', [JobSucceeded, JobFailed], {
  title: 'JobCompleted',
});
export type JobCompleted = Static<typeof JobCompleted>;
