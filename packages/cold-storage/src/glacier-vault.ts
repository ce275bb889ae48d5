/**
 * The Glacier vault backend (for accounts that still have vaults; see cold-storage.ts).
 * The results file is read whole into memory to compute its tree hash and uploaded in one
 * UploadArchive (up to 4 GiB; Free results are far smaller). The archive description keeps
 * the results key and content type, so GetJobOutput can restore the object as it was.
 * Restored bytes are checked against the tree hash Glacier returns before they are written.
 */
import {
  DeleteArchiveCommand,
  DescribeJobCommand,
  GetJobOutputCommand,
  type GlacierClient,
  InitiateJobCommand,
  UploadArchiveCommand,
} from '@aws-sdk/client-glacier';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  type ArchivedFile,
  type ColdStorage,
  ColdStorageError,
  type HotFile,
  isAwsError,
  type RestoreProgress,
  type RestoreStarted,
  type RestoreTier,
  restoreTierUpperBoundMs,
} from './cold-storage.ts';
import { sha256TreeHash } from './tree-hash.ts';

const SINGLE_UPLOAD_LIMIT_BYTES = 4 * 1024 ** 3;

type Description = { key: string; content_type?: string };

export class GlacierVaultStorage implements ColdStorage {
  readonly backend = 'glacier-vault' as const;
  readonly #glacier: GlacierClient;
  readonly #s3: S3Client;
  readonly #vault: string;
  readonly #notificationTopicArn: string | undefined;

  /** `notificationTopicArn`: the cold-storage-events topic InitiateJob names (the thawer's). */
  constructor(options: {
    glacier: GlacierClient;
    s3: S3Client;
    vault: string;
    notificationTopicArn?: string;
  }) {
    this.#glacier = options.glacier;
    this.#s3 = options.s3;
    this.#vault = options.vault;
    this.#notificationTopicArn = options.notificationTopicArn;
  }

  async archive(file: HotFile): Promise<ArchivedFile> {
    const object = await this.#s3.send(new GetObjectCommand({ Bucket: file.bucket, Key: file.key }));
    const bytes = Buffer.from(await object.Body!.transformToByteArray());
    if (bytes.length > SINGLE_UPLOAD_LIMIT_BYTES) {
      throw new ColdStorageError(
        `results file ${file.key} is ${bytes.length} bytes; one vault upload takes at most 4 GiB`,
      );
    }
    const description: Description = {
      key: file.key,
      ...(object.ContentType ? { content_type: object.ContentType } : {}),
    };
    const out = await this.#glacier.send(
      new UploadArchiveCommand({
        accountId: '-',
        vaultName: this.#vault,
        archiveDescription: JSON.stringify(description)
          .replace(/[^\x20-\x7e]/g, '_')
          .slice(0, 1024),
        checksum: sha256TreeHash(bytes),
        body: bytes,
      }),
    );
    if (!out.archiveId) throw new ColdStorageError('Glacier returned no archive id');
    return { backend: 'glacier-vault', vault: this.#vault, archiveId: out.archiveId };
  }

  async startRestore(archived: ArchivedFile, jobId: string, tier: RestoreTier): Promise<RestoreStarted> {
    const file = this.#own(archived);
    if (!this.#notificationTopicArn)
      throw new Error('a vault restore needs the cold-storage-events topic ARN');
    try {
      const out = await this.#glacier.send(
        new InitiateJobCommand({
          accountId: '-',
          vaultName: file.vault,
          jobParameters: {
            Type: 'archive-retrieval',
            ArchiveId: file.archiveId,
            Description: jobId,
            SNSTopic: this.#notificationTopicArn,
            Tier: tier,
          },
        }),
      );
      if (!out.jobId) throw new ColdStorageError('Glacier returned no retrieval job id');
      return {
        restoreJobId: out.jobId,
        expectedAt: new Date(Date.now() + restoreTierUpperBoundMs[tier]),
        alreadyRestored: false,
      };
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) {
        throw new ColdStorageError(`the archive is missing from vault ${file.vault}`, { cause: error });
      }
      throw error;
    }
  }

  async copyBack(
    archived: ArchivedFile,
    target: { bucket: string; key: string },
    restoreJobId?: string,
  ): Promise<void> {
    const file = this.#own(archived);
    if (!restoreJobId) throw new Error('a vault copy-back needs the retrieval job id');
    const out = await this.#glacier.send(
      new GetJobOutputCommand({ accountId: '-', vaultName: file.vault, jobId: restoreJobId }),
    );
    const bytes = Buffer.from(await out.body!.transformToByteArray());
    if (out.checksum && out.checksum !== sha256TreeHash(bytes)) {
      throw new ColdStorageError('the retrieved archive does not match its tree hash; retrying');
    }
    let contentType: string | undefined;
    try {
      contentType = (JSON.parse(out.archiveDescription ?? '{}') as Description).content_type;
    } catch {
      contentType = undefined;
    }
    await this.#s3.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key: target.key,
        Body: bytes,
        ...(contentType ? { ContentType: contentType } : {}),
      }),
    );
  }

  async restoreProgress(archived: ArchivedFile, restoreJobId?: string): Promise<RestoreProgress> {
    const file = this.#own(archived);
    if (!restoreJobId) throw new Error('a vault restore check needs the retrieval job id');
    try {
      const job = await this.#glacier.send(
        new DescribeJobCommand({ accountId: '-', vaultName: file.vault, jobId: restoreJobId }),
      );
      if (!job.Completed) return { state: 'running' };
      return job.StatusCode === 'Succeeded'
        ? { state: 'done' }
        : {
            state: 'failed',
            reason: job.StatusMessage ?? `retrieval job ended ${job.StatusCode ?? 'Failed'}`,
          };
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) {
        return { state: 'failed', reason: `Glacier no longer knows the retrieval job (vault ${file.vault})` };
      }
      throw error;
    }
  }

  async discard(archived: ArchivedFile): Promise<void> {
    const file = this.#own(archived);
    try {
      await this.#glacier.send(
        new DeleteArchiveCommand({ accountId: '-', vaultName: file.vault, archiveId: file.archiveId }),
      );
    } catch (error) {
      if (!isAwsError(error, 'ResourceNotFoundException')) throw error;
    }
  }

  #own(archived: ArchivedFile): Extract<ArchivedFile, { backend: 'glacier-vault' }> {
    if (archived.backend !== 'glacier-vault') throw new Error(`not a vault archive: ${archived.backend}`);
    return archived;
  }
}
