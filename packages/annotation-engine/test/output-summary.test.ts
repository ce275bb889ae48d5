/**
 * The summary's counts against the counting rules done plainly, over records whose pairs cycle
 * through more kinds (terms x impact x biotype) than the collector keeps resolved, revisiting
 * old ones, on two chromosomes in turn: what a user reads in the JSON summary must not depend on
 * the order pairs come in.
 */
import { describe, expect, it } from 'vitest';
import { termRank } from '../src/consequence/terms.ts';
import type { AlleleToAnnotate, Impact, Transcript, TranscriptConsequence } from '../src/model.ts';
import { SummaryCollector } from '../src/output/summary.ts';
import type { AnnotatedRecord } from '../src/output/types.ts';

const KINDS: Array<{ terms: string[]; impact: Impact; biotype: string | null }> = [
  { terms: ['intron_variant'], impact: 'MODIFIER', biotype: 'protein_coding' },
  { terms: ['intron_variant', 'non_coding_transcript_variant'], impact: 'MODIFIER', biotype: 'lincRNA' },
  { terms: ['upstream_gene_variant'], impact: 'MODIFIER', biotype: 'protein_coding' },
  { terms: ['upstream_gene_variant'], impact: 'MODIFIER', biotype: 'lincRNA' },
  { terms: ['downstream_gene_variant'], impact: 'MODIFIER', biotype: 'protein_coding' },
  { terms: ['missense_variant'], impact: 'MODERATE', biotype: 'protein_coding' },
  { terms: ['missense_variant', 'splice_region_variant'], impact: 'MODERATE', biotype: 'protein_coding' },
  { terms: ['splice_region_variant', 'missense_variant'], impact: 'MODERATE', biotype: 'protein_coding' },
  { terms: ['synonymous_variant'], impact: 'LOW', biotype: 'protein_coding' },
  { terms: ['stop_gained', 'frameshift_variant'], impact: 'HIGH', biotype: 'protein_coding' },
  {
    terms: ['3_prime_UTR_variant', 'NMD_transcript_variant'],
    impact: 'MODIFIER',
    biotype: 'nonsense_mediated_decay',
  },
  { terms: ['intron_variant'], impact: 'MODIFIER', biotype: 'nonsense_mediated_decay' },
  { terms: ['intergenic_variant'], impact: 'MODIFIER', biotype: null },
];

function transcriptOf(biotype: string): Transcript {
  return {
    id: `T_${biotype}`,
    version: null,
    chrom: '21',
    start: 1,
    end: 100,
    strand: 1,
    biotype,
    geneId: 'G',
    geneSymbol: null,
    geneBiotype: null,
    exons: [{ start: 1, end: 100 }],
    cdsStart: null,
    cdsEnd: null,
    cdsStartPhase: 0,
    flags: [],
    attributes: {},
  };
}

function records(): AnnotatedRecord[] {
  const out: AnnotatedRecord[] = [];
  const transcripts = new Map<string, Transcript>();
  for (let r = 0; r < 400; r++) {
    const allele: AlleleToAnnotate = {
      chrom: '21',
      start: r + 1,
      end: r + 1,
      ref: 'A',
      alt: r % 2 ? 'G' : 'C',
      allele: r % 2 ? 'G' : 'C',
      alleleNum: 1,
      symbolic: null,
    };
    const consequences: TranscriptConsequence[] = [];
    // 1-3 pairs per allele, walking the kinds with a stride that revisits them out of order
    for (let p = 0; p <= r % 3; p++) {
      const kind = KINDS[(r * 5 + p * 7) % KINDS.length]!;
      let t: Transcript | null = null;
      if (kind.biotype !== null) {
        t = transcripts.get(kind.biotype) ?? transcriptOf(kind.biotype);
        transcripts.set(kind.biotype, t);
      }
      consequences.push({
        allele,
        transcript: t,
        // a fresh array per pair, as the predictor makes them
        consequences: [...kind.terms],
        impact: kind.impact,
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
      });
    }
    const chrom = r % 50 < 25 ? '21' : 'chr21';
    out.push({
      record: {
        line: r + 1,
        chrom,
        pos: r + 1,
        id: '.',
        ref: 'A',
        alts: [allele.alt],
        qual: '.',
        filter: '.',
        info: '.',
        rest: '',
        text: '',
        infoStart: 0,
        infoEnd: 0,
      },
      chrom: '21',
      alleles: [allele],
      consequences,
      note: null,
    });
  }
  return out;
}

function plainly(recs: AnnotatedRecord[]) {
  const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  const byConsequence = new Map<string, number>();
  const byImpact = new Map<string, number>();
  const byBiotype = new Map<string, number>();
  const byMostSevere = new Map<string, number>();
  const byChromosome = new Map<string, number>();
  for (const rec of recs) {
    count(byChromosome, rec.record.chrom);
    let best = '';
    for (const c of rec.consequences) {
      count(byImpact, c.impact);
      if (c.transcript) count(byBiotype, c.transcript.biotype);
      for (const t of c.consequences) {
        count(byConsequence, t);
        if (best === '' || termRank(t) < termRank(best)) best = t;
      }
    }
    count(byMostSevere, best);
  }
  return { byConsequence, byImpact, byBiotype, byMostSevere, byChromosome };
}

const numbers = (m: Map<string, { n: number }>) => new Map([...m].map(([k, c]) => [k, c.n]));

describe('summary counts', () => {
  it('equal the counting rules applied plainly, whatever the order of pair kinds', () => {
    const recs = records();
    const collector = new SummaryCollector();
    for (const rec of recs) collector.add(rec);
    const expected = plainly(recs);
    expect(numbers(collector.byConsequence)).toEqual(expected.byConsequence);
    expect(numbers(collector.byImpact)).toEqual(expected.byImpact);
    expect(numbers(collector.byBiotype)).toEqual(expected.byBiotype);
    expect(numbers(collector.byMostSevere)).toEqual(expected.byMostSevere);
    expect(numbers(collector.byChromosome)).toEqual(expected.byChromosome);
    expect(collector.pairs).toBe(recs.reduce((n, r) => n + r.consequences.length, 0));
  });

  it('merged halves (as worker threads report them) equal one collector over all records', () => {
    const recs = records();
    const whole = new SummaryCollector();
    for (const rec of recs) whole.add(rec);
    const merged = new SummaryCollector();
    for (const half of [recs.slice(0, 123), recs.slice(123)]) {
      const part = new SummaryCollector();
      for (const rec of half) part.add(rec);
      merged.merge(structuredClone(part));
    }
    for (const key of ['byConsequence', 'byImpact', 'byBiotype', 'byMostSevere', 'byChromosome'] as const)
      expect(numbers(merged[key])).toEqual(numbers(whole[key]));
  });
});
