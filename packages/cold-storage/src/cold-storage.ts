/**
 * One cold-storage interface for the archiver and the thawer, two backends behind it:
 *
 *   s3-glacier (default)  the results file is copied (CopyObject) to `archive/<user>/<job>/<file>`
 *                         in the results bucket with storage class GLACIER; a restore is
 *                         RestoreObject on that key, completion is S3's
 *                         `s3:ObjectRestore:Completed` event (bucket notification -> the
 *                         cold-storage-events topic); the copy back is CopyObject to the
 *                         results key with storage class STANDARD, after which the GLACIER
 *                         copy is deleted.
 *   glacier-vault         the results file is uploaded (UploadArchive, SHA-256 tree hash) to
 *                         the vault; a restore is InitiateJob archive-retrieval naming the
 *                         cold-storage-events topic, with the GAS job id as the job
 *                         description; completion is Glacier's job notification; the copy
 *                         back is GetJobOutput (tree hash checked) -> PutObject; then
 *                         DeleteArchive.
 *
 * Why a separate archive key for the storage class instead of changing the class of the
 * results object in place: the hot object must stay readable until the record says ARCHIVED
 * (a user who upgrades in between must not find a GLACIER object behind an AVAILABLE record,
 * which only a restore of hours could undo). With a copy, "archive, mark ARCHIVED, only then
 * delete the hot copy" holds for both backends, and a refused mark just deletes the copy.
 *
 * Every operation is safe to repeat: archiving again overwrites the same key (S3) or makes
 * a new archive the caller discards when its mark is refused (vault); a restore already in
 * progress is not an error; deleting what is gone is not an error.
 */
import type { ColdStorageBackend, ColdStorageEvent } from '@gas/contracts';
import { decodeS3EventKey, resultsPrefix, S3RestoreCompletedEvent } from '@gas/contracts';

export type RestoreTier = 'Expedited' | 'Standard' | 'Bulk';

/** Where an archived results file is; what the job record keeps while ARCHIVED. */
export type ArchivedFile =
  | { backend: 's3-glacier'; bucket: string; archiveKey: string }
  | { backend: 'glacier-vault'; vault: string; archiveId: string };

/** The hot results object (the annotated VCF) of a job. */
export type HotFile = { bucket: string; key: string; jobId: string };

export type RestoreStarted = {
  /** Vault: the retrieval job id (the completion notification names it). */
  restoreJobId?: string;
  /** When the restored bytes are expected (the tier's upper bound), for the job page. */
  expectedAt: Date;
  /** S3: the object is already readable (an earlier restore finished); no event will come. */
  alreadyRestored: boolean;
};

/**
 * Where a retrieval stands, asked of the backend (the thawer's check for a completion
 * notification that never came). `not-started`: S3 knows no restore of the object (none was
 * accepted, or the restored copy already expired); the caller starts one again.
 */
export type RestoreProgress =
  | { state: 'done' }
  | { state: 'running' }
  | { state: 'not-started' }
  | { state: 'failed'; reason: string };

export interface ColdStorage {
  readonly backend: ColdStorageBackend;
  /** Copies the hot file into cold storage. The hot file is left as it is. */
  archive(file: HotFile): Promise<ArchivedFile>;
  /** Starts a retrieval; completion arrives on the cold-storage-events topic. */
  startRestore(archived: ArchivedFile, jobId: string, tier: RestoreTier): Promise<RestoreStarted>;
  /**
   * Writes the retrieved bytes to `target` as a normal (STANDARD) object.
   * `restoreJobId` is the vault retrieval job; unused by the storage class.
   */
  copyBack(
    archived: ArchivedFile,
    target: { bucket: string; key: string },
    restoreJobId?: string,
  ): Promise<void>;
  /**
   * Asks the backend whether the retrieval finished (S3: HeadObject's `x-amz-restore`; vault:
   * DescribeJob of `restoreJobId`). Reads only; safe at any time.
   */
  restoreProgress(archived: ArchivedFile, restoreJobId?: string): Promise<RestoreProgress>;
  /** Removes the cold copy; one that is already gone is fine. */
  discard(archived: ArchivedFile): Promise<void>;
}

/** Upper bounds AWS gives for S3 Glacier Flexible Retrieval and vault retrievals per tier. */
export const restoreTierUpperBoundMs: Readonly<Record<RestoreTier, number>> = {
  Expedited: 5 * 60_000,
  Standard: 5 * 3600_000,
  Bulk: 12 * 3600_000,
};

export const archivePrefix = 'archive';

/** `results/<user>/<job>/<file>` -> `archive/<user>/<job>/<file>` (same bucket). */
export function archiveKeyOf(resultsKey: string): string {
  const inside = resultsKey.startsWith(`${resultsPrefix}/`)
    ? resultsKey.slice(resultsPrefix.length + 1)
    : resultsKey;
  return `${archivePrefix}/${inside}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ARCHIVE_KEY = /^archive\/[^/~\s]+\/([0-9a-fA-F-]{36})\/[^/]+$/;

/** The job id in an archive key, or undefined when the key is not one of ours. */
export function jobIdOfArchiveKey(key: string): string | undefined {
  const jobId = ARCHIVE_KEY.exec(key)?.[1];
  return jobId && UUID.test(jobId) ? jobId : undefined;
}

/** The record's view of the archive (cold_storage_backend + archive key or id). */
export function archivedFileOf(
  record: {
    cold_storage_backend?: ColdStorageBackend;
    results_bucket?: string;
    results_file_archive_key?: string;
    results_file_archive_id?: string;
  },
  vault: string | undefined,
): ArchivedFile | undefined {
  if (
    record.cold_storage_backend === 's3-glacier' &&
    record.results_bucket &&
    record.results_file_archive_key
  ) {
    return {
      backend: 's3-glacier',
      bucket: record.results_bucket,
      archiveKey: record.results_file_archive_key,
    };
  }
  if (record.cold_storage_backend === 'glacier-vault' && record.results_file_archive_id && vault) {
    return { backend: 'glacier-vault', vault, archiveId: record.results_file_archive_id };
  }
  return undefined;
}

/** A retrieval that ended, as read from one cold-storage event. */
export type RestoreCompletion =
  | { backend: 's3-glacier'; jobId: string; succeeded: true; archiveKey: string }
  | {
      backend: 'glacier-vault';
      jobId: string;
      succeeded: boolean;
      restoreJobId: string;
      archiveId: string | undefined;
      statusMessage: string | undefined;
    };

/**
 * The retrievals a cold-storage event reports, whichever backend sent it. Events about
 * other buckets, vaults, keys or actions (and S3's one-off TestEvent) give none.
 */
export function restoreCompletionsOf(
  event: ColdStorageEvent,
  scope: { resultsBucket: string; vault?: string },
): RestoreCompletion[] {
  if ('Records' in event) {
    const out: RestoreCompletion[] = [];
    for (const record of event.Records) {
      if (record.eventName !== S3RestoreCompletedEvent || record.s3.bucket.name !== scope.resultsBucket)
        continue;
      const key = decodeS3EventKey(record.s3.object.key);
      const jobId = jobIdOfArchiveKey(key);
      if (jobId) out.push({ backend: 's3-glacier', jobId, succeeded: true, archiveKey: key });
    }
    return out;
  }
  if ('Action' in event) {
    if (event.Action !== 'ArchiveRetrieval' || !event.Completed) return [];
    if (scope.vault && !event.VaultARN.endsWith(`:vaults/${scope.vault}`)) return [];
    const jobId = event.JobDescription ?? '';
    if (!UUID.test(jobId)) return [];
    return [
      {
        backend: 'glacier-vault',
        jobId,
        succeeded: event.StatusCode === 'Succeeded',
        restoreJobId: event.JobId,
        archiveId: event.ArchiveId ?? undefined,
        statusMessage: event.StatusMessage ?? undefined,
      },
    ];
  }
  return [];
}

/** Thrown when a backend cannot do what was asked; `message` is written for the job page. */
export class ColdStorageError extends Error {
  override readonly name = 'ColdStorageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function isAwsError(error: unknown, ...names: string[]): boolean {
  const e = error as { name?: string; Code?: string } | null;
  return !!e && names.some((n) => e.name === n || e.Code === n);
}
