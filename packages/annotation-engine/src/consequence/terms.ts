/**
 * THE ranked table of consequence terms: Sequence Ontology name, SO accession, IMPACT and
 * Ensembl's severity rank (most severe first; the order of Ensembl VEP's Constants.pm, release
 * 115). Every other place in the engine refers to terms through this table: joining terms
 * most-severe-first, the IMPACT of a prediction (that of its most severe term), bcftools'
 * short names in tests.
 */
import type { Impact } from '../model.ts';

export interface ConsequenceTerm {
  /** SO term exactly as VEP prints it. */
  term: string;
  so: string;
  impact: Impact;
  /** 1 = most severe. */
  rank: number;
}

/** Most severe first. Includes terms this engine does not predict yet so that ranks match VEP. */
const TABLE: readonly [string, string, Impact][] = [
  ['transcript_ablation', 'SO:0001893', 'HIGH'],
  ['splice_acceptor_variant', 'SO:0001574', 'HIGH'],
  ['splice_donor_variant', 'SO:0001575', 'HIGH'],
  ['stop_gained', 'SO:0001587', 'HIGH'],
  ['frameshift_variant', 'SO:0001589', 'HIGH'],
  ['stop_lost', 'SO:0001578', 'HIGH'],
  ['start_lost', 'SO:0002012', 'HIGH'],
  ['transcript_amplification', 'SO:0001889', 'HIGH'],
  ['feature_elongation', 'SO:0001907', 'HIGH'],
  ['feature_truncation', 'SO:0001906', 'HIGH'],
  ['inframe_insertion', 'SO:0001821', 'MODERATE'],
  ['inframe_deletion', 'SO:0001822', 'MODERATE'],
  ['missense_variant', 'SO:0001583', 'MODERATE'],
  ['protein_altering_variant', 'SO:0001818', 'MODERATE'],
  ['splice_donor_5th_base_variant', 'SO:0001787', 'LOW'],
  ['splice_region_variant', 'SO:0001630', 'LOW'],
  ['splice_donor_region_variant', 'SO:0002170', 'LOW'],
  ['splice_polypyrimidine_tract_variant', 'SO:0002169', 'LOW'],
  ['incomplete_terminal_codon_variant', 'SO:0001626', 'LOW'],
  ['start_retained_variant', 'SO:0002019', 'LOW'],
  ['stop_retained_variant', 'SO:0001567', 'LOW'],
  ['synonymous_variant', 'SO:0001819', 'LOW'],
  ['coding_sequence_variant', 'SO:0001580', 'MODIFIER'],
  ['mature_miRNA_variant', 'SO:0001620', 'MODIFIER'],
  ['5_prime_UTR_variant', 'SO:0001623', 'MODIFIER'],
  ['3_prime_UTR_variant', 'SO:0001624', 'MODIFIER'],
  ['non_coding_transcript_exon_variant', 'SO:0001792', 'MODIFIER'],
  ['intron_variant', 'SO:0001627', 'MODIFIER'],
  ['NMD_transcript_variant', 'SO:0001621', 'MODIFIER'],
  ['non_coding_transcript_variant', 'SO:0001619', 'MODIFIER'],
  ['coding_transcript_variant', 'SO:0001968', 'MODIFIER'],
  ['upstream_gene_variant', 'SO:0001631', 'MODIFIER'],
  ['downstream_gene_variant', 'SO:0001632', 'MODIFIER'],
  ['TFBS_ablation', 'SO:0001895', 'MODIFIER'],
  ['TFBS_amplification', 'SO:0001892', 'MODIFIER'],
  ['TF_binding_site_variant', 'SO:0001782', 'MODIFIER'],
  ['regulatory_region_ablation', 'SO:0001894', 'MODIFIER'],
  ['regulatory_region_amplification', 'SO:0001891', 'MODIFIER'],
  ['regulatory_region_variant', 'SO:0001566', 'MODIFIER'],
  ['intergenic_variant', 'SO:0001628', 'MODIFIER'],
  ['sequence_variant', 'SO:0001060', 'MODIFIER'],
];

export const CONSEQUENCE_TERMS: readonly ConsequenceTerm[] = TABLE.map(([term, so, impact], i) => ({
  term,
  so,
  impact,
  rank: i + 1,
}));

const BY_NAME = new Map(CONSEQUENCE_TERMS.map((t) => [t.term, t]));

/** Rank of a term (1 = most severe); unknown terms sort last. */
export function termRank(term: string): number {
  return BY_NAME.get(term)?.rank ?? CONSEQUENCE_TERMS.length + 1;
}

export function termImpact(term: string): Impact {
  return BY_NAME.get(term)?.impact ?? 'MODIFIER';
}

/** Sorts terms in place, most severe first, and returns the array (insertion sort: arrays are tiny). */
export function sortTerms(terms: string[]): string[] {
  for (let i = 1; i < terms.length; i++) {
    const t = terms[i] as string;
    const r = termRank(t);
    let j = i - 1;
    while (j >= 0 && termRank(terms[j] as string) > r) {
      terms[j + 1] = terms[j] as string;
      j--;
    }
    terms[j + 1] = t;
  }
  return terms;
}

/** Ranks of the terms being sorted by `sortTermsWithImpact` (reused: no array per call). */
const scratchRanks: number[] = [];

/**
 * `sortTerms` then `impactOf` in one pass, with one table lookup per term (the two took two to
 * four per term: the predictor calls this for every allele x transcript).
 */
export function sortTermsWithImpact(terms: string[]): Impact {
  const ranks = scratchRanks;
  let impact: Impact = 'MODIFIER';
  let best = CONSEQUENCE_TERMS.length + 2;
  for (let i = 0; i < terms.length; i++) {
    const t = terms[i] as string;
    const known = BY_NAME.get(t);
    const r = known === undefined ? CONSEQUENCE_TERMS.length + 1 : known.rank;
    if (r < best) {
      best = r;
      impact = known === undefined ? 'MODIFIER' : known.impact;
    }
    // insertion sort, stable, as sortTerms
    let j = i - 1;
    while (j >= 0 && (ranks[j] as number) > r) {
      terms[j + 1] = terms[j] as string;
      ranks[j + 1] = ranks[j] as number;
      j--;
    }
    terms[j + 1] = t;
    ranks[j + 1] = r;
  }
  return impact;
}

/** IMPACT of a set of terms: that of the most severe one. */
export function impactOf(terms: readonly string[]): Impact {
  let best = CONSEQUENCE_TERMS.length + 2;
  let impact: Impact = 'MODIFIER';
  for (const t of terms) {
    const r = termRank(t);
    if (r < best) {
      best = r;
      impact = termImpact(t);
    }
  }
  return impact;
}
