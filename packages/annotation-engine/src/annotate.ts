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
  NearbyTranscripts,
  ReferenceSequence,
  TranscriptConsequence,
  TranscriptIndex,
} from './model.ts';

/** Bases of margin around the allele and its transcripts (splice context, 3' shifting, codons). */
const REGION_MARGIN = 100;

/**
 * The transcripts within 5 kb of an allele, from the last answer when it still holds: the
 * index's `nearby` gives the range of widened queries that share an answer, and sorted input
 * moves base by base through a gene, so most alleles (and `predictConsequences` after
 * `regionNeeded` for the same allele) reuse it and its span without a search (profiled: the
 * query and the span loop were ~3% of a 1 M run).
 */
let last: { genes: TranscriptIndex; chrom: string; near: NearbyTranscripts } | null = null;

function nearbyTranscripts(allele: AlleleToAnnotate, genes: TranscriptIndex): NearbyTranscripts {
  const a = Math.min(allele.start, allele.end) - UPSTREAM_DOWNSTREAM_DISTANCE;
  const b = Math.max(allele.start, allele.end) + UPSTREAM_DOWNSTREAM_DISTANCE;
  const q = last;
  if (q !== null && q.genes === genes && q.chrom === allele.chrom) {
    const n = q.near;
    if (a >= n.aFrom && a <= n.aTo && b >= n.bFrom && b <= n.bTo) return n;
  }
  const near = genes.nearby(allele.chrom, allele.start, allele.end, UPSTREAM_DOWNSTREAM_DISTANCE);
  last = { genes, chrom: allele.chrom, near };
  return near;
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
  const near = nearbyTranscripts(allele, genes);
  if (near.transcripts.length > 0) {
    if (near.spanStart < lo) lo = near.spanStart;
    if (near.spanEnd > hi) hi = near.spanEnd;
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
  return predictForTranscripts(allele, nearbyTranscripts(allele, genes).transcripts, ref);
}
