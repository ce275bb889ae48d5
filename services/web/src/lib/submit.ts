/**
 * Turning an uploaded object into a job, for the upload redirect and `POST /annotations`.
 *
 * Order matters so that nothing is half-created: (1) the key must be an input key of THIS
 * user (else refuse, touch nothing: it may be someone else's object); (2) the object must
 * exist (HEAD) and fit the user's tier (else delete it, it is ours to delete, and explain);
 * (3) conditional put of the PENDING record keyed by the job id that is part of the key, so
 * a reload finds the job already there and does not publish again; (4) publish JobRequested.
 * If the publish fails after the put, the job stays PENDING and the next reload of the same
 * link publishes it (the annotator dedupes on the record's status).
 */
import { DeleteObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { inputsPrefix, type JobRecord, type JobRequested, parseInputObjectKey } from '@gas/contracts';
import type { User } from './accounts.ts';
import { formatBytes } from './format.ts';
import type { JobsRepository } from './jobs.ts';

export class SubmitError extends Error {
  override readonly name = 'SubmitError';
  readonly statusCode: number;
  readonly code: 'forged_key' | 'missing_object' | 'too_large' | 'wrong_type';
  constructor(statusCode: number, code: SubmitError['code'], message: string) {
    super(message);
    this.statusCode = statusCode;
    this.code = code;
  }
}

export type SubmitDeps = {
  s3: S3Client;
  sns: SNSClient;
  jobs: JobsRepository;
  inputsBucket: string;
  jobRequestsTopicArn: string;
  /** Largest input accepted for a job: the Free limit, or no limit for Premium (Infinity). */
  inputLimitBytes(tier: User['tier']): number;
};

export function acceptedInputName(fileName: string): boolean {
  return /\.vcf(\.gz|\.bgz)?$/i.test(fileName);
}

export async function submitUploadedInput(
  deps: SubmitDeps,
  user: User,
  input: { bucket: string; key: string },
): Promise<{ job: JobRecord; created: boolean }> {
  if (input.bucket !== deps.inputsBucket || !input.key.startsWith(`${inputsPrefix}/${user.id}/`)) {
    throw new SubmitError(
      403,
      'forged_key',
      'That file is not one of your uploads (the bucket or key does not belong to your account). Upload the file again from the Annotate page.',
    );
  }
  const parsed = parseInputObjectKey(input.key);
  if (!parsed) {
    await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.inputsBucket, Key: input.key }));
    throw new SubmitError(
      400,
      'wrong_type',
      'The file name may contain only letters, digits, ".", "_" and "-"; the file was deleted. Rename it and upload it again.',
    );
  }
  const existing = await deps.jobs.get(parsed.jobId);
  if (existing) {
    if (existing.user_id !== user.id) {
      throw new SubmitError(
        403,
        'forged_key',
        'That file is not one of your uploads. Upload the file again.',
      );
    }
    if (existing.status === 'PENDING') await publishJobRequested(deps, existing);
    return { job: existing, created: false };
  }
  let size: number;
  try {
    const head = await deps.s3.send(new HeadObjectCommand({ Bucket: deps.inputsBucket, Key: input.key }));
    size = head.ContentLength ?? 0;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404 || (error as Error).name === 'NotFound') {
      throw new SubmitError(
        404,
        'missing_object',
        'The uploaded file was not found; the upload may not have finished or the link is old. Upload it again.',
      );
    }
    throw error;
  }
  const limit = deps.inputLimitBytes(user.tier);
  const refuseAndDelete = async (error: SubmitError) => {
    await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.inputsBucket, Key: input.key }));
    throw error;
  };
  if (!acceptedInputName(parsed.fileName)) {
    await refuseAndDelete(
      new SubmitError(
        400,
        'wrong_type',
        `"${parsed.fileName}" is not a VCF: GAS accepts .vcf and .vcf.gz files. The file was deleted.`,
      ),
    );
  }
  if (size > limit) {
    await refuseAndDelete(
      new SubmitError(
        413,
        'too_large',
        `The file is ${formatBytes(size)}, over the ${formatBytes(limit)} limit of the ${user.tier === 'free' ? 'Free' : 'Premium'} plan, so it was deleted.${user.tier === 'free' ? ' Upgrade to Premium to annotate larger files.' : ''}`,
      ),
    );
  }
  const job: JobRecord = {
    job_id: parsed.jobId,
    user_id: user.id,
    user_email: user.email,
    user_tier: user.tier,
    status: 'PENDING',
    submitted_at: new Date().toISOString(),
    input_bucket: deps.inputsBucket,
    input_key: input.key,
    input_file_name: parsed.fileName,
    input_size_bytes: size,
    email_notifications: user.email_notifications,
  };
  const outcome = await deps.jobs.createPending(job);
  if (outcome === 'exists') {
    const raced = await deps.jobs.get(parsed.jobId);
    return { job: raced ?? job, created: false };
  }
  await publishJobRequested(deps, job);
  return { job, created: true };
}

async function publishJobRequested(deps: SubmitDeps, job: JobRecord): Promise<void> {
  const message: JobRequested = {
    schema_version: 1,
    type: 'JobRequested',
    job_id: job.job_id,
    user_id: job.user_id,
    user_email: job.user_email,
    user_tier: job.user_tier,
    input_bucket: job.input_bucket,
    input_key: job.input_key,
    input_file_name: job.input_file_name,
    input_size_bytes: job.input_size_bytes,
    submitted_at: job.submitted_at,
  };
  await deps.sns.send(
    new PublishCommand({
      TopicArn: deps.jobRequestsTopicArn,
      Message: JSON.stringify(message),
      MessageAttributes: { type: { DataType: 'String', StringValue: 'JobRequested' } },
    }),
  );
}
