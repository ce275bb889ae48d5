/**
 * The annotation fields, as data: one list gives the CSQ header, the order of values in each
 * CSQ entry, the TSV columns and the JSON keys. Adding a source (known variants in the next
 * issue) is adding entries here; readers take the order from the header, so entries may be
 * appended freely after the fixed VEP prefix (Allele ... STRAND).
 */
import type { AlleleToAnnotate, TranscriptConsequence } from '../model.ts';
import { latin1Safe } from './sink.ts';

/** One allele x transcript, with what the fields need beyond the prediction. */
export interface FieldContext {
  /** The gene model file's base name (VEP's SOURCE for --gff). */
  source: string;
}

export interface AnnotationField {
  name: string;
  /**
   * What the value depends on: `transcript` values (symbol, gene, biotype...) are computed and
   * escaped once per transcript and cached; `allele` values once per allele; `pair` values once
   * per allele x transcript.
   */
  per: 'transcript' | 'allele' | 'pair';
  /**
   * True when the value can never hold a character CSQ must escape: numbers, SO terms, fixed
   * words, and what the engine itself formats from bases and numbers (HGVS, positions, amino
   * acids, codons). Free text from gene model files is never safe.
   */
  safe?: boolean;
  /** The value, '' when there is none (never null: writers treat '' as empty). */
  value(c: TranscriptConsequence, ctx: FieldContext): string;
}

const str = (v: string | number | null | undefined): string =>
  v === null || v === undefined ? '' : String(v);

export const CSQ_FIELDS: readonly AnnotationField[] = [
  { name: 'Allele', per: 'allele', value: (c) => c.allele.allele },
  { name: 'Consequence', per: 'pair', safe: true, value: (c) => c.consequences.join('&') },
  { name: 'IMPACT', per: 'pair', safe: true, value: (c) => c.impact },
  { name: 'SYMBOL', per: 'transcript', value: (c) => str(c.transcript?.geneSymbol) },
  { name: 'Gene', per: 'transcript', value: (c) => str(c.transcript?.geneId) },
  { name: 'Feature_type', per: 'transcript', safe: true, value: (c) => (c.transcript ? 'Transcript' : '') },
  { name: 'Feature', per: 'transcript', value: (c) => str(c.transcript?.id) },
  { name: 'BIOTYPE', per: 'transcript', value: (c) => str(c.transcript?.biotype) },
  { name: 'EXON', per: 'pair', safe: true, value: (c) => str(c.exon) },
  { name: 'INTRON', per: 'pair', safe: true, value: (c) => str(c.intron) },
  { name: 'HGVSc', per: 'pair', safe: true, value: (c) => str(c.hgvsc) },
  { name: 'HGVSp', per: 'pair', safe: true, value: (c) => str(c.hgvsp) },
  { name: 'cDNA_position', per: 'pair', safe: true, value: (c) => str(c.cdnaPosition) },
  { name: 'CDS_position', per: 'pair', safe: true, value: (c) => str(c.cdsPosition) },
  { name: 'Protein_position', per: 'pair', safe: true, value: (c) => str(c.proteinPosition) },
  { name: 'Amino_acids', per: 'pair', safe: true, value: (c) => str(c.aminoAcids) },
  { name: 'Codons', per: 'pair', safe: true, value: (c) => str(c.codons) },
  // filled by known-variant sources (known/index.ts): the IDs of known variants with this allele
  { name: 'Existing_variation', per: 'allele', value: (c) => c.allele.known?.Existing_variation ?? '' },
  { name: 'DISTANCE', per: 'pair', safe: true, value: (c) => str(c.distance) },
  { name: 'STRAND', per: 'transcript', safe: true, value: (c) => str(c.transcript?.strand) },
  { name: 'FLAGS', per: 'transcript', value: (c) => (c.transcript ? c.transcript.flags.join('&') : '') },
  { name: 'SYMBOL_SOURCE', per: 'transcript', safe: true, value: () => '' },
  { name: 'HGNC_ID', per: 'transcript', safe: true, value: () => '' },
  { name: 'ALLELE_NUM', per: 'allele', safe: true, value: (c) => String(c.allele.alleleNum) },
  { name: 'SOURCE', per: 'transcript', value: (c, ctx) => (c.transcript ? ctx.source : '') },
  { name: 'VARIANT_CLASS', per: 'allele', safe: true, value: (c) => soVariantClass(c.allele) },
];

/** Sequence Ontology class of the allele, as VEP's VARIANT_CLASS. */
export function soVariantClass(a: AlleleToAnnotate): string {
  if (a.symbolic !== null) return '';
  if (a.ref.length === 1 && a.alt.length === 1) return 'SNV';
  if (a.ref.length === 0) return 'insertion';
  if (a.alt.length === 0) return 'deletion';
  if (a.ref.length === a.alt.length) return 'substitution';
  return 'indel';
}

/**
 * A value made safe inside a CSQ entry, the way VEP's VCF writer does it: `,` and `|` become
 * `&`, `;` becomes `%3B`, runs of white space become `_`. A lone `-` means "none" and is
 * emptied, except in Allele (a deletion). Characters beyond latin1 (UTF-8 gene models) become
 * their UTF-8 bytes, which the latin1 sink writes out unchanged (see sink.ts).
 */
export function escapeCsqValue(value: string, isAllele: boolean): string {
  if (value === '') return value;
  if (!isAllele && value === '-') return '';
  // fast path: nothing to escape
  if (!NEEDS_ESCAPE.test(value)) return value;
  return latin1Safe(value.replace(/[,|]/g, '&').replace(/;/g, '%3B').replace(/\s+/g, '_'));
}

const NEEDS_ESCAPE = /[,;|\s\u0100-\uffff]/;

/** The CSQ header line for a field list. */
export function csqHeaderLine(fields: readonly AnnotationField[] = CSQ_FIELDS, id = 'CSQ'): string {
  return `##INFO=<ID=${id},Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. Format: ${fields
    .map((f) => f.name)
    .join('|')}">`;
}

/**
 * Builds CSQ entries. Values that depend only on the transcript are escaped once per
 * transcript and cached (a WeakMap, so transcripts can be dropped); the others once per pair.
 */
export class CsqFormatter {
  readonly fields: readonly AnnotationField[];
  private readonly ctx: FieldContext;
  private readonly cache = new WeakMap<object, string[]>();
  private intergenic: string[] | null = null;
  private readonly values: string[];
  private lastAllele: AlleleToAnnotate | null = null;
  private lastAlleleValues: string[] = [];

  constructor(ctx: FieldContext, fields: readonly AnnotationField[] = CSQ_FIELDS) {
    this.ctx = ctx;
    this.fields = fields;
    this.values = fields.map(() => ''); // packed, not holey: join takes its fast path
  }

  /**
   * One CSQ entry (one allele x transcript), fields joined by `|`. Built with `join` on a reused
   * array, not `+=`: concatenation leaves a tree of string pieces per entry that the garbage
   * collector and the final join pay for (measured: 45% of the time went to GC with `+=`).
   */
  entry(c: TranscriptConsequence): string {
    const fixed = this.transcriptValues(c);
    const byAllele = this.alleleValues(c);
    const fields = this.fields;
    const values = this.values;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      if (f.per === 'transcript') values[i] = fixed[i]!;
      else if (f.per === 'allele') values[i] = byAllele[i]!;
      else {
        const v = f.value(c, this.ctx);
        values[i] = f.safe ? v : escapeCsqValue(v, i === 0);
      }
    }
    return values.join('|');
  }

  /** Allele-level values, kept for the consecutive entries of the same allele. */
  private alleleValues(c: TranscriptConsequence): string[] {
    if (c.allele === this.lastAllele) return this.lastAlleleValues;
    this.lastAllele = c.allele;
    this.lastAlleleValues = this.fields.map((f, i) =>
      f.per === 'allele'
        ? f.safe
          ? f.value(c, this.ctx)
          : escapeCsqValue(f.value(c, this.ctx), i === 0)
        : '',
    );
    return this.lastAlleleValues;
  }

  /** The CSQ value of a record: its entries joined by `,`. */
  value(consequences: readonly TranscriptConsequence[]): string {
    if (consequences.length === 1) return this.entry(consequences[0]!);
    const entries: string[] = [];
    for (let i = 0; i < consequences.length; i++) entries.push(this.entry(consequences[i]!));
    return entries.join(',');
  }

  private transcriptValues(c: TranscriptConsequence): string[] {
    const t = c.transcript;
    let values = t ? this.cache.get(t) : this.intergenic;
    if (values) return values;
    values = this.fields.map((f, i) =>
      f.per === 'transcript'
        ? f.safe
          ? f.value(c, this.ctx)
          : escapeCsqValue(f.value(c, this.ctx), i === 0)
        : '',
    );
    if (t) this.cache.set(t, values);
    else this.intergenic = values;
    return values;
  }
}
