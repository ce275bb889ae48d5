/**
 * What the archiver does, without Fastify or SQS around it.
 *
 * THE SCHEDULE IS THE JOB RECORD. On JobCompleted for a Free user, the record gets
 * `archive_due_at = completed_at + FREE_RETENTION_SECONDS` and `archive_shard`; those two
 * attributes are the keys of the sparse GSI `archive_shard-archive_due_at-index`, which a
 * timer sweeps every SWEEP_INTERVAL_SECONDS (`archive_due_at <= now`, each shard). Why this
 * and not re-delayed SQS messages (15-minute maximum delay, so a 5-day window means ~480
 * re-sends per job, each a chance to lose or duplicate it) or an in-memory timer (lost on
 * restart): the due time is written once, next to the state it guards, by a conditional
 * write; any archiver instance, after any restart, finds what is due with one query per
 * shard; a late sweep archives late, never twice or never. The sweep runs at start too, so
 * a restarted archiver catches up at once. Cost: one Query per shard per interval.
 *
 * THE TIER "NOW" IS `user_tier` ON THE RECORD, kept current from UserTierChanged events.
 * The accounts database belongs to web and the archiver has no database (contracts
 * README), so the archiver (and the thawer) apply every UserTierChanged to all of the
 * user's job records (GSI user_id), ordered by `changed_at` (`tier_changed_at`: an older,
 * redelivered event never undoes a newer one). Web writes the tier current at submission.
 * Every archive step is conditional on `user_tier = free` AT THE TIME OF THE WRITE, so an
 * upgrade applied before the ARCHIVED mark always wins: the cold copy is then discarded and
 * the hot file never leaves. A record web wrote with the old tier in the instant after the
 * tier changed and after this service listed the user's jobs (GSI reads are eventually
 * consistent) is caught at due time: before claiming, the archiver reads the newest tier
 * change applied to any of the user's records, and applies it if it is newer than what
 * this record saw. Left open: a user whose tier changed while they had no job record at
 * all and whose first job raced that change (the next tier change fixes the record).
 *
 * ARCHIVING ONE RECORD, each step safe to repeat:
 *   1. claim a lease (conditional: AVAILABLE, Free, due, no live lease)
 *   2. copy the results file (the annotated VCF; the log, summary and other outputs stay)
 *      to cold storage
 *   3. mark ARCHIVED with the archive key/id (conditional: still AVAILABLE, still Free,
 *      still our lease); refused -> the cold copy is discarded
 *   4. delete the hot copy, then take the record off the schedule. A crash between 3 and
 *      4 leaves an ARCHIVED record on the schedule: the next sweep deletes the hot copy.
 * A failed copy keeps the lease, so the record is retried when the lease lapses
 * (ARCHIVE_LEASE_SECONDS), not hammered every sweep.
 */
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ARCHIVE_SHARDS, type ColdStorages, type JobArchiveRecords } from '@gas/cold-storage';
import type { JobCompleted, JobRecord, UserTierChanged } from '@gas/contracts';
import { PoisonMessageError } from '@gas/service-kit';
import type { FastifyBaseLogger } from 'fastify';

export type ArchiverDeps = {
  records: JobArchiveRecords;
  storages: ColdStorages;
  s3: S3Client;
  retentionSeconds: number;
  leaseSeconds: number;
  /** Who this archiver is, in leases. */
  owner: string;
  logger: FastifyBaseLogger;
};

export type DueOutcome =
  | 'archived'
  | 'hot-copy-removed'
  | 'unscheduled'
  | 'busy'
  | 'waiting'
  | 'tier-changed'
  | 'failed';

export function dueTimeOf(completedAt: string, retentionSeconds: number): Date {
  return new Date(Date.parse(completedAt) + retentionSeconds * 1000);
}

export function createArchiver(deps: ArchiverDeps) {
  const { records, storages, logger } = deps;

  async function jobCompleted(message: JobCompleted, log: FastifyBaseLogger): Promise<void> {
    if (message.status !== 'COMPLETED') {
      log.debug('failed job: no results to archive');
      return;
    }
    const record = await records.get(message.job_id);
    if (!record) throw new PoisonMessageError(`job ${message.job_id} has no record in the jobs table`);
    if (record.user_tier !== 'free') {
      log.info({ user_tier: record.user_tier }, 'Premium user: results stay');
      return;
    }
    const due = dueTimeOf(record.completed_at ?? message.completed_at, deps.retentionSeconds);
    const scheduled = await records.schedule(message.job_id, due);
    if (scheduled) log.info({ archive_due_at: scheduled.archive_due_at }, 'archive scheduled');
    else
      log.info(
        { results_status: record.results_status },
        'not eligible for archiving (tier or status changed)',
      );
  }

  async function tierChanged(message: UserTierChanged, log: FastifyBaseLogger): Promise<void> {
    let applied = 0;
    let stale = 0;
    let scheduled = 0;
    let unscheduled = 0;
    for await (const job of records.userJobs(message.user_id)) {
      const record = await records.applyTier(job.job_id, message.new_tier, message.changed_at);
      if (!record) {
        stale += 1;
        continue;
      }
      applied += 1;
      if (record.user_tier === 'premium') {
        if (record.archive_due_at && (await records.unscheduleForPremium(record.job_id))) unscheduled += 1;
      } else if (
        record.status === 'COMPLETED' &&
        record.results_status !== 'ARCHIVED' &&
        record.completed_at
      ) {
        // Results older than the window are due at once; newer ones at their own time.
        if (await records.schedule(record.job_id, dueTimeOf(record.completed_at, deps.retentionSeconds)))
          scheduled += 1;
      }
    }
    log.info(
      { new_tier: message.new_tier, applied, stale, scheduled, unscheduled },
      'tier change applied to the jobs',
    );
  }

  /**
   * Deletes the hot copy of an ARCHIVED record, then takes it off the schedule. The status
   * is read again first (consistently: the sweep's GSI answer may be stale), so the copy a
   * restore brought back is never deleted.
   */
  async function finishArchived(jobId: string): Promise<DueOutcome> {
    const record = await records.get(jobId);
    if (record?.results_status !== 'ARCHIVED') return 'waiting';
    const key = record.result_keys?.annotated_vcf_key;
    if (key && record.results_bucket) {
      await deps.s3.send(new DeleteObjectCommand({ Bucket: record.results_bucket, Key: key }));
    }
    await records.unscheduleArchived(record.job_id);
    return 'hot-copy-removed';
  }

  /** The newest tier change applied to any of the user's records (see the design note). */
  async function newestTierChange(
    userId: string,
  ): Promise<{ tier: JobRecord['user_tier']; changedAt: string } | undefined> {
    let newest: { tier: JobRecord['user_tier']; changedAt: string } | undefined;
    for await (const other of records.userJobs(userId)) {
      if (other.tier_changed_at && (!newest || other.tier_changed_at > newest.changedAt)) {
        newest = { tier: other.user_tier, changedAt: other.tier_changed_at };
      }
    }
    return newest;
  }

  async function archiveOne(job: JobRecord, log: FastifyBaseLogger): Promise<DueOutcome> {
    const newest = await newestTierChange(job.user_id);
    if (
      newest &&
      newest.changedAt > (job.tier_changed_at ?? job.submitted_at) &&
      newest.tier !== job.user_tier
    ) {
      await records.applyTier(job.job_id, newest.tier, newest.changedAt);
      log.info(
        { user_tier: newest.tier, tier_changed_at: newest.changedAt },
        'record had missed a tier change; applied',
      );
      if (newest.tier === 'premium') {
        await records.unscheduleForPremium(job.job_id);
        return 'unscheduled';
      }
    }
    const claimedAt = new Date();
    const claimed = await records.claimArchive(job.job_id, deps.owner, deps.leaseSeconds, claimedAt);
    if (!claimed) return 'busy';
    const key = claimed.result_keys?.annotated_vcf_key;
    if (!key || !claimed.results_bucket) {
      log.error('scheduled record has no results file; left claimed until its lease lapses');
      return 'failed';
    }
    const storage = storages.current;
    let archived: Awaited<ReturnType<typeof storage.archive>>;
    try {
      archived = await storage.archive({ bucket: claimed.results_bucket, key, jobId: claimed.job_id });
    } catch (error) {
      log.error(
        { err: error, retry_after_s: deps.leaseSeconds },
        'copying the results file to cold storage failed',
      );
      return 'failed';
    }
    const marked = await records.markArchived(claimed.job_id, deps.owner, archived);
    if (!marked) {
      const now = await records.get(claimed.job_id);
      const sameArchive =
        now?.results_status === 'ARCHIVED' &&
        (archived.backend === 's3-glacier'
          ? now.results_file_archive_key === archived.archiveKey
          : now.results_file_archive_id === archived.archiveId);
      if (!sameArchive) await storage.discard(archived);
      log.info(
        { user_tier: now?.user_tier, results_status: now?.results_status },
        'not archived: the tier or status changed meanwhile; cold copy discarded',
      );
      return 'tier-changed';
    }
    log.info(
      {
        backend: archived.backend,
        archive_due_at: marked.archive_due_at,
        claimed_at: claimedAt.toISOString(),
        archived_at: marked.archived_at,
      },
      'results archived',
    );
    await finishArchived(marked.job_id);
    return 'archived';
  }

  async function handleDue(job: JobRecord): Promise<DueOutcome> {
    const log = logger.child({ job_id: job.job_id });
    if (job.results_status === 'ARCHIVED') return finishArchived(job.job_id);
    if (job.user_tier === 'premium') {
      await records.unscheduleForPremium(job.job_id);
      return 'unscheduled';
    }
    if (job.results_status !== 'AVAILABLE') return 'waiting';
    return archiveOne(job, log);
  }

  /** One pass over every shard: handles each record due by `now`. */
  async function sweep(now = new Date()): Promise<Record<DueOutcome, number>> {
    const counts: Record<DueOutcome, number> = {
      archived: 0,
      'hot-copy-removed': 0,
      unscheduled: 0,
      busy: 0,
      waiting: 0,
      'tier-changed': 0,
      failed: 0,
    };
    for (let shard = 0; shard < ARCHIVE_SHARDS; shard++) {
      for await (const job of records.dueJobs(String(shard), now)) {
        try {
          counts[await handleDue(job)] += 1;
        } catch (error) {
          counts.failed += 1;
          logger.error({ err: error, job_id: job.job_id }, 'archive step failed; the next sweep retries');
        }
      }
    }
    return counts;
  }

  return { jobCompleted, tierChanged, sweep };
}
export type Archiver = ReturnType<typeof createArchiver>;
