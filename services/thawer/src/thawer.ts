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

  return { tierChanged, coldStorageEvent };
}
export type Thawer = ReturnType<typeof createThawer>;
