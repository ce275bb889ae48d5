import { describe, expect, it } from 'vitest';
import {
  ArchiveRestored,
  ColdStorageEvent,
  decodeS3EventKey,
  GlacierJobCompleted,
  isValid,
  JobCompleted,
  JobRecord,
  JobRequested,
  MessageValidationError,
  parseWith,
  S3EventNotification,
  S3TestEvent,
  topicMessages,
  UserTierChanged,
} from '../src/index.ts';
import * as examples from './examples.ts';
import { variant } from './examples.ts';

function issuesOfFailure(run: () => unknown): { message: string; paths: string[] } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(MessageValidationError);
    const failure = error as MessageValidationError;
    expect(failure.name).toBe('MessageValidationError');
    return { message: failure.message, paths: failure.issues.map((issue) => issue.path) };
  }
  throw new Error('expected a MessageValidationError');
}

describe('valid examples pass their schema', () => {
  const cases = [
    ['JobRequested', JobRequested, examples.jobRequested],
    ['JobCompleted COMPLETED', JobCompleted, examples.jobSucceeded],
    ['JobCompleted FAILED', JobCompleted, examples.jobFailed],
    ['UserTierChanged', UserTierChanged, examples.userTierChanged],
    ['ArchiveRestored', ArchiveRestored, examples.archiveRestored],
    ['S3EventNotification', S3EventNotification, examples.s3RestoreCompleted],
    ['GlacierJobCompleted', GlacierJobCompleted, examples.glacierJobCompleted],
    ['JobRecord', JobRecord, examples.jobRecordRunning],
  ] as const;
  for (const [label, schema, example] of cases) {
    it(label, () => {
      expect(parseWith(schema, example, label)).toBe(example);
    });
  }
});

describe('invalid examples are refused with the failing field path', () => {
  it('JobRequested without job_id, with a non-UUID, negative size, unknown tier', () => {
    const missing = issuesOfFailure(() =>
      parseWith(
        JobRequested,
        variant(examples.jobRequested, (m) => delete m.job_id),
        'JobRequested',
      ),
    );
    expect(missing.paths).toEqual(['/job_id']);
    expect(missing.message).toBe('JobRequested is invalid: /job_id is required');

    const bad = issuesOfFailure(() =>
      parseWith(
        JobRequested,
        variant(examples.jobRequested, (m) => {
          m.job_id = 'job-1';
          m.input_size_bytes = -1;
          m.user_tier = 'gold';
        }),
        'JobRequested',
      ),
    );
    expect(bad.paths.sort()).toEqual(['/input_size_bytes', '/job_id', '/user_tier']);
  });

  it('JobRequested with another schema_version or type', () => {
    const v2 = issuesOfFailure(() =>
      parseWith(
        JobRequested,
        variant(examples.jobRequested, (m) => (m.schema_version = 2)),
        'JobRequested',
      ),
    );
    expect(v2.paths).toEqual(['/schema_version']);
    const other = issuesOfFailure(() =>
      parseWith(
        JobRequested,
        variant(examples.jobRequested, (m) => (m.type = 'JobCompleted')),
        'JobRequested',
      ),
    );
    expect(other.paths).toEqual(['/type']);
  });

  it('JobCompleted: status selects the branch and errors name its fields', () => {
    const noCounts = issuesOfFailure(() =>
      parseWith(
        JobCompleted,
        variant(examples.jobSucceeded, (m) => delete m.counts),
        'JobCompleted',
      ),
    );
    expect(noCounts.paths).toEqual(['/counts']);

    const failedWithoutReason = issuesOfFailure(() =>
      parseWith(
        JobCompleted,
        variant(examples.jobFailed, (m) => delete m.error_message),
        'JobCompleted',
      ),
    );
    expect(failedWithoutReason.paths).toEqual(['/error_message']);

    const badKey = issuesOfFailure(() =>
      parseWith(
        JobCompleted,
        variant(examples.jobSucceeded, (m) => ((m.result_keys as Record<string, unknown>).tsv_key = '')),
        'JobCompleted',
      ),
    );
    expect(badKey.paths).toEqual(['/result_keys/tsv_key']);

    const unknownStatus = issuesOfFailure(() =>
      parseWith(
        JobCompleted,
        variant(examples.jobSucceeded, (m) => (m.status = 'DONE')),
        'JobCompleted',
      ),
    );
    expect(unknownStatus.message).toBe(
      'JobCompleted is invalid: /status must be one of "COMPLETED", "FAILED" (got "DONE")',
    );
  });

  it('UserTierChanged with an unknown tier and a bad e-mail', () => {
    const bad = issuesOfFailure(() =>
      parseWith(
        UserTierChanged,
        variant(examples.userTierChanged, (m) => {
          m.new_tier = 'enterprise';
          m.user_email = 'not-an-email';
        }),
        'UserTierChanged',
      ),
    );
    expect(bad.paths.sort()).toEqual(['/new_tier', '/user_email']);
  });

  it('ArchiveRestored without restored_at and with a non-ISO time', () => {
    expect(
      issuesOfFailure(() =>
        parseWith(
          ArchiveRestored,
          variant(examples.archiveRestored, (m) => delete m.restored_at),
          'ArchiveRestored',
        ),
      ).paths,
    ).toEqual(['/restored_at']);
    expect(
      issuesOfFailure(() =>
        parseWith(
          ArchiveRestored,
          variant(examples.archiveRestored, (m) => (m.restored_at = 'yesterday')),
          'ArchiveRestored',
        ),
      ).paths,
    ).toEqual(['/restored_at']);
  });

  it('S3 event: an empty Records list, a record from another source, a missing object key', () => {
    expect(issuesOfFailure(() => parseWith(S3EventNotification, { Records: [] }, 'S3 event')).paths).toEqual([
      '/Records',
    ]);
    const record = variant(examples.s3RestoreCompleted, (m) => {
      const records = m.Records as Array<Record<string, unknown>>;
      records[0]!.eventSource = 'aws:sqs';
      delete (records[0]!.s3 as { object: Record<string, unknown> }).object.key;
    });
    expect(issuesOfFailure(() => parseWith(S3EventNotification, record, 'S3 event')).paths.sort()).toEqual([
      '/Records/0/eventSource',
      '/Records/0/s3/object/key',
    ]);
  });

  it('Glacier job notification with an unknown StatusCode', () => {
    const bad = variant(examples.glacierJobCompleted, (m) => (m.StatusCode = 'Done'));
    expect(issuesOfFailure(() => parseWith(GlacierJobCompleted, bad, 'Glacier job')).paths).toEqual([
      '/StatusCode',
    ]);
  });

  it('JobRecord with an unknown status and results status', () => {
    const bad = variant(examples.jobRecordRunning, (m) => {
      m.status = 'DONE';
      m.results_status = 'LOST';
    });
    expect(issuesOfFailure(() => parseWith(JobRecord, bad, 'job record')).paths.sort()).toEqual([
      '/results_status',
      '/status',
    ]);
  });
});

describe('topics and their messages', () => {
  it('each topic names the schema of what travels on it', () => {
    expect(isValid(topicMessages.jobRequests, examples.jobRequested)).toBe(true);
    expect(isValid(topicMessages.jobCompleted, examples.jobFailed)).toBe(true);
    expect(isValid(topicMessages.userTierChanged, examples.userTierChanged)).toBe(true);
    expect(isValid(topicMessages.archiveRestored, examples.archiveRestored)).toBe(true);
    expect(isValid(topicMessages.jobRequests, examples.jobSucceeded)).toBe(false);
  });

  it('cold-storage-events accepts the S3 event, the S3 test event and the Glacier notification', () => {
    const testEvent = {
      Service: 'Amazon S3',
      Event: 's3:TestEvent',
      Time: '2026-11-22T00:00:00.000Z',
      Bucket: 'gas-results',
      RequestId: 'R1',
      HostId: 'H1',
    };
    expect(isValid(S3TestEvent, testEvent)).toBe(true);
    expect(isValid(ColdStorageEvent, testEvent)).toBe(true);
    expect(isValid(ColdStorageEvent, examples.s3RestoreCompleted)).toBe(true);
    expect(isValid(ColdStorageEvent, examples.glacierJobCompleted)).toBe(true);
    expect(isValid(ColdStorageEvent, examples.jobRequested)).toBe(false);
  });

  it('S3 ObjectCreated events (a restored copy written back) are valid too', () => {
    const created = structuredClone(examples.s3RestoreCompleted);
    const record = created.Records[0]!;
    record.eventName = 'ObjectCreated:Copy';
    delete record.glacierEventData;
    record.s3.object.eTag = 'd41d8cd98f00b204e9800998ecf8427e';
    expect(isValid(S3EventNotification, created)).toBe(true);
    record.eventName = 'ObjectTagging:Put';
    expect(() => parseWith(S3EventNotification, created, 'S3 event')).toThrow(
      'S3 event is invalid: /Records/0/eventName must match pattern',
    );
  });

  it('S3 event keys are decoded from form encoding', () => {
    expect(decodeS3EventKey('results/u/j/my+sample%7E1.annot.vcf.gz')).toBe(
      'results/u/j/my sample~1.annot.vcf.gz',
    );
  });
});
