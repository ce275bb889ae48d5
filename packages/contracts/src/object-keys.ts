/**
 * S3 object keys, built and parsed in one place so web, annotator, archiver and thawer
 * agree on them:
 *   inputs bucket:  inputs/<user id>/<job id>~<file name>
 *   results bucket: results/<user id>/<job id>/<base>.annot.vcf.gz | .annot.tsv | .annot.json,
 *                   results/<user id>/<job id>/summary.json, results/<user id>/<job id>/<base>.log
 * `<base>` is the uploaded name without .vcf / .vcf.gz. File names are reduced to
 * [A-Za-z0-9._-] (others become `_`), so a key never carries `/`, `~` or spaces from a user.
 */
import type { ResultKeys } from './messages/job-completed.ts';

export const inputsPrefix = 'inputs';
export const resultsPrefix = 'results';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const USER_ID = /^[^/~\s]+$/;

/** The name as it may appear in a key: [A-Za-z0-9._-], at most 200 characters, never empty or dot-only. */
export function safeFileName(name: string): string {
  const cleaned = name
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^\.+/, '_')
    .slice(0, 200);
  return cleaned === '' ? 'input' : cleaned;
}

function assertIds(userId: string, jobId: string): void {
  if (!USER_ID.test(userId))
    throw new RangeError(`user id ${JSON.stringify(userId)} cannot be part of an S3 key`);
  if (!UUID.test(jobId)) throw new RangeError(`job id ${JSON.stringify(jobId)} is not a UUID`);
}

export function inputObjectKey(userId: string, jobId: string, fileName: string): string {
  assertIds(userId, jobId);
  return `${inputsPrefix}/${userId}/${jobId}~${safeFileName(fileName)}`;
}

/** Reads an input key back; `undefined` when the key is not of that shape (refuse it). */
export function parseInputObjectKey(
  key: string,
): { userId: string; jobId: string; fileName: string } | undefined {
  const match = /^inputs\/([^/~\s]+)\/([0-9a-fA-F-]{36})~([A-Za-z0-9._-]{1,200})$/.exec(key);
  if (!match || !UUID.test(match[2]!)) return undefined;
  return { userId: match[1]!, jobId: match[2]!, fileName: match[3]! };
}

export function resultsFolder(userId: string, jobId: string): string {
  assertIds(userId, jobId);
  return `${resultsPrefix}/${userId}/${jobId}/`;
}

/** The keys the annotator writes for a job (and the JobCompleted message carries). */
export function resultObjectKeys(
  userId: string,
  jobId: string,
  inputFileName: string,
): ResultKeys & { log_key: string } {
  const folder = resultsFolder(userId, jobId);
  const base = safeFileName(inputFileName).replace(/\.vcf(\.gz|\.bgz)?$/i, '') || 'input';
  return {
    annotated_vcf_key: `${folder}${base}.annot.vcf.gz`,
    tsv_key: `${folder}${base}.annot.tsv`,
    json_key: `${folder}${base}.annot.json`,
    summary_key: `${folder}summary.json`,
    log_key: `${folder}${base}.log`,
  };
}
