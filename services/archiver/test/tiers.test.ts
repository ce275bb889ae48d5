/**
 * Tiers over time against devcloud (real DynamoDB, S3, SNS, SQS and the Glacier vault API
 * through the SDK), both cold-storage backends running the same tests. Short windows: Free
 * results are kept 3 s, the schedule is swept every 0.5 s, a restore takes 2 s.
 */
import type { ArchivedFile, ColdStorages } from '@gas/cold-storage';
import type { JobRecord } from '@gas/contracts';
import { createLogger } from '@gas/service-kit';
import { describe, expect, it } from 'vitest';
import { createArchiver } from '../src/archiver.ts';
import {
  type Backend,
  backends,
  eventually,
  type LogLines,
  useArchiverAndThawer,
  useTiersCloud,
} from './support/tiers-cloud.ts';

const RETENTION_MS = 3000;
const SWEEP_MS = 500;

const t = useTiersCloud({ restoreDelayMs: 2000 });

describe.each(backends)('tiers over time, %s backend', (backend: Backend) => {
  const running = useArchiverAndThawer(t, backend);
  const { user } = running;

  /** What a user finds once the record says ARCHIVED: no results file, the log and other outputs still there. */
  async function expectArchived(record: JobRecord): Promise<void> {
    expect(record.cold_storage_backend).toBe(backend);
    expect(await t.object(record.result_keys!.annotated_vcf_key)).toBeUndefined();
    expect((await t.object(record.log_key!))?.toString()).toBe('annotated 1 variant\n');
    expect(await t.object(record.result_keys!.summary_key)).toBeDefined();
    if (backend === 's3-glacier') {
      expect(record.results_file_archive_key).toMatch(/^archive\//);
      expect((await t.head(record.results_file_archive_key!))?.StorageClass).toBe('GLACIER');
    } else {
      expect(record.results_file_archive_id).toMatch(/\S{20,}/);
    }
  }

  it('archives a Free job after the window, once, even when JobCompleted arrives three times', async () => {
    const vaultBefore = await t.vaultArchiveCount();
    const { jobId, record: completed } = await t.completeJob({
      userId: user('ada'),
      tier: 'free',
      publishTimes: 3,
    });
    const scheduled = await eventually(async () => (await t.job(jobId)).archive_due_at, 'the schedule');
    expect(Date.parse(scheduled) - Date.parse(completed.completed_at!)).toBe(RETENTION_MS);
    expect(await t.object(completed.result_keys!.annotated_vcf_key)).toBeDefined(); // hot until due

    const record = await t.archived(jobId);
    expect(Date.parse(record.archived_at!)).toBeGreaterThanOrEqual(Date.parse(scheduled));
    await expectArchived(record);
    if (backend === 'glacier-vault') expect(await t.vaultArchiveCount()).toBe(vaultBefore + 1);
    // Every copy of the message was handled, and further sweeps change nothing.
    await eventually(async () => (await t.queueDepth('archiverJobCompleted')) === 0, 'the queue to drain');
    const sweeps = running.archiver.app.archiving.sweeper.sweeps;
    await eventually(
      async () => running.archiver.app.archiving.sweeper.sweeps >= sweeps + 2,
      'two more sweeps',
    );
    expect((await t.job(jobId)).archived_at).toBe(record.archived_at);
    if (backend === 'glacier-vault') expect(await t.vaultArchiveCount()).toBe(vaultBefore + 1);
  });

  it('never archives the results of a user who upgrades before the window ends', async () => {
    const vaultBefore = await t.vaultArchiveCount();
    const { jobId, record: completed } = await t.completeJob({ userId: user('ben'), tier: 'free' });
    const due = await eventually(async () => (await t.job(jobId)).archive_due_at, 'the schedule');
    await t.changeTier(user('ben'), 'premium');
    await eventually(async () => {
      const record = await t.job(jobId);
      return record.user_tier === 'premium' && !record.archive_due_at;
    }, 'the upgrade to reach the record');
    // Wait until sweeps have run past the old due time.
    await eventually(
      async () => Date.now() > Date.parse(due) + 2 * SWEEP_MS,
      'the old due time to pass',
      10_000,
    );
    const sweeps = running.archiver.app.archiving.sweeper.sweeps;
    await eventually(
      async () => running.archiver.app.archiving.sweeper.sweeps >= sweeps + 2,
      'two more sweeps',
    );
    const record = await t.job(jobId);
    expect(record.results_status).toBe('AVAILABLE');
    expect(record.archived_at).toBeUndefined();
    expect(await t.object(completed.result_keys!.annotated_vcf_key)).toBeDefined();
    if (backend === 's3-glacier')
      expect(await t.head(`archive/${user('ben')}/${jobId}/sample.annot.vcf.gz`)).toBeUndefined();
    else expect(await t.vaultArchiveCount()).toBe(vaultBefore);
  });

  let restoredUser: { jobId: string; completedAt: string } | undefined;

  it('restores every archived job of a user who upgrades: RESTORING, then AVAILABLE with the same bytes, once', async () => {
    const vaultBefore = await t.vaultArchiveCount();
    const { jobId, vcf, record: completed } = await t.completeJob({ userId: user('cy'), tier: 'free' });
    const archivedRecord = await t.archived(jobId);
    if (backend === 'glacier-vault') expect(await t.vaultArchiveCount()).toBe(vaultBefore + 1);

    const upgradeAt = Date.now();
    await t.changeTier(user('cy'), 'premium');
    const restoring = await t.restoring(jobId);
    // The job page shows when the file is expected back (Expedited: within 5 minutes).
    expect(Date.parse(restoring.restore_expected_at!)).toBeGreaterThan(upgradeAt);
    expect(Date.parse(restoring.restore_expected_at!)).toBeLessThanOrEqual(Date.now() + 5 * 60_000);
    if (backend === 'glacier-vault') expect(restoring.restore_job_id).toBeTruthy();

    const restored = await eventually(async () => {
      const record = await t.job(jobId);
      return record.results_status === 'AVAILABLE' ? record : undefined;
    }, 'AVAILABLE again');
    // Byte-for-byte (Buffer.equals: a deep toEqual over 1.5 MiB is needlessly slow).
    expect((await t.object(completed.result_keys!.annotated_vcf_key))?.equals(vcf)).toBe(true);
    expect((await t.head(completed.result_keys!.annotated_vcf_key))?.ContentType).toBe('application/gzip');
    expect(restored.restored_at).toBeTruthy();
    expect(restored.results_file_archive_id).toBeUndefined();
    expect(restored.results_file_archive_key).toBeUndefined();
    expect(restored.restore_error).toBeUndefined();
    if (backend === 'glacier-vault') {
      expect(await t.vaultArchiveCount()).toBe(vaultBefore); // the archive is deleted
    } else {
      const head = await t.head(completed.result_keys!.annotated_vcf_key);
      expect(head?.StorageClass ?? 'STANDARD').toBe('STANDARD');
      expect(await t.head(archivedRecord.results_file_archive_key!)).toBeUndefined();
    }
    const published = await eventually(async () => {
      const messages = await t.archiveRestoredFor(jobId);
      return messages.length > 0 ? messages : undefined;
    }, 'ArchiveRestored');
    expect(published).toEqual([
      expect.objectContaining({
        job_id: jobId,
        user_id: user('cy'),
        annotated_vcf_key: completed.result_keys!.annotated_vcf_key,
        restored_at: restored.restored_at,
      }),
    ]);

    // The same completion notification again (SNS and S3/Glacier deliver at least once).
    await t.publishColdStorageEvent(
      backend === 's3-glacier'
        ? {
            Records: [
              {
                eventVersion: '2.1',
                eventSource: 'aws:s3',
                awsRegion: t.cloud.region,
                eventTime: new Date().toISOString(),
                eventName: 'ObjectRestore:Completed',
                s3: {
                  s3SchemaVersion: '1.0',
                  bucket: { name: t.provisioned.buckets.results },
                  object: { key: archivedRecord.results_file_archive_key! },
                },
              },
            ],
          }
        : {
            Action: 'ArchiveRetrieval',
            JobId: restoring.restore_job_id,
            VaultARN: `arn:aws:glacier:${t.cloud.region}:${t.cloud.accountId}:vaults/${t.vault}`,
            Completed: true,
            StatusCode: 'Succeeded',
            CreationDate: new Date().toISOString(),
            JobDescription: jobId,
            ArchiveId: archivedRecord.results_file_archive_id,
          },
    );
    await eventually(
      async () => (await t.queueDepth('thawerColdStorageEvents')) === 0,
      'the event to be handled',
    );
    const after = await t.job(jobId);
    expect(after.results_status).toBe('AVAILABLE');
    expect(after.restored_at).toBe(restored.restored_at);
    expect(await t.archiveRestoredFor(jobId)).toHaveLength(1);
    restoredUser = { jobId, completedAt: completed.completed_at! };
  });

  it('archives again after a downgrade: old results at once, newer ones at their own due time', async () => {
    expect(restoredUser).toBeDefined();
    const old = restoredUser!;
    // A job finished while Premium: never scheduled.
    const { jobId: newJobId } = await t.completeJob({ userId: user('cy'), tier: 'premium' });
    await eventually(async () => (await t.queueDepth('archiverJobCompleted')) === 0, 'JobCompleted handled');
    expect((await t.job(newJobId)).archive_due_at).toBeUndefined();

    await t.changeTier(user('cy'), 'free');
    const reArchived = await t.archived(old.jobId);
    await expectArchived(reArchived);
    const newer = await t.job(newJobId);
    expect(newer.user_tier).toBe('free');
    expect(Date.parse(newer.archive_due_at!) - Date.parse(newer.completed_at!)).toBe(RETENTION_MS);
    await expectArchived(await t.archived(newJobId));
  });

  it('after a restart between schedule and due time, archives once and on time (by the first sweep after the due time)', async () => {
    const vaultBefore = await t.vaultArchiveCount();
    const { jobId } = await t.completeJob({ userId: user('dee'), tier: 'free' });
    const due = await eventually(async () => (await t.job(jobId)).archive_due_at, 'the schedule');
    await t.stop(running.archiver.app);
    expect((await t.job(jobId)).results_status).toBe('AVAILABLE');
    running.archiver = await t.startArchiver(backend);
    const record = await t.archived(jobId);
    // On time, without a clock bound (a busy machine may delay any sweep): not claimed
    // before the due time, and no sweep of the new archiver that started after the due time
    // passed the job by, so the claim came from the first sweep that could see it.
    const line = running.archiver.logs.find((l) => l.msg === 'results archived' && l.job_id === jobId);
    const claimedAt = Date.parse(String(line?.claimed_at));
    expect(claimedAt).toBeGreaterThanOrEqual(Date.parse(due));
    const sweepsStartedSinceDue = running.archiver.app.archiving.sweeper.recentStarts.filter(
      (start) => start >= Date.parse(due) && start <= claimedAt,
    );
    expect(sweepsStartedSinceDue.length).toBeLessThanOrEqual(1);
    expect(Date.parse(record.archived_at!)).toBeGreaterThanOrEqual(Date.parse(String(line?.claimed_at)));
    await expectArchived(record);
    if (backend === 'glacier-vault') expect(await t.vaultArchiveCount()).toBe(vaultBefore + 1);
  });
});

// The race the conditional writes exist for, driven step by step (no archiver app runs here):
// the user upgrades while their results file is being copied to cold storage.
describe.each(backends)(
  'an upgrade that lands while the file is being copied, %s backend',
  (backend: Backend) => {
    it('refuses the ARCHIVED mark, discards the cold copy and leaves the results where they were', async () => {
      const { storages, records } = t.archiverParts(backend);
      const userId = `gil-${backend}`;
      const { jobId, vcf, record } = await t.completeJob({
        userId,
        tier: 'free',
        completedAt: new Date(Date.now() - 10_000),
        publishTimes: 0,
      });
      expect(await records.schedule(jobId, new Date(Date.now() - 1000))).toBeDefined();
      const vaultBefore = await t.vaultArchiveCount();
      let copied: ArchivedFile | undefined;
      const racing: ColdStorages = {
        ...storages,
        current: {
          ...storages.current,
          backend,
          archive: async (file) => {
            copied = await storages.current.archive(file);
            // Web published the upgrade; the thawer/archiver applied it to the record meanwhile.
            await records.applyTier(jobId, 'premium', new Date().toISOString());
            return copied;
          },
          startRestore: storages.current.startRestore.bind(storages.current),
          copyBack: storages.current.copyBack.bind(storages.current),
          discard: storages.current.discard.bind(storages.current),
        },
      };
      const logs: LogLines = [];
      const archiver = createArchiver({
        records,
        storages: racing,
        s3: t.clients.s3,
        retentionSeconds: 3,
        leaseSeconds: 60,
        owner: 'race-test',
        logger: createLogger(
          { service: 'archiver', level: 'info' },
          { write: (line: string) => void logs.push(JSON.parse(line)) },
        ),
      });
      const counts = await archiver.sweep();
      expect(counts['tier-changed']).toBe(1);
      expect(copied).toBeDefined();

      const after = await t.job(jobId);
      expect(after.results_status).toBe('AVAILABLE');
      expect(after.user_tier).toBe('premium');
      expect(after.archived_at).toBeUndefined();
      expect((await t.object(record.result_keys!.annotated_vcf_key))?.equals(vcf)).toBe(true);
      if (copied?.backend === 's3-glacier') expect(await t.head(copied.archiveKey)).toBeUndefined();
      else expect(await t.vaultArchiveCount()).toBe(vaultBefore);
      expect(
        logs.some((l) => l.msg === 'not archived: the tier or status changed meanwhile; cold copy discarded'),
      ).toBe(true);
      // The next sweep takes the Premium record off the schedule.
      expect((await archiver.sweep()).unscheduled).toBe(1);
      expect((await t.job(jobId)).archive_due_at).toBeUndefined();
      storages.destroy();
    });
  },
);

// An archiver that dies after the ARCHIVED write but before deleting the hot copy.
describe.each(backends)(
  'an archiver that crashed between the ARCHIVED mark and the delete, %s backend',
  (backend: Backend) => {
    it('leaves the record on the schedule, and the next sweep deletes the hot copy once', async () => {
      const { storages, records } = t.archiverParts(backend);
      const { jobId, record } = await t.completeJob({
        userId: `hal-${backend}`,
        tier: 'free',
        publishTimes: 0,
      });
      await records.schedule(jobId, new Date(Date.now() - 1000));
      // The first archiver's steps 1-3, then it is gone.
      expect(await records.claimArchive(jobId, 'crashed-archiver', 60)).toBeDefined();
      const copy = await storages.current.archive({
        bucket: record.results_bucket!,
        key: record.result_keys!.annotated_vcf_key,
        jobId,
      });
      const marked = await records.markArchived(jobId, 'crashed-archiver', copy);
      expect(marked?.results_status).toBe('ARCHIVED');
      expect(marked?.archive_due_at).toBeDefined();
      expect(await t.object(record.result_keys!.annotated_vcf_key)).toBeDefined();

      const archiver = createArchiver({
        records,
        storages,
        s3: t.clients.s3,
        retentionSeconds: 3,
        leaseSeconds: 60,
        owner: 'next-archiver',
        logger: createLogger({ service: 'archiver', level: 'silent' }),
      });
      expect((await archiver.sweep())['hot-copy-removed']).toBe(1);
      const after = await t.job(jobId);
      expect(after.results_status).toBe('ARCHIVED');
      expect(after.archive_due_at).toBeUndefined();
      expect(after.archived_at).toBe(marked?.archived_at);
      expect(await t.object(record.result_keys!.annotated_vcf_key)).toBeUndefined();
      expect((await archiver.sweep())['hot-copy-removed']).toBe(0);
      storages.destroy();
    });
  },
);
