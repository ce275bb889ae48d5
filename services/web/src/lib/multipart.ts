/**
 * Premium uploads larger than one POST allows: a presigned multipart upload. Web creates the
 * upload for a server-generated key under the user's prefix and hands out one presigned
 * UploadPart URL per part (each valid UPLOAD_URL_TTL_SECONDS, each for that key, upload id and
 * part number only); the browser PUTs the slices straight to S3 and sends back the ETags; web
 * completes the upload (or aborts it when S3 refuses the parts, so nothing half-made stays).
 * The tier is checked again at submit, like any upload.
 */

import { randomUUID } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { inputObjectKey, inputsPrefix, safeFileName } from '@gas/contracts';
import { SubmitError } from './submit.ts';

export const MAX_PARTS = 10_000;

export type MultipartStart = {
  key: string;
  upload_id: string;
  part_bytes: number;
  parts: Array<{ part_number: number; url: string }>;
};

export async function startMultipartUpload(
  s3: S3Client,
  options: {
    bucket: string;
    userId: string;
    fileName: string;
    size: number;
    partBytes: number;
    expiresIn: number;
  },
): Promise<MultipartStart> {
  const count = Math.ceil(options.size / options.partBytes);
  if (count > MAX_PARTS) {
    throw new SubmitError(
      413,
      'too_large',
      `The file is larger than ${MAX_PARTS} parts of ${options.partBytes} bytes; S3 cannot take it in one upload.`,
    );
  }
  const key = inputObjectKey(options.userId, randomUUID(), safeFileName(options.fileName));
  const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: options.bucket, Key: key }));
  const uploadId = created.UploadId!;
  const parts = await Promise.all(
    Array.from({ length: count }, async (_, index) => ({
      part_number: index + 1,
      url: await getSignedUrl(
        s3,
        new UploadPartCommand({
          Bucket: options.bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: index + 1,
        }),
        { expiresIn: options.expiresIn },
      ),
    })),
  );
  return { key, upload_id: uploadId, part_bytes: options.partBytes, parts };
}

export async function completeMultipartUpload(
  s3: S3Client,
  options: {
    bucket: string;
    userId: string;
    key: string;
    uploadId: string;
    parts: Array<{ part_number: number; etag: string }>;
  },
): Promise<void> {
  if (!options.key.startsWith(`${inputsPrefix}/${options.userId}/`)) {
    throw new SubmitError(
      403,
      'forged_key',
      'That upload is not one of yours. Upload the file again from the Annotate page.',
    );
  }
  try {
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: options.bucket,
        Key: options.key,
        UploadId: options.uploadId,
        MultipartUpload: {
          Parts: [...options.parts]
            .sort((a, b) => a.part_number - b.part_number)
            .map((part) => ({ PartNumber: part.part_number, ETag: part.etag })),
        },
      }),
    );
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 500;
    if (status >= 500) throw error;
    await s3
      .send(
        new AbortMultipartUploadCommand({
          Bucket: options.bucket,
          Key: options.key,
          UploadId: options.uploadId,
        }),
      )
      .catch(() => undefined);
    throw new SubmitError(
      400,
      'missing_object',
      `S3 refused to assemble the upload (${(error as Error).name}); it was discarded. Upload the file again.`,
    );
  }
}
