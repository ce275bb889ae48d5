/**
 * What the main thread and the annotation worker threads say to each other (see pool.ts for
 * the scheme). Everything here survives the structured clone: plain data, Maps, typed arrays.
 */
import type { KnownSourceSpec } from '../known/index.ts';
import type { RefMismatch } from '../normalise/refcheck.ts';
import type { SummaryCollectorCounts } from '../output/summary.ts';
import type { OutputFormat, Provenance } from '../output/types.ts';
import type { VcfHeader } from '../vcf/header.ts';
import type { InputProblem } from '../vcf/problems.ts';

/**
 * The files a worker opens for itself (each worker its own FASTA reader, gene models and tabix
 * readers: nothing is shared between threads but these names). Gene models come from a
 * prebuilt index, or from the GFF3/GTF through the index cache the main thread has just filled.
 */
export interface EngineResources {
  fasta: string;
  geneModels:
    | { kind: 'file'; path: string; sha256: string; cacheDir: string | null }
    | { kind: 'index'; path: string; sha256: string };
  known: KnownSourceSpec[];
  synonyms: string[][];
}

/** `workerData` of an annotation worker. */
export interface WorkerInit {
  resources: EngineResources;
  header: VcfHeader;
  /** The output formats, in the pipeline's order (primary first). */
  formats: OutputFormat[];
  provenance: Provenance;
}

/** A batch of data lines, main -> worker. */
export interface WorkBatch {
  seq: number;
  /** The records' lines as read, joined by LF. */
  text: string;
  /** Their 1-based input line numbers. */
  lines: Int32Array;
}

/** REF check outcome per record, as `BatchResult.refChecks` holds them. */
export const REF_NOT_CHECKED = 0;
export const REF_MATCH = 1;
export const REF_MISMATCH = 2;
export const REF_UNCHECKED = 3;

/** A batch annotated and formatted, worker -> main. */
export interface BatchResult {
  seq: number;
  /** One per output format: the batch's lines, encoded. */
  outputs: Uint8Array[];
  /** Problems in the order they were found (records in input order). */
  problems: InputProblem[];
  /** Per record: REF_NOT_CHECKED, REF_MATCH, REF_MISMATCH or REF_UNCHECKED. */
  refChecks: Uint8Array;
  /** Per REF_MISMATCH in order: where (null once the worker kept its 500). */
  mismatches: (RefMismatch | null)[];
  collector: SummaryCollectorCounts;
  /** An error that stops the run, thrown at record `failedAt` of the batch. */
  failure: SerializedError | null;
  failedAt: number;
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** InputError's line and kind. */
  line?: number | null;
  kind?: string;
}

/** Worker -> main, once its files are open (or could not be). */
export type WorkerReady = { ready: true } | { ready: false; failure: SerializedError };
