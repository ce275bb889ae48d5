/**
 * The archive/restore writes on the DynamoDB job record, shared by the archiver and the
 * thawer. Every change is ONE conditional update, so repeats and races are harmless:
 *
 *   applyTier       SET user_tier, tier_changed_at   IF tier_changed_at is absent or not newer
 *                   (SQS does not keep order: an older UserTierChanged never undoes a newer one)
 *   schedule        SET archive_due_at, archive_shard IF COMPLETED, Free, AVAILABLE|RESTORING
 *   unschedule      REMOVE the schedule               IF Premium and not ARCHIVED, or IF ARCHIVED
 *   claimArchive    SET the archive lease              IF AVAILABLE, Free, due, lease free/expired
 *   markArchived    AVAILABLE -> ARCHIVED + where      IF still Free and we hold the lease
 *   startRestore    ARCHIVED -> RESTORING + expected   IF no newer tier change was applied
 *   restoreFailed   RESTORING -> ARCHIVED + error      IF that retrieval is the current one
 *   markRestored    RESTORING -> AVAILABLE             IF that retrieval is the current one
 *
 * The results status machine (AVAILABLE -> ARCHIVED -> RESTORING -> AVAILABLE, RESTORING ->
 * ARCHIVED) comes from @gas/contracts: `statusesLeadingTo` gives each condition's "from".
 *
 * The schedule lives on the record itself: `archive_due_at` (ISO time) and `archive_shard`
 * (a small number as text) are the keys of the sparse GSI `archive_shard-archive_due_at-index`,
 * which the archiver sweeps (`dueJobs`). Only scheduled records are in that index. Shards
 * spread the index over partitions; the archiver queries each one.
 *
 * The same holds for restores: while RESTORING the record carries `restore_shard` (same
 * shard number) beside `restore_expected_at`, the keys of the sparse GSI
 * `restore_shard-restore_expected_at-index`. The thawer sweeps it (`overdueRestores`) for
 * restores whose completion notification never came. Every write that leaves RESTORING
 * removes `restore_shard`, so only restores in flight are in that index.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  paginateQuery,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  assertTransition,
  type JobRecord,
  type ResultsStatus,
  resources,
  resultsStatusMachine,
  statusesLeadingTo,
} from '@gas/contracts';
import type { ArchivedFile } from './cold-storage.ts';

/** Number of schedule shards; changing it needs a re-shard of scheduled records (see README). */
export const ARCHIVE_SHARDS = 8;

export const archiveDueIndex = resources.tables.jobs.indexes.archiveDue.name;
export const userJobsIndex = resources.tables.jobs.indexes.userJobs.name;
export const restoreDueIndex = resources.tables.jobs.indexes.restoreDue.name;

/** A job's shard: stable, from its id. */
export function archiveShardOf(jobId: string): string {
  return String(Number.parseInt(jobId.replace(/-/g, '').slice(0, 8), 16) % ARCHIVE_SHARDS);
}

export function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string })?.name === 'ConditionalCheckFailedException'
  );
}

// The transitions written here, checked against the contracts' table when the module loads.
assertTransition(resultsStatusMachine, 'AVAILABLE', 'ARCHIVED');
assertTransition(resultsStatusMachine, 'RESTORING', 'ARCHIVED');

/** `results_status IN (...)` for the statuses the machine allows before `to`, with its values. */
function resultsStatusLeadingTo(to: ResultsStatus): { condition: string; values: Record<string, string> } {
  const from = statusesLeadingTo(resultsStatusMachine, to);
  const values = Object.fromEntries(from.map((status, i) => [`:from_${to}_${i}`, status]));
  return { condition: `results_status IN (${Object.keys(values).join(', ')})`, values };
}
const toRestoring = resultsStatusLeadingTo('RESTORING');
const toAvailable = resultsStatusLeadingTo('AVAILABLE');

export class JobArchiveRecords {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(doc: DynamoDBDocumentClient, table: string) {
    this.#doc = doc;
    this.#table = table;
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    const out = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: { job_id: jobId }, ConsistentRead: true }),
    );
    return out.Item as JobRecord | undefined;
  }

  /** Runs a conditional update; the new record, or undefined when the condition failed. */
  async #update(
    input: Omit<UpdateCommandInput, 'TableName' | 'ReturnValues'>,
  ): Promise<JobRecord | undefined> {
    try {
      const out = await this.#doc.send(
        new UpdateCommand({ ...input, TableName: this.#table, ReturnValues: 'ALL_NEW' }),
      );
      return out.Attributes as JobRecord;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /** Every job of a user (GSI `user_id`; eventually consistent, like any GSI read). */
  async *userJobs(userId: string): AsyncGenerator<JobRecord> {
    const pages = paginateQuery(
      { client: this.#doc },
      {
        TableName: this.#table,
        IndexName: userJobsIndex,
        KeyConditionExpression: 'user_id = :user',
        ExpressionAttributeValues: { ':user': userId },
      },
    );
    for await (const page of pages) for (const item of page.Items ?? []) yield item as JobRecord;
  }

  /** Scheduled records of one shard whose due time has come (oldest first). */
  async *dueJobs(shard: string, now: Date): AsyncGenerator<JobRecord> {
    const pages = paginateQuery(
      { client: this.#doc },
      {
        TableName: this.#table,
        IndexName: archiveDueIndex,
        KeyConditionExpression: 'archive_shard = :shard AND archive_due_at <= :now',
        ExpressionAttributeValues: { ':shard': shard, ':now': now.toISOString() },
      },
    );
    for await (const page of pages) for (const item of page.Items ?? []) yield item as JobRecord;
  }

  /** RESTORING records of one shard whose expected completion time has passed (oldest first). */
  async *overdueRestores(shard: string, now: Date): AsyncGenerator<JobRecord> {
    const pages = paginateQuery(
      { client: this.#doc },
      {
        TableName: this.#table,
        IndexName: restoreDueIndex,
        KeyConditionExpression: 'restore_shard = :shard AND restore_expected_at <= :now',
        ExpressionAttributeValues: { ':shard': shard, ':now': now.toISOString() },
      },
    );
    for await (const page of pages) for (const item of page.Items ?? []) yield item as JobRecord;
  }

  /** Applies a tier change unless a newer one was applied; the record after it, or undefined if stale/missing. */
  async applyTier(
    jobId: string,
    tier: JobRecord['user_tier'],
    changedAt: string,
  ): Promise<JobRecord | undefined> {
    return this.#update({
      Key: { job_id: jobId },
      UpdateExpression: 'SET user_tier = :tier, tier_changed_at = :changed',
      ConditionExpression:
        'attribute_exists(job_id) AND (attribute_not_exists(tier_changed_at) OR tier_changed_at <= :changed)',
      ExpressionAttributeValues: { ':tier': tier, ':changed': changedAt },
    });
  }

  /** Puts a Free user's completed results on the schedule (same due time on a repeat). */
  async schedule(jobId: string, dueAt: Date): Promise<JobRecord | undefined> {
    return this.#update({
      Key: { job_id: jobId },
      UpdateExpression: 'SET archive_due_at = :due, archive_shard = :shard',
      ConditionExpression:
        '#status = :completed AND user_tier = :free AND results_status IN (:available, :restoring)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':due': dueAt.toISOString(),
        ':shard': archiveShardOf(jobId),
        ':completed': 'COMPLETED',
        ':free': 'free',
        ':available': 'AVAILABLE',
        ':restoring': 'RESTORING',
      },
    });
  }

  /** Takes a record off the schedule when it no longer needs archiving (the user is Premium). */
  async unscheduleForPremium(jobId: string): Promise<boolean> {
    const out = await this.#update({
      Key: { job_id: jobId },
      UpdateExpression: 'REMOVE archive_due_at, archive_shard',
      ConditionExpression: 'user_tier = :premium AND results_status <> :archived',
      ExpressionAttributeValues: { ':premium': 'premium', ':archived': 'ARCHIVED' },
    });
    return out !== undefined;
  }

  /** Takes an ARCHIVED record off the schedule once its hot copy is gone. */
  async unscheduleArchived(jobId: string): Promise<boolean> {
    const out = await this.#update({
      Key: { job_id: jobId },
      UpdateExpression: 'REMOVE archive_due_at, archive_shard, archive_lease_owner, archive_lease_expires_at',
      ConditionExpression: 'results_status = :archived',
      ExpressionAttributeValues: { ':archived': 'ARCHIVED' },
    });
    return out !== undefined;
  }

  /** The archive lease: one archiver at a time works on a record; a crashed one's lease lapses. */
  async claimArchive(jobId: string, owner: string, leaseSeconds: number, now = new Date()) {
    return this.#update({
      Key: { job_id: jobId },
      UpdateExpression: 'SET archive_lease_owner = :owner, archive_lease_expires_at = :expires',
      ConditionExpression:
        'results_status = :available AND user_tier = :free AND archive_due_at <= :now AND (attribute_not_exists(archive_lease_expires_at) OR archive_lease_expires_at < :now)',
      ExpressionAttributeValues: {
        ':owner': owner,
        ':expires': new Date(now.getTime() + leaseSeconds * 1000).toISOString(),
        ':available': 'AVAILABLE',
        ':free': 'free',
        ':now': now.toISOString(),
      },
    });
  }

  async releaseArchive(jobId: string, owner: string): Promise<void> {
    await this.#update({
      Key: { job_id: jobId },
      UpdateExpression: 'REMOVE archive_lease_owner, archive_lease_expires_at',
      ConditionExpression: 'archive_lease_owner = :owner',
      ExpressionAttributeValues: { ':owner': owner },
    });
  }

  /**
   * AVAILABLE -> ARCHIVED with what a restore needs. The schedule stays until the hot copy is
   * deleted (`unscheduleArchived`), so a crash in between is finished by the next sweep.
   */
  async markArchived(jobId: string, owner: string, archived: ArchivedFile, now = new Date()) {
    const where =
      archived.backend === 's3-glacier'
        ? { field: 'results_file_archive_key', value: archived.archiveKey }
        : { field: 'results_file_archive_id', value: archived.archiveId };
    return this.#update({
      Key: { job_id: jobId },
      UpdateExpression: `SET results_status = :archived, archived_at = :now, cold_storage_backend = :backend, ${where.field} = :where REMOVE archive_lease_owner, archive_lease_expires_at, restore_error, restore_attempts, restore_published_at, restore_job_id, restore_expected_at, restore_shard`,
      ConditionExpression:
        'results_status = :available AND user_tier = :free AND archive_lease_owner = :owner',
      ExpressionAttributeValues: {
        ':archived': 'ARCHIVED',
        ':now': now.toISOString(),
        ':backend': archived.backend,
        ':where': where.value,
        ':available': 'AVAILABLE',
        ':free': 'free',
        ':owner': owner,
      },
    });
  }

  /**
   * ARCHIVED -> RESTORING for a user who became Premium at `changedAt`, unless a newer tier
   * change (a downgrade) was applied since. Also applies the tier, in the same write.
   */
  async startRestore(
    jobId: string,
    options: { changedAt: string; expectedAt: Date; restoreJobId?: string; now?: Date },
  ): Promise<JobRecord | undefined> {
    const now = options.now ?? new Date();
    return this.#update({
      Key: { job_id: jobId },
      UpdateExpression: `SET results_status = :restoring, user_tier = :premium, tier_changed_at = :changed, restore_requested_at = :now, restore_expected_at = :expected, restore_shard = :restore_shard, restore_attempts = if_not_exists(restore_attempts, :zero) + :one${options.restoreJobId ? ', restore_job_id = :job' : ''} REMOVE archive_due_at, archive_shard${options.restoreJobId ? '' : ', restore_job_id'}`,
      ConditionExpression: `${toRestoring.condition} AND (attribute_not_exists(tier_changed_at) OR tier_changed_at <= :changed)`,
      ExpressionAttributeValues: {
        ':restoring': 'RESTORING',
        ':premium': 'premium',
        ':changed': options.changedAt,
        ':now': now.toISOString(),
        ':expected': options.expectedAt.toISOString(),
        ':restore_shard': archiveShardOf(jobId),
        ':zero': 0,
        ':one': 1,
        ...toRestoring.values,
        ...(options.restoreJobId ? { ':job': options.restoreJobId } : {}),
      },
    });
  }

  /** A restore could not even start: the record stays ARCHIVED and says why (the job page shows it). */
  async recordRestoreError(jobId: string, message: string, fromStatus: 'ARCHIVED' | 'RESTORING') {
    return this.#update({
      Key: { job_id: jobId },
      UpdateExpression: `SET restore_error = :message${fromStatus === 'ARCHIVED' ? ', restore_attempts = if_not_exists(restore_attempts, :zero) + :one' : ''}`,
      ConditionExpression: 'results_status = :status',
      ExpressionAttributeValues: {
        ':message': message.slice(0, 2000),
        ':status': fromStatus,
        ...(fromStatus === 'ARCHIVED' ? { ':zero': 0, ':one': 1 } : {}),
      },
    });
  }

  /** RESTORING -> ARCHIVED after a failed retrieval (only for the retrieval the record waits for). */
  async restoreFailed(jobId: string, message: string, restoreJobId: string | undefined) {
    return this.#update({
      Key: { job_id: jobId },
      UpdateExpression:
        'SET results_status = :archived, restore_error = :message REMOVE restore_job_id, restore_expected_at, restore_shard',
      ConditionExpression: `results_status = :restoring${restoreJobId ? ' AND restore_job_id = :job' : ''}`,
      ExpressionAttributeValues: {
        ':archived': 'ARCHIVED',
        ':message': message.slice(0, 2000),
        ':restoring': 'RESTORING',
        ...(restoreJobId ? { ':job': restoreJobId } : {}),
      },
    });
  }

  /** RESTORING -> AVAILABLE: the results object is back; the archive fields go. */
  async markRestored(jobId: string, restoreJobId: string | undefined, now = new Date()) {
    return this.#update({
      Key: { job_id: jobId },
      UpdateExpression:
        'SET results_status = :available, restored_at = :now REMOVE results_file_archive_id, results_file_archive_key, cold_storage_backend, restore_job_id, restore_expected_at, restore_shard, restore_error, restore_attempts, restore_published_at, restore_publish_claimed_until',
      ConditionExpression: `${toAvailable.condition}${restoreJobId ? ' AND restore_job_id = :job' : ''}`,
      ExpressionAttributeValues: {
        ':available': 'AVAILABLE',
        ':now': now.toISOString(),
        ...toAvailable.values,
        ...(restoreJobId ? { ':job': restoreJobId } : {}),
      },
    });
  }

  /**
   * Only one delivery publishes ArchiveRestored for a restore: the notification and the overdue
   * check can both reach a record that has just become AVAILABLE. The claim is a short lease, so
   * a thawer that dies between claim and publish lets the next delivery publish instead.
   */
  async claimRestorePublish(jobId: string, restoredAt: string, leaseSeconds = 60, now = new Date()) {
    const claimed = await this.#update({
      Key: { job_id: jobId },
      UpdateExpression: 'SET restore_publish_claimed_until = :until',
      ConditionExpression:
        'restored_at = :restored AND attribute_not_exists(restore_published_at) AND (attribute_not_exists(restore_publish_claimed_until) OR restore_publish_claimed_until < :now)',
      ExpressionAttributeValues: {
        ':restored': restoredAt,
        ':now': now.toISOString(),
        ':until': new Date(now.getTime() + leaseSeconds * 1000).toISOString(),
      },
    });
    return claimed !== undefined;
  }

  /** ArchiveRestored went out for this restore. */
  async markRestorePublished(jobId: string, restoredAt: string): Promise<void> {
    await this.#update({
      Key: { job_id: jobId },
      UpdateExpression: 'SET restore_published_at = :now REMOVE restore_publish_claimed_until',
      ConditionExpression: 'restored_at = :restored',
      ExpressionAttributeValues: { ':now': new Date().toISOString(), ':restored': restoredAt },
    });
  }
}
