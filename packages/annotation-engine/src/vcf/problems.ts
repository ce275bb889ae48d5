/**
 * Problems found in the input, and what to do about them.
 *
 * Every problem has the 1-based line number of the input (header lines counted) and a plain
 * sentence a user can act on. The policy decides: `skip` (the default) counts the problem, keeps
 * the first few hundred for the report and carries on; `stop` turns the first problem into an
 * `InputError`, which the CLI prints as one line. Problems that make the whole file unusable
 * (empty, not text, an assembly mismatch) are errors under either policy.
 */

export type ErrorPolicy = 'skip' | 'stop';

export type ProblemKind =
  | 'malformed_line'
  | 'missing_header'
  | 'truncated_input'
  | 'unknown_contig'
  | 'ref_mismatch'
  | 'position_beyond_contig'
  | 'annotation_failed';

/**
 * Kinds that are notes about the whole file, not about a record: every record is still read and
 * annotated, so they are listed with their line but not counted as skipped records. (A missing
 * #CHROM line is reported at the first data line, which is read with the fixed columns.)
 */
export const NOTE_KINDS: ReadonlySet<ProblemKind> = new Set<ProblemKind>(['missing_header']);

export interface InputProblem {
  /** 1-based line of the input; 0 when the problem is not tied to a line. */
  line: number;
  kind: ProblemKind;
  /** A plain sentence without the line prefix, e.g. `POS "12a" is not a whole number`. */
  message: string;
}

/** Input the engine cannot use; `line` is the 1-based input line, or null for the whole file. */
export class InputError extends Error {
  override name = 'InputError';
  readonly line: number | null;
  readonly kind: string;
  constructor(message: string, line: number | null = null, kind = 'input', options?: { cause?: unknown }) {
    super(line === null ? message : `line ${line}: ${message}`, options);
    this.line = line;
    this.kind = kind;
  }
}

/**
 * `InputError.kind` when no record is on a contig of the reference. The engine's message says
 * what was found; how to map other contig names differs by caller (the CLI's --synonyms file, the
 * service's advice to rename them), so each adds its own.
 */
export const NO_REFERENCE_CONTIG = 'no_reference_contig';

/** Most REF alleles disagree with the FASTA: the input is on another assembly (or the wrong FASTA was given). */
export class AssemblyMismatchError extends InputError {
  override name = 'AssemblyMismatchError';
  constructor(message: string) {
    super(message, null, 'assembly_mismatch');
  }
}

export function formatProblem(p: InputProblem): string {
  return p.line > 0 ? `line ${p.line}: ${p.message}` : p.message;
}

/** How many problems of each kind are kept with their line numbers (the total is always counted). */
export const KEPT_PROBLEMS = 500;

/** Collects problems under a policy; shared by the reader and the pipeline stages. */
export class ProblemLog {
  readonly policy: ErrorPolicy;
  readonly kept: InputProblem[] = [];
  readonly countByKind = new Map<ProblemKind, number>();
  total = 0;

  constructor(policy: ErrorPolicy = 'skip') {
    this.policy = policy;
  }

  /** Records a problem; under the `stop` policy throws it as an `InputError` instead. */
  report(line: number, kind: ProblemKind, message: string): void {
    if (this.policy === 'stop') throw new InputError(message, line > 0 ? line : null, kind);
    this.total++;
    const n = (this.countByKind.get(kind) ?? 0) + 1;
    this.countByKind.set(kind, n);
    if (n <= KEPT_PROBLEMS) this.kept.push({ line, kind, message });
  }

  count(kind: ProblemKind): number {
    return this.countByKind.get(kind) ?? 0;
  }

  /** Problems that cost a record (all but `NOTE_KINDS`): the "records skipped" a user reads. */
  get recordsSkipped(): number {
    let n = this.total;
    for (const kind of NOTE_KINDS) n -= this.count(kind);
    return n;
  }
}

/**
 * A ProblemLog that only records: every report is kept, in order, to be replayed into the real
 * log later (`take` and `replay`). The threaded pipeline uses it where problems are found out
 * of input order (the reader running ahead, worker threads), so that the final log, its kept
 * list and the `stop` policy's first error equal the single-threaded run's.
 */
export class ProblemRecorder extends ProblemLog {
  private recorded: InputProblem[] = [];

  constructor() {
    super('skip');
  }

  override report(line: number, kind: ProblemKind, message: string): void {
    this.recorded.push({ line, kind, message });
  }

  /** The problems recorded since the last call, in the order they were reported. */
  take(): InputProblem[] {
    const out = this.recorded;
    this.recorded = [];
    return out;
  }
}
