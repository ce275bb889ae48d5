/**
 * The contract between the predictor and the pipeline: predictConsequences reads reference bases
 * only inside regionNeeded(allele, genes) (what the pipeline loads before calling it). A strict
 * reference that refuses any other slice is run over the shared synthetic benchmark input
 * (SNVs and 1-12 bp indels over the gene-dense 1.01 Mb block).
 */
import { describe, expect, it } from 'vitest';
import { predictConsequences, regionNeeded } from '../src/annotate.ts';
import { loadGeneModels } from '../src/genes/index.ts';
import type { ReferenceSequence } from '../src/model.ts';
import { allelesOf } from '../src/normalise/alleles.ts';
import { openReference } from '../src/reference/index.ts';
import { readVcfFully } from '../src/vcf/reader.ts';
import { DATA } from './fixtures/science/truth-helpers.ts';

describe('reference reads stay inside regionNeeded', () => {
  it('holds for 20,000 synthetic records', async () => {
    const genes = await loadGeneModels(`${DATA}reference/grch38-chr21/ensembl84.chr21.gff3.gz`);
    const real = await openReference(`${DATA}reference/grch38-chr21/chr21.fa.gz`);
    await real.ensure('21', 24_000_000, 27_000_000);
    let allowed = { chrom: '', start: 0, end: 0 };
    const outside: string[] = [];
    const strict: ReferenceSequence = {
      slice(chrom, start, end) {
        if (chrom !== allowed.chrom || start < allowed.start || end > allowed.end) {
          outside.push(`${chrom}:${start}-${end} outside ${allowed.chrom}:${allowed.start}-${allowed.end}`);
        }
        return real.slice(chrom, start, end);
      },
    };
    const { records } = await readVcfFully(`${DATA}inputs/synthetic-100k.chr21.vcf.gz`);
    let predicted = 0;
    for (const rec of records.slice(0, 20_000)) {
      for (const allele of allelesOf(rec, '21')) {
        if (allele.symbolic !== null) continue;
        allowed = regionNeeded(allele, genes);
        predicted += predictConsequences(allele, genes, strict).length;
      }
    }
    expect(predicted).toBeGreaterThan(20_000);
    expect(outside.slice(0, 5)).toEqual([]);
    await real.close();
  });
});
