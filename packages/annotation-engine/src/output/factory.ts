/**
 * Writers chosen by a factory (the VEP OutputFactory idea): format by flag or by the output
 * name (`.vcf`, `.tsv`/`.txt`, `.json`/`.jsonl`/`.ndjson`, each optionally `.gz`), BGZF
 * compression when the name ends in `.gz`.
 */
import type { Writable } from 'node:stream';
import type { AnnotationField } from './fields.ts';
import { JsonLinesWriter } from './json-writer.ts';
import { type RecordSink, TextSink } from './sink.ts';
import { TsvWriter } from './tsv-writer.ts';
import type { AnnotationWriter, OutputFormat, Provenance } from './types.ts';
import { VcfWriter } from './vcf-writer.ts';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['vcf', 'tsv', 'json'];

/** The format a file name implies, or null. */
export function formatFromName(name: string): OutputFormat | null {
  const base = name.toLowerCase().replace(/\.b?gz$/, '');
  if (base.endsWith('.vcf')) return 'vcf';
  if (base.endsWith('.tsv') || base.endsWith('.txt') || base.endsWith('.tab')) return 'tsv';
  if (base.endsWith('.json') || base.endsWith('.jsonl') || base.endsWith('.ndjson')) return 'json';
  return null;
}

export interface WriterOptions {
  format?: OutputFormat;
  /** BGZF output; by default when the target is a path ending in `.gz`. */
  bgzip?: boolean;
  provenance: Provenance;
  /** CSQ / TSV / JSON fields (default CSQ_FIELDS; known-variant sources append theirs). */
  fields?: readonly AnnotationField[];
}

export function createWriter(target: string | Writable, options: WriterOptions): AnnotationWriter {
  const format = options.format ?? (typeof target === 'string' ? formatFromName(target) : null) ?? 'vcf';
  const bgzip = options.bgzip ?? (typeof target === 'string' && /\.b?gz$/i.test(target));
  return createWriterOn(new TextSink(target, { bgzip }), format, options);
}

/** A writer of `format` onto a given sink (a `MemorySink` in worker threads). */
export function createWriterOn(
  sink: RecordSink,
  format: OutputFormat,
  options: Pick<WriterOptions, 'provenance' | 'fields'>,
): AnnotationWriter {
  switch (format) {
    case 'vcf':
      return new VcfWriter(sink, options.provenance, options.fields);
    case 'tsv':
      return new TsvWriter(sink, options.provenance, options.fields);
    case 'json':
      return new JsonLinesWriter(sink, options.provenance, options.fields);
  }
}
