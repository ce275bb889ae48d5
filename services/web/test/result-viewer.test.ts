import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readResultPage } from '../src/lib/result-viewer.ts';

const header = ['CHROM', 'POS', 'ID', 'REF', 'ALT', 'Consequence', 'IMPACT', 'SYMBOL', 'CLIN_SIG', 'AF'].join(
  '\t',
);
const rows = [
  ['21', '100', 'rs1', 'G', 'A', 'missense_variant', 'MODERATE', 'APP', 'pathogenic', '0.0001'],
  ['21', '200', 'rs2', 'C', 'T', 'synonymous_variant', 'LOW', 'APP', 'benign', '0.3'],
  [
    '21',
    '300',
    'rs3',
    'T',
    'G',
    'stop_gained&splice_region_variant',
    'HIGH',
    'SOD1',
    'likely_pathogenic',
    '',
  ],
  ['21', '400', '.', 'A', 'C', 'intron_variant', 'MODIFIER', 'SOD1', '', '0.02'],
].map((r) => r.join('\t'));

function tsv(lines: string[]): Readable {
  return Readable.from([`##source=GAS\n${header}\n`, ...lines.map((line) => `${line}\n`)]);
}

describe('result viewer', () => {
  it('filters by ClinVar significance (substring) and maximum allele frequency (unknown AF kept)', async () => {
    const pathogenic = await readResultPage(tsv(rows), { clinvar: 'pathogenic' }, 1, 10);
    expect(pathogenic.rows.map((r) => r[1])).toEqual(['100', '300']);
    const rare = await readResultPage(tsv(rows), { max_af: 0.01 }, 1, 10);
    expect(rare.rows.map((r) => r[1])).toEqual(['100', '300']);
    const consequence = await readResultPage(tsv(rows), { consequence: 'splice_region_variant' }, 1, 10);
    expect(consequence.rows.map((r) => r[1])).toEqual(['300']);
    expect(consequence.columns).toContain('CLIN_SIG');
  });

  it('stops reading once the page is full: a stream that would fail later is never read that far', async () => {
    async function* endless() {
      yield `${header}\n`;
      for (let i = 0; i < 1000; i++) yield `${rows[i % 4]}\n`;
      throw new Error('read past the page');
    }
    const page = await readResultPage(Readable.from(endless()), {}, 2, 10);
    expect(page.rows).toHaveLength(10);
    expect(page.hasNext).toBe(true);
  });
});
