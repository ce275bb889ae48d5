/**
 * Contig names reconciled to the FASTA's: chr prefix both ways, MT/chrM, GRCh38 RefSeq
 * accessions, the shared synonyms table (GenBank CM000683.2), and unknown names left unknown.
 */
import { describe, expect, it } from 'vitest';
import { ContigResolver, parseSynonyms, readSynonymsFile } from '../src/normalise/contigs.ts';
import { chr21 } from './fixtures/io/shared.ts';

describe('ContigResolver', () => {
  it('built-in rules: chr prefix added or removed, MT/chrM, RefSeq accessions', () => {
    const ensembl = new ContigResolver(['21', 'MT', 'X']);
    expect(
      ['21', 'chr21', 'CHR21', 'NC_000021.9', 'chrM', 'M', 'NC_012920.1', 'chrX', 'NC_000023.11'].map((n) =>
        ensembl.resolve(n),
      ),
    ).toEqual(['21', '21', '21', '21', 'MT', 'MT', 'MT', 'X', 'X']);
    const ucsc = new ContigResolver(['chr21', 'chrM']);
    expect(['21', 'chr21', 'MT', 'NC_000021.9', 'NC_012920.1'].map((n) => ucsc.resolve(n))).toEqual([
      'chr21',
      'chr21',
      'chrM',
      'chr21',
      'chrM',
    ]);
    const refseq = new ContigResolver(['NC_000021.9']);
    expect(['21', 'chr21'].map((n) => refseq.resolve(n))).toEqual(['NC_000021.9', 'NC_000021.9']);
  });

  it('unknown contigs, and GRCh37 accessions, stay unknown', () => {
    const r = new ContigResolver(['21']);
    expect(r.resolve('1')).toBeNull();
    expect(r.resolve('chr22')).toBeNull();
    expect(r.resolve('NC_000021.8')).toBeNull();
  });

  it('the shared synonyms table maps GenBank and other names', async () => {
    const groups = await readSynonymsFile(chr21.synonyms);
    expect(groups.length).toBeGreaterThan(2000);
    const r = new ContigResolver(['21'], groups);
    expect(r.resolve('CM000683.2')).toBe('21');
    expect(r.resolve('chr21')).toBe('21');
    // an alt contig of chr21 is its own sequence, not chr21
    expect(r.resolve('chr21_GL383578v2_alt')).toBeNull();
  });

  it('synonym lines chain: a=b and b=c make a=c', () => {
    const r = new ContigResolver(['seqC'], parseSynonyms('seqA\tseqB\nseqB\tseqC\n'));
    expect(r.resolve('seqA')).toBe('seqC');
  });

  it('a malformed synonyms line names the file and line', () => {
    expect(() => parseSynonyms('21\tchr21\nlonely\n', 'syn.txt')).toThrow(
      'syn.txt line 2: a synonyms line needs at least two names separated by a tab, found "lonely"',
    );
  });
});
