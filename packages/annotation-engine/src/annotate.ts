/**
 * The predictor's entry points, as the pipeline calls them:
 *
 *   const region = regionNeeded(allele, genes);        // what reference the allele needs
 *   await ref.ensure(region.chrom, region.start, region.end);
 *   const csqs = predictConsequences(allele, genes, ref); // synchronous from here on
 *
 * Coordinates: GENOMIC, 1-BASED, CLOSED (insertions start = end + 1), as in model.ts.
 * The science lives in ./consequence (terms, ranks, positions) and ./hgvs (HGVSc/HGVSp).
 */
import { predictForTranscripts, UPSTREAM_DOWNSTREAM_DISTANCE } from './consequence/index.ts';
import type {
  AlleleToAnnotate,
  ReferenceSequence,
  Transcript,
  TranscriptConsequence,
  TranscriptIndex,
} from './model.ts';

/** Bases of margin around the allele and its transcripts (splice context, 3' shifting, codons). */
const REGION_MARGIN = 100;

/**
 * The pipeline asks `regionNeeded` and then `predictConsequences` for the same allele: the
 * second interval query is answered from the first (profiled: the index query ran twice per allele).
 */
let lastQuery: {
  genes: TranscriptIndex;
  chrom: string;
  start: number;
  end: number;
  result: Transcript[];
} | null = null;

function transcriptsNear(allele: AlleleToAnnotate, genes: TranscriptIndex): Transcript[] {
  const q = lastQuery;
  if (
    q !== null &&
    q.genes === genes &&
    q.start === allele.start &&
    q.end === allele.end &&
    q.chrom === allele.chrom
  ) {
    return q.result;
  }
  const result = genes.overlapping(allele.chrom, allele.start, allele.end, UPSTREAM_DOWNSTREAM_DISTANCE);
  lastQuery = { genes, chrom: allele.chrom, start: allele.start, end: allele.end, result };
  return result;
}

/**
 * The reference region (1-based closed) the predictor will read for this allele: the allele and
 * every transcript within 5 kb of it, widened by 100 bp.
 */
export function regionNeeded(
  allele: AlleleToAnnotate,
  genes: TranscriptIndex,
): { chrom: string; start: number; end: number } {
  let lo = Math.min(allele.start, allele.end);
  let hi = Math.max(allele.start, allele.end);
  for (const t of transcriptsNear(allele, genes)) {
    if (t.start < lo) lo = t.start;
    if (t.end > hi) hi = t.end;
  }
  return { chrom: allele.chrom, start: Math.max(1, lo - REGION_MARGIN), end: hi + REGION_MARGIN };
}

/**
 * What the allele does to every transcript within 5 kb, most severe term first per transcript;
 * one intergenic_variant entry when there is none. The reference must already hold
 * `regionNeeded(allele, genes)`.
 */
export function predictConsequences(
  allele: AlleleToAnnotate,
  genes: TranscriptIndex,
  ref: ReferenceSequence,
): TranscriptConsequence[] {
  return predictForTranscripts(allele, transcriptsNear(allele, genes), ref);
}
