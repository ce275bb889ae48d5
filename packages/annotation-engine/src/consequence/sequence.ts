/**
 * Sequence helpers for the predictor: reverse complement, the standard genetic code, and
 * translation. Translation works on upper-case DNA; an incomplete trailing codon or a codon with
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

export function reverseComplement(seq: string): string {
  let out = '';
  for (let i = seq.length - 1; i >= 0; i--) {
    const b = seq[i] as string;
    out += COMPLEMENT[b] ?? 'N';
  }
  return out;
}

const BASES = 'TCAG';
// Standard code, codons ordered TTT, TTC, TTA, TTG, TCT, ... (first base slowest).
const AA = 'FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG';
const CODE = new Map<string, string>();
for (let i = 0; i < 64; i++) {
  const codon = (BASES[i >> 4] as string) + (BASES[(i >> 2) & 3] as string) + (BASES[i & 3] as string);
  CODE.set(codon, AA[i] as string);
}

export function translateCodon(codon: string): string {
  return CODE.get(codon.toUpperCase()) ?? 'X';
}

/** Translates from `from` (0-based) to the end, or up to and including the first stop when stopAtStop. */
export function translate(seq: string, from = 0, stopAtStop = false): string {
  let out = '';
  let i = from;
  for (; i + 3 <= seq.length; i += 3) {
    const aa = translateCodon(seq.slice(i, i + 3));
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
