import { describe, expect, it } from 'vitest';
import {
  inputObjectKey,
  isValid,
  parseInputObjectKey,
  ResultKeys,
  resultObjectKeys,
  safeFileName,
  UserId,
  unwrapTopicMessage,
} from '../src/index.ts';
import { jobSucceeded as jobCompletedExample, jobId } from './examples.ts';

describe('S3 object keys', () => {
  it('builds and parses the input key', () => {
    const key = inputObjectKey('user-42', jobId, 'my sample (1).vcf.gz');
    expect(key).toBe(`inputs/user-42/${jobId}~my_sample__1_.vcf.gz`);
    expect(parseInputObjectKey(key)).toEqual({ userId: 'user-42', jobId, fileName: 'my_sample__1_.vcf.gz' });
  });

  it('refuses keys that are not input keys, or that try to leave the user folder', () => {
    expect(parseInputObjectKey(`inputs/user-42/${jobId}`)).toBeUndefined();
    expect(parseInputObjectKey(`inputs/user-42/../user-7/${jobId}~x.vcf`)).toBeUndefined();
    expect(
      parseInputObjectKey(`inputs/user-42/not-a-uuid-0000-0000-0000-000000000000~x.vcf`),
    ).toBeUndefined();
    expect(parseInputObjectKey(`results/user-42/${jobId}~x.vcf`)).toBeUndefined();
    expect(() => inputObjectKey('a/b', jobId, 'x.vcf')).toThrow('cannot be part of an S3 key');
    expect(() => inputObjectKey('user-42', 'job-1', 'x.vcf')).toThrow('is not a UUID');
  });

  it('cleans file names', () => {
    expect(safeFileName('../../etc/passwd')).toBe('__.._etc_passwd');
    expect(safeFileName('')).toBe('input');
    expect(safeFileName('a'.repeat(300))).toHaveLength(200);
  });

  it('builds the result keys under results/<user>/<job>/', () => {
    const keys = resultObjectKeys('user-42', jobId, 'sample.vcf.gz');
    expect(keys).toEqual({
      annotated_vcf_key: `results/user-42/${jobId}/sample.annot.vcf.gz`,
      tsv_key: `results/user-42/${jobId}/sample.annot.tsv`,
      json_key: `results/user-42/${jobId}/sample.annot.json`,
      summary_key: `results/user-42/${jobId}/summary.json`,
      log_key: `results/user-42/${jobId}/sample.log`,
    });
    expect(isValid(ResultKeys, keys)).toBe(true);
  });

  it('user ids with a slash, tilde or space are not valid in messages', () => {
    expect(isValid(UserId, 'auth0|abc123')).toBe(true);
    expect(isValid(UserId, 'a/b')).toBe(false);
    expect(isValid(UserId, 'a b')).toBe(false);
  });
});

describe('unwrapTopicMessage', () => {
  it('validates with the schema of the topic', () => {
    const body = JSON.stringify(jobCompletedExample);
    const unwrapped = unwrapTopicMessage({ MessageId: 'm1', Body: body }, 'jobCompleted');
    expect(unwrapped.message.status).toBe('COMPLETED');
    expect(() => unwrapTopicMessage({ MessageId: 'm2', Body: body }, 'jobRequests')).toThrow(
      'SQS message 0 (id m2) body is invalid',
    );
  });
});
