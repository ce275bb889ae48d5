/**
 * TSV output: one row per allele x transcript, a header row first. Columns: the record's
 * CHROM POS ID REF, then ALT: the one ALT allele the row is about, as spelled in the VCF (not
 * the record's whole ALT column), every field of `CSQ_FIELDS` (same names and values as in
 * the VCF's CSQ, unescaped; CSQ `Allele` is VEP's trimmed form of the same allele), and NOTE
 * saying why an allele or record was not annotated. An allele without any consequence still
 * gets one row, with NOTE filled, and a record that was not annotated at all gets one row per
 * ALT (ALLELE_NUM filled), so no input is lost. Empty cells are empty strings.
 *
 * Why one allele in ALT: a row per allele x transcript that repeated the whole ALT column made
 * the file grow with the square of the ALT count (one record with 2,000 ALTs, an 18 KB line,
 * gave 146 MB of TSV). With the row's own allele every row is bounded by its own values, so
 * the TSV grows linearly with ALTs x transcripts, and each row reads as one split
 * multi-allelic record would (`bcftools norm -m-`). The JSON output keeps the record's `alts`.
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
  private readonly fields: readonly AnnotationField[];

  constructor(sink: RecordSink, provenance: Provenance, fields: readonly AnnotationField[] = CSQ_FIELDS) {
    this.sink = sink;
    this.fields = fields;
    this.ctx = { source: provenance.geneModels ? provenance.geneModels.path.split('/').pop()! : '' };
  }

  async start(_header: VcfHeader): Promise<void> {
    await this.sink.line(
      ['CHROM', 'POS', 'ID', 'REF', 'ALT', ...this.fields.map((f) => f.name), 'NOTE'].join('\t'),
    );
  }

  write(a: AnnotatedRecord): Promise<void> | undefined {
    const r = a.record;
    const site = `${r.chrom}\t${r.pos}\t${r.id}\t${r.ref}\t`;
    // CHROM ... ALT of the rows of one allele (consequences come in ALT order: one string per allele)
    let prefixNum = 0;
    let prefix = '';
    const prefixOf = (alleleNum: number): string => {
      if (alleleNum !== prefixNum) {
        prefixNum = alleleNum;
        prefix = `${site}${r.alts[alleleNum - 1] ?? ''}\t`;
      }
      return prefix;
    };
    const rows: string[] = [];
    if (a.note !== null) {
      const note = NOTE_TEXT[a.note] ?? a.note;
      for (let n = 1; n <= r.alts.length; n++) {
        rows.push(`${prefixOf(n)}${allelesOnlyRow(this.fields, n)}\t${note}`);
      }
    } else {
      for (const c of a.consequences) {
        let row = prefixOf(c.allele.alleleNum);
        for (let i = 0; i < this.fields.length; i++) {
          if (i > 0) row += '\t';
          row += cell(this.fields[i]!.value(c, this.ctx));
        }
        rows.push(`${row}\t`);
      }
      for (const al of a.alleles) {
        if (al.symbolic === null) continue;
        rows.push(
          `${prefixOf(al.alleleNum)}${al.allele}${allelesOnlyRow(this.fields, al.alleleNum)}\t${cell(al.symbolic)}`,
        );
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

/** The cells after Allele for a row that only names the allele (or nothing): empty but ALLELE_NUM. */
function allelesOnlyRow(fields: readonly AnnotationField[], alleleNum: number): string {
  let s = '';
  for (let i = 1; i < fields.length; i++) s += `\t${fields[i]!.name === 'ALLELE_NUM' ? alleleNum : ''}`;
  return s;
}
