/**
 * REF checked against the FASTA: N matches anything, reference N is "not checkable", and the
 * assembly-mismatch verdict fires when most of the first 1,000 checked records mismatch, with
 * the header's assembly and contig lengths in the hint.
 */
import { describe, expect, it } from 'vitest';
import { ContigResolver } from '../src/normalise/contigs.ts';
import { assemblyHint, RefChecker } from '../src/normalise/refcheck.ts';
import { addMetaLine, emptyHeader } from '../src/vcf/header.ts';
import { AssemblyMismatchError } from '../src/vcf/problems.ts';

describe('RefChecker', () => {
  it('compares case-insensitively; N on either side matches; all-N reference is unchecked', () => {
    const c = new RefChecker();
    expect(c.check(1, '21', 10, 'ACGT', 'acgt')).toBe('match');
    expect(c.check(2, '21', 10, 'ANGT', 'ACGT')).toBe('match');
    expect(c.check(3, '21', 10, 'ACGT', 'ACNT')).toBe('match');
    expect(c.check(4, '21', 10, 'ACGT', 'NNNN')).toBe('unchecked');
    expect(c.check(5, '21', 10, 'ACGT', 'ACGA')).toBe('mismatch');
    expect([c.checked, c.mismatched, c.unchecked]).toEqual([4, 1, 1]);
    expect(c.kept).toEqual([{ line: 5, chrom: '21', pos: 10, ref: 'ACGT', reference: 'ACGA' }]);
  });

  it('decides after the first 1,000 checked records: more than half mismatching is an assembly mismatch', () => {
    const c = new RefChecker();
    for (let i = 0; i < 999; i++) {
      c.check(i + 1, '21', 100 + i, 'A', i % 3 === 0 ? 'A' : 'C');
      expect(c.verdict(false, () => ' (hint)')).toBeNull();
    }
    c.check(1000, '21', 2000, 'A', 'C');
    const err = c.verdict(false, () => ' (hint)');
    expect(err).toBeInstanceOf(AssemblyMismatchError);
    expect(err!.message).toBe(
      'assembly mismatch: 667 of the first 1000 records checked have a REF that differs from the reference FASTA (first at line 2: REF A but the FASTA has C at 21:101). The input is probably on another assembly than the FASTA (hint); lift it over or annotate it with the matching reference.',
    );
  });

  it('a few mismatches among many matches are records, not an assembly problem', () => {
    const c = new RefChecker();
    for (let i = 0; i < 1000; i++) c.check(i + 1, '21', 100 + i, 'A', i % 10 === 0 ? 'C' : 'A');
    expect(c.verdict(false, () => '')).toBeNull();
    expect(c.mismatched).toBe(100);
  });

  it('a short file decides at its end, from 5 checked records on', () => {
    const few = new RefChecker();
    for (let i = 0; i < 4; i++) few.check(i + 1, '21', 1, 'A', 'C');
    expect(few.verdict(true, () => '')).toBeNull();
    const five = new RefChecker();
    for (let i = 0; i < 5; i++) five.check(i + 1, '21', 1, 'A', 'C');
    expect(five.verdict(true, () => '')).toBeInstanceOf(AssemblyMismatchError);
  });
});

describe('assemblyHint', () => {
  it('names a GRCh37 header and the GRCh37 contig length', () => {
    const h = emptyHeader();
    addMetaLine(h, '##reference=GRCh37');
    addMetaLine(h, '##contig=<ID=21,length=48129895>');
    const r = new ContigResolver(['21']);
    expect(assemblyHint(h, new Map([['21', 46709983]]), (n) => r.resolve(n), 'GRCh38')).toBe(
      ' (its header names "GRCh37" while the reference is GRCh38; 21 is 48129895 bp in the VCF header, as in GRCh37, but 46709983 bp in the FASTA)',
    );
  });

  it('says what usually happens when the header says nothing', () => {
    const r = new ContigResolver(['21']);
    expect(assemblyHint(emptyHeader(), new Map([['21', 46709983]]), (n) => r.resolve(n), 'GRCh38')).toBe(
      ' (for example a GRCh37 file against a GRCh38 reference)',
    );
  });
});
