/**
 * What the thawer does, without Fastify or SQS around it.
 *
 * UPGRADE. On UserTierChanged to premium, every job record of the user (GSI user_id) gets
 * the new tier (conditional on `tier_changed_at`, so a redelivered old upgrade never undoes
 * a newer downgrade; the archiver applies the same change). The write returns the record
 * as it is after it: from then on no archiver can mark it ARCHIVED (that write requires
 * `user_tier = free`), so every record that is ARCHIVED in that answer is restored and no
 * archive can slip in behind the upgrade. Per ARCHIVED record: start the retrieval
 * (RestoreObject / InitiateJob), then ARCHIVED -> RESTORING with `restore_expected_at`
 * (the tier's upper bound) and, for the vault, the retrieval job id. Starting first and
 * writing second keeps a crash harmless: the message is redelivered and a restore already
 * in progress is not an error (S3), or an extra retrieval's notification is ignored as not
 * the one the record waits for (vault).
 *
 * COMPLETION (cold-storage-events: S3 ObjectRestore:Completed or Glacier's job
 * notification). The event names the job (archive key / job description); it counts only
 * if the record is RESTORING and waits for exactly that archive key / retrieval job.
 * Then: copy the bytes back as the normal results object (skipped when it is already
 * there: a repeat after a crash), discard the cold copy (vault: DeleteArchive; storage
 * class: the GLACIER copy, the STANDARD results object stays), RESTORING -> AVAILABLE
 * (conditional, so a duplicate notification does nothing), publish ArchiveRestored and
 * note that it went out (a crash before the note re-publishes on redelivery; the
 * notifier sends one e-mail per `restored_at`).
 *
 * LOST NOTIFICATIONS. A completion notification can be lost (a deleted subscription, a
 * message that outlived its queue's retention). So the thawer also sweeps, every
 * RESTORE_CHECK_INTERVAL_SECONDS, the sparse GSI of RESTORING records whose
 * `restore_expected_at` has passed (`overdueRestores`, one query per shard) and asks the
 * backend where each retrieval stands (S3 HeadObject `x-amz-restore` / Glacier DescribeJob).
 * Done: the same `complete` as the notification path, so a notification and a sweep that
 * both arrive restore once (conditional writes, copy back skipped when the object is there).
 * Failed: the same failure path (back to ARCHIVED, started again up to the limit). Still
 * running: left alone and asked again next sweep. S3 knows no restore (the restored copy
 * expired): RestoreObject again.
 *
 * FAILURES are never dropped. A restore that cannot start records `restore_error` on the
 * ARCHIVED record (the job page shows it), is logged, and the message is retried with
 * backoff (then kept in the dead-letter queue). A retrieval that ends Failed goes
 * RESTORING -> ARCHIVED with the reason and is started again, up to RESTORE_MAX_ATTEMPTS;
 * then the record keeps the error and an error is logged. A copy back that fails leaves
 * the record RESTORING with the error and the notification is retried.
 */
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import {
  ARCHIVE_SHARDS,
  archivedFileOf,
  ColdStorageError,
  type ColdStorages,
  isAwsError,
  type JobArchiveRecords,
  type RestoreCompletion,
  type RestoreTier,
  restoreCompletionsOf,
} from '@gas/cold-storage';
import type { ArchiveRestored, ColdStorageEvent, JobRecord, UserTierChanged } from '@gas/contracts';
import type { FastifyBaseLogger } from 'fastify';

export type ThawerDeps = {
  records: JobArchiveRecords;
  storages: ColdStorages;
  s3: S3Client;
  sns: SNSClient;
  archiveRestoredTopicArn: string;
  resultsBucket: string;
  restoreTier: RestoreTier;
  maxAttempts: number;
};

/** Says why a restore could not go on, in words for the job page. */
function reasonOf(error: unknown): string {
  return error instanceof ColdStorageError
    ? error.message
    : 'the cold storage service did not answer as expected';
}

export function createThawer(deps: ThawerDeps) {
  const { records, storages } = deps;

  async function startRestore(record: JobRecord, changedAt: string, log: FastifyBaseLogger): Promise<void> {
    const archived = archivedFileOf(record, storages.vault);
    const storage = archived ? storages.of(archived.backend) : undefined;
    if (!archived || !storage) {
      const message = `Restoring is not possible: the record names no usable archive (${record.cold_storage_backend ?? 'no backend'}${record.cold_storage_backend === 'glacier-vault' && !storages.vault ? ', RESULTS_VAULT is not configured' : ''}).`;
      await records.recordRestoreError(record.job_id, message, 'ARCHIVED');
      log.error({ cold_storage_backend: record.cold_storage_backend }, message);
      throw new ColdStorageError(message);
    }
    let started: Awaited<ReturnType<typeof storage.startRestore>>;
    try {
      started = await storage.startRestore(archived, record.job_id, deps.restoreTier);
    } catch (error) {
      await records.recordRestoreError(
        record.job_id,
        `Restoring could not start: ${reasonOf(error)}. It is retried automatically.`,
        'ARCHIVED',
      );
      log.error({ err: error }, 'restore could not start; recorded on the job and retried');
      throw error;
    }
    const restoring = await records.startRestore(record.job_id, {
      changedAt,
      expectedAt: started.expectedAt,
      ...(started.restoreJobId ? { restoreJobId: started.restoreJobId } : {}),
    });
    if (!restoring) {
      log.info('restore already started elsewhere, or a newer tier change applies; nothing written');
      return;
    }
    log.info(
      {
        restore_expected_at: restoring.restore_expected_at,
        restore_job_id: restoring.restore_job_id,
        backend: archived.backend,
      },
      'restore started',
    );
    if (started.alreadyRestored && archived.backend === 's3-glacier') {
      await complete(
        { backend: 's3-glacier', jobId: record.job_id, succeeded: true, archiveKey: archived.archiveKey },
        log,
      );
    }
  }

  async function tierChanged(message: UserTierChanged, log: FastifyBaseLogger): Promise<void> {
    if (message.new_tier !== 'premium') {
      log.debug('not an upgrade: nothing to restore (the archiver applies the window again)');
      return;
    }
    const failed: string[] = [];
    let restoring = 0;
    for await (const job of records.userJobs(message.user_id)) {
      const record = await records.applyTier(job.job_id, 'premium', message.changed_at);
      if (record?.results_status !== 'ARCHIVED') continue;
      try {
        await startRestore(record, message.changed_at, log.child({ job_id: record.job_id }));
        restoring += 1;
      } catch {
        failed.push(record.job_id);
      }
    }
    log.info({ restoring, failed: failed.length }, 'upgrade handled');
    if (failed.length > 0) {
      throw new Error(`restores of ${failed.length} job(s) could not start (${failed.join(', ')}); retrying`);
    }
  }

  async function publishRestored(record: JobRecord, log: FastifyBaseLogger): Promise<void> {
    if (!(await records.claimRestorePublish(record.job_id, record.restored_at!))) {
      log.info('ArchiveRestored is being published by another delivery; nothing to do');
      return;
    }
    const message: ArchiveRestored = {
      schema_version: 1,
      type: 'ArchiveRestored',
      job_id: record.job_id,
      user_id: record.user_id,
      user_email: record.user_email,
      results_bucket: record.results_bucket ?? deps.resultsBucket,
      annotated_vcf_key: record.result_keys!.annotated_vcf_key,
      restored_at: record.restored_at!,
    };
    await deps.sns.send(
      new PublishCommand({ TopicArn: deps.archiveRestoredTopicArn, Message: JSON.stringify(message) }),
    );
    await records.markRestorePublished(record.job_id, record.restored_at!);
    log.info({ restored_at: record.restored_at }, 'ArchiveRestored published');
  }

  async function hotCopyExists(target: { bucket: string; key: string }): Promise<boolean> {
    try {
      await deps.s3.send(new HeadObjectCommand({ Bucket: target.bucket, Key: target.key }));
      return true;
    } catch (error) {
      if (isAwsError(error, 'NotFound', 'NoSuchKey')) return false;
      throw error;
    }
  }

  /** A retrieval ended Failed (notification or sweep): back to ARCHIVED with the reason, started again up to the limit. */
  async function retrievalFailed(
    record: JobRecord,
    reason: string,
    restoreJobId: string | undefined,
    log: FastifyBaseLogger,
  ): Promise<void> {
    const attempt = record.restore_attempts ?? 1;
    const giveUp = attempt >= deps.maxAttempts;
    const message = giveUp
      ? `Restoring failed ${attempt} time${attempt === 1 ? '' : 's'} (last: ${reason}). The results stay archived; the failure is reported to the operators.`
      : `Restore attempt ${attempt} failed (${reason}); trying again.`;
    const archivedAgain = await records.restoreFailed(record.job_id, message, restoreJobId);
    if (!archivedAgain) return;
    if (giveUp || archivedAgain.user_tier !== 'premium') {
      log.error({ attempts: attempt, reason }, 'restore failed; gave up (recorded on the job)');
      return;
    }
    log.warn({ attempt, reason }, 'restore failed; starting it again');
    await startRestore(archivedAgain, archivedAgain.tier_changed_at ?? new Date().toISOString(), log);
  }

  async function complete(completion: RestoreCompletion, parentLog: FastifyBaseLogger): Promise<void> {
    const log = parentLog.child({ job_id: completion.jobId });
    const record = await records.get(completion.jobId);
    if (!record) {
      log.warn('restore notification for a job that has no record; ignored');
      return;
    }
    if (record.results_status === 'AVAILABLE') {
      if (record.restored_at && !record.restore_published_at) await publishRestored(record, log);
      else log.info('results already available; duplicate restore notification ignored');
      return;
    }
    const current =
      record.results_status === 'RESTORING' &&
      (completion.backend === 'glacier-vault'
        ? record.restore_job_id === completion.restoreJobId
        : record.results_file_archive_key === completion.archiveKey);
    if (!current) {
      log.info({ results_status: record.results_status }, 'not the restore this job waits for; ignored');
      return;
    }
    const restoreJobId = completion.backend === 'glacier-vault' ? completion.restoreJobId : undefined;

    if (!completion.succeeded) {
      const reason =
        completion.backend === 'glacier-vault' ? (completion.statusMessage ?? 'no reason given') : 'unknown';
      await retrievalFailed(record, reason, restoreJobId, log);
      return;
    }
    const archived = archivedFileOf(record, storages.vault);
    const storage = archived ? storages.of(archived.backend) : undefined;
    const key = record.result_keys?.annotated_vcf_key;
    if (!archived || !storage || !key) {
      await records.recordRestoreError(
        record.job_id,
        'Restoring failed: the record names no usable archive.',
        'RESTORING',
      );
      log.error('restore completed but the record names no usable archive or results key');
      return;
    }
    const target = { bucket: record.results_bucket ?? deps.resultsBucket, key };
    try {
      if (!(await hotCopyExists(target))) await storage.copyBack(archived, target, restoreJobId);
    } catch (error) {
      await records.recordRestoreError(
        record.job_id,
        `Copying the restored results back failed: ${reasonOf(error)}. It is retried automatically.`,
        'RESTORING',
      );
      log.error({ err: error }, 'copy back failed; recorded on the job and retried');
      throw error;
    }
    await storage.discard(archived);
    const restored = await records.markRestored(record.job_id, restoreJobId);
    if (!restored) {
      log.info('restore completed by another delivery; nothing written');
      return;
    }
    log.info({ restored_at: restored.restored_at, backend: archived.backend }, 'results restored');
    await publishRestored(restored, log);
  }

  async function coldStorageEvent(event: ColdStorageEvent, log: FastifyBaseLogger): Promise<void> {
    const completions = restoreCompletionsOf(event, {
      resultsBucket: deps.resultsBucket,
      ...(storages.vault ? { vault: storages.vault } : {}),
    });
    if (completions.length === 0) log.debug('cold-storage event about nothing GAS restores; ignored');
    for (const completion of completions) await complete(completion, log);
  }

  /** One overdue RESTORING record: ask the backend, then complete / fail / restart / leave it. */
  async function checkRestore(jobId: string, log: FastifyBaseLogger, now: Date): Promise<string> {
    const record = await records.get(jobId);
    if (
      record?.results_status !== 'RESTORING' ||
      !record.restore_expected_at ||
      record.restore_expected_at > now.toISOString()
    ) {
      return 'not-overdue'; // the GSI answered before the record changed
    }
    const archived = archivedFileOf(record, storages.vault);
    const storage = archived ? storages.of(archived.backend) : undefined;
    if (!archived || !storage) {
      await records.recordRestoreError(
        jobId,
        'Restoring failed: the record names no usable archive.',
        'RESTORING',
      );
      log.error('overdue restore: the record names no usable archive');
      return 'unusable';
    }
    const restoreJobId = record.restore_job_id;
    const progress = await storage.restoreProgress(archived, restoreJobId);
    if (progress.state === 'running') {
      log.info({ restore_expected_at: record.restore_expected_at }, 'overdue restore still running');
      return progress.state;
    }
    if (progress.state === 'not-started') {
      log.warn('overdue restore unknown to S3 (restored copy expired?); requesting it again');
      await storage.startRestore(archived, jobId, deps.restoreTier);
      return progress.state;
    }
    log.warn({ state: progress.state }, 'restore finished but its notification never arrived; completing it');
    if (archived.backend === 's3-glacier') {
      if (progress.state === 'done') {
        await complete(
          { backend: 's3-glacier', jobId, succeeded: true, archiveKey: archived.archiveKey },
          log,
        );
      } else {
        await retrievalFailed(record, progress.reason, undefined, log);
      }
    } else {
      await complete(
        {
          backend: 'glacier-vault',
          jobId,
          succeeded: progress.state === 'done',
          restoreJobId: restoreJobId ?? '',
          archiveId: archived.archiveId,
          statusMessage: progress.state === 'failed' ? progress.reason : undefined,
        },
        log,
      );
    }
    return progress.state;
  }

  /**
   * The sweep for lost completion notifications: every RESTORING record whose expected time
   * has passed (sparse GSI, one query per shard) is checked with the backend. One record's
   * error is logged (and recorded on it where the paths above do) and does not stop the rest.
   */
  async function checkOverdueRestores(log: FastifyBaseLogger, now = new Date()) {
    const counts = { checked: 0, failed: 0 };
    for (let shard = 0; shard < ARCHIVE_SHARDS; shard++) {
      for await (const due of records.overdueRestores(String(shard), now)) {
        const jobLog = log.child({ job_id: due.job_id });
        counts.checked += 1;
        try {
          await checkRestore(due.job_id, jobLog, now);
        } catch (error) {
          counts.failed += 1;
          jobLog.error({ err: error }, 'overdue restore check failed; asked again next sweep');
        }
      }
    }
    if (counts.checked > 0) log.info(counts, 'overdue restores checked');
    return counts;
  }

  return { tierChanged, coldStorageEvent, checkOverdueRestores };
}
export type Thawer = ReturnType<typeof createThawer>;
