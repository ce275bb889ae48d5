/**
 * Completion notifications that never arrive, against devcloud, both backends. The thawer is
 * stopped while the retrieval runs, so the completion notification (S3
 * ObjectRestore:Completed / Glacier's job notification) waits in thawer-cold-storage-events;
 * the test then either deletes it (lost) or leaves it (duplicate: the queue and the overdue
 * check both report the same completion). `restore_expected_at` is moved into the past, as if
 * the tier's upper bound (5 minutes for Expedited) had gone by, and a new thawer starts with
 * RESTORE_CHECK_INTERVAL_SECONDS=1. What a user checks: the results come back AVAILABLE with
 * the original bytes, and one ArchiveRestored (one e-mail) goes out.
 */
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Backend,
  backends,
  eventually,
  type LogLines,
  useTiersCloud,
} from '../../archiver/test/support/tiers-cloud.ts';

// Long enough that the thawer is stopped before the retrieval ends.
const t = useTiersCloud({ restoreDelayMs: 4000 });

describe.each(backends)('lost completion notifications, %s backend', (backend: Backend) => {
  let archiver: { app: FastifyInstance; logs: LogLines };
  let thawer: { app: FastifyInstance; logs: LogLines } | undefined;
  const user = (name: string) => `${name}-${backend}`;
  const startThawer = () => t.startThawer(backend, { RESTORE_CHECK_INTERVAL_SECONDS: '1' });

  beforeAll(async () => {
    archiver = await t.startArchiver(backend);
  });
  afterAll(async () => {
    await t.stop(archiver.app);
    if (thawer) await t.stop(thawer.app);
  });

  /** Upgrade, RESTORING, thawer stopped; resolves once the completion notification is queued. */
  async function restoreWithThawerDown(userId: string) {
    const { jobId, vcf, record } = await t.completeJob({ userId, tier: 'free' });
    await t.archived(jobId);
    thawer ??= await startThawer();
    await t.changeTier(userId, 'premium');
    const restoring = await t.restoring(jobId);
    await t.stop(thawer.app);
    thawer = undefined;
    expect((await t.job(jobId)).results_status).toBe('RESTORING');
    await eventually(
      async () => (await t.queueDepth('thawerColdStorageEvents')) >= 1,
      'the completion notification in the queue',
    );
    return { jobId, vcf, record, restoring };
  }

  /** As if the tier's upper bound had passed. */
  async function expectedTimePassed(jobId: string): Promise<void> {
    await t.doc.send(
      new UpdateCommand({
        TableName: t.provisioned.jobsTable,
        Key: { job_id: jobId },
        UpdateExpression: 'SET restore_expected_at = :past',
        ConditionExpression: 'results_status = :restoring',
        ExpressionAttributeValues: {
          ':past': new Date(Date.now() - 1000).toISOString(),
          ':restoring': 'RESTORING',
        },
      }),
    );
  }

  async function dropQueuedNotifications(): Promise<number> {
    let dropped = 0;
    while ((await t.queueDepth('thawerColdStorageEvents')) > 0) {
      const out = await t.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: t.provisioned.queueUrls.thawerColdStorageEvents,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
        }),
      );
      for (const m of out.Messages ?? []) {
        await t.clients.sqs.send(
          new DeleteMessageCommand({
            QueueUrl: t.provisioned.queueUrls.thawerColdStorageEvents,
            ReceiptHandle: m.ReceiptHandle,
          }),
        );
        dropped += 1;
      }
    }
    return dropped;
  }

  async function restoredOnce(jobId: string, resultsKey: string, vcf: Buffer) {
    const restored = await eventually(async () => {
      const r = await t.job(jobId);
      return r.results_status === 'AVAILABLE' && r.restore_published_at ? r : undefined;
    }, 'AVAILABLE with ArchiveRestored published');
    expect(restored.restore_shard).toBeUndefined();
    expect(restored.restore_expected_at).toBeUndefined();
    expect(restored.results_file_archive_id).toBeUndefined();
    expect(restored.results_file_archive_key).toBeUndefined();
    expect((await t.object(resultsKey))?.equals(vcf)).toBe(true);
    expect((await t.head(resultsKey))?.StorageClass ?? 'STANDARD').toBe('STANDARD');
    // Every notification handled (none left to deliver a second ArchiveRestored later).
    await eventually(async () => (await t.queueDepth('thawerColdStorageEvents')) === 0, 'an empty queue');
    const messages = await t.archiveRestoredFor(jobId);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.restored_at).toBe(restored.restored_at);
    return restored;
  }

  it('a lost notification: the overdue check finds the finished retrieval and restores the results', async () => {
    const archivesBefore = backend === 'glacier-vault' ? await t.vaultArchiveCount() : 0;
    const { jobId, vcf, record, restoring } = await restoreWithThawerDown(user('lia'));
    expect(await dropQueuedNotifications()).toBeGreaterThanOrEqual(1);
    await expectedTimePassed(jobId);

    thawer = await startThawer();
    await restoredOnce(jobId, record.result_keys!.annotated_vcf_key, vcf);
    expect(
      thawer.logs.some(
        (line) =>
          line.msg === 'restore finished but its notification never arrived; completing it' &&
          line.job_id === jobId,
      ),
    ).toBe(true);
    if (backend === 's3-glacier') {
      expect(await t.head(restoring.results_file_archive_key!)).toBeUndefined();
    } else {
      expect(await t.vaultArchiveCount()).toBe(archivesBefore);
    }
  });

  it('a notification and the overdue check both report the completion: restored once', async () => {
    const { jobId, vcf, record } = await restoreWithThawerDown(user('max'));
    await expectedTimePassed(jobId);

    // The new thawer drains the kept notification and runs its first check at the same time.
    thawer = await startThawer();
    await restoredOnce(jobId, record.result_keys!.annotated_vcf_key, vcf);
    const restoredLines = thawer.logs.filter(
      (line) => line.msg === 'results restored' && line.job_id === jobId,
    );
    expect(restoredLines).toHaveLength(1);
  });

  it('a restore still running when it is overdue is left alone until it finishes', async () => {
    // The retrieval takes 4 s in devcloud; the check runs every second meanwhile.
    thawer ??= await startThawer();
    const { jobId, vcf, record } = await t.completeJob({ userId: user('ned'), tier: 'free' });
    await t.archived(jobId);
    await t.changeTier(user('ned'), 'premium');
    await eventually(async () => (await t.job(jobId)).results_status === 'RESTORING', 'RESTORING');
    await expectedTimePassed(jobId);
    await eventually(
      async () =>
        thawer!.logs.some((line) => line.msg === 'overdue restore still running' && line.job_id === jobId),
      'the check to see the retrieval still running',
    );
    await restoredOnce(jobId, record.result_keys!.annotated_vcf_key, vcf);
  });
});
