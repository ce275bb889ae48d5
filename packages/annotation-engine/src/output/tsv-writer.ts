/**
 * TSV output: one row per allele x transcript, a header row first. Columns: the record's
 * CHROM POS ID REF ALT, every field of `CSQ_FIELDS` (same names and values as in the VCF's
 * CSQ, unescaped), and NOTE saying why an allele or record was not annotated. A record or
 * allele without any consequence still gets one row, with NOTE filled, so no input is lost.
 * Empty cells are empty strings.
 */
import type { VcfHeader } from '../vcf/header.ts';
import { type AnnotationField, CSQ_FIELDS, type FieldContext } from './fields.ts';
import { latin1Safe, type RecordSink } from './sink.ts';
import type { AnnotatedRecord, AnnotationWriter, Provenance } from './types.ts';

const NOTE_TEXT: Record<string, string> = {
  unknown_contig: 'contig not in the reference',
  ref_mismatch: 'REF does not match the reference',
  beyond_contig_end: 'position beyond the end of the contig',
  annotation_failed: 'the engine failed on this record (see the log)',
};

function cell(v: string): string {
  return /[\t\r\n]/.test(v) ? v.replace(/[\t\r\n]+/g, ' ') : v;
}

export class TsvWriter implements AnnotationWriter {
  readonly format = 'tsv' as const;
  private readonly sink: RecordSink;
  private readonly ctx: FieldContext;
  private readonly blanks: string;
  private readonly fields: readonly AnnotationField[];

  constructor(sink: RecordSink, provenance: Provenance, fields: readonly AnnotationField[] = CSQ_FIELDS) {
    this.sink = sink;
    this.fields = fields;
    this.ctx = { source: provenance.geneModels ? provenance.geneModels.path.split('/').pop()! : '' };
    this.blanks = '\t'.repeat(fields.length - 1);
  }

  async start(_header: VcfHeader): Promise<void> {
    await this.sink.line(
      ['CHROM', 'POS', 'ID', 'REF', 'ALT', ...this.fields.map((f) => f.name), 'NOTE'].join('\t'),
    );
  }

  write(a: AnnotatedRecord): Promise<void> | undefined {
    const r = a.record;
    const prefix = `${r.chrom}\t${r.pos}\t${r.id}\t${r.ref}\t${r.alts.join(',')}\t`;
    const rows: string[] = [];
    if (a.note !== null) {
      rows.push(`${prefix}${this.blanks}\t${NOTE_TEXT[a.note] ?? a.note}`);
    } else {
      for (const c of a.consequences) {
        let row = prefix;
        for (let i = 0; i < this.fields.length; i++) {
          if (i > 0) row += '\t';
          row += cell(this.fields[i]!.value(c, this.ctx));
        }
        rows.push(`${row}\t`);
      }
      for (const al of a.alleles) {
        if (al.symbolic === null) continue;
        rows.push(`${prefix}${al.allele}${allelesOnlyRow(this.fields, al.alleleNum)}\t${cell(al.symbolic)}`);
      }
    }
    let wait: Promise<void> | undefined;
    for (const row of rows) wait = this.sink.line(latin1Safe(row)) ?? wait;
    return wait;
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

/** The cells after Allele for a row that only names the allele: empty but ALLELE_NUM. */
function allelesOnlyRow(fields: readonly AnnotationField[], alleleNum: number): string {
  let s = '';
  for (let i = 1; i < fields.length; i++) s += `\t${fields[i]!.name === 'ALLELE_NUM' ? alleleNum : ''}`;
  return s;
}
