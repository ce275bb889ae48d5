/**
 * Known-variant sources: tabix-indexed VCFs (dbSNP, ClinVar, gnomAD, a lab's own) whose IDs go
 * into CSQ `Existing_variation` and whose chosen INFO keys become named CSQ / TSV / JSON fields.
 *
 * Matching is by ALLELE, not by position: every ALT of a known record is trimmed to its minimal
 * representation with the same function as the input's alleles (normalise/alleles.ts), and an
 * input allele matches when (contig, trimmed start, trimmed REF, trimmed ALT) are equal. So
 * `CAT>C` at 100 and `AT>-` at 101 match; a different ALT at the same position does not (VEP's
 * default `--check_existing` allele check).
 *
 * Streaming, no whole-file load: the file is read in windows of WINDOW_BP trimmed starts, aligned
 * to a grid (tabix region query plus a MARGIN before the window for records whose anchor base
 * precedes it), and at most MAX_WINDOWS are kept (least recently used dropped). Sorted input
 * sweeps through the file window by window; unsorted input within a few Mb costs nothing more;
 * input shuffled across a genome is still annotated correctly, re-reading windows (slower).
 * Memory: at most MAX_WINDOWS windows of records (dbSNP whole-genome density, ~1 per 3 bp, is
 * ~30 k records per window). Measured on the 100 k synthetic input with the 115 k-record VEP
 * cache file: 11 windows read, the annotation rate 43.7 k -> 33.4 k records/s (one run each).
 *
 * Field values: `Number=A` keys take the matched ALT's value, `Number=R` the ALT's (index + 1),
 * others the whole value; `.` is empty; a Flag is `1`. When several known records match one
 * allele, IDs are joined with `&` (as VEP does) and each field takes the first non-empty value
 * in file order. Contig names are reconciled with the reference's through the synonyms.
 * The ID column goes into `Existing_variation` unless the field list names `ID=NAME` (ClinVar's
 * IDs are ClinVar variation ids, not rsIDs: `clinvar.vcf.gz:CLNSIG,CLNREVSTAT,ID=ClinVar_ID`).
 *
 * Coordinates: GENOMIC, 1-BASED, CLOSED, except the tabix query (0-based half-open, as tabix-js).
 */
import { access } from 'node:fs/promises';
import { TabixIndexedFile } from '@gmod/tabix';
import type { AlleleToAnnotate, ReferenceSequence, TranscriptConsequence } from '../model.ts';
import { minimalRepresentation, symbolicNote } from '../normalise/alleles.ts';
import { ContigResolver } from '../normalise/contigs.ts';
import type { AnnotationField } from '../output/fields.ts';
import type { FileProvenance } from '../output/types.ts';
import { infoValue } from '../vcf/parse.ts';

/** Trimmed starts held in memory at once. */
export const WINDOW_BP = 100_000;
/** Windows kept in memory. */
const MAX_WINDOWS = 8;
/** Bases read before a window for records whose anchor or shared bases come before it. */
const MARGIN_BP = 200;

/** The CSQ field every known source contributes to. */
export const EXISTING_VARIATION = 'Existing_variation';

/** A known source as given on the command line: `FILE[:KEY[=NAME],...]`. */
export interface KnownSourceSpec {
  path: string;
  /** INFO keys to copy, each into the CSQ field `name` (default: the key itself). */
  fields: { key: string; name: string }[];
}

/** A known-variant file that cannot be used (missing, no index, a field not in its header). */
export class KnownSourceError extends Error {
  override name = 'KnownSourceError';
}

/**
 * Parses `FILE[:KEY[=NAME],...]`, e.g. `clinvar.vcf.gz:CLNSIG,CLNREVSTAT` or
 * `dbsnp.vcf.gz:AF_AF=AF,EUR_AF`. The last `:` splits only when what follows is a field list.
 */
export function parseKnownSpec(spec: string): KnownSourceSpec {
  const colon = spec.lastIndexOf(':');
  const tail = colon >= 0 ? spec.slice(colon + 1) : '';
  if (colon < 0 || tail.includes('/') || tail.includes('.gz') || tail === '') {
    if (colon === spec.length - 1) throw new KnownSourceError(`--known ${spec}: empty field list after ':'`);
    return { path: spec, fields: [] };
  }
  const fields = tail.split(',').map((item) => {
    const [key, name, extra] = item.split('=');
    if (!key || extra !== undefined || name === '' || !/^[A-Za-z_][\w.]*$/.test(key)) {
      throw new KnownSourceError(
        `--known ${spec}: "${item}" is not a field (write KEY or KEY=NAME, separated by commas)`,
      );
    }
    if (name !== undefined && !/^[A-Za-z_][\w.]*$/.test(name)) {
      throw new KnownSourceError(`--known ${spec}: "${name}" is not a usable field name`);
    }
    return { key, name: name ?? key };
  });
  return { path: spec.slice(0, colon), fields };
}

interface InfoDefinition {
  number: string;
  type: string;
}

/** One ALT of a known record, keyed by its minimal representation. */
interface KnownAllele {
  id: string;
  info: string;
  /** 0-based index of the ALT in its record. */
  altIndex: number;
}

/** Known values of one allele, field name -> value (Existing_variation included). */
export type KnownValues = Record<string, string>;

/** The known values attached to an allele by the known sources (see model.ts `known`). */
export function knownValue(allele: AlleleToAnnotate, name: string): string {
  return allele.known?.[name] ?? '';
}

export class KnownVariantSource {
  readonly path: string;
  /** The field the ID column goes into (Existing_variation unless `ID=NAME` was given). */
  readonly idField: string;
  readonly fields: readonly { key: string; name: string; def: InfoDefinition }[];
  /** Reference contig name -> the file's contig name. */
  private readonly contigOf: Map<string, string>;
  private readonly file: TabixIndexedFile;
  /** `chrom:index` -> the known alleles whose trimmed start lies in that window; LRU order. */
  private readonly windows = new Map<string, Map<string, KnownAllele[]>>();
  /** Windows read (for the log and the tests of the streaming behaviour). */
  windowsRead = 0;
  recordsRead = 0;
  allelesMatched = 0;

  private constructor(
    path: string,
    file: TabixIndexedFile,
    fields: KnownVariantSource['fields'],
    contigOf: Map<string, string>,
    idField: string,
  ) {
    this.idField = idField;
    this.path = path;
    this.file = file;
    this.fields = fields;
    this.contigOf = contigOf;
  }

  /**
   * Opens a bgzip VCF with its `.tbi` (or `.csi`) index and checks that the requested INFO keys
   * are declared in its header. `referenceContigs` and `synonyms` reconcile contig names.
   */
  static async open(
    spec: KnownSourceSpec,
    referenceContigs: Iterable<string>,
    synonyms: readonly string[][] = [],
  ): Promise<KnownVariantSource> {
    const { path } = spec;
    try {
      await access(path);
    } catch {
      throw new KnownSourceError(`known-variant file ${path} does not exist or cannot be read`);
    }
    let file: TabixIndexedFile;
    let header: string;
    let names: string[];
    try {
      const csi = await exists(`${path}.csi`);
      const tbi = await exists(`${path}.tbi`);
      if (!csi && !tbi) {
        throw new KnownSourceError(
          `known-variant file ${path} has no tabix index (${path}.tbi); make one with: bgzip it, then tabix -p vcf ${path}`,
        );
      }
      file = new TabixIndexedFile(tbi ? { path, tbiPath: `${path}.tbi` } : { path, csiPath: `${path}.csi` });
      header = await file.getHeader();
      names = await file.getReferenceSequenceNames();
    } catch (err) {
      if (err instanceof KnownSourceError) throw err;
      throw new KnownSourceError(
        `known-variant file ${path} could not be read as a bgzip-compressed, tabix-indexed VCF (${(err as Error).message})`,
      );
    }
    if (!header.startsWith('##fileformat=VCF')) {
      throw new KnownSourceError(`known-variant file ${path} is not a VCF (no ##fileformat=VCF header line)`);
    }
    const defs = new Map<string, InfoDefinition>();
    for (const m of header.matchAll(/^##INFO=<ID=([^,>]+),Number=([^,>]+),Type=([^,>]+)/gm)) {
      defs.set(m[1]!, { number: m[2]!, type: m[3]! });
    }
    const idField = spec.fields.find((f) => f.key === 'ID');
    const fields = spec.fields
      .filter((f) => f.key !== 'ID')
      .map(({ key, name }) => {
        const def = defs.get(key);
        if (!def) {
          throw new KnownSourceError(
            `known-variant file ${path} declares no INFO field ${key}; its fields are ${[...defs.keys()].join(', ') || 'none'}`,
          );
        }
        return { key, name, def };
      });
    const resolver = new ContigResolver(referenceContigs, synonyms);
    const contigOf = new Map<string, string>();
    for (const n of names) {
      const r = resolver.resolve(n);
      if (r !== null && !contigOf.has(r)) contigOf.set(r, n);
    }
    return new KnownVariantSource(path, file, fields, contigOf, idField?.name ?? EXISTING_VARIATION);
  }

  /** Contigs of the reference this file has variants on. */
  get contigs(): string[] {
    return [...this.contigOf.keys()];
  }

  /**
   * Makes sure the windows hold every known allele whose trimmed start lies in [start, end]
   * (1-based closed, reference contig name). Returns a promise only when it has to read.
   */
  prepare(chrom: string, start: number, end: number): Promise<void> | undefined {
    if (!this.contigOf.has(chrom)) return undefined;
    const first = Math.floor((start - 1) / WINDOW_BP);
    const last = Math.floor((Math.max(start, end) - 1) / WINDOW_BP);
    const waits: Promise<void>[] = [];
    for (let i = first; i <= last; i++) {
      const id = `${chrom}:${i}`;
      const w = this.windows.get(id);
      if (w) {
        // most recently used last
        this.windows.delete(id);
        this.windows.set(id, w);
      } else {
        waits.push(this.load(chrom, i));
      }
    }
    if (waits.length === 0) return undefined;
    return waits.length === 1 ? waits[0] : Promise.all(waits).then(() => undefined);
  }

  private async load(chrom: string, index: number): Promise<void> {
    const start = index * WINDOW_BP + 1;
    const end = (index + 1) * WINDOW_BP;
    const window = new Map<string, KnownAllele[]>();
    this.windows.set(`${chrom}:${index}`, window);
    if (this.windows.size > MAX_WINDOWS) this.windows.delete(this.windows.keys().next().value as string);
    this.windowsRead++;
    const from0 = Math.max(0, start - 1 - MARGIN_BP);
    await this.file.getLines(this.contigOf.get(chrom)!, from0, end, (line: string) => {
      this.recordsRead++;
      this.addLine(window, line, start, end);
    });
  }

  private addLine(window: Map<string, KnownAllele[]>, line: string, start: number, end: number): void {
    // CHROM POS ID REF ALT QUAL FILTER INFO
    const t1 = line.indexOf('\t');
    const t2 = line.indexOf('\t', t1 + 1);
    const t3 = line.indexOf('\t', t2 + 1);
    const t4 = line.indexOf('\t', t3 + 1);
    const t5 = line.indexOf('\t', t4 + 1);
    if (t5 < 0) return;
    const t6 = line.indexOf('\t', t5 + 1);
    const t7 = t6 < 0 ? -1 : line.indexOf('\t', t6 + 1);
    const t8 = t7 < 0 ? -1 : line.indexOf('\t', t7 + 1);
    const pos = Number(line.slice(t1 + 1, t2));
    const id = line.slice(t2 + 1, t3);
    const ref = line.slice(t3 + 1, t4);
    const alts = line.slice(t4 + 1, t5).split(',');
    const info = t7 < 0 ? '.' : line.slice(t7 + 1, t8 < 0 ? line.length : t8);
    for (let i = 0; i < alts.length; i++) {
      const alt = alts[i]!;
      if (alt === '.' || symbolicNote(alt) !== null) continue;
      const m = minimalRepresentation(pos, ref, alt);
      if (m.start < start || m.start > end) continue;
      const key = `${m.start}:${m.ref}:${m.alt}`;
      const entry: KnownAllele = { id, info, altIndex: i };
      const list = window.get(key);
      if (list) list.push(entry);
      else window.set(key, [entry]);
    }
  }

  /** Attaches this file's values to the allele when it is known (after `prepare`). */
  match(allele: AlleleToAnnotate): void {
    if (allele.symbolic !== null) return;
    const window = this.windows.get(`${allele.chrom}:${Math.floor((allele.start - 1) / WINDOW_BP)}`);
    const list = window?.get(`${allele.start}:${allele.ref}:${allele.alt}`);
    if (!list) return;
    this.allelesMatched++;
    const known: KnownValues = allele.known ?? {};
    allele.known = known;
    const ids: string[] = [];
    for (const k of list) {
      if (k.id === '.') continue;
      for (const id of k.id.split(';')) if (!ids.includes(id)) ids.push(id);
    }
    if (ids.length > 0) {
      const before = known[this.idField];
      known[this.idField] = before ? `${before}&${ids.join('&')}` : ids.join('&');
    }
    for (const f of this.fields) {
      if (known[f.name]) continue;
      for (const k of list) {
        const v = fieldValue(k, f.key, f.def);
        if (v !== '') {
          known[f.name] = v;
          break;
        }
      }
    }
  }

  /** The CSQ fields this source adds (after the fixed VEP fields), values per allele. */
  csqFields(): AnnotationField[] {
    const names = this.fields.map((f) => f.name);
    if (this.idField !== EXISTING_VARIATION) names.unshift(this.idField);
    return names.map((name) => ({
      name,
      per: 'allele' as const,
      value: (c: TranscriptConsequence) => knownValue(c.allele, name),
    }));
  }

  /** This file as a pipeline annotation source (it adds no transcript consequences). */
  asAnnotationSource(): KnownAnnotationSource {
    return {
      regionNeeded: (allele) => ({ chrom: allele.chrom, start: allele.start, end: allele.end }),
      prepare: (chrom, start, end) => this.prepare(chrom, start, end),
      annotate: (allele: AlleleToAnnotate, _reference: ReferenceSequence) => {
        this.match(allele);
        return [];
      },
      fields: this.csqFields(),
    };
  }
}

/** The shape of a pipeline annotation source with the optional parts known sources use. */
export interface KnownAnnotationSource {
  regionNeeded(allele: AlleleToAnnotate): { chrom: string; start: number; end: number };
  prepare(chrom: string, start: number, end: number): Promise<void> | undefined;
  annotate(allele: AlleleToAnnotate, reference: ReferenceSequence): TranscriptConsequence[];
  fields: AnnotationField[];
}

function fieldValue(k: KnownAllele, key: string, def: InfoDefinition): string {
  const raw = infoValue(k.info, key);
  if (raw === undefined) return '';
  if (raw === true) return def.type === 'Flag' ? '1' : '';
  let v = raw;
  if (def.number === 'A' || def.number === 'R') {
    const parts = raw.split(',');
    v = parts[def.number === 'A' ? k.altIndex : k.altIndex + 1] ?? '';
  }
  return v === '.' ? '' : v;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Provenance of a known-variant file for output headers. */
export function knownProvenance(path: string, sha256: string | null): FileProvenance {
  return { path, sha256, format: 'vcf' };
}
