/**
 * The S3 storage-class backend (the default): see cold-storage.ts for the whole idea.
 * Objects above 5 GB would need a multipart copy (UploadPartCopy); Free results stay far
 * below that (the Free input limit bounds them), so a single CopyObject is used and a
 * larger object is refused with a ColdStorageError naming the limit.
 */
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  RestoreObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  type ArchivedFile,
  archiveKeyOf,
  type ColdStorage,
  ColdStorageError,
  type HotFile,
  isAwsError,
  type RestoreProgress,
  type RestoreStarted,
  type RestoreTier,
  restoreTierUpperBoundMs,
} from './cold-storage.ts';

const SINGLE_COPY_LIMIT_BYTES = 5 * 1024 ** 3;
/** How long S3 keeps the restored (temporary) copy readable: time enough to retry the copy back. */
export const RESTORED_COPY_DAYS = 3;

function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

export class S3GlacierStorage implements ColdStorage {
  readonly backend = 's3-glacier' as const;
  readonly #s3: S3Client;

  constructor(s3: S3Client) {
    this.#s3 = s3;
  }

  async archive(file: HotFile): Promise<ArchivedFile> {
    const head = await this.#s3.send(new HeadObjectCommand({ Bucket: file.bucket, Key: file.key }));
    if ((head.ContentLength ?? 0) > SINGLE_COPY_LIMIT_BYTES) {
      throw new ColdStorageError(
        `results file ${file.key} is ${head.ContentLength} bytes; the storage-class backend copies at most 5 GiB`,
      );
    }
    const archiveKey = archiveKeyOf(file.key);
    await this.#s3.send(
      new CopyObjectCommand({
        Bucket: file.bucket,
        Key: archiveKey,
        CopySource: copySource(file.bucket, file.key),
        StorageClass: 'GLACIER',
        MetadataDirective: 'COPY',
      }),
    );
    return { backend: 's3-glacier', bucket: file.bucket, archiveKey };
  }

  async startRestore(archived: ArchivedFile, _jobId: string, tier: RestoreTier): Promise<RestoreStarted> {
    const file = this.#own(archived);
    const expectedAt = new Date(Date.now() + restoreTierUpperBoundMs[tier]);
    let head: HeadObjectCommandOutput;
    try {
      head = await this.#s3.send(new HeadObjectCommand({ Bucket: file.bucket, Key: file.archiveKey }));
    } catch (error) {
      if (isAwsError(error, 'NotFound', 'NoSuchKey')) {
        throw new ColdStorageError(`the archived copy ${file.archiveKey} is missing from ${file.bucket}`, {
          cause: error,
        });
      }
      throw error;
    }
    // Readable already: a finished restore (no new event will come) or not in GLACIER at all.
    if (
      head.Restore?.includes('ongoing-request="false"') ||
      (head.StorageClass ?? 'STANDARD') === 'STANDARD'
    ) {
      return { expectedAt: new Date(), alreadyRestored: true };
    }
    try {
      await this.#s3.send(
        new RestoreObjectCommand({
          Bucket: file.bucket,
          Key: file.archiveKey,
          RestoreRequest: { Days: RESTORED_COPY_DAYS, GlacierJobParameters: { Tier: tier } },
        }),
      );
    } catch (error) {
      if (!isAwsError(error, 'RestoreAlreadyInProgress')) throw error;
    }
    return { expectedAt, alreadyRestored: false };
  }

  async copyBack(archived: ArchivedFile, target: { bucket: string; key: string }): Promise<void> {
    const file = this.#own(archived);
    await this.#s3.send(
      new CopyObjectCommand({
        Bucket: target.bucket,
        Key: target.key,
        CopySource: copySource(file.bucket, file.archiveKey),
        StorageClass: 'STANDARD',
        MetadataDirective: 'COPY',
      }),
    );
  }

  async restoreProgress(archived: ArchivedFile): Promise<RestoreProgress> {
    const file = this.#own(archived);
    let head: HeadObjectCommandOutput;
    try {
      head = await this.#s3.send(new HeadObjectCommand({ Bucket: file.bucket, Key: file.archiveKey }));
    } catch (error) {
      if (isAwsError(error, 'NotFound', 'NoSuchKey')) {
        return {
          state: 'failed',
          reason: `the archived copy ${file.archiveKey} is missing from ${file.bucket}`,
        };
      }
      throw error;
    }
    if ((head.StorageClass ?? 'STANDARD') === 'STANDARD') return { state: 'done' };
    if (head.Restore?.includes('ongoing-request="false"')) return { state: 'done' };
    if (head.Restore?.includes('ongoing-request="true"')) return { state: 'running' };
    return { state: 'not-started' };
  }

  async discard(archived: ArchivedFile): Promise<void> {
    const file = this.#own(archived);
    await this.#s3.send(new DeleteObjectCommand({ Bucket: file.bucket, Key: file.archiveKey }));
  }

  #own(archived: ArchivedFile): Extract<ArchivedFile, { backend: 's3-glacier' }> {
    if (archived.backend !== 's3-glacier')
      throw new Error(`not an S3 storage-class archive: ${archived.backend}`);
    return archived;
  }
}
