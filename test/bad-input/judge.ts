/**
 * Compares what a job did with a corpus case's expected outcome (generate-corpus.ts) and says,
 * in one line per difference, what is wrong. Also the rules every user-facing message obeys:
 * a plain sentence, no stack trace, no "undefined"/"[object", no file system path, no control
 * characters, and the line number when the problem has one.
 */
import { NOTE_KINDS, type ProblemKind } from '../../packages/annotation-engine/src/vcf/problems.ts';
import type { ExpectedOutcome } from './generate-corpus.ts';

/** What a finished job showed its user. */
export interface ObservedOutcome {
  status: 'COMPLETED' | 'FAILED';
  /** FAILED: the job's error message as the user reads it. */
  message?: string;
  recordsRead?: number;
  recordsSkipped?: number;
  /** COMPLETED: the skipped-records list of the summary (line 0: not tied to a line). */
  problems?: Array<{ line: number; message: string; kind?: string }>;
  listComplete?: boolean;
}

/** Why `message` is not fit for a user, or null. */
export function messageProblem(message: string): string | null {
  if (/\n\s+at |\bat .+\.(ts|js|mjs):\d+/.test(message)) return 'it contains a stack trace';
  // values quoted from the user's file ("NaN" as a POS) are theirs, not a programming slip
  if (/\bundefined\b|\bnull\b|\[object |\bNaN\b/.test(message.replace(/"[^"]*"/g, '""')))
    return 'it contains undefined/null/[object/NaN';
  if (/(^|[\s("'])\/(work|tmp|home|usr|var|root)\//.test(message)) return 'it names a file system path';
  if (/file:\/\//.test(message)) return 'it names a file URL';
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(message)) return 'it contains control characters';
  if (!/^[A-Z]/.test(message) || !/[.!?]$/.test(message.trim())) return 'it is not a sentence';
  if (/Error:|ERR_|E[A-Z]{3,}\b/.test(message)) return 'it shows an internal error name or code';
  return null;
}

export function judge(expected: ExpectedOutcome, observed: ObservedOutcome): string[] {
  const wrong: string[] = [];
  if (expected.outcome === 'failed') {
    if (observed.status !== 'FAILED') {
      wrong.push(
        `expected FAILED /${expected.message.source}/, got ${observed.status} (read ${observed.recordsRead}, skipped ${observed.recordsSkipped}: ${JSON.stringify(observed.problems?.slice(0, 3))})`,
      );
      return wrong;
    }
    const message = observed.message ?? '';
    if (!expected.message.test(message))
      wrong.push(`message does not match /${expected.message.source}/: ${message}`);
    if (expected.line !== undefined && !message.includes(`line ${expected.line}`))
      wrong.push(`message lacks "line ${expected.line}": ${message}`);
    const bad = messageProblem(message);
    if (bad) wrong.push(`message is not for a user (${bad}): ${message}`);
    return wrong;
  }
  if (observed.status !== 'COMPLETED') {
    wrong.push(`expected COMPLETED, got FAILED: ${observed.message}`);
    return wrong;
  }
  const problems = observed.problems ?? [];
  if (expected.records !== undefined && observed.recordsRead !== expected.records)
    wrong.push(`read ${observed.recordsRead} records, expected ${expected.records}`);
  for (const p of problems) {
    if (p.line <= 0) wrong.push(`a skipped record without a line number: ${p.message}`);
    const bad = messageProblem(`Line ${p.line}: ${p.message}.`);
    if (bad) wrong.push(`problem on line ${p.line} is not for a user (${bad}): ${p.message}`);
  }
  if (expected.skipPattern) {
    if (!observed.recordsSkipped || !problems.some((p) => expected.skipPattern!.test(p.message)))
      wrong.push(
        `no skipped record matches /${expected.skipPattern.source}/: ${JSON.stringify(problems.slice(0, 3))}`,
      );
    return wrong;
  }
  const isNote = (p: { kind?: string }) => NOTE_KINDS.has(p.kind as ProblemKind);
  const lineSet = (list: typeof problems) => [...new Set(list.map((p) => p.line))].sort((a, b) => a - b);
  const notes = lineSet(problems.filter(isNote));
  if (notes.join() !== (expected.noteLines ?? []).join())
    wrong.push(`notes on lines [${notes.join(', ')}], expected [${(expected.noteLines ?? []).join(', ')}]`);
  const lines = lineSet(problems.filter((p) => !isNote(p)));
  if (
    observed.recordsSkipped !== expected.skippedLines.length ||
    lines.join() !== expected.skippedLines.join()
  )
    wrong.push(
      `skipped ${observed.recordsSkipped} on lines [${lines.join(', ')}], expected lines [${expected.skippedLines.join(', ')}]`,
    );
  return wrong;
}
