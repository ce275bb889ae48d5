/**
 * Sequence helpers for the predictor: reverse complement, the standard and vertebrate
 * mitochondrial genetic codes, and translation. Translation works on upper-case DNA; an incomplete trailing codon or a codon with
 * anything but ACGT translates to 'X' (as VEP does), a stop to '*'.
 */

const COMPLEMENT: Record<string, string> = {
  A: 'T',
  C: 'G',
  G: 'C',
  T: 'A',
  N: 'N',
  a: 't',
  c: 'g',
  g: 'c',
  t: 'a',
  n: 'n',
};

/** COMPLEMENT by character code ('N' for anything else): no keyed property lookup per base. */
const COMPLEMENT_OF_CODE: string[] = new Array<string>(256).fill('N');
for (const [b, c] of Object.entries(COMPLEMENT)) COMPLEMENT_OF_CODE[b.charCodeAt(0)] = c;

export function reverseComplement(seq: string): string {
  const n = seq.length;
  if (n === 1) {
    const c = seq.charCodeAt(0);
    return c < 256 ? COMPLEMENT_OF_CODE[c]! : 'N';
  }
  let out = '';
  for (let i = n - 1; i >= 0; i--) {
    const c = seq.charCodeAt(i);
    out += c < 256 ? COMPLEMENT_OF_CODE[c]! : 'N';
  }
  return out;
}

const BASES = 'TCAG';
// Standard code, codons ordered TTT, TTC, TTA, TTG, TCT, ... (first base slowest).
const AA = 'FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG';
const STANDARD = new Map<string, string>();
for (let i = 0; i < 64; i++) {
  const codon = (BASES[i >> 4] as string) + (BASES[(i >> 2) & 3] as string) + (BASES[i & 3] as string);
  STANDARD.set(codon, AA[i] as string);
}
/** Vertebrate mitochondrial code (NCBI table 2): TGA Trp, ATA Met, AGA/AGG stop. */
const MITOCHONDRIAL = new Map(STANDARD);
MITOCHONDRIAL.set('TGA', 'W');
MITOCHONDRIAL.set('ATA', 'M');
MITOCHONDRIAL.set('AGA', '*');
MITOCHONDRIAL.set('AGG', '*');

export type GeneticCode = ReadonlyMap<string, string>;
export const STANDARD_CODE: GeneticCode = STANDARD;
export const MITOCHONDRIAL_CODE: GeneticCode = MITOCHONDRIAL;

/** The code VEP uses for a contig: the vertebrate mitochondrial one on MT/chrM, else the standard one. */
export function geneticCodeFor(chrom: string): GeneticCode {
  return /^(chr)?(MT|M)$/i.test(chrom) ? MITOCHONDRIAL : STANDARD;
}

export function translateCodon(codon: string, code: GeneticCode = STANDARD): string {
  return code.get(codon.toUpperCase()) ?? 'X';
}

/** Translates from `from` (0-based) to the end, or up to and including the first stop when stopAtStop. */
export function translate(seq: string, from = 0, stopAtStop = false, code: GeneticCode = STANDARD): string {
  let out = '';
  let i = from;
  for (; i + 3 <= seq.length; i += 3) {
    const aa = translateCodon(seq.slice(i, i + 3), code);
    out += aa;
    if (stopAtStop && aa === '*') return out;
  }
  if (i < seq.length) out += 'X';
  return out;
}

const THREE: Record<string, string> = {
  A: 'Ala',
  R: 'Arg',
  N: 'Asn',
  D: 'Asp',
  C: 'Cys',
  Q: 'Gln',
  E: 'Glu',
  G: 'Gly',
  H: 'His',
  I: 'Ile',
  L: 'Leu',
  K: 'Lys',
  M: 'Met',
  F: 'Phe',
  P: 'Pro',
  S: 'Ser',
  T: 'Thr',
  W: 'Trp',
  Y: 'Tyr',
  V: 'Val',
  '*': 'Ter',
  X: 'Xaa',
  U: 'Sec',
};

/** One-letter amino acids to HGVS three-letter codes ('*' -> Ter). */
export function threeLetter(aas: string): string {
  let out = '';
  for (const a of aas) out += THREE[a] ?? 'Xaa';
  return out;
}
