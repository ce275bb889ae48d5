/**
 * HGVS names the way Ensembl VEP writes them.
 *
 * HGVSc (`ENST00000352957.8:c.991G>A`): versioned transcript id; `c.` for coding transcripts,
 * `n.` for non-coding ones. Positions: CDS numbering (1 = A of ATG, phase padding included),
 * `-N` in the 5' UTR, `*N` in the 3' UTR, intronic `pos+N` / `pos-N` from the nearest exon base
 * (ties go to `+`). Insertions and deletions are first shifted as far 3' as the transcript
 * allows (in transcript orientation, without leaving the exon or intron they are in); an
 * insertion that repeats the bases before it is a `dup`; a deletion names no bases; a
 * substitution of several bases is `delins`.
 *
 * HGVSp (`ENSP00000284967.1:p.Ala331Thr`): three-letter codes, `Ter` for stops. Synonymous and
 * stop-retained changes are `p.Ala331=` (VEP escapes `=` as `%3D` in its own output; writers
 * may do the same). Start codon changes are `p.Met1?`. Frameshifts translate the altered
 * sequence to the next stop: `p.Lys10AsnfsTer12` (`fsTer?` without one). Stop losses:
 * `p.Ter331GlnextTer17` (`extTer?`). In-frame indels compare the reference and altered
 * peptides, shift to the C-terminal-most position, and are `del`, `dup`, `ins` or `delins`.
 *
 * Coordinates in: GENOMIC 1-based closed (alleles), cDNA/CDS 1-based in transcript orientation.
 */
import {
  codingTail,
  exonicCdna,
  exonStartingAtOrBefore,
  referencePeptide,
  type TranscriptLayout,
} from '../consequence/layout.ts';
import { reverseComplement, threeLetter, translate } from '../consequence/sequence.ts';
import type { AlleleToAnnotate, Exon, ReferenceSequence } from '../model.ts';

/** HGVSc position text of genomic position g (may be intronic or just outside the transcript). */
export function hgvsPosition(L: TranscriptLayout, g: number): string {
  const t = L.t;
  const c = exonicCdna(L, g);
  if (c > 0) return cdnaText(L, c);
  const exons = L.exons;
  const first = exons[0] as Exon;
  const last = exons[exons.length - 1] as Exon;
  const plus = t.strand === 1;
  if (g < first.start) return cdnaText(L, plus ? 1 - (first.start - g) : L.cdnaLength + (first.start - g));
  if (g > last.end) return cdnaText(L, plus ? L.cdnaLength + (g - last.end) : 1 - (g - last.end));
  // in the intron after exons[i] (genomic order): offsets count from the nearer exon base
  let i = -1;
  if (L.disjoint) i = exonStartingAtOrBefore(exons, g);
  else
    for (let k = 0; k + 1 < exons.length; k++)
      if (g > (exons[k] as Exon).end && g < (exons[k + 1] as Exon).start) {
        i = k;
        break;
      }
  if (i < 0 || i + 1 >= exons.length) return '?';
  const dl = g - (exons[i] as Exon).end;
  const dr = (exons[i + 1] as Exon).start - g;
  if (plus) return dl <= dr ? `${edgeText(L, i, 'last')}+${dl}` : `${edgeText(L, i + 1, 'first')}-${dr}`;
  return dr <= dl ? `${edgeText(L, i + 1, 'first')}+${dr}` : `${edgeText(L, i, 'last')}-${dl}`;
}

/**
 * The HGVS position text of exons[i]'s first or last genomic base, made once per exon: every
 * intronic allele beside that exon counts from it.
 */
function edgeText(L: TranscriptLayout, i: number, which: 'first' | 'last'): string {
  const texts = which === 'first' ? L.edgeTexts.first : L.edgeTexts.last; // not L.edgeTexts[which]: a megamorphic keyed load
  let text = texts[i];
  if (text === undefined) {
    const e = L.exons[i] as Exon;
    text = cdnaText(L, exonicCdna(L, which === 'first' ? e.start : e.end));
    texts[i] = text;
  }
  return text;
}

function cdnaText(L: TranscriptLayout, c: number): string {
  if (L.coding) {
    if (c < L.cdsStartC) return `-${L.cdsStartC - c}`;
    if (c > L.cdsEndC) return `*${c - L.cdsEndC}`;
    return String(c - L.cdsStartC + 1 + L.phase);
  }
  if (c < 1) return `-${1 - c}`;
  if (c > L.cdnaLength) return `*${c - L.cdnaLength}`;
  return String(c);
}

/** Genomic bounds (1-based closed) of the exon or intron holding [start, end], or null when it spans several. */
function featureBounds(L: TranscriptLayout, start: number, end: number): [number, number] | null {
  const exons = L.exons;
  for (let i = 0; i < exons.length; i++) {
    const e = exons[i] as Exon;
    if (start >= e.start && end <= e.end) return [e.start, e.end];
    const next = exons[i + 1];
    if (next !== undefined && start > e.end && end < next.start) return [e.end + 1, next.start - 1];
  }
  return null;
}

/** Reads single bases from the reference through a small cache. */
/**
 * Reads single bases through a small cache, never outside [lo, hi] (the transcript and the
 * 100 bp around it that regionNeeded asks the pipeline to load); 'N' beyond.
 */
class BaseReader {
  private chunkStart = 0;
  private chunk = '';
  private readonly ref: ReferenceSequence;
  private readonly chrom: string;
  private readonly lo: number;
  private readonly hi: number;
  constructor(ref: ReferenceSequence, chrom: string, lo: number, hi: number) {
    this.ref = ref;
    this.chrom = chrom;
    this.lo = Math.max(1, lo);
    this.hi = hi;
  }
  at(g: number): string {
    if (g < this.lo || g > this.hi) return 'N';
    if (g < this.chunkStart || g >= this.chunkStart + this.chunk.length) {
      this.chunkStart = Math.max(this.lo, g - 128);
      this.chunk = this.ref.slice(this.chrom, this.chunkStart, Math.min(this.hi, this.chunkStart + 255));
    }
    return this.chunk[g - this.chunkStart] as string;
  }
}

/** HGVSc of the allele on the transcript (the allele overlaps the transcript). */
export function hgvsc(allele: AlleleToAnnotate, L: TranscriptLayout, ref: ReferenceSequence): string {
  const t = L.t;
  const prefix = L.hgvsPrefix;
  const plus = t.strand === 1;
  const r = allele.ref;
  const a = allele.alt;
  if (r.length > 0 && a.length > 0) {
    const altTx = plus ? a : reverseComplement(a);
    if (r.length === 1 && a.length === 1) {
      const refTx = plus ? r : reverseComplement(r);
      return `${prefix}${hgvsPosition(L, allele.start)}${refTx}>${altTx}`;
    }
    const range =
      allele.start === allele.end
        ? hgvsPosition(L, allele.start)
        : plus
          ? `${hgvsPosition(L, allele.start)}_${hgvsPosition(L, allele.end)}`
          : `${hgvsPosition(L, allele.end)}_${hgvsPosition(L, allele.start)}`;
    return `${prefix}${range}delins${altTx}`;
  }
  const bases = new BaseReader(ref, allele.chrom, t.start - 100, t.end + 100);
  if (a.length === 0) {
    // deletion of [s, e], shifted 3' in transcript orientation
    let s = allele.start;
    let e = allele.end;
    const bounds = featureBounds(L, s, e);
    if (bounds !== null) {
      if (plus) {
        while (e + 1 <= bounds[1] && bases.at(e + 1) === bases.at(s)) {
          s++;
          e++;
        }
      } else {
        while (s - 1 >= bounds[0] && bases.at(s - 1) === bases.at(e)) {
          s--;
          e--;
        }
      }
    }
    if (s === e) return `${prefix}${hgvsPosition(L, s)}del`;
    return plus
      ? `${prefix}${hgvsPosition(L, s)}_${hgvsPosition(L, e)}del`
      : `${prefix}${hgvsPosition(L, e)}_${hgvsPosition(L, s)}del`;
  }
  // insertion between p and p + 1 (genomic), shifted 3'
  let ins = a;
  let p = allele.end;
  const bounds =
    featureBounds(L, Math.max(p, t.start), Math.min(p + 1, t.end)) ??
    featureBounds(L, p, p) ??
    featureBounds(L, p + 1, p + 1);
  if (bounds !== null) {
    if (plus) {
      while (p + 1 <= bounds[1] && bases.at(p + 1) === ins[0]) {
        ins = ins.slice(1) + ins[0];
        p++;
      }
    } else {
      while (p >= bounds[0] && bases.at(p) === ins[ins.length - 1]) {
        ins = ins[ins.length - 1] + ins.slice(0, -1);
        p--;
      }
    }
  }
  const n = ins.length;
  if (plus) {
    let dup = true;
    for (let i = 0; i < n && dup; i++) if (bases.at(p - n + 1 + i) !== ins[i]) dup = false;
    if (dup)
      return n === 1
        ? `${prefix}${hgvsPosition(L, p)}dup`
        : `${prefix}${hgvsPosition(L, p - n + 1)}_${hgvsPosition(L, p)}dup`;
    return `${prefix}${hgvsPosition(L, p)}_${hgvsPosition(L, p + 1)}ins${ins}`;
  }
  const q = p + 1;
  let dup = true;
  for (let i = 0; i < n && dup; i++) if (bases.at(q + i) !== ins[i]) dup = false;
  if (dup)
    return n === 1
      ? `${prefix}${hgvsPosition(L, q)}dup`
      : `${prefix}${hgvsPosition(L, q + n - 1)}_${hgvsPosition(L, q)}dup`;
  return `${prefix}${hgvsPosition(L, q)}_${hgvsPosition(L, p)}ins${reverseComplement(ins)}`;
}

/** What the codon-level step knows about an allele inside the CDS. */
export interface ProteinChange {
  /** Protein position (1-based) of refPep[0]; for an insertion between codons, the codon after it. */
  firstCodon: number;
  /** Reference and altered peptides of the affected codons (one-letter). */
  refPep: string;
  altPep: string;
  /** CDS coordinates (phase included) of the allele; insertion: kStart = kEnd + 1. */
  kStart: number;
  kEnd: number;
  /** Inserted/replacing bases in transcript orientation. */
  altTx: string;
  frameshift: boolean;
  startLost: boolean;
  stopLost: boolean;
}

/** HGVSp of a coding change, or null when the transcript has no protein id. */
export function hgvsp(L: TranscriptLayout, ref: ReferenceSequence, ch: ProteinChange): string | null {
  const protein = L.t.proteinId;
  if (protein === undefined || protein === null) return null;
  const body = proteinChange(L, ref, ch);
  return body === null ? null : `${protein}:p.${body}`;
}

function proteinChange(L: TranscriptLayout, ref: ReferenceSequence, ch: ProteinChange): string | null {
  if (ch.startLost) return 'Met1?';
  const refProt = referencePeptide(L, ref);
  if (ch.frameshift || ch.stopLost) {
    // Translate the altered sequence from the first affected codon to the next stop.
    const tail = codingTail(L, ref);
    const from = (ch.firstCodon - 1) * 3;
    const kFrom = ch.kStart - 1; // 0-based index of the first replaced base (insertion: after kEnd)
    const refLen = ch.kEnd - ch.kStart + 1;
    const altTail = tail.slice(from, kFrom) + ch.altTx + tail.slice(kFrom + refLen);
    const alt = translate(altTail, 0, true, L.code);
    const refPart = refProt.slice(ch.firstCodon - 1);
    let i = 0;
    while (i < alt.length && i < refPart.length && alt[i] === refPart[i]) i++;
    if (i >= refPart.length || i >= alt.length) return null;
    const posn = ch.firstCodon + i;
    const r = refPart[i] as string;
    const x = alt[i] as string;
    const stop = alt.indexOf('*', i);
    if (r === '*') return `Ter${posn}${threeLetter(x)}ext${stop < 0 ? 'Ter?' : `Ter${stop - i}`}`;
    if (x === '*') return `${threeLetter(r)}${posn}Ter`;
    if (!ch.frameshift) {
      // in-frame change upstream of the lost stop: describe locally
      return inFrame(refProt, ch);
    }
    return `${threeLetter(r)}${posn}${threeLetter(x)}fs${stop < 0 ? 'Ter?' : `Ter${stop - i + 1}`}`;
  }
  return inFrame(refProt, ch);
}

function inFrame(refProt: string, ch: ProteinChange): string | null {
  const R = ch.refPep;
  let A = ch.altPep;
  const o = ch.firstCodon;
  const stopAt = A.indexOf('*');
  if (stopAt >= 0) A = A.slice(0, stopAt + 1);
  let pre = 0;
  while (pre < R.length && pre < A.length && R[pre] === A[pre]) pre++;
  // A stop where the reference has an amino acid, whatever the length change: nonsense at
  // that position (an inserted stop is p.Gly5Ter, not an insertion of Ter).
  const refThere = refProt[o + pre - 1];
  if (pre < A.length && A[pre] === '*' && refThere !== undefined && refThere !== '*') {
    return `${threeLetter(refThere)}${o + pre}Ter`;
  }
  if (R === A) {
    if (R.length === 0) return null;
    return R.length === 1
      ? `${threeLetter(R)}${o}=`
      : `${threeLetter(R[0] as string)}${o}_${threeLetter(R[R.length - 1] as string)}${o + R.length - 1}=`;
  }
  let suf = 0;
  while (suf < R.length - pre && suf < A.length - pre && R[R.length - 1 - suf] === A[A.length - 1 - suf])
    suf++;
  const del = R.slice(pre, R.length - suf);
  let ins = A.slice(pre, A.length - suf);
  if (del.length === 0 && ins.length === 0) return null;
  if (del.length === 0) {
    // insertion after protein position p0 (1-based); shift C-terminal
    let p0 = o + pre - 1;
    while (p0 < refProt.length && refProt[p0] === ins[0] && refProt[p0] !== '*') {
      ins = ins.slice(1) + ins[0];
      p0++;
    }
    const n = ins.length;
    if (p0 - n >= 0 && refProt.slice(p0 - n, p0) === ins) {
      return n === 1
        ? `${threeLetter(ins)}${p0}dup`
        : `${threeLetter(ins[0] as string)}${p0 - n + 1}_${threeLetter(ins[n - 1] as string)}${p0}dup`;
    }
    const before = refProt[p0 - 1];
    const after = refProt[p0];
    if (before === undefined || after === undefined) return null;
    return `${threeLetter(before)}${p0}_${threeLetter(after)}${p0 + 1}ins${threeLetter(ins)}`;
  }
  if (ins.length === 0) {
    let a = o + pre; // 1-based first deleted
    let b = a + del.length - 1;
    while (b < refProt.length && refProt[b] === refProt[a - 1] && refProt[b] !== '*') {
      a++;
      b++;
    }
    const first = refProt[a - 1] as string;
    const last = refProt[b - 1] as string;
    return a === b ? `${threeLetter(first)}${a}del` : `${threeLetter(first)}${a}_${threeLetter(last)}${b}del`;
  }
  const a = o + pre;
  const b = a + del.length - 1;
  if (del.length === 1 && ins.length === 1) return `${threeLetter(del)}${a}${threeLetter(ins)}`;
  const range =
    a === b
      ? `${threeLetter(del)}${a}`
      : `${threeLetter(del[0] as string)}${a}_${threeLetter(del[del.length - 1] as string)}${b}`;
  return `${range}delins${threeLetter(ins)}`;
}
