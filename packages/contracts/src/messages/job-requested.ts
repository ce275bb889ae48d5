import Type, { type Static } from 'typebox';
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

/** Published by web on `job-requests` after the job record was written as PENDING. */
export const JobRequested = Type.Object(
  {
    schema_version: SchemaVersion1,
    type: Type.Literal('JobRequested'),
    job_id: JobId,
    user_id: UserId,
    user_email: Email,
    user_tier: UserTier,
    input_bucket: BucketName,
    input_key: ObjectKey,
    input_file_name: Type.String({ minLength: 1, maxLength: 255, description: 'name the user uploaded' }),
    input_size_bytes: NonNegativeInt,
    submitted_at: IsoTime,
  },
  { title: 'JobRequested' },
);
export type JobRequested = Static<typeof JobRequested>;
