/**
 * Restores that fail, against devcloud, both backends: the cold copy disappears behind
 * GAS's back (deleted from the bucket / vault), so the restore cannot start or the Glacier
 * retrieval ends Failed. What a user and an operator must see: the job stays ARCHIVED with
 * the reason on the record (the job page shows `restore_error`), an error in the log, and
 * the work kept for a retry, never silently dropped.
 */
import { DeleteArchiveCommand } from '@aws-sdk/client-glacier';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { JobRecord } from '@gas/contracts';
import { describe, expect, it } from 'vitest';
import {
  type Backend,
  backends,
  eventually,
  useArchiverAndThawer,
  useTiersCloud,
} from '../../archiver/test/support/tiers-cloud.ts';

const t = useTiersCloud({ restoreDelayMs: 1500 });

describe.each(backends)('restores that fail, %s backend', (backend: Backend) => {
  const { user, thawerLoggedError } = useArchiverAndThawer(t, backend);

  async function loseColdCopy(record: JobRecord): Promise<void> {
    if (backend === 's3-glacier') {
      await t.clients.s3.send(
        new DeleteObjectCommand({ Bucket: record.results_bucket!, Key: record.results_file_archive_key! }),
      );
    } else {
      await t.clients.glacier!.send(
        new DeleteArchiveCommand({
          accountId: '-',
          vaultName: t.vault,
          archiveId: record.results_file_archive_id!,
        }),
      );
    }
  }

  it('a restore that cannot start is recorded on the job, logged, and retried from the kept message', async () => {
    const { jobId } = await t.completeJob({ userId: user('eve'), tier: 'free' });
    await loseColdCopy(await t.archived(jobId));
    // Upgrade messages kept anywhere (queue or its dead-letter queue): only a delete takes one away.
    const kept = async () =>
      (await t.queueDepth('thawerUserTierChanged')) + (await t.queueDepth('thawerUserTierChanged', true));
    const keptBefore = await kept();
    await t.changeTier(user('eve'), 'premium');

    const failed = await eventually(async () => {
      const record = await t.job(jobId);
      return record.restore_error ? record : undefined;
    }, 'the failure on the record');
    expect(failed.results_status).toBe('ARCHIVED');
    expect(failed.user_tier).toBe('premium');
    expect(failed.restore_error).toMatch(
      backend === 's3-glacier'
        ? /^Restoring could not start: the archived copy archive\/\S+ is missing from gas-results\. It is retried automatically\.$/
        : /^Restoring could not start: the archive is missing from vault gas-results-archive\. It is retried automatically\.$/,
    );
    expect(thawerLoggedError('restore could not start; recorded on the job and retried', jobId)).toBe(true);
    // The upgrade message is not deleted: SQS redelivers it after the backoff (then the DLQ keeps it).
    await eventually(async () => ((await t.job(jobId)).restore_attempts ?? 0) >= 2, 'the retry', 30_000);
    expect(await kept()).toBe(keptBefore + 1);
  });
});

// S3 has no "restore failed" event; a Glacier retrieval job can end Failed.
describe('a Glacier retrieval that ends Failed (vault backend)', () => {
  const backend: Backend = 'glacier-vault';
  const running = useArchiverAndThawer(t, backend);
  const { user, thawerLoggedError } = running;

  /** A Free job archived, its user upgrades, and the archive is deleted while Glacier retrieves it. */
  async function archiveDeletedDuringRetrieval(name: string): Promise<string> {
    const { jobId } = await t.completeJob({ userId: user(name), tier: 'free' });
    await t.archived(jobId);
    await t.changeTier(user(name), 'premium');
    const restoring = await t.restoring(jobId);
    // Deleted while Glacier is retrieving it: the retrieval job ends Failed.
    await t.clients.glacier!.send(
      new DeleteArchiveCommand({
        accountId: '-',
        vaultName: t.vault,
        archiveId: restoring.results_file_archive_id!,
      }),
    );
    return jobId;
  }

  it('goes back to ARCHIVED with the reason and is started again', async () => {
    const jobId = await archiveDeletedDuringRetrieval('fay');

    const retried = await eventually(async () => {
      const record = await t.job(jobId);
      return record.restore_attempts === 2 && record.restore_error?.startsWith('Restoring could not start')
        ? record
        : undefined;
    }, 'the failed retrieval to be retried');
    expect(retried.results_status).toBe('ARCHIVED');
    expect(
      running.thawer.logs.some(
        (line) =>
          line.msg === 'restore failed; starting it again' &&
          line.job_id === jobId &&
          line.reason === 'The archive was deleted before the retrieval completed.',
      ),
    ).toBe(true);
    expect(thawerLoggedError('restore could not start; recorded on the job and retried', jobId)).toBe(true);
  });

  it('keeps failing: after RESTORE_MAX_ATTEMPTS the record stays ARCHIVED with the error and an error is logged', async () => {
    await t.stop(running.thawer.app);
    running.thawer = await t.startThawer(backend, { RESTORE_MAX_ATTEMPTS: '1' });
    const jobId = await archiveDeletedDuringRetrieval('gus');
    const gaveUp = await eventually(async () => {
      const record = await t.job(jobId);
      return record.results_status === 'ARCHIVED' && record.restore_error ? record : undefined;
    }, 'the failure on the record');
    expect(gaveUp.restore_error).toBe(
      'Restoring failed 1 time (last: The archive was deleted before the retrieval completed.). The results stay archived; the failure is reported to the operators.',
    );
    expect(gaveUp.restore_attempts).toBe(1);
    expect(thawerLoggedError('restore failed; gave up (recorded on the job)', jobId)).toBe(true);
  });
});
