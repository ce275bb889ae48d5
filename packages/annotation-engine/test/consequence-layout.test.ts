/**
 * The transcript layout's lookups against their plain definitions, at every base in and around
 * a transcript: the exon holding a base (binary search when exons are disjoint, the first
 * holding exon when a malformed model overlaps them) and the HGVS position text of a base
 * (intronic bases count from the nearer exon base, ties to `+`), on both strands, coding and not.
 */
import { describe, expect, it } from 'vitest';
import { exonIndexAt, layoutOf, numberLabel } from '../src/consequence/layout.ts';
import { hgvsPosition } from '../src/hgvs/index.ts';
import type { Exon, Strand, Transcript } from '../src/model.ts';

function transcript(id: string, strand: Strand, exons: Exon[], cds: [number, number] | null): Transcript {
  return {
    id,
    version: '1',
    chrom: 'fx',
    start: exons[0]!.start,
    end: exons.at(-1)!.end,
    strand,
    biotype: cds ? 'protein_coding' : 'lncRNA',
    geneId: `G${id}`,
    geneSymbol: null,
    geneBiotype: null,
    exons,
    cdsStart: cds?.[0] ?? null,
    cdsEnd: cds?.[1] ?? null,
    cdsStartPhase: 0,
    flags: [],
    attributes: {},
  };
}

/** Eleven exons of 5-9 bases, introns of 3-20 bases (odd and even, for the tie rule). */
function manyExons(): Exon[] {
  const exons: Exon[] = [];
  let at = 100;
  for (let i = 0; i < 11; i++) {
    const length = 5 + (i % 5);
    exons.push({ start: at, end: at + length - 1 });
    at += length + 3 + ((i * 7) % 18);
  }
  return exons;
}

/** The definitions, written plainly: first exon holding g; cDNA of g; its HGVS text. */
function firstHolding(exons: readonly Exon[], g: number): number {
  return exons.findIndex((e) => g >= e.start && g <= e.end);
}

function cdnaOf(t: Transcript, g: number): number {
  const inOrder = t.strand === 1 ? t.exons : [...t.exons].reverse();
  let c = 0;
  for (const e of inOrder) {
    if (g >= e.start && g <= e.end) return c + (t.strand === 1 ? g - e.start : e.end - g) + 1;
    c += e.end - e.start + 1;
  }
  return 0;
}

function expectedHgvsPosition(t: Transcript, g: number): string {
  const L = layoutOf(t);
  const text = (c: number): string => {
    if (L.coding) {
      if (c < L.cdsStartC) return `-${L.cdsStartC - c}`;
      if (c > L.cdsEndC) return `*${c - L.cdsEndC}`;
      return String(c - L.cdsStartC + 1);
    }
    if (c < 1) return `-${1 - c}`;
    if (c > L.cdnaLength) return `*${c - L.cdnaLength}`;
    return String(c);
  };
  const c = cdnaOf(t, g);
  if (c > 0) return text(c);
  const plus = t.strand === 1;
  const first = t.exons[0]!;
  const last = t.exons.at(-1)!;
  if (g < first.start) return text(plus ? 1 - (first.start - g) : L.cdnaLength + (first.start - g));
  if (g > last.end) return text(plus ? L.cdnaLength + (g - last.end) : 1 - (g - last.end));
  const i = t.exons.findIndex((e, k) => g > e.end && g < t.exons[k + 1]!.start);
  const left = t.exons[i]!.end;
  const right = t.exons[i + 1]!.start;
  const dl = g - left;
  const dr = right - g;
  // transcript orientation: the 5' side's exon base wins ties (+)
  if (plus) return dl <= dr ? `${text(cdnaOf(t, left))}+${dl}` : `${text(cdnaOf(t, right))}-${dr}`;
  return dr <= dl ? `${text(cdnaOf(t, right))}+${dr}` : `${text(cdnaOf(t, left))}-${dl}`;
}

describe('transcript layout lookups', () => {
  const exons = manyExons();
  const cases = [
    transcript('PLUSNC', 1, exons, null),
    transcript('MINUSNC', -1, exons, null),
    transcript('PLUSC', 1, exons, [exons[2]!.start + 1, exons[8]!.end - 2]),
    transcript('MINUSC', -1, exons, [exons[1]!.start + 3, exons[9]!.end - 1]),
  ];

  for (const t of cases) {
    it(`${t.id}: the exon holding each base and each base's HGVS position`, () => {
      const L = layoutOf(t);
      expect(L.disjoint).toBe(true);
      for (let g = t.start - 12; g <= t.end + 12; g++) {
        expect(exonIndexAt(L, g), `exon of ${g}`).toBe(firstHolding(t.exons, g));
        expect(hgvsPosition(L, g), `HGVS position of ${g}`).toBe(expectedHgvsPosition(t, g));
      }
    });
  }

  it('overlapping exons (a malformed model): the first exon holding the base, as before', () => {
    const t = transcript(
      'OVERLAP',
      1,
      [
        { start: 10, end: 40 },
        { start: 20, end: 25 },
        { start: 50, end: 60 },
      ],
      null,
    );
    const L = layoutOf(t);
    expect(L.disjoint).toBe(false);
    for (let g = 1; g <= 70; g++) expect(exonIndexAt(L, g), `exon of ${g}`).toBe(firstHolding(t.exons, g));
  });

  it('EXON and INTRON texts of single numbers are "n/total"', () => {
    const L = layoutOf(cases[0]!);
    expect(numberLabel(L, 'exon', 3)).toBe('3/11');
    expect(numberLabel(L, 'intron', 10)).toBe('10/10');
    expect(numberLabel(L, 'exon', 3)).toBe('3/11'); // made once, same text after
  });
});
