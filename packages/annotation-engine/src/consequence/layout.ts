/**
 * TranscriptLayout: what the predictor derives once per transcript and reuses for every allele.
 *
 * - exons in transcript order with the cDNA coordinate of their first base;
 * - the CDS as cDNA coordinates (cdsStartC..cdsEndC, stop codon included when annotated) and the
 *   5' padding `phase` (an incomplete 5' CDS with GFF phase p is padded with (3 - p) % 3 Ns, so
 *   CDS position = cDNA position - cdsStartC + 1 + phase, as VEP numbers it);
 * - lazily, the spliced transcript sequence (transcript orientation) and the reference peptide.
 *
 * Coordinate names: `g` genomic 1-based, `c` cDNA 1-based (transcript orientation),
 * `k` CDS 1-based (phase included). A layout is cached per Transcript object in a WeakMap; the
 * spliced sequences of at most MAX_SPLICED transcripts are kept (least recently used dropped).
 */
import type { Exon, ReferenceSequence, Transcript } from '../model.ts';
import { type GeneticCode, geneticCodeFor, reverseComplement, translate } from './sequence.ts';

export interface TranscriptLayout {
  t: Transcript;
  /** Genomic order (= t.exons). */
  exons: Exon[];
  /** cDNA coordinate of the first transcribed base of exons[i] (genomic order index). */
  exonCdnaStart: Int32Array;
  cdnaLength: number;
  coding: boolean;
  cdsStartC: number;
  cdsEndC: number;
  phase: number;
  /** Spliced sequence in transcript orientation (index 0 = cDNA 1), built on first use. */
  seq: string | null;
  seqRef: ReferenceSequence | null;
  /** Reference CDS (with phase Ns) translated to the first stop, '' until built. */
  peptide: string | null;
  /** Standard code, or the vertebrate mitochondrial one on MT/chrM (as VEP). */
  code: GeneticCode;
  /** What every HGVSc on this transcript starts with: `ENST00000352957.8:c.` (`n.` non-coding). */
  hgvsPrefix: string;
  /** EXON / INTRON texts of single numbers (`3/10`), made on first use (index = number). */
  exonLabels: string[];
  intronLabels: string[];
  /**
   * True when every exon starts after the previous one ends (what gene models give): exons are
   * then found by binary search. Overlapping exons (a malformed model) keep the linear scan, whose
   * answer (the first exon holding the base) the predictor has always used.
   */
  disjoint: boolean;
  /** HGVS position texts of each exon's first and last genomic base, made on first use (intron offsets count from them). */
  edgeTexts: { first: string[]; last: string[] };
}

/**
 * The EXON (or INTRON) text of one exon (intron) number on this transcript, `3/10`: made once,
 * since the alleles of a stretch keep landing in the same intron (profiled: building these texts
 * per allele was ~1% of a 1 M run).
 */
export function numberLabel(L: TranscriptLayout, kind: 'exon' | 'intron', n: number): string {
  const labels = kind === 'exon' ? L.exonLabels : L.intronLabels;
  let label = labels[n];
  if (label === undefined) {
    label = `${n}/${kind === 'exon' ? L.exons.length : L.exons.length - 1}`;
    labels[n] = label;
  }
  return label;
}

const layouts = new WeakMap<Transcript, TranscriptLayout>();

export function layoutOf(t: Transcript): TranscriptLayout {
  let L = layouts.get(t);
  if (L !== undefined) return L;
  const exons = t.exons;
  const n = exons.length;
  const exonCdnaStart = new Int32Array(n);
  let total = 0;
  if (t.strand === 1) {
    for (let i = 0; i < n; i++) {
      exonCdnaStart[i] = total + 1;
      total += (exons[i] as Exon).end - (exons[i] as Exon).start + 1;
    }
  } else {
    for (let i = n - 1; i >= 0; i--) {
      exonCdnaStart[i] = total + 1;
      total += (exons[i] as Exon).end - (exons[i] as Exon).start + 1;
    }
  }
  L = {
    t,
    exons,
    exonCdnaStart,
    cdnaLength: total,
    coding: false,
    cdsStartC: 0,
    cdsEndC: 0,
    phase: 0,
    seq: null,
    seqRef: null,
    peptide: null,
    code: geneticCodeFor(t.chrom),
    hgvsPrefix: '',
    exonLabels: [],
    intronLabels: [],
    disjoint: exons.every((e, i) => i === 0 || e.start > (exons[i - 1] as Exon).end),
    edgeTexts: { first: [], last: [] },
  };
  if (t.cdsStart !== null && t.cdsEnd !== null) {
    const a = exonicCdna(L, t.strand === 1 ? t.cdsStart : t.cdsEnd);
    const b = exonicCdna(L, t.strand === 1 ? t.cdsEnd : t.cdsStart);
    if (a > 0 && b > 0 && b >= a) {
      L.coding = true;
      L.cdsStartC = a;
      L.cdsEndC = b;
      // GFF phase = bases to skip before the first whole codon; VEP pads the CDS with
      // (3 - phase) % 3 Ns so that the partial first codon keeps its frame.
      L.phase = t.cdsStartPhase === 1 || t.cdsStartPhase === 2 ? 3 - t.cdsStartPhase : 0;
    }
  }
  L.hgvsPrefix = `${t.id}${t.version ? `.${t.version}` : ''}:${L.coding ? 'c' : 'n'}.`;
  layouts.set(t, L);
  return L;
}

/** Index (genomic order) of the exon containing g, or -1. */
export function exonIndexAt(L: TranscriptLayout, g: number): number {
  const ex = L.exons;
  if (L.disjoint) {
    const i = exonStartingAtOrBefore(ex, g);
    return i >= 0 && g <= (ex[i] as Exon).end ? i : -1;
  }
  for (let i = 0; i < ex.length; i++) {
    const e = ex[i] as Exon;
    if (g < e.start) return -1;
    if (g <= e.end) return i;
  }
  return -1;
}

/** Index of the last exon (genomic order) starting at or before g, -1 when none: binary search. */
export function exonStartingAtOrBefore(ex: readonly Exon[], g: number): number {
  let lo = 0;
  let hi = ex.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ex[mid] as Exon).start <= g) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** cDNA coordinate of genomic g when g is exonic, else 0. */
export function exonicCdna(L: TranscriptLayout, g: number): number {
  const i = exonIndexAt(L, g);
  if (i < 0) return 0;
  const e = L.exons[i] as Exon;
  return (L.exonCdnaStart[i] as number) + (L.t.strand === 1 ? g - e.start : e.end - g);
}

/**
 * Layouts holding a spliced sequence, least recently used first. A whole-genome annotation set spliced at
 * once would hold hundreds of MB; sorted input needs only the transcripts around the current
 * position, so the sequences of the least recently spliced ones are dropped beyond this many.
 */
const MAX_SPLICED = 4096;
const spliced = new Set<TranscriptLayout>();

/** Spliced transcript sequence (transcript orientation, upper case). The reference must hold the transcript. */
export function transcriptSequence(L: TranscriptLayout, ref: ReferenceSequence): string {
  if (L.seq !== null && L.seqRef === ref) {
    // most recently used last
    spliced.delete(L);
    spliced.add(L);
    return L.seq;
  }
  const t = L.t;
  let s = '';
  for (const e of L.exons) s += ref.slice(t.chrom, e.start, e.end);
  L.seq = t.strand === 1 ? s : reverseComplement(s);
  L.seqRef = ref;
  L.peptide = null;
  spliced.add(L);
  if (spliced.size > MAX_SPLICED) {
    const oldest = spliced.values().next().value as TranscriptLayout;
    spliced.delete(oldest);
    oldest.seq = null;
    oldest.seqRef = null;
    oldest.peptide = null;
  }
  return L.seq;
}

/** CDS sequence from the first coding base (with phase Ns) to the end of the transcript (3' UTR included). */
export function codingTail(L: TranscriptLayout, ref: ReferenceSequence): string {
  const seq = transcriptSequence(L, ref);
  return 'N'.repeat(L.phase) + seq.slice(L.cdsStartC - 1);
}

/** Reference peptide (one-letter, '*' for the stop) of the annotated CDS. */
export function referencePeptide(L: TranscriptLayout, ref: ReferenceSequence): string {
  transcriptSequence(L, ref);
  if (L.peptide !== null) return L.peptide;
  const seq = L.seq as string;
  const cds = 'N'.repeat(L.phase) + seq.slice(L.cdsStartC - 1, L.cdsEndC);
  L.peptide = translate(cds, 0, false, L.code);
  return L.peptide;
}

/** CDS length in bases including phase padding. */
export function cdsLength(L: TranscriptLayout): number {
  return L.cdsEndC - L.cdsStartC + 1 + L.phase;
}
