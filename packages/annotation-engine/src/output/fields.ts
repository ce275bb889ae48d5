/**
 * The annotation fields, as data: one list gives the CSQ header, the order of values in each
 * CSQ entry, the TSV columns and the JSON keys. Adding a source (known variants in the next
 * issue) is adding entries here; readers take the order from the header, so entries may be
 * appended freely after the fixed VEP prefix (Allele ... STRAND).
 */
import type { AlleleToAnnotate, TranscriptConsequence } from '../model.ts';

/** One allele x transcript, with what the fields need beyond the prediction. */
export interface FieldContext {
  /** The gene model file's base name (VEP's SOURCE for --gff). */
  source: string;
}

export interface AnnotationField {
  name: string;
  /** The value, '' when there is none (never null: writers treat '' as empty). */
  value(c: TranscriptConsequence, ctx: FieldContext): string;
}

const str = (v: string | number | null | undefined): string =>
  v === null || v === undefined ? '' : String(v);

export const CSQ_FIELDS: readonly AnnotationField[] = [
  { name: 'Allele', value: (c) => c.allele.allele },
  { name: 'Consequence', value: (c) => c.consequences.join('&') },
  { name: 'IMPACT', value: (c) => c.impact },
  { name: 'SYMBOL', value: (c) => str(c.transcript?.geneSymbol) },
  { name: 'Gene', value: (c) => str(c.transcript?.geneId) },
  { name: 'Feature_type', value: (c) => (c.transcript ? 'Transcript' : '') },
  { name: 'Feature', value: (c) => str(c.transcript?.id) },
  { name: 'BIOTYPE', value: (c) => str(c.transcript?.biotype) },
  { name: 'EXON', value: (c) => str(c.exon) },
  { name: 'INTRON', value: (c) => str(c.intron) },
  { name: 'HGVSc', value: (c) => str(c.hgvsc) },
  { name: 'HGVSp', value: (c) => str(c.hgvsp) },
  { name: 'cDNA_position', value: (c) => str(c.cdnaPosition) },
  { name: 'CDS_position', value: (c) => str(c.cdsPosition) },
  { name: 'Protein_position', value: (c) => str(c.proteinPosition) },
  { name: 'Amino_acids', value: (c) => str(c.aminoAcids) },
  { name: 'Codons', value: (c) => str(c.codons) },
  { name: 'Existing_variation', value: () => '' },
  { name: 'DISTANCE', value: (c) => str(c.distance) },
  { name: 'STRAND', value: (c) => str(c.transcript?.strand) },
  { name: 'FLAGS', value: (c) => (c.transcript ? c.transcript.flags.join('&') : '') },
  { name: 'SYMBOL_SOURCE', value: () => '' },
  { name: 'HGNC_ID', value: () => '' },
  { name: 'ALLELE_NUM', value: (c) => String(c.allele.alleleNum) },
  { name: 'SOURCE', value: (c, ctx) => (c.transcript ? ctx.source : '') },
  { name: 'VARIANT_CLASS', value: (c) => soVariantClass(c.allele) },
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
 * emptied, except in Allele (a deletion).
 */
export function escapeCsqValue(value: string, isAllele: boolean): string {
  if (value === '') return value;
  if (!isAllele && value === '-') return '';
  // fast path: nothing to escape
  if (!/[,;|\s]/.test(value)) return value;
  return value.replace(/[,|]/g, '&').replace(/;/g, '%3B').replace(/\s+/g, '_');
}

/** The CSQ header line for a field list. */
export function csqHeaderLine(fields: readonly AnnotationField[] = CSQ_FIELDS, id = 'CSQ'): string {
  return `##INFO=<ID=${id},Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. Format: ${fields
    .map((f) => f.name)
    .join('|')}">`;
}

/** One CSQ entry (one allele x transcript), fields joined by `|`. */
export function csqEntry(
  c: TranscriptConsequence,
  ctx: FieldContext,
  fields: readonly AnnotationField[] = CSQ_FIELDS,
): string {
  let out = '';
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) out += '|';
    out += escapeCsqValue(fields[i]!.value(c, ctx), i === 0);
  }
  return out;
}
