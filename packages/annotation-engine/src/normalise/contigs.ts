/**
 * Chromosome names of the input reconciled with the reference FASTA's.
 *
 * The same chromosome is `21`, `chr21`, `NC_000021.9` or `CM000683.2` depending on who wrote
 * the file. A name is looked up, in order: as it is; with `chr` added or removed; through the
 * built-in equivalences (`MT`/`M`/`chrM`/`chrMT`, GRCh38 RefSeq accessions of the primary
 * chromosomes); and through a synonyms table (`chr_synonyms.txt` style: two or more names per
 * line, tab-separated, any name of a line equals any other, lines chain). The answer is cached
 * per name, so the per-record cost is one Map lookup.
 */
import { readFile } from 'node:fs/promises';
import { InputError } from '../vcf/problems.ts';

/** GRCh38 primary assembly RefSeq accessions (NCBI GCF_000001405.26 onwards). */
export const GRCH38_REFSEQ: Readonly<Record<string, string>> = {
  '1': 'NC_000001.11',
  '2': 'NC_000002.12',
  '3': 'NC_000003.12',
  '4': 'NC_000004.12',
  '5': 'NC_000005.10',
  '6': 'NC_000006.12',
  '7': 'NC_000007.14',
  '8': 'NC_000008.11',
  '9': 'NC_000009.12',
  '10': 'NC_000010.11',
  '11': 'NC_000011.10',
  '12': 'NC_000012.12',
  '13': 'NC_000013.11',
  '14': 'NC_000014.9',
  '15': 'NC_000015.10',
  '16': 'NC_000016.10',
  '17': 'NC_000017.11',
  '18': 'NC_000018.10',
  '19': 'NC_000019.10',
  '20': 'NC_000020.11',
  '21': 'NC_000021.9',
  '22': 'NC_000022.11',
  X: 'NC_000023.11',
  Y: 'NC_000024.10',
  MT: 'NC_012920.1',
};

/** Pairs of equal names from a synonyms file; throws `InputError` naming the file and line when malformed. */
export async function readSynonymsFile(path: string): Promise<string[][]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError(
      `cannot read the synonyms file "${path}": ${(err as Error).message}`,
      null,
      'unreadable',
      {
        cause: err,
      },
    );
  }
  return parseSynonyms(text, path);
}

export function parseSynonyms(text: string, fileName = 'synonyms'): string[][] {
  const groups: string[][] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const names = line.split(/\s+/);
    if (names.length < 2) {
      throw new InputError(
        `${fileName} line ${i + 1}: a synonyms line needs at least two names separated by a tab, found "${line}"`,
        null,
        'bad_synonyms',
      );
    }
    groups.push(names);
  }
  return groups;
}

function stripChr(name: string): string | null {
  return /^chr/i.test(name) ? name.slice(3) : null;
}

/** Built-in names that mean the same sequence as `name` (without the chr prefix games). */
function builtInEquivalents(name: string): string[] {
  const bare = stripChr(name) ?? name;
  const out: string[] = [];
  if (/^(MT|M)$/i.test(bare)) out.push('MT', 'M', 'chrM', 'chrMT', GRCH38_REFSEQ.MT!);
  const refseq = GRCH38_REFSEQ[bare.toUpperCase()] ?? GRCH38_REFSEQ[bare];
  if (refseq) out.push(refseq);
  for (const [chrom, acc] of Object.entries(GRCH38_REFSEQ)) {
    if (acc === name) {
      out.push(chrom, `chr${chrom}`);
      if (chrom === 'MT') out.push('chrM', 'M');
    }
  }
  return out;
}

export class ContigResolver {
  private readonly reference: Set<string>;
  private readonly synonym = new Map<string, string>(); // name -> group representative
  private readonly groups = new Map<string, string[]>();
  private readonly cache = new Map<string, string | null>();

  constructor(referenceContigs: Iterable<string>, synonymGroups: readonly string[][] = []) {
    this.reference = new Set(referenceContigs);
    for (const group of synonymGroups) this.union(group);
  }

  /** The reference FASTA's contig names. */
  get referenceContigs(): string[] {
    return [...this.reference];
  }

  /** The reference's name for `name`, or null when no rule maps it to a reference contig. */
  resolve(name: string): string | null {
    // records come contig by contig: the last answer first (a string compare, not a hash)
    if (name === this.lastName) return this.lastResolved;
    let found = this.cache.get(name);
    if (found === undefined) {
      found = this.lookup(name);
      this.cache.set(name, found);
    }
    this.lastName = name;
    this.lastResolved = found;
    return found;
  }

  private lastName: string | null = null;
  private lastResolved: string | null = null;

  private lookup(name: string): string | null {
    const candidates: string[] = [name];
    const stripped = stripChr(name);
    if (stripped !== null) candidates.push(stripped);
    else candidates.push(`chr${name}`);
    for (const c of [...candidates]) candidates.push(...builtInEquivalents(c));
    for (const c of candidates) if (this.reference.has(c)) return c;
    for (const c of candidates) {
      const rep = this.synonym.get(c);
      if (rep === undefined) continue;
      for (const member of this.groups.get(rep)!) {
        if (this.reference.has(member)) return member;
        const ms = stripChr(member);
        if (ms !== null && this.reference.has(ms)) return ms;
        if (ms === null && this.reference.has(`chr${member}`)) return `chr${member}`;
      }
    }
    return null;
  }

  private union(names: readonly string[]): void {
    let rep: string | undefined;
    for (const n of names) {
      const r = this.synonym.get(n);
      if (r !== undefined) {
        rep = r;
        break;
      }
    }
    rep ??= names[0]!;
    const group = this.groups.get(rep) ?? [];
    if (!this.groups.has(rep)) this.groups.set(rep, group);
    for (const n of names) {
      const other = this.synonym.get(n);
      if (other !== undefined && other !== rep) {
        // merge another group into this one
        for (const m of this.groups.get(other)!) {
          this.synonym.set(m, rep);
          group.push(m);
        }
        this.groups.delete(other);
      } else if (other === undefined) {
        this.synonym.set(n, rep);
        group.push(n);
      }
    }
  }
}
