/**
 * Transcripts on MT / chrM are translated with the vertebrate mitochondrial code, as VEP does:
 * TGA is Trp, ATA is Met, AGA and AGG are stops. A hand-made contig:
 *   MT 1-30: GGG ATG TGA ATA CCC AGA TTTTTTTTTTTT; CDS 4-18 (+), protein M W M P *
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { predictConsequences, regionNeeded } from '../src/annotate.ts';
import { type GeneModels, loadGeneModels } from '../src/genes/index.ts';
import type { TranscriptConsequence } from '../src/model.ts';
import { openReference, type Reference } from '../src/reference/index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'gas-mt-'));
let genes: GeneModels;
let ref: Reference;

beforeAll(async () => {
  writeFileSync(join(tmp, 'mt.fa'), '>MT\nGGGATGTGAATACCCAGATTTTTTTTTTTT\n');
  writeFileSync(
    join(tmp, 'mt.gff3'),
    [
      '##gff-version 3',
      'MT\tt\tgene\t1\t30\t.\t+\t.\tID=gene:G1;Name=MT-TEST;biotype=protein_coding',
      'MT\tt\tmRNA\t1\t30\t.\t+\t.\tID=transcript:T1;Parent=gene:G1;biotype=protein_coding;version=1',
      'MT\tt\texon\t1\t30\t.\t+\t.\tParent=transcript:T1',
      'MT\tt\tCDS\t4\t18\t.\t+\t0\tID=CDS:P1;Parent=transcript:T1',
      '',
    ].join('\n'),
  );
  genes = await loadGeneModels(join(tmp, 'mt.gff3'));
  ref = await openReference(join(tmp, 'mt.fa'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function on(pos: number, r: string, a: string): Promise<TranscriptConsequence | undefined> {
  const allele = {
    chrom: 'MT',
    start: pos,
    end: pos,
    ref: r,
    alt: a,
    allele: a,
    alleleNum: 1,
    symbolic: null,
  };
  const region = regionNeeded(allele, genes);
  await ref.ensure(region.chrom, region.start, region.end);
  return predictConsequences(allele, genes, ref).find((c) => c.transcript?.id === 'T1');
}

describe('mitochondrial genetic code', () => {
  it('reads TGA as Trp and ATA as Met', async () => {
    expect(await on(9, 'A', 'G')).toMatchObject({
      consequences: ['synonymous_variant'],
      hgvsp: 'P1.1:p.Trp2=',
    });
    expect(await on(12, 'A', 'G')).toMatchObject({
      consequences: ['synonymous_variant'],
      hgvsp: 'P1.1:p.Met3=',
    });
  });

  it('reads AGA as the stop codon', async () => {
    const c = await on(18, 'A', 'C');
    expect(c?.consequences).toEqual(['stop_lost']);
    expect(c?.aminoAcids).toBe('*/S');
  });
});
