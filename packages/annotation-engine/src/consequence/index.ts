/**
 * Consequence prediction: what one allele does to one transcript, the way Ensembl VEP says it.
 *
 * FEATURES AND LINKS
 *   A Transcript (model.ts) carries its exons (genomic order), its CDS span (stop included) and
 *   the 5' CDS phase. Genes are only a label (geneId, symbol). For each transcript the predictor
 *   derives, once, a TranscriptLayout (layout.ts): exons in transcript order with their cDNA
 *   offsets, the CDS in cDNA coordinates, and lazily the spliced sequence and the reference
 *   peptide. Introns are the gaps between consecutive exons; gaps of <= 12 bp are "frameshift
 *   introns" (genebuild artefacts) and give no intron or splice terms, as in VEP; an allele in
 *   one inside the CDS is coding_sequence_variant. Transcripts on MT/chrM use the vertebrate
 *   mitochondrial genetic code (sequence.ts), all others the standard one.
 *
 * COORDINATES
 *   Alleles are genomic 1-based closed; an insertion between p and p+1 is start=p+1, end=p.
 *   "overlap(a, b)" below is VEP's test `end >= a && start <= b`, which for an insertion means
 *   "strictly between two bases of [a, b]" - so one formula serves SNVs, deletions and insertions.
 *   Transcript-relative work happens in cDNA (c), CDS (k = c - cdsStartC + 1 + phase) and
 *   protein (codon = ceil(k / 3)) coordinates, all in transcript orientation.
 *
 * LOOKUP ORDER, per allele x transcript
 *   1. Outside the transcript: upstream_gene_variant / downstream_gene_variant within 5 kb of
 *      the transcript's 5' / 3' end (by strand), DISTANCE = gap to the nearest transcript end.
 *   2. A deletion covering the whole transcript: transcript_ablation, nothing else.
 *   3. Introns (genomic order, named by strand): donor = intron's first 2 bases in transcript
 *      orientation, acceptor = last 2; splice_donor_5th_base = +5; splice_donor_region = +3..+6
 *      (not when the 5th base is hit); polypyrimidine tract = -3..-17; splice_region = 3-8 bases
 *      into the intron or 1-3 bases into the exon (insertions at those edges count), not
 *      reported together with donor/acceptor/5th base/donor region; 5th base and donor region
 *      give way to donor/acceptor too; intron_variant = the intron minus its 2 + 2 splice-site
 *      bases.
 *   4. Exons: non-coding transcript -> non_coding_transcript_exon_variant; coding transcript ->
 *      5'/3' UTR by cDNA position against the CDS, and when the allele lies inside the CDS the
 *      codon-level terms (step 5). An insertion right after an exon's last base or right before
 *      its first base counts as exonic: the splice signal is untouched, so the bases end up in
 *      the mRNA (bcftools csq calls these exonic too).
 *      An indel written across the ATG that can equally be placed outside it (a run of repeated
 *      bases) keeps the start codon: start_retained_variant and no codon-level call.
 *   5. Codons (only when both ends map into the CDS without crossing an intron): reference and
 *      alternative codons, their peptides, then start_lost / start_retained_variant (codon 1),
 *      stop_gained, stop_lost, stop_retained_variant (the new peptide starts with a stop, and
 *      the old one does too or the change is at the stop codon's place), frameshift_variant,
 *      inframe_insertion (the new peptide, cut after its first stop, starts or ends with the old
 *      one), inframe_deletion (judged on the codons: any in-frame deletion placed codon by
 *      codon), missense_variant, synonymous_variant, protein_altering_variant (other changes
 *      of the peptide's length; beside stop_gained too), each VEP's predicate on its own,
 *      incomplete_terminal_codon_variant (a partial last codon). An allele that touches
 *      the CDS but cannot be placed codon by codon is coding_sequence_variant, or start_lost /
 *      stop_lost instead when it covers the start / stop codon and both its ends are in cDNA
 *      (VEP's _overlaps_start_codon / _overlaps_stop_codon and coding_unknown): one that starts
 *      or ends in an intron or outside the transcript has no start or stop call.
 *   6. Transcript-wide: NMD_transcript_variant (nonsense_mediated_decay biotype), and
 *      non_coding_transcript_variant for a non-coding transcript when no exon term applied.
 *   7. Nothing within 5 kb of any transcript: one intergenic_variant.
 *
 * RANKS
 *   Terms, their IMPACT and severity ranks live in ONE table (terms.ts, Ensembl's order); the
 *   terms of a prediction are joined most severe first and its IMPACT is that of the first.
 *
 * HGVS
 *   ../hgvs builds HGVSc (3'-shifted along the transcript, dup over ins) and HGVSp (three-letter
 *   codes, `=` for synonymous, fsTer / extTer, del / dup / ins / delins) from the same layout.
 *
 * DATA STRUCTURES AND COST
 *   Transcripts come from the interval index (../genes) in start order. The per-allele path
 *   allocates the result object, a small term array and short strings (codons are cut from the
 *   cached spliced sequence, never from a copied CDS); spliced sequences and peptides are cached
 *   per transcript (WeakMap), so a transcript is spliced once however many alleles hit it.
 *   Only frameshifts and stop losses translate beyond the touched codons. Measured: ~0.3 M
 *   alleles/s for this predictor alone on one core (synthetic-100k, ~3 transcripts per allele).
 *
 * KNOWN DIFFERENCES FROM bcftools csq (test/fixtures/science/bcftools-csq-differences.tsv)
 *   VEP's rules are followed where the two tools differ: frameshift introns, start_lost with
 *   frameshift_variant, coding_sequence_variant beside splice sites, no codon change computed for
 *   an allele that crosses an exon edge, start_lost for a one-codon CDS, no stop codon assumed at
 *   the end of a stop-less CDS, one CDS frame per transcript, protein_altering_variant for an
 *   in-frame insertion that keeps neither end of the peptide (bcftools: inframe_insertion), and
 *   stop_gained from the touched codons only (test/differential-bcftools.test.ts lists them).
 */
import { hgvsc, hgvsp } from '../hgvs/index.ts';
import type {
  AlleleToAnnotate,
  Exon,
  Impact,
  ReferenceSequence,
  Transcript,
  TranscriptConsequence,
} from '../model.ts';
import {
  cdsLength,
  exonIndexAt,
  exonicCdna,
  exonStartingAtOrBefore,
  layoutOf,
  numberLabel,
  type TranscriptLayout,
  transcriptSequence,
} from './layout.ts';
import { reverseComplement, translate } from './sequence.ts';
import { sortTermsWithImpact, termImpact } from './terms.ts';

export type { ConsequenceTerm } from './terms.ts';
export { CONSEQUENCE_TERMS, impactOf, sortTerms, termImpact, termRank } from './terms.ts';

/** Up/downstream reach, bases (VEP's default). */
export const UPSTREAM_DOWNSTREAM_DISTANCE = 5000;
/** IMPACT of the single-term predictions, looked up once. */
const IMPACT_UPSTREAM = termImpact('upstream_gene_variant');
const IMPACT_DOWNSTREAM = termImpact('downstream_gene_variant');
const IMPACT_INTERGENIC = termImpact('intergenic_variant');
const IMPACT_ABLATION = termImpact('transcript_ablation');
/** Introns this short are genebuild artefacts: no intron/splice terms (VEP). */
const FRAMESHIFT_INTRON_MAX = 12;

/**
 * Predicts consequences of one allele on the given transcripts (those within 5 kb): one entry per
 * transcript, or one intergenic_variant entry; none for a symbolic allele or one that changes nothing.
 */
export function predictForTranscripts(
  allele: AlleleToAnnotate,
  transcripts: readonly Transcript[],
  ref: ReferenceSequence,
): TranscriptConsequence[] {
  const out: TranscriptConsequence[] = [];
  // Symbolic alleles are passed through by the pipeline, and REF = ALT (nothing left after
  // trimming) changes nothing: no prediction for either, as VEP skips them.
  if (allele.symbolic !== null || allele.ref === allele.alt) return out;
  for (const t of transcripts) {
    const c = predictOne(allele, t, ref);
    if (c !== null) out.push(c);
  }
  if (out.length === 0) {
    out.push(emptyConsequence(allele, null, ['intergenic_variant'], IMPACT_INTERGENIC));
  }
  return out;
}

function emptyConsequence(
  allele: AlleleToAnnotate,
  t: Transcript | null,
  terms: string[],
  impact: Impact,
): TranscriptConsequence {
  return {
    allele,
    transcript: t,
    consequences: terms,
    impact,
    exon: null,
    intron: null,
    hgvsc: null,
    hgvsp: null,
    cdnaPosition: null,
    cdsPosition: null,
    proteinPosition: null,
    aminoAcids: null,
    codons: null,
    distance: null,
  };
}

/** The allele's effect on one transcript, or null when it is more than 5 kb away. */
export function predictOne(
  allele: AlleleToAnnotate,
  t: Transcript,
  ref: ReferenceSequence,
): TranscriptConsequence | null {
  const vs = allele.start;
  const ve = allele.end;
  const insertion = vs === ve + 1;
  // 1. outside the transcript
  if (!(ve >= t.start && vs <= t.end)) {
    const before = ve < t.start; // genomically left of the transcript
    const distance = before ? t.start - ve : vs - t.end;
    if (distance > UPSTREAM_DOWNSTREAM_DISTANCE) return null;
    const upstream = before === (t.strand === 1);
    const c = emptyConsequence(
      allele,
      t,
      [upstream ? 'upstream_gene_variant' : 'downstream_gene_variant'],
      upstream ? IMPACT_UPSTREAM : IMPACT_DOWNSTREAM,
    );
    c.distance = distance;
    return c;
  }
  const L = layoutOf(t);
  // 2. ablation
  if (!insertion && vs <= t.start && ve >= t.end && allele.alt.length < allele.ref.length) {
    return emptyConsequence(allele, t, ['transcript_ablation'], IMPACT_ABLATION);
  }
  const terms: string[] = [];
  const result = emptyConsequence(allele, t, terms, 'MODIFIER'); // the impact is set once the terms are
  const exons = L.exons;
  const nEx = exons.length;
  const plus = t.strand === 1;

  // 3. introns
  let donor = false;
  let acceptor = false;
  let fifth = false;
  let donorRegion = false;
  let ppt = false;
  let region = false;
  let intronic = false;
  let inFrameshiftIntron = false;
  let firstIntron = 0;
  let lastIntron = 0;
  // Introns whose end lies more than 3 bases before the allele (exons[i + 1].start < vs - 3)
  // cannot touch it: start after them, found by binary search on the exon starts (sorted).
  for (let i = Math.max(0, exonStartingAtOrBefore(exons, vs - 4)); i + 1 < nEx; i++) {
    const is = (exons[i] as Exon).end + 1;
    const ie = (exons[i + 1] as Exon).start - 1;
    if (ie < is) continue;
    if (is - 3 > ve + 1) break;
    if (ie + 3 < vs - 1) continue;
    const number = plus ? i + 1 : nEx - 1 - i;
    if (overlaps(vs, ve, is, ie)) {
      if (firstIntron === 0 || number < firstIntron) firstIntron = number;
      if (number > lastIntron) lastIntron = number;
    }
    if (ie - is <= FRAMESHIFT_INTRON_MAX && overlaps(vs, ve, is, ie)) {
      inFrameshiftIntron = true;
      continue;
    }
    const hitStart = overlaps(vs, ve, is, is + 1);
    const hitEnd = overlaps(vs, ve, ie - 1, ie);
    if (plus ? hitStart : hitEnd) donor = true;
    if (plus ? hitEnd : hitStart) acceptor = true;
    if (overlaps(vs, ve, is + 2, ie - 2) || (insertion && (vs === is + 2 || ve === ie - 2))) intronic = true;
    if (
      overlaps(vs, ve, is - 3, is + 7) ||
      overlaps(vs, ve, ie - 7, ie + 3) ||
      (insertion && (vs === is || ve === ie || vs === is + 2 || ve === ie - 2))
    ) {
      region = true;
    }
    if (plus) {
      if (overlaps(vs, ve, is + 4, is + 4)) fifth = true;
      if (overlaps(vs, ve, is + 2, is + 5)) donorRegion = true;
      if (overlaps(vs, ve, ie - 16, ie - 2)) ppt = true;
    } else {
      if (overlaps(vs, ve, ie - 4, ie - 4)) fifth = true;
      if (overlaps(vs, ve, ie - 5, ie - 2)) donorRegion = true;
      if (overlaps(vs, ve, is + 2, is + 16)) ppt = true;
    }
  }
  if (donor) terms.push('splice_donor_variant');
  if (acceptor) terms.push('splice_acceptor_variant');
  // The finer donor-side terms, like splice_region, give way to the splice site itself.
  const site = donor || acceptor;
  if (fifth && !site) terms.push('splice_donor_5th_base_variant');
  if (donorRegion && !fifth && !site) terms.push('splice_donor_region_variant');
  if (ppt) terms.push('splice_polypyrimidine_tract_variant');
  if (region && !site && !fifth && !donorRegion) terms.push('splice_region_variant');
  if (intronic) terms.push('intron_variant');
  if (firstIntron > 0) {
    result.intron =
      firstIntron === lastIntron
        ? numberLabel(L, 'intron', firstIntron)
        : `${firstIntron}-${lastIntron}/${nEx - 1}`;
  }

  // 4. exons
  let firstExon = 0;
  let lastExon = 0;
  // disjoint exons before the one starting at or before vs end before vs: skipped
  for (let i = L.disjoint ? Math.max(0, exonStartingAtOrBefore(exons, vs)) : 0; i < nEx; i++) {
    const e = exons[i] as Exon;
    if (e.start > ve + 1) break;
    if (ve >= e.start && vs <= e.end) {
      const number = plus ? i + 1 : nEx - i;
      if (firstExon === 0) firstExon = number;
      firstExon = Math.min(firstExon, number);
      lastExon = Math.max(lastExon, number);
    }
  }
  const exonic = firstExon > 0;
  if (exonic)
    result.exon =
      firstExon === lastExon ? numberLabel(L, 'exon', firstExon) : `${firstExon}-${lastExon}/${nEx}`;

  // cDNA span in transcript orientation; 0 = that end is not exonic.
  let cStart: number;
  let cEnd: number;
  if (insertion) {
    const f5 = plus ? ve : vs;
    const f3 = plus ? vs : ve;
    const a = exonicCdna(L, f5);
    const b = exonicCdna(L, f3);
    if (a > 0 && (b === a + 1 || b === 0)) {
      // inside an exon, or right after an exon's last base (the splice site still follows,
      // so the inserted bases end up in the mRNA)
      cStart = a + 1;
      cEnd = a;
    } else if (a === 0 && b > 0) {
      // right before an exon's first base, after the acceptor site
      cStart = b;
      cEnd = b - 1;
    } else {
      cStart = 0;
      cEnd = 0;
    }
    if (cStart > 0 && result.exon === null) {
      const i = exonIndexAt(L, a > 0 ? f5 : f3);
      result.exon = numberLabel(L, 'exon', plus ? i + 1 : nEx - i);
    }
  } else {
    const a = exonicCdna(L, plus ? vs : ve);
    const b = exonicCdna(L, plus ? ve : vs);
    cStart = a;
    cEnd = b;
  }
  if (cStart > 0 || cEnd > 0) {
    result.cdnaPosition = positionRange(cStart, cEnd, insertion);
  }

  if (exonic || (insertion && cStart > 0)) {
    if (!L.coding) {
      terms.push('non_coding_transcript_exon_variant');
    } else {
      codingTerms(allele, L, ref, cStart, cEnd, insertion, terms, result);
    }
  }

  // An allele in a frameshift intron inside the CDS is part of the coding sequence (VEP).
  if (inFrameshiftIntron && L.coding && !exonic && t.cdsStart !== null && t.cdsEnd !== null) {
    if (ve >= t.cdsStart && vs <= t.cdsEnd) terms.push('coding_sequence_variant');
  }

  // 6. transcript-wide
  if (t.biotype === 'nonsense_mediated_decay') terms.push('NMD_transcript_variant');
  if (!L.coding && !terms.includes('non_coding_transcript_exon_variant'))
    terms.push('non_coding_transcript_variant');
  if (terms.length === 0) {
    // An allele inside the transcript that no rule placed (e.g. an insertion at an exon edge
    // of a frameshift intron): VEP falls back to the transcript-level term.
    terms.push(L.coding ? 'coding_transcript_variant' : 'non_coding_transcript_variant');
  }
  result.impact = sortTermsWithImpact(terms);
  result.hgvsc = hgvsc(allele, L, ref);
  return result;
}

/** CDS bases kFrom..kTo (1-based, phase padding included as N), without copying the whole CDS. */
function cdsBases(L: TranscriptLayout, seq: string, kFrom: number, kTo: number): string {
  let out = '';
  let k = kFrom;
  for (; k <= kTo && k <= L.phase; k++) out += 'N';
  if (k > kTo) return out;
  const from = L.cdsStartC - 1 + (k - L.phase - 1);
  const to = Math.min(L.cdsStartC - 1 + (kTo - L.phase), L.cdsEndC);
  return out + seq.slice(from, to);
}

/**
 * VEP's inframe_deletion on the codons the allele touches (reference and alternative, the
 * latter shorter): the alternative is the start or the end of the reference, or, with their
 * common start and then their common end trimmed, nothing of it is left and the reference keeps
 * whole codons. So any in-frame deletion placed codon by codon is one.
 */
function inframeDeletionCodons(refCodons: string, altCodons: string): boolean {
  let r = refCodons.toUpperCase();
  let a = altCodons.toUpperCase();
  if (a.length >= r.length) return false;
  if (r.startsWith(a) || r.endsWith(a)) return true;
  let i = 0;
  while (i < r.length && i < a.length && r[i] === a[i]) i++;
  r = r.slice(i);
  a = a.slice(i);
  let j = 0;
  while (j < r.length && j < a.length && r[r.length - 1 - j] === a[a.length - 1 - j]) j++;
  return a.length - j === 0 && (r.length - j) % 3 === 0;
}

/**
 * VEP's stop_retained: with a new peptide, it starts with a stop and either the old one does too
 * or the change is at the stop codon's place (its first codon is beyond the translated peptide,
 * e.g. an insertion right before the stop); with none (whole codons deleted), a length change
 * over the stop codon after which the bases in the stop's place still read as a stop.
 */
function stopRetainedAsVep(
  L: TranscriptLayout,
  seq: string,
  a: {
    refPep: string;
    altPep: string;
    translationStart: number;
    lenDiff: number;
    cStart: number;
    cEnd: number;
    altTx: string;
  },
): boolean {
  if (a.altPep !== '') {
    if (!a.altPep.startsWith('*')) return false;
    // VEP's peptide is the translation without its final stop
    const peptideLength = Math.floor(cdsLength(L) / 3) - (endsWithStop(L, seq) ? 1 : 0);
    if (a.translationStart > peptideLength) return true;
    return a.refPep.startsWith('*');
  }
  if (a.lenDiff === 0 || L.t.flags.includes('cds_end_NF')) return false;
  if (!(a.cEnd >= L.cdsEndC - 2 && a.cStart <= L.cdsEndC)) return false;
  // the coding sequence and 3' UTR with the change made, read at the stop codon's place
  // (bases of the annotated CDS, without cdsLength's 5' phase padding)
  const cdsLen = L.cdsEndC - L.cdsStartC + 1;
  const edited = seq.slice(L.cdsStartC - 1, a.cStart - 1) + a.altTx.toUpperCase() + seq.slice(a.cEnd);
  if (edited.length < cdsLen) return false;
  return translate(edited.slice(cdsLen - 3, cdsLen), 0, false, L.code) === '*';
}

/** The annotated CDS's last codon is a stop (`seq`: the spliced transcript). */
function endsWithStop(L: TranscriptLayout, seq: string): boolean {
  return translate(seq.slice(L.cdsEndC - 3, L.cdsEndC), 0, false, L.code) === '*';
}

/** VEP's overlap test (1-based closed; an insertion start = end + 1 overlaps only strictly inside). */
function overlaps(vs: number, ve: number, a: number, b: number): boolean {
  return ve >= a && vs <= b;
}

function positionRange(a: number, b: number, insertion: boolean): string {
  if (insertion) return `${Math.min(a, b)}-${Math.max(a, b)}`;
  const s = a > 0 ? String(a) : '?';
  const e = b > 0 ? String(b) : '?';
  return a === b ? s : `${s}-${e}`;
}

/** Step 4/5 for a coding transcript: UTRs and codon-level terms. */
function codingTerms(
  allele: AlleleToAnnotate,
  L: TranscriptLayout,
  ref: ReferenceSequence,
  cStart: number,
  cEnd: number,
  insertion: boolean,
  terms: string[],
  result: TranscriptConsequence,
): void {
  const t = L.t;
  const plus = t.strand === 1;
  // Exonic cDNA extent of the allele (ends that fall in introns are clipped to the exonic bases).
  let lo = cStart;
  let hi = cEnd;
  if (!insertion && (lo === 0 || hi === 0)) {
    // Partly intronic or beyond the transcript: find the exonic cDNA range covered.
    let min = Number.POSITIVE_INFINITY;
    let max = 0;
    for (let i = 0; i < L.exons.length; i++) {
      const e = L.exons[i] as Exon;
      const s = Math.max(e.start, allele.start);
      const en = Math.min(e.end, allele.end);
      if (s > en) continue;
      const a = exonicCdna(L, plus ? s : en);
      const b = exonicCdna(L, plus ? en : s);
      min = Math.min(min, a);
      max = Math.max(max, b);
    }
    if (max === 0) return;
    lo = min;
    hi = max;
  }
  // 5' / 3' UTR (VEP: by cDNA position against the coding region).
  if (insertion) {
    if (cEnd < L.cdsStartC) terms.push('5_prime_UTR_variant');
    else if (cStart > L.cdsEndC) terms.push('3_prime_UTR_variant');
  } else {
    if (lo < L.cdsStartC) terms.push('5_prime_UTR_variant');
    if (hi > L.cdsEndC) terms.push('3_prime_UTR_variant');
  }
  // An insertion is in the CDS when both flanking bases are (VEP's overlap rule).
  const touchesCds = insertion
    ? cEnd >= L.cdsStartC && cStart <= L.cdsEndC
    : hi >= L.cdsStartC && lo <= L.cdsEndC;
  if (!touchesCds) return;
  if (startCodonKept(allele, L, ref, cStart, cEnd, insertion)) {
    terms.push('start_retained_variant');
    return;
  }
  const k0 = L.cdsStartC - 1 - L.phase; // k = c - k0
  const complete = cStart > 0 && cEnd > 0 && (insertion || (cStart >= L.cdsStartC && cEnd <= L.cdsEndC));
  if (!complete) {
    // Crosses an exon edge or the CDS boundary: no codon-level call.
    const kLo = Math.max(lo, L.cdsStartC) - k0;
    const kHi = Math.min(hi, L.cdsEndC) - k0;
    result.cdsPosition = positionRange(
      cStart > 0 && cStart >= L.cdsStartC ? kLo : 0,
      cEnd > 0 && cEnd <= L.cdsEndC ? kHi : 0,
      false,
    );
    // VEP (_overlaps_start_codon / _overlaps_stop_codon in VariationEffect.pm) judges the start
    // or stop codon only when both ends of the allele map to cDNA: an allele that begins or ends
    // in an intron or outside the transcript is coding_sequence_variant, whatever it covers.
    const bothEndsExonic = cStart > 0 && cEnd > 0;
    if (bothEndsExonic && kLo <= 3 && L.phase === 0 && !t.flags.includes('cds_start_NF'))
      terms.push('start_lost');
    const len = cdsLength(L);
    if (bothEndsExonic && kHi > len - 3 && !t.flags.includes('cds_end_NF')) {
      if (endsWithStop(L, transcriptSequence(L, ref))) terms.push('stop_lost');
    }
    // VEP's coding_unknown: coding_sequence_variant only when no start/stop term was called.
    if (!terms.includes('start_lost') && !terms.includes('stop_lost')) terms.push('coding_sequence_variant');
    return;
  }
  const seq = transcriptSequence(L, ref);
  // CDS coordinates of the allele (insertion: kStart = kEnd + 1).
  const kStart = cStart - k0;
  const kEnd = cEnd - k0;
  result.cdsPosition = positionRange(kStart, kEnd, insertion);
  const altTx = plus ? allele.alt : reverseComplement(allele.alt);
  const refLen = insertion ? 0 : kEnd - kStart + 1;
  // Codon span covering the allele.
  const firstCodon = insertion ? Math.ceil(kEnd / 3) || 1 : Math.ceil(kStart / 3);
  const lastCodon = insertion ? Math.ceil(kStart / 3) : Math.ceil(kEnd / 3);
  const atBoundary = insertion && kEnd % 3 === 0; // between two codons
  const totalLen = cdsLength(L);
  let refCodons: string;
  let altCodons: string;
  let codonFrom: number; // 1-based k of refCodons[0]
  if (atBoundary) {
    refCodons = '';
    altCodons = altTx.toUpperCase();
    codonFrom = kEnd + 1;
    result.proteinPosition = `${kEnd / 3}-${kEnd / 3 + 1}`;
  } else {
    codonFrom = (firstCodon - 1) * 3 + 1;
    const codonTo = Math.min(lastCodon * 3, totalLen);
    const region = cdsBases(L, seq, codonFrom, codonTo);
    const relStart = (insertion ? kEnd + 1 : kStart) - codonFrom; // 0-based offset of the change
    const before = region.slice(0, relStart).toLowerCase();
    const changed = region.slice(relStart, relStart + refLen).toUpperCase();
    const after = region.slice(relStart + refLen).toLowerCase();
    refCodons = before + changed + after;
    altCodons = before + altTx.toUpperCase() + after;
    result.proteinPosition = firstCodon === lastCodon ? String(firstCodon) : `${firstCodon}-${lastCodon}`;
  }
  const refPep = translate(refCodons, 0, false, L.code);
  const altPep = translate(altCodons, 0, false, L.code);
  result.codons = `${refCodons === '' ? '-' : refCodons}/${altCodons === '' ? '-' : altCodons}`;
  result.aminoAcids =
    refPep === altPep ? refPep : `${refPep === '' ? '-' : refPep}/${altPep === '' ? '-' : altPep}`;

  const lenDiff = altTx.length - refLen;
  const frameshift = lenDiff % 3 !== 0;
  const cdsLen = cdsLength(L);
  const partialLast = cdsLen % 3 !== 0 && (insertion ? kStart : kEnd) > cdsLen - (cdsLen % 3);
  if (partialLast) {
    terms.push('incomplete_terminal_codon_variant');
    terms.push('coding_sequence_variant');
    return;
  }
  const startComplete = L.phase === 0 && !t.flags.includes('cds_start_NF');
  const hitsStart =
    startComplete && firstCodon === 1 && !atBoundary && (insertion ? kEnd >= 1 && kStart <= 3 : kStart <= 3);
  let startLost = false;
  let startRetained = false;
  // Only an ATG start can be lost (a non-ATG first codon is an ordinary codon, as in bcftools).
  if (hitsStart && refPep.startsWith('M')) {
    if (altPep.startsWith('M')) {
      if (!frameshift && refCodons.toUpperCase() !== altCodons.toUpperCase()) {
        terms.push('start_retained_variant');
        startRetained = true;
      }
    } else {
      terms.push('start_lost');
      startLost = true;
    }
  }
  // Each term below is VEP's predicate of the same name (VariationEffect.pm), evaluated on its
  // own as VEP does, so that a change can be, e.g., stop_gained and inframe_deletion at once.
  const refHasStop = refPep.includes('*');
  const altHasStop = altPep.includes('*');
  // VEP's translation_start: the first codon touched (an insertion between codons: the next one)
  const translationStart = atBoundary ? kEnd / 3 + 1 : firstCodon;
  const stopRetained = stopRetainedAsVep(L, seq, {
    refPep,
    altPep,
    translationStart,
    lenDiff,
    cStart,
    cEnd,
    altTx,
  });
  if (stopRetained) terms.push('stop_retained_variant');
  const stopGained = !stopRetained && !refHasStop && altHasStop;
  if (stopGained) terms.push('stop_gained');
  const stopLost = refHasStop && !altHasStop;
  if (stopLost) terms.push('stop_lost');
  // protein_altering_variant: the peptide changes length without one of the finer terms
  const proteinAltering = () =>
    refPep.length !== altPep.length &&
    !refPep.startsWith('*') &&
    !altPep.startsWith('*') &&
    !altPep.startsWith(refPep) &&
    !altPep.endsWith(refPep) &&
    !startLost;
  if (frameshift) {
    terms.push('frameshift_variant');
  } else if (lenDiff < 0) {
    // inframe_deletion compares codons, not peptides: atTCTg/atg is an in-frame deletion
    // (I104_L105delinsM), not protein_altering (VEP; a peptide test said otherwise)
    if (inframeDeletionCodons(refCodons, altCodons)) terms.push('inframe_deletion');
    else if (proteinAltering()) terms.push('protein_altering_variant');
  } else if (lenDiff > 0) {
    // inframe_insertion compares peptides, the new one cut after its first stop
    const altToStop = altPep.replace(/\*.+/, '*');
    const kept = altToStop.startsWith(refPep) || altToStop.endsWith(refPep);
    if (!startLost && !(startRetained && altPep.endsWith(refPep)) && kept) terms.push('inframe_insertion');
    else if (proteinAltering()) terms.push('protein_altering_variant');
  } else if (refPep === altPep) {
    if (!stopRetained && !(hitsStart && refPep.startsWith('M'))) terms.push('synonymous_variant');
  } else if (!stopGained && !stopLost && !startLost && !stopRetained) {
    if (refPep.length === altPep.length) terms.push('missense_variant');
    else terms.push('protein_altering_variant');
  }
  result.hgvsp = hgvsp(L, ref, {
    firstCodon: translationStart,
    refPep,
    altPep,
    kStart,
    kEnd,
    altTx,
    frameshift,
    startLost,
    stopLost,
  });
}

/**
 * An insertion or deletion written across the ATG that can equally be placed outside it (it sits
 * in a run of repeated bases that reaches the start codon): the start codon is kept, VEP's and
 * bcftools' start_retained_variant. cStart/cEnd are the allele's cDNA span (insertion:
 * cStart = cEnd + 1).
 */
function startCodonKept(
  allele: AlleleToAnnotate,
  L: TranscriptLayout,
  ref: ReferenceSequence,
  cStart: number,
  cEnd: number,
  insertion: boolean,
): boolean {
  if (allele.ref !== '' && allele.alt !== '') return false;
  if (cStart === 0 || cEnd === 0 || L.phase !== 0 || L.t.flags.includes('cds_start_NF')) return false;
  const a = L.cdsStartC;
  // does this placement touch the inside of the start codon?
  const hits = (s: number, e: number) => e >= a && s <= a + 2;
  if (!hits(cStart, cEnd)) return false;
  const seq = transcriptSequence(L, ref);
  if (seq.slice(a - 1, a + 2) !== 'ATG') return false;
  if (insertion) {
    // insertion after cDNA x of bases `ins` (transcript orientation)
    const ins0 = L.t.strand === 1 ? allele.alt : reverseComplement(allele.alt);
    for (const dir of [1, -1]) {
      let ins = ins0;
      let x = cEnd;
      for (let guard = 0; guard < 1000; guard++) {
        if (dir === 1) {
          if (seq[x] !== ins[0]) break; // seq[x] is cDNA x + 1
          ins = ins.slice(1) + ins[0];
          x++;
        } else {
          if (seq[x - 1] !== ins[ins.length - 1]) break; // cDNA x
          ins = ins[ins.length - 1] + ins.slice(0, -1);
          x--;
        }
        if (!hits(x + 1, x)) return true;
      }
    }
    return false;
  }
  for (const dir of [1, -1]) {
    let s = cStart;
    let e = cEnd;
    for (let guard = 0; guard < 1000; guard++) {
      if (dir === 1) {
        if (e >= seq.length || seq[s - 1] !== seq[e]) break; // first deleted vs base after
        s++;
        e++;
      } else {
        if (s <= 1 || seq[s - 2] !== seq[e - 1]) break; // base before vs last deleted
        s--;
        e--;
      }
      if (!hits(s, e)) return true;
    }
  }
  return false;
}
