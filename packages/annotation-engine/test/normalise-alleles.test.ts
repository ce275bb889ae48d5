/**
 * Allele normalisation: coordinates in the minimal representation (GENOMIC, 1-BASED, CLOSED;
 * insertion end = start - 1) and the CSQ `Allele` printed the way VEP prints it, per ALT with
 * ALLELE_NUM; symbolic and star alleles passed through with a note.
 */
import { describe, expect, it } from 'vitest';
import type { VcfRecord } from '../src/model.ts';
import {
  allelesOf,
  isTransition,
  minimalRepresentation,
  vepPrintedAlleles,
} from '../src/normalise/alleles.ts';

function rec(pos: number, ref: string, alts: string): VcfRecord {
  return {
    line: 10,
    chrom: 'chr21',
    pos,
    id: '.',
    ref,
    alts: alts.split(','),
    qual: '.',
    filter: '.',
    info: '.',
    rest: '',
  };
}

const brief = (r: VcfRecord) =>
  allelesOf(r, '21').map(
    (a) =>
      `#${a.alleleNum} ${a.chrom}:${a.start}-${a.end} ${a.ref || '-'}>${a.alt || '-'} Allele=${a.allele}${a.symbolic ? ` (${a.symbolic})` : ''}`,
  );

describe('VEP-printed Allele', () => {
  it('SNVs and MNVs are printed as they are', () => {
    expect(vepPrintedAlleles('C', ['T'])).toEqual(['T']);
    expect(vepPrintedAlleles('AT', ['GC'])).toEqual(['GC']);
    expect(vepPrintedAlleles('c', ['t'])).toEqual(['T']);
  });

  it('indels lose the shared first base; a deletion prints "-"', () => {
    expect(vepPrintedAlleles('T', ['TCCCTTTGGC'])).toEqual(['CCCTTTGGC']);
    expect(vepPrintedAlleles('ATGTGTGTG', ['ATGTGTG'])).toEqual(['TGTGTG']);
    expect(vepPrintedAlleles('CA', ['C'])).toEqual(['-']);
  });

  it('multi-allelic: the first base goes only when REF and every ALT share it', () => {
    expect(vepPrintedAlleles('CA', ['C', 'CAA'])).toEqual(['-', 'AA']);
    expect(vepPrintedAlleles('C', ['CT', 'T'])).toEqual(['CT', 'T']);
    // star alleles are ignored for the test and kept
    expect(vepPrintedAlleles('CA', ['C', '*'])).toEqual(['-', '*']);
  });
});

describe('minimal representation', () => {
  it('trims the shared leading, then trailing bases', () => {
    expect(minimalRepresentation(100, 'CAT', 'CT')).toEqual({ start: 101, end: 101, ref: 'A', alt: '' });
    expect(minimalRepresentation(100, 'A', 'AA')).toEqual({ start: 101, end: 100, ref: '', alt: 'A' });
    expect(minimalRepresentation(100, 'AAT', 'AT')).toEqual({ start: 101, end: 101, ref: 'A', alt: '' });
    expect(minimalRepresentation(100, 'ATG', 'ACG')).toEqual({ start: 101, end: 101, ref: 'T', alt: 'C' });
    expect(minimalRepresentation(100, 'GATTACA', 'GCTTACA')).toEqual({
      start: 101,
      end: 101,
      ref: 'A',
      alt: 'C',
    });
  });
});

describe('allelesOf', () => {
  it('one allele per ALT with ALLELE_NUM, minimal coordinates and the VEP Allele', () => {
    expect(brief(rec(25585733, 'C', 'T'))).toEqual(['#1 21:25585733-25585733 C>T Allele=T']);
    // G does not share the first base C, so VEP prints the alleles untrimmed
    expect(brief(rec(1000, 'CA', 'C,CAA,G'))).toEqual([
      '#1 21:1001-1001 A>- Allele=C',
      '#2 21:1002-1001 ->A Allele=CAA',
      '#3 21:1000-1001 CA>G Allele=G',
    ]);
    expect(brief(rec(1000, 'CA', 'C,CAA'))).toEqual([
      '#1 21:1001-1001 A>- Allele=-',
      '#2 21:1002-1001 ->A Allele=AA',
    ]);
  });

  it('insertion after the anchor base: start = pos + 1, end = pos', () => {
    expect(brief(rec(884108, 'T', 'TCCCTTTGGC'))).toEqual([
      '#1 21:884109-884108 ->CCCTTTGGC Allele=CCCTTTGGC',
    ]);
  });

  it('symbolic, star, gVCF and breakend alleles are passed through with a note', () => {
    expect(brief(rec(500, 'A', '<DEL>,*,<NON_REF>,G'))).toEqual([
      '#1 21:500-500 A><DEL> Allele=<DEL> (symbolic allele <DEL> (structural variant); not annotated)',
      '#2 21:500-500 A>* Allele=* (star allele: missing because of an overlapping deletion; not annotated)',
      '#3 21:500-500 A><NON_REF> Allele=<NON_REF> (gVCF placeholder <NON_REF> for any other allele; not annotated)',
      '#4 21:500-500 A>G Allele=G',
    ]);
    expect(brief(rec(500, 'A', 'A[21:600['))[0]).toContain('breakend A[21:600[; not annotated');
    expect(brief(rec(500, 'A', '.'))[0]).toContain('no alternate allele (ALT is "."); not annotated');
    expect(brief(rec(500, 'A', 'A'))[0]).toContain('ALT is the same as REF: no change; not annotated');
  });

  it('lower-case bases are upper-cased', () => {
    expect(brief(rec(10, 'ac', 'a'))).toEqual(['#1 21:11-11 C>- Allele=-']);
  });

  it('transitions are A<->G and C<->T', () => {
    expect(['AG', 'GA', 'CT', 'TC'].every((p) => isTransition(p[0]!, p[1]!))).toBe(true);
    expect(['AC', 'AT', 'GC', 'GT'].some((p) => isTransition(p[0]!, p[1]!))).toBe(false);
  });
});
