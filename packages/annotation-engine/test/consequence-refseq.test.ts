/**
 * RefSeq gene models (NC_000021.9 contig names mapped to the FASTA's `21`) predict the same
 * effects as the equivalent Ensembl transcripts for rs142513484 (21:25585733 C>T), whose VEP
 * answers are in the data README: NM_017446.3 is the CDS of ENST00000352957 (missense,
 * c.991G>A, p.Ala331Thr) and NM_080794.3 that of ENST00000307301 (3' UTR, c.*18G>A).
 */
import { describe, expect, it } from 'vitest';
import { predictConsequences, regionNeeded } from '../src/annotate.ts';
import { loadGeneModels } from '../src/genes/index.ts';
import { openReference } from '../src/reference/index.ts';
import { DATA } from './fixtures/science/truth-helpers.ts';

describe('RefSeq GFF3', () => {
  it('gives the Ensembl-equivalent answers for rs142513484', async () => {
    const genes = await loadGeneModels(`${DATA}reference/grch38-chr21/refseq108.chr21.gff3.gz`, {
      contigName: (n) => (n === 'NC_000021.9' ? '21' : n),
    });
    const ref = await openReference(`${DATA}reference/grch38-chr21/chr21.fa.gz`);
    const allele = {
      chrom: '21',
      start: 25585733,
      end: 25585733,
      ref: 'C',
      alt: 'T',
      allele: 'T',
      alleleNum: 1,
      symbolic: null,
    };
    const region = regionNeeded(allele, genes);
    await ref.ensure(region.chrom, region.start, region.end);
    const csqs = predictConsequences(allele, genes, ref);
    const nm1 = csqs.find((c) => c.transcript?.id === 'NM_017446');
    expect(nm1).toMatchObject({
      consequences: ['missense_variant'],
      hgvsc: 'NM_017446.3:c.991G>A',
      hgvsp: 'NP_059142.2:p.Ala331Thr',
      codons: 'Gca/Aca',
      cdsPosition: '991',
    });
    expect(nm1?.transcript?.geneSymbol).toBe('MRPL39');
    const nm2 = csqs.find((c) => c.transcript?.id === 'NM_080794');
    expect(nm2).toMatchObject({
      consequences: ['3_prime_UTR_variant'],
      hgvsc: 'NM_080794.3:c.*18G>A',
      hgvsp: null,
    });
    await ref.close();
  });
});
