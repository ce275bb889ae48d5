/**
 * REF alleles checked against the reference FASTA, and the assembly-mismatch verdict.
 *
 * A record matches when every base of its REF equals the FASTA's, `N` on either side matching
 * anything; a stretch of `N` in the FASTA cannot be checked and is counted apart. One mismatch
 * is a bad record (reported with its line). Most of them mismatching is a wrong assembly: when
 * more than half of the first 1,000 checkable records mismatch (or, for a shorter file, of all
 * of at least 5), the run stops with an `AssemblyMismatchError` that names the likely cause.
 */
import type { VcfHeader } from '../vcf/header.ts';
import { AssemblyMismatchError } from '../vcf/problems.ts';

export interface RefMismatch {
  line: number;
  chrom: string;
  pos: number;
  ref: string;
  reference: string;
}

export const ASSEMBLY_WINDOW = 1000;
export const ASSEMBLY_MIN_CHECKED = 5;
export const KEPT_MISMATCHES = 500;

export type RefCheckResult = 'match' | 'mismatch' | 'unchecked';

export class RefChecker {
  checked = 0;
  mismatched = 0;
  unchecked = 0;
  readonly kept: RefMismatch[] = [];
  private windowChecked = 0;
  private windowMismatched = 0;
  private decided = false;

  /** Compares a REF with the FASTA bases at the same place (both any case). */
  check(line: number, chrom: string, pos: number, ref: string, referenceBases: string): RefCheckResult {
    let allN = true;
    let differs = false;
    for (let i = 0; i < ref.length; i++) {
      const f = referenceBases.charCodeAt(i) & 0xdf; // upper-case
      const r = ref.charCodeAt(i) & 0xdf;
      if (f !== 78 /* N */) allN = false;
      if (f !== r && f !== 78 && r !== 78) differs = true;
    }
    if (allN) return this.record('unchecked');
    if (!differs) return this.record('match');
    return this.record('mismatch', { line, chrom, pos, ref, reference: referenceBases });
  }

  /**
   * Counts one check's result; `mismatch` says where (kept while fewer than KEPT_MISMATCHES).
   * The main thread replays the checks of worker threads through this, in input order.
   */
  record(result: RefCheckResult, mismatch?: RefMismatch): RefCheckResult {
    if (result === 'unchecked') {
      this.unchecked++;
      return result;
    }
    this.checked++;
    if (!this.decided) this.windowChecked++;
    if (result === 'match') return result;
    this.mismatched++;
    if (!this.decided) this.windowMismatched++;
    if (mismatch !== undefined && this.kept.length < KEPT_MISMATCHES) this.kept.push(mismatch);
    return result;
  }

  /**
   * The assembly verdict: an error when most checked REFs mismatch. Call after each check
   * (`atEnd` false: decides once the first 1,000 are in) and once at the end of the input.
   */
  verdict(atEnd: boolean, hint: () => string): AssemblyMismatchError | null {
    if (this.decided) return null;
    if (!atEnd && this.windowChecked < ASSEMBLY_WINDOW) return null;
    if (atEnd && this.windowChecked < ASSEMBLY_MIN_CHECKED) return null;
    this.decided = true;
    if (this.windowMismatched * 2 <= this.windowChecked) return null;
    const first = this.kept[0]!;
    return new AssemblyMismatchError(
      `assembly mismatch: ${this.windowMismatched} of the first ${this.windowChecked} records checked have a REF that differs from the reference FASTA ` +
        `(first at line ${first.line}: REF ${first.ref} but the FASTA has ${first.reference} at ${first.chrom}:${first.pos}). ` +
        `The input is probably on another assembly than the FASTA${hint()}; lift it over or annotate it with the matching reference.`,
    );
  }
}

/** Known GRCh37 names of the assembly in headers. */
const GRCH37 = /GRCh37|hg19|b37|hs37|GCF_000001405\.(1\d|2[0-5])\b|NCBI37/i;
const GRCH38 = /GRCh38|hg38|GCF_000001405\.(2[6-9]|[3-9]\d)\b|hs38/i;

/** Human chromosome lengths that differ between GRCh37 and GRCh38 (GRCh37 values). */
const GRCH37_LENGTHS: Readonly<Record<string, number>> = {
  '1': 249250621,
  '2': 243199373,
  '3': 198022430,
  '4': 191154276,
  '5': 180915260,
  '6': 171115067,
  '7': 159138663,
  '8': 146364022,
  '9': 141213431,
  '10': 135534747,
  '11': 135006516,
  '12': 133851895,
  '13': 115169878,
  '14': 107349540,
  '15': 102531392,
  '16': 90354753,
  '17': 81195210,
  '18': 78077248,
  '19': 59128983,
  '20': 63025520,
  '21': 48129895,
  '22': 51304566,
  X: 155270560,
  Y: 59373566,
};

/**
 * What the input's header says about its assembly, as a clause for error messages
 * (` (its header names "GRCh37" while the reference is GRCh38)`), or a generic example.
 */
export function assemblyHint(
  header: VcfHeader,
  referenceLengths: ReadonlyMap<string, number>,
  resolve: (name: string) => string | null,
  referenceAssembly: string,
): string {
  const parts: string[] = [];
  const named = header.assemblyHints.find((h) => GRCH37.test(h));
  const named38 = header.assemblyHints.find((h) => GRCH38.test(h));
  if (named && !GRCH37.test(referenceAssembly)) {
    const which = /GRCh37/i.test(named) ? '' : ' (GRCh37)';
    parts.push(
      `its header names ${JSON.stringify(named)}${which} while the reference is ${referenceAssembly}`,
    );
  } else if (named38 && !GRCH38.test(referenceAssembly)) {
    const which = /GRCh38/i.test(named38) ? '' : ' (GRCh38)';
    parts.push(
      `its header names ${JSON.stringify(named38)}${which} while the reference is ${referenceAssembly}`,
    );
  }
  const diffs: string[] = [];
  for (const [name, declared] of header.contigs) {
    if (declared.length === null) continue;
    const ref = resolve(name);
    const refLen = ref === null ? undefined : referenceLengths.get(ref);
    if (refLen !== undefined && refLen !== declared.length) {
      const bare = name.replace(/^chr/i, '');
      const is37 = GRCH37_LENGTHS[bare] === declared.length ? ', as in GRCh37,' : '';
      diffs.push(`${name} is ${declared.length} bp in the VCF header${is37} but ${refLen} bp in the FASTA`);
    }
  }
  if (diffs.length > 0) parts.push(diffs.slice(0, 3).join('; '));
  if (parts.length === 0) return ' (for example a GRCh37 file against a GRCh38 reference)';
  return ` (${parts.join('; ')})`;
}
