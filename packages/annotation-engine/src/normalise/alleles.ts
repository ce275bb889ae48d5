/**
 * One VCF record into one `AlleleToAnnotate` per ALT, the way Ensembl VEP prepares them.
 *
 * Two representations are kept, because VEP keeps two:
 * - coordinates (`start`, `end`, `ref`, `alt`) are the minimal representation of each REF/ALT
 *   pair on its own: the shared leading bases are removed, then the shared trailing ones, and
 *   the start moves right by the leading ones. An insertion between p and p+1 is start = p+1,
 *   end = p (GENOMIC, 1-BASED, CLOSED; see model.ts). This is what the predictor needs.
 * - `allele`, printed in CSQ `Allele`, follows VEP's VCF parser: when any ALT changes the
 *   length (an indel record), the first base is removed from REF and every ALT only if all of
 *   them share it (`*` alleles are ignored for the test and kept as they are, and so are the
 *   symbolic ones, which VEP would not annotate at all); an allele that
 *   becomes empty is printed `-`. SNV and MNV records are printed as they are. So `C>CT,T`
 *   prints `CT` and `T`, and `CA>C,CAA` prints `-` and `A`.
 * Alleles are upper-cased. `*`, `.`, `<...>` and breakends are passed through with a note in
 * `symbolic` and are not predicted; so is an ALT equal to REF.
 */
import type { AlleleToAnnotate, VcfRecord } from '../model.ts';

/** 1 for the upper-case bases A C G T (N is left to the general path). */
const UPPER_ACGT = new Uint8Array(128);
for (const c of 'ACGT') UPPER_ACGT[c.charCodeAt(0)] = 1;

/** The note for an allele that is passed through without prediction, or null for a sequence change. */
export function symbolicNote(alt: string): string | null {
  if (alt === '*') return 'star allele: missing because of an overlapping deletion; not annotated';
  if (alt === '.') return 'no alternate allele (ALT is "."); not annotated';
  if (alt === '<*>' || alt === '<NON_REF>')
    return `gVCF placeholder ${alt} for any other allele; not annotated`;
  if (alt.startsWith('<')) return `symbolic allele ${alt} (structural variant); not annotated`;
  if (alt.includes('[') || alt.includes(']') || alt.startsWith('.') || alt.endsWith('.')) {
    return `breakend ${alt}; not annotated`;
  }
  return null;
}

function isSequence(alt: string): boolean {
  return symbolicNote(alt) === null;
}

/** VEP's printed alleles for a record (index i for ALT i+1). */
export function vepPrintedAlleles(refIn: string, altsIn: readonly string[]): string[] {
  const ref = refIn.toUpperCase();
  const alts = altsIn.map((a) => (isSequence(a) ? a.toUpperCase() : a));
  let indel = false;
  for (const a of alts) if (isSequence(a) && a.length !== ref.length) indel = true;
  if (!indel) return alts;
  const first = ref[0];
  for (const a of alts) {
    if (!isSequence(a)) continue; // VEP skips '*'; we also skip the other passed-through alleles
    if (a[0] !== first) return alts;
  }
  return alts.map((a) => (a === '*' || !isSequence(a) ? a : a.slice(1) || '-'));
}

/** The minimal representation of one REF/ALT pair (genomic, 1-based closed; insertion: end = start - 1). */
export function minimalRepresentation(
  pos: number,
  refIn: string,
  altIn: string,
): { start: number; end: number; ref: string; alt: string } {
  let ref = refIn.toUpperCase();
  let alt = altIn.toUpperCase();
  let lead = 0;
  const n = Math.min(ref.length, alt.length);
  while (lead < n && ref.charCodeAt(lead) === alt.charCodeAt(lead)) lead++;
  if (lead > 0) {
    ref = ref.slice(lead);
    alt = alt.slice(lead);
  }
  let trail = 0;
  const m = Math.min(ref.length, alt.length);
  while (trail < m && ref.charCodeAt(ref.length - 1 - trail) === alt.charCodeAt(alt.length - 1 - trail))
    trail++;
  if (trail > 0) {
    ref = ref.slice(0, ref.length - trail);
    alt = alt.slice(0, alt.length - trail);
  }
  const start = pos + lead;
  return { start, end: start + ref.length - 1, ref, alt };
}

/**
 * The alleles of a record on contig `chrom` (the reference's spelling), one per ALT in order,
 * `alleleNum` 1-based as in CSQ ALLELE_NUM.
 */
export function allelesOf(record: VcfRecord, chrom: string): AlleleToAnnotate[] {
  // fast path, most records: one upper-case SNV
  if (record.alts.length === 1 && record.ref.length === 1) {
    const alt = record.alts[0]!;
    const r = record.ref.charCodeAt(0);
    const a = alt.length === 1 ? alt.charCodeAt(0) : 0;
    if (a !== r && UPPER_ACGT[a] === 1 && UPPER_ACGT[r] === 1) {
      const p = record.pos;
      return [{ chrom, start: p, end: p, ref: record.ref, alt, allele: alt, alleleNum: 1, symbolic: null }];
    }
  }
  const printed = vepPrintedAlleles(record.ref, record.alts);
  const out: AlleleToAnnotate[] = [];
  for (let i = 0; i < record.alts.length; i++) {
    const alt = record.alts[i]!;
    const note = symbolicNote(alt);
    if (note !== null) {
      out.push({
        chrom,
        start: record.pos,
        end: record.pos + record.ref.length - 1,
        ref: record.ref.toUpperCase(),
        alt,
        allele: alt,
        alleleNum: i + 1,
        symbolic: note,
      });
      continue;
    }
    const m = minimalRepresentation(record.pos, record.ref, alt);
    const same = m.ref.length === 0 && m.alt.length === 0;
    out.push({
      chrom,
      start: same ? record.pos : m.start,
      end: same ? record.pos + record.ref.length - 1 : m.end,
      ref: same ? record.ref.toUpperCase() : m.ref,
      alt: same ? alt.toUpperCase() : m.alt,
      allele: printed[i]!,
      alleleNum: i + 1,
      symbolic: same ? 'ALT is the same as REF: no change; not annotated' : null,
    });
  }
  return out;
}

export type VariantClass = 'SNV' | 'MNV' | 'insertion' | 'deletion' | 'indel' | 'other';

/** The class of a minimal-representation allele (for summaries). */
export function variantClass(a: AlleleToAnnotate): VariantClass {
  if (a.symbolic !== null) return 'other';
  if (a.ref.length === 1 && a.alt.length === 1) return 'SNV';
  if (a.ref.length === 0) return 'insertion';
  if (a.alt.length === 0) return 'deletion';
  if (a.ref.length === a.alt.length) return 'MNV';
  return 'indel';
}

/** True for A<->G and C<->T. */
export function isTransition(ref: string, alt: string): boolean {
  if (ref.length !== 1 || alt.length !== 1) return false;
  const r = ref.charCodeAt(0);
  const a = alt.charCodeAt(0);
  // A<->G (65, 71) or C<->T (67, 84), without building the two-letter string
  return (r === 65 && a === 71) || (r === 71 && a === 65) || (r === 67 && a === 84) || (r === 84 && a === 67);
}
