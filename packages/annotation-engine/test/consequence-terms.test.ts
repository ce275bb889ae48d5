/**
 * The ranked table of consequence terms: every term the issue lists is present with VEP's
 * IMPACT, in Ensembl's severity order, and joined most severe first.
 */
import { describe, expect, it } from 'vitest';
import { CONSEQUENCE_TERMS, impactOf, sortTerms, termRank } from '../src/consequence/index.ts';
import { sortTermsWithImpact } from '../src/consequence/terms.ts';
import { seededRandom } from '../src/seeded-random.ts';

// Ensembl's order (Constants.pm, release 115) for the terms this engine predicts, with IMPACT.
const EXPECTED: [string, string][] = [
  ['transcript_ablation', 'HIGH'],
  ['splice_acceptor_variant', 'HIGH'],
  ['splice_donor_variant', 'HIGH'],
  ['stop_gained', 'HIGH'],
  ['frameshift_variant', 'HIGH'],
  ['stop_lost', 'HIGH'],
  ['start_lost', 'HIGH'],
  ['inframe_insertion', 'MODERATE'],
  ['inframe_deletion', 'MODERATE'],
  ['missense_variant', 'MODERATE'],
  ['protein_altering_variant', 'MODERATE'],
  ['splice_donor_5th_base_variant', 'LOW'],
  ['splice_region_variant', 'LOW'],
  ['splice_donor_region_variant', 'LOW'],
  ['splice_polypyrimidine_tract_variant', 'LOW'],
  ['incomplete_terminal_codon_variant', 'LOW'],
  ['start_retained_variant', 'LOW'],
  ['stop_retained_variant', 'LOW'],
  ['synonymous_variant', 'LOW'],
  ['coding_sequence_variant', 'MODIFIER'],
  ['5_prime_UTR_variant', 'MODIFIER'],
  ['3_prime_UTR_variant', 'MODIFIER'],
  ['non_coding_transcript_exon_variant', 'MODIFIER'],
  ['intron_variant', 'MODIFIER'],
  ['NMD_transcript_variant', 'MODIFIER'],
  ['non_coding_transcript_variant', 'MODIFIER'],
  ['upstream_gene_variant', 'MODIFIER'],
  ['downstream_gene_variant', 'MODIFIER'],
  ['intergenic_variant', 'MODIFIER'],
];

describe('consequence terms', () => {
  it('holds every listed term with its IMPACT, in severity order', () => {
    const byName = new Map(CONSEQUENCE_TERMS.map((t) => [t.term, t]));
    let last = 0;
    for (const [term, impact] of EXPECTED) {
      const t = byName.get(term);
      expect(t, term).toBeDefined();
      expect(t?.impact, term).toBe(impact);
      expect(t?.rank, term).toBeGreaterThan(last);
      expect(t?.so, term).toMatch(/^SO:\d{7}$/);
      last = t?.rank ?? 0;
    }
    expect(new Set(CONSEQUENCE_TERMS.map((t) => t.rank)).size).toBe(CONSEQUENCE_TERMS.length);
  });

  it('sorts most severe first and takes the IMPACT of the most severe term', () => {
    const terms = ['intron_variant', 'NMD_transcript_variant', 'splice_region_variant', 'missense_variant'];
    expect(sortTerms(terms)).toEqual([
      'missense_variant',
      'splice_region_variant',
      'intron_variant',
      'NMD_transcript_variant',
    ]);
    expect(impactOf(terms)).toBe('MODERATE');
    expect(impactOf(['intron_variant', 'non_coding_transcript_variant'])).toBe('MODIFIER');
    expect(impactOf(['splice_polypyrimidine_tract_variant', 'intron_variant'])).toBe('LOW');
    expect(termRank('not_a_term')).toBeGreaterThan(termRank('sequence_variant'));
  });

  it('sorts and finds the IMPACT in one pass exactly as sortTerms then impactOf do', () => {
    const random = seededRandom(7);
    const names = [...CONSEQUENCE_TERMS.map((t) => t.term), 'not_a_term'];
    for (let n = 0; n < 2000; n++) {
      const terms = Array.from(
        { length: 1 + Math.floor(random() * 6) },
        () => names[Math.floor(random() * names.length)]!,
      );
      const plain = sortTerms([...terms]);
      const oneAtATime = [...terms];
      expect(sortTermsWithImpact(oneAtATime)).toBe(impactOf(plain));
      expect(oneAtATime).toEqual(plain);
    }
  });
});
