/**
 * VCF output: the input's header and lines, with a VEP-compatible CSQ INFO field.
 *
 * Header: the input's meta lines minus any previous CSQ / GAS annotation headers, then the CSQ
 * definition (its Format list comes from `CSQ_FIELDS`), the GAS_NOTE definition, provenance
 * lines (`##GAS_*`: engine version, gene model and FASTA names with SHA-256, assembly, command
 * line), and the column line. A missing `##fileformat` is written as VCFv4.2.
 *
 * Lines: copied through as read (latin1, byte for byte) except INFO, where an existing CSQ is
 * removed and the new one appended; a record that was not annotated gets `GAS_NOTE=<reason>`.
 * CSQ entries are allele x transcript, comma-separated, values escaped as VEP does.
 */
import type { VcfHeader } from '../vcf/header.ts';
import { removeInfoKey } from '../vcf/parse.ts';
import type { ByteBuilder } from './bytes.ts';
import { type AnnotationField, CSQ_FIELDS, CsqFormatter, csqHeaderLine } from './fields.ts';
import { latin1Safe, type RecordSink } from './sink.ts';
import type { AnnotatedRecord, AnnotationWriter, Provenance } from './types.ts';

export const NOTE_INFO_LINE =
  '##INFO=<ID=GAS_NOTE,Number=.,Type=String,Description="Why GAS did not annotate this record or some of its alleles: unknown_contig, ref_mismatch, beyond_contig_end, annotation_failed, symbolic_allele, no_change">';

/** Header lines the engine writes itself, dropped from the input's header when re-annotating. */
function isOwnHeaderLine(line: string): boolean {
  return (
    line.startsWith('##INFO=<ID=CSQ,') ||
    line.startsWith('##INFO=<ID=GAS_NOTE,') ||
    line.startsWith('##GAS_') ||
    line.startsWith('##VEP')
  );
}

export function provenanceLines(p: Provenance): string[] {
  const lines = [`##GAS_engine=${p.engine} ${p.version}`, `##GAS_time=${p.startedAt}`];
  const file = (f: { path: string; sha256: string | null; format?: string }) =>
    `${f.path.split('/').pop()}${f.format ? ` format=${f.format}` : ''} sha256=${f.sha256 ?? 'unknown'}`;
  if (p.geneModels) lines.push(`##GAS_geneModels=${file(p.geneModels)}`);
  if (p.reference) lines.push(`##GAS_reference=${file(p.reference)}`);
  for (const k of p.knownSources ?? []) lines.push(`##GAS_knownVariants=${file(k)}`);
  if (p.bundle) lines.push(`##GAS_bundle=${p.bundle}`);
  if (p.assembly) lines.push(`##GAS_assembly=${p.assembly}`);
  if (p.commandLine) lines.push(`##GAS_command_line='${p.commandLine.replace(/[\r\n]+/g, ' ')}'`);
  return lines.map(latin1Safe);
}

export class VcfWriter implements AnnotationWriter {
  readonly format = 'vcf' as const;
  private readonly csq: CsqFormatter;
  private dropRest = false;
  private readonly sink: RecordSink;
  private readonly provenance: Provenance;
  private readonly fields: readonly AnnotationField[];

  constructor(sink: RecordSink, provenance: Provenance, fields: readonly AnnotationField[] = CSQ_FIELDS) {
    this.sink = sink;
    this.provenance = provenance;
    this.fields = fields;
    this.csq = new CsqFormatter(
      { source: provenance.geneModels ? provenance.geneModels.path.split('/').pop()! : '' },
      fields,
    );
  }

  async start(header: VcfHeader): Promise<void> {
    const lines: string[] = [];
    if (!header.meta.some((l) => l.startsWith('##fileformat='))) lines.push('##fileformat=VCFv4.2');
    for (const l of header.meta) if (!isOwnHeaderLine(l)) lines.push(l);
    lines.push(csqHeaderLine(this.fields), NOTE_INFO_LINE, ...provenanceLines(this.provenance));
    // a file without #CHROM line: only the eight fixed columns can be written validly
    this.dropRest = header.synthesized;
    lines.push(`#${header.synthesized ? header.columns.slice(0, 8).join('\t') : header.columns.join('\t')}`);
    for (const l of lines) await this.sink.line(l);
  }

  write(a: AnnotatedRecord): Promise<void> | undefined {
    this.encode(a, this.sink.out);
    return this.sink.endRecord();
  }

  /**
   * One record as its output line (LF included) appended to `out`: the input line copied
   * through, with INFO's old CSQ / GAS_NOTE removed and the new ones appended. Worker threads
   * call this too (pipeline-threads.ts), so that their bytes equal the single-thread output.
   */
  encode(a: AnnotatedRecord, out: ByteBuilder): void {
    const r = a.record;
    const hasCsq = a.consequences.length > 0;
    const notes = a.note !== null ? a.note : alleleNotes(a);
    const hasOld = r.info.indexOf('CSQ') >= 0 || r.info.indexOf('GAS_NOTE') >= 0;
    if (!hasCsq && notes === null && !hasOld && !this.dropRest) {
      out.str(r.text);
      out.byte(10);
      return;
    }
    out.range(r.text, 0, r.infoStart);
    const info = hasOld ? removeInfoKey(removeInfoKey(r.info, 'CSQ'), 'GAS_NOTE') : r.info;
    if (hasCsq || notes !== null) {
      if (info !== '.') {
        out.str(info);
        out.byte(59 /* ; */);
      }
      if (hasCsq) {
        out.str('CSQ=');
        this.csq.write(out, a.consequences);
        if (notes !== null) out.byte(59);
      }
      if (notes !== null) {
        out.str('GAS_NOTE=');
        out.str(notes);
      }
    } else {
      out.str(info);
    }
    if (!this.dropRest) out.range(r.text, r.infoEnd, r.text.length);
    out.byte(10);
  }

  writeEncoded(bytes: Uint8Array): Promise<void> | undefined {
    return this.sink.chunk(bytes);
  }

  finish(): Promise<void> {
    return this.sink.close();
  }

  abort(): Promise<void> {
    return this.sink.abort();
  }
}

/** `symbolic_allele` / `no_change` when some ALTs were passed through, else null. */
function alleleNotes(a: AnnotatedRecord): string | null {
  let out: string | null = null;
  for (const al of a.alleles) {
    if (al.symbolic === null) continue;
    const code = al.symbolic.startsWith('ALT is the same') ? 'no_change' : 'symbolic_allele';
    if (out === null) out = code;
    else if (!out.includes(code)) out += `,${code}`;
  }
  return out;
}
