import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { ColdStorageEvent } from '@gas/contracts';
import { describe, expect, it } from 'vitest';
import { sha256TreeHash as devcloudTreeHash } from '../../../tools/devcloud/src/glacier/tree-hash.ts';
import {
  ARCHIVE_SHARDS,
  archiveKeyOf,
  archiveShardOf,
  jobIdOfArchiveKey,
  restoreCompletionsOf,
  sha256TreeHash,
} from '../src/index.ts';

const MiB = 1024 * 1024;

describe('SHA-256 tree hash', () => {
  it('is the plain SHA-256 for one chunk or less', () => {
    for (const size of [0, 1, MiB]) {
      const bytes = randomBytes(size);
      expect(sha256TreeHash(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });

  it('agrees with devcloud’s own implementation (the server side of UploadArchive) on odd and even trees', () => {
    for (const size of [MiB + 1, 2 * MiB, 3 * MiB, 2.5 * MiB, 5 * MiB - 7]) {
      const bytes = randomBytes(size);
      expect(sha256TreeHash(bytes), `${size} bytes`).toBe(devcloudTreeHash(bytes));
    }
  });

  it('hashes two chunks as SHA-256 of the two chunk digests', () => {
    const bytes = randomBytes(2 * MiB);
    const left = createHash('sha256').update(bytes.subarray(0, MiB)).digest();
    const right = createHash('sha256').update(bytes.subarray(MiB)).digest();
    expect(sha256TreeHash(bytes)).toBe(createHash('sha256').update(left).update(right).digest('hex'));
  });
});

describe('archive keys and shards', () => {
  const jobId = randomUUID();

  it('puts the archive copy beside the results, under archive/, and reads the job back', () => {
    const key = archiveKeyOf(`results/user-1/${jobId}/sample.annot.vcf.gz`);
    expect(key).toBe(`archive/user-1/${jobId}/sample.annot.vcf.gz`);
    expect(jobIdOfArchiveKey(key)).toBe(jobId);
    expect(jobIdOfArchiveKey(`results/user-1/${jobId}/sample.annot.vcf.gz`)).toBeUndefined();
    expect(jobIdOfArchiveKey('archive/user-1/not-a-uuid/x')).toBeUndefined();
  });

  it('gives every job a stable shard within range', () => {
    const shards = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const id = randomUUID();
      expect(archiveShardOf(id)).toBe(archiveShardOf(id));
      shards.add(archiveShardOf(id));
    }
    expect([...shards].map(Number).every((s) => s >= 0 && s < ARCHIVE_SHARDS)).toBe(true);
    expect(shards.size).toBe(ARCHIVE_SHARDS);
  });
});

describe('restoreCompletionsOf', () => {
  const jobId = randomUUID();
  const scope = { resultsBucket: 'gas-results', vault: 'gas-results-archive' };
  const s3Event = (overrides: { bucket?: string; key?: string; eventName?: string }): ColdStorageEvent => ({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: '2026-11-22T01:00:00.000Z',
        eventName: overrides.eventName ?? 'ObjectRestore:Completed',
        s3: {
          s3SchemaVersion: '1.0',
          bucket: { name: overrides.bucket ?? 'gas-results' },
          object: { key: overrides.key ?? `archive/user-1/${jobId}/sample.annot.vcf.gz` },
        },
      },
    ],
  });
  const glacierEvent = (overrides: Record<string, unknown> = {}): ColdStorageEvent =>
    ({
      Action: 'ArchiveRetrieval',
      JobId: 'retrieval-1',
      VaultARN: 'arn:aws:glacier:us-east-1:000000000000:vaults/gas-results-archive',
      Completed: true,
      StatusCode: 'Succeeded',
      CreationDate: '2026-11-22T01:00:00.000Z',
      JobDescription: jobId,
      ArchiveId: 'archive-1',
      ...overrides,
    }) as ColdStorageEvent;

  it('reads the job of an S3 restore of one of our archive copies (key form-decoded)', () => {
    expect(restoreCompletionsOf(s3Event({}), scope)).toEqual([
      {
        backend: 's3-glacier',
        jobId,
        succeeded: true,
        archiveKey: `archive/user-1/${jobId}/sample.annot.vcf.gz`,
      },
    ]);
    expect(
      restoreCompletionsOf(s3Event({ key: `archive/user%2B1/${jobId}/a+b.vcf.gz` }), scope)[0],
    ).toMatchObject({ archiveKey: `archive/user+1/${jobId}/a b.vcf.gz` });
  });

  it('ignores other buckets, other keys, other S3 events and the S3 test event', () => {
    expect(restoreCompletionsOf(s3Event({ bucket: 'someone-else' }), scope)).toEqual([]);
    expect(restoreCompletionsOf(s3Event({ key: `results/user-1/${jobId}/x.vcf.gz` }), scope)).toEqual([]);
    expect(restoreCompletionsOf(s3Event({ eventName: 'ObjectCreated:Put' }), scope)).toEqual([]);
    const testEvent = {
      Service: 'Amazon S3',
      Event: 's3:TestEvent',
      Time: 't',
      Bucket: 'gas-results',
    } as const;
    expect(restoreCompletionsOf(testEvent, scope)).toEqual([]);
  });

  it('reads a Glacier retrieval that succeeded or failed, with the job from the description', () => {
    expect(restoreCompletionsOf(glacierEvent(), scope)).toEqual([
      {
        backend: 'glacier-vault',
        jobId,
        succeeded: true,
        restoreJobId: 'retrieval-1',
        archiveId: 'archive-1',
        statusMessage: undefined,
      },
    ]);
    expect(
      restoreCompletionsOf(glacierEvent({ StatusCode: 'Failed', StatusMessage: 'gone' }), scope)[0],
    ).toMatchObject({ succeeded: false, statusMessage: 'gone' });
  });

  it('ignores other vaults, inventories, unfinished jobs and descriptions that are not a job id', () => {
    expect(
      restoreCompletionsOf(glacierEvent({ VaultARN: 'arn:aws:glacier:us-east-1:1:vaults/other' }), scope),
    ).toEqual([]);
    expect(restoreCompletionsOf(glacierEvent({ Action: 'InventoryRetrieval' }), scope)).toEqual([]);
    expect(restoreCompletionsOf(glacierEvent({ Completed: false }), scope)).toEqual([]);
    expect(restoreCompletionsOf(glacierEvent({ JobDescription: 'hello' }), scope)).toEqual([]);
  });
});
