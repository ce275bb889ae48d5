/**
 * What the pipeline hands to writers, and the writer interface the factory returns.
 */
import type { AlleleToAnnotate, TranscriptConsequence } from '../model.ts';
import type { VcfHeader } from '../vcf/header.ts';
import type { VcfLine } from '../vcf/parse.ts';

/** Why a whole record was not annotated (also the value of INFO/GAS_NOTE). */
export type RecordNote = 'unknown_contig' | 'ref_mismatch' | 'beyond_contig_end' | 'annotation_failed';

export interface AnnotatedRecord {
  record: VcfLine;
  /** The reference's name of the contig, or null when it is not in the reference. */
  chrom: string | null;
  /** One per ALT (empty when the record was not annotated). */
  alleles: AlleleToAnnotate[];
  /** Every allele x transcript, alleles in ALT order. */
  consequences: TranscriptConsequence[];
  note: RecordNote | null;
}

export interface FileProvenance {
  /** As given on the command line. */
  path: string;
  sha256: string | null;
  /** e.g. gff3, gtf. */
  format?: string;
}

/** Written into output headers so a result says what produced it. */
export interface Provenance {
  engine: string;
  version: string;
  geneModels: FileProvenance | null;
  reference: FileProvenance | null;
  assembly: string | null;
  /** Known-variant files (known/index.ts), in CSQ order. */
  knownSources?: FileProvenance[];
  /** The reference bundle (bundle/index.ts): name, versions and the manifest's checksum. */
  bundle?: string | null;
  commandLine: string | null;
  /** ISO time the run started. */
  startedAt: string;
}

export type OutputFormat = 'vcf' | 'tsv' | 'json';

export interface AnnotationWriter {
  readonly format: OutputFormat;
  start(header: VcfHeader): Promise<void>;
  /** Returns a promise only when the caller must wait for the output to drain. */
  write(rec: AnnotatedRecord): Promise<void> | undefined;
  /**
   * Records this writer's format produced elsewhere (a worker thread, with a writer of the same
   * format and fields), as whole lines; absent on writers that cannot take them (TeeWriter).
   */
  writeEncoded?(bytes: Uint8Array): Promise<void> | undefined;
  finish(): Promise<void>;
  abort(): Promise<void>;
}
