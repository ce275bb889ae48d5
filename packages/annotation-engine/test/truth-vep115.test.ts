/**
 * Agreement with Ensembl VEP 115.2 (`--gff ensembl84.chr21.gff3.gz --fasta chr21.fa.gz --hgvs`)
 * on the 132 real dbSNP SNVs of inputs/vep-test.chr21.vcf. Pairs are variant x transcript; a
 * pair either side has and the other lacks counts as a disagreement. Thresholds from the issue:
 * consequence terms >= 99%, HGVSc and HGVSp >= 98%; rs142513484 exact. Records are read and
 * normalised by the engine's own VCF reader and normaliser. A second check compares with VEP
 * run on its own release-84 cache, reading the release-84 GTF instead of the GFF3.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { predictConsequences, regionNeeded } from '../src/annotate.ts';
import { type GeneModels, loadGeneModels } from '../src/genes/index.ts';
import type { TranscriptConsequence, VcfRecord } from '../src/model.ts';
import { allelesOf } from '../src/normalise/alleles.ts';
import { openReference, type Reference } from '../src/reference/index.ts';
import { infoValue } from '../src/vcf/parse.ts';
import { readVcfFully } from '../src/vcf/reader.ts';
import { csqFields, DATA, parseCsq } from './fixtures/science/truth-helpers.ts';

let genes: GeneModels;
let gtfGenes: GeneModels;
let ref: Reference;

beforeAll(async () => {
  genes = await loadGeneModels(`${DATA}reference/grch38-chr21/ensembl84.chr21.gff3.gz`);
  gtfGenes = await loadGeneModels(`${DATA}reference/grch38-chr21/ensembl84.chr21_24-27Mb.gtf.gz`);
  ref = await openReference(`${DATA}reference/grch38-chr21/chr21.fa.gz`);
});
afterAll(async () => {
  await ref.close();
});

interface Pair {
  variant: string;
  feature: string;
  truth: Record<string, string> | null;
  ours: TranscriptConsequence | null;
}

/** Predictions for one record read by the engine's VCF reader and normaliser. */
async function predict(record: VcfRecord, models: GeneModels = genes): Promise<TranscriptConsequence[]> {
  const out: TranscriptConsequence[] = [];
  for (const allele of allelesOf(record, record.chrom)) {
    if (allele.symbolic !== null) continue;
    const region = regionNeeded(allele, models);
    await ref.ensure(region.chrom, region.start, region.end);
    out.push(...predictConsequences(allele, models, ref));
  }
  return out;
}

async function pairs(
  truthFile = 'vep115_gff_test.vcf',
  models: GeneModels = genes,
  skip: ReadonlySet<string> = new Set(),
): Promise<Pair[]> {
  const truth = await readVcfFully(`${DATA}truth/vep115/${truthFile}`);
  const fields = csqFields(truth.header.meta);
  const out: Pair[] = [];
  for (const rec of truth.records) {
    const csqValue = infoValue(rec.info, 'CSQ');
    const csq = parseCsq(typeof csqValue === 'string' ? csqValue : '', fields).filter(
      (e) => e.Feature_type === 'Transcript',
    );
    const ours = await predict(rec, models);
    const byId = new Map(
      ours
        .filter((c) => c.transcript !== null && !skip.has(c.transcript.id))
        .map((c) => [c.transcript?.id as string, c]),
    );
    const seen = new Set<string>();
    for (const e of csq) {
      out.push({
        variant: `${rec.id} ${rec.chrom}:${rec.pos}`,
        feature: e.Feature as string,
        truth: e,
        ours: byId.get(e.Feature as string) ?? null,
      });
      seen.add(e.Feature as string);
    }
    for (const [id, c] of byId) {
      if (!seen.has(id))
        out.push({ variant: `${rec.id} ${rec.chrom}:${rec.pos}`, feature: id, truth: null, ours: c });
    }
  }
  return out;
}

const field = (v: string | null | undefined) => (v === null || v === undefined ? '' : v);

function agreement(all: Pair[], label: string): { terms: number; c: number; p: number; n: number } {
  let terms = 0;
  let c = 0;
  let p = 0;
  const misses: string[] = [];
  for (const x of all) {
    const t = x.truth;
    const o = x.ours;
    const ourTerms = o === null ? '' : o.consequences.join('&');
    if (t !== null && o !== null && t.Consequence === ourTerms) terms++;
    else
      misses.push(
        `terms ${x.variant} ${x.feature}: VEP ${t?.Consequence ?? '(none)'} ours ${ourTerms || '(none)'}`,
      );
    if (t !== null && o !== null && field(t.HGVSc) === field(o.hgvsc)) c++;
    else misses.push(`HGVSc ${x.variant} ${x.feature}: VEP ${t?.HGVSc ?? '(none)'} ours ${field(o?.hgvsc)}`);
    // VEP escapes '=' as %3D in its output; the engine keeps p.Ala331= (writers may escape)
    const vepP = decodeURIComponent(field(t?.HGVSp));
    if (t !== null && o !== null && vepP === field(o.hgvsp)) p++;
    else misses.push(`HGVSp ${x.variant} ${x.feature}: VEP ${vepP} ours ${field(o?.hgvsp)}`);
  }
  const n = all.length;
  const pct = (k: number) => `${((100 * k) / n).toFixed(2)}% (${k}/${n})`;
  console.log(`${label}: terms ${pct(terms)}, HGVSc ${pct(c)}, HGVSp ${pct(p)}`);
  if (misses.length > 0) console.log(misses.slice(0, 40).join('\n'));
  return { terms, c, p, n };
}

describe('VEP 115 truth on vep-test.chr21.vcf', () => {
  it('agrees on consequence terms, HGVSc and HGVSp for variant x transcript pairs', async () => {
    const { terms, c, p, n } = agreement(await pairs(), 'VEP115 --gff truth');
    expect(n).toBeGreaterThan(700);
    expect(terms / n).toBeGreaterThanOrEqual(0.99);
    expect(c / n).toBeGreaterThanOrEqual(0.98);
    expect(p / n).toBeGreaterThanOrEqual(0.98);
  });

  it('agrees with VEP run on its own release-84 cache when we read the release-84 GTF', async () => {
    // The cache knows real transcripts only: ENST00000419219_1 is a copy that exists in the
    // GFF3/GTF test files (a second parent of ENST00000419219's rows), so it is left out here.
    // The GTF carries protein versions (ENSP00000284967.6), as the cache does.
    const all = await pairs('vep115_cache84_test.vcf', gtfGenes, new Set(['ENST00000419219_1']));
    const { terms, c, p, n } = agreement(all, 'VEP115 --cache 84 truth (our GTF)');
    expect(n).toBeGreaterThan(700);
    expect(terms / n).toBeGreaterThanOrEqual(0.99);
    expect(c / n).toBeGreaterThanOrEqual(0.98);
    expect(p / n).toBeGreaterThanOrEqual(0.98);
  });

  it('reproduces the rs142513484 assertions exactly', async () => {
    const input = await readVcfFully(`${DATA}inputs/vep-test.chr21.vcf`);
    const rec = input.records.find((r) => r.id === 'rs142513484');
    expect(rec).toBeDefined();
    const csqs = await predict(rec as VcfRecord);
    const by = (id: string) => csqs.find((x) => x.transcript?.id === id);
    const missense = by('ENST00000352957');
    expect(missense?.consequences).toEqual(['missense_variant']);
    expect(missense?.cdsPosition).toBe('991');
    expect(missense?.proteinPosition).toBe('331');
    expect(missense?.aminoAcids).toBe('A/T');
    expect(missense?.codons).toBe('Gca/Aca');
    expect(missense?.hgvsc).toBe('ENST00000352957.8:c.991G>A');
    expect(missense?.hgvsp).toBe('ENSP00000284967.1:p.Ala331Thr');
    expect(by('ENST00000307301')?.consequences).toEqual(['3_prime_UTR_variant']);
    const upstream = by('ENST00000567517');
    expect(upstream?.consequences).toEqual(['upstream_gene_variant']);
    expect(upstream?.distance).toBe(2407);
  });
});
