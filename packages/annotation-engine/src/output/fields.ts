/**
 * The annotation fields, as data: one list gives the CSQ header, the order of values in each
 * CSQ entry, the TSV columns and the JSON keys. Adding a source (known variants in the next
 * issue) is adding entries here; readers take the order from the header, so entries may be
 * appended freely after the fixed VEP prefix (Allele ... STRAND).
 */
import type { AlleleToAnnotate, TranscriptConsequence } from '../model.ts';
import { ByteBuilder, type Latin1Writable, NATIVE_COPY_CHARS } from './bytes.ts';
import { latin1Safe } from './sink.ts';

/** One allele x transcript, with what the fields need beyond the prediction. */
export interface FieldContext {
  /** The gene model file's base name (VEP's SOURCE for --gff). */
  source: string;
}

export interface AnnotationField {
  name: string;
  /**
   * What the value depends on: `transcript` values (symbol, gene, biotype...) are computed and
   * escaped once per transcript and cached; `allele` values once per allele; `pair` values once
   * per allele x transcript.
   */
  per: 'transcript' | 'allele' | 'pair';
  /**
   * True when the value can never hold a character CSQ must escape: numbers, SO terms, fixed
   * words, and what the engine itself formats from bases and numbers (HGVS, positions, amino
   * acids, codons). Free text from gene model files is never safe.
   */
  safe?: boolean;
  /** The value, '' when there is none (never null: writers treat '' as empty). */
  value(c: TranscriptConsequence, ctx: FieldContext): string;
  /**
   * Optional, for `pair` fields that are `safe`: appends exactly `value(c)` to `out` without
   * making the string (the CSQ byte writer's hot path; see CsqFormatter).
   */
  write?(c: TranscriptConsequence, out: ByteBuilder): void;
}

const str = (v: string | number | null | undefined): string =>
  v === null || v === undefined ? '' : String(v);

/** A `pair` field holding a text the engine formats itself (safe), or nothing when null. */
function pairText(name: string, get: (c: TranscriptConsequence) => string | null): AnnotationField {
  return { name, per: 'pair', safe: true, value: (c) => get(c) ?? '', write: (c, out) => out.opt(get(c)) };
}

export const CSQ_FIELDS: readonly AnnotationField[] = [
  { name: 'Allele', per: 'allele', value: (c) => c.allele.allele },
  {
    name: 'Consequence',
    per: 'pair',
    safe: true,
    value: (c) => c.consequences.join('&'),
    write: (c, out) => {
      const terms = c.consequences;
      for (let i = 0; i < terms.length; i++) {
        if (i > 0) out.byte(38 /* & */);
        out.str(terms[i]!);
      }
    },
  },
  { name: 'IMPACT', per: 'pair', safe: true, value: (c) => c.impact, write: (c, out) => out.str(c.impact) },
  { name: 'SYMBOL', per: 'transcript', value: (c) => str(c.transcript?.geneSymbol) },
  { name: 'Gene', per: 'transcript', value: (c) => str(c.transcript?.geneId) },
  { name: 'Feature_type', per: 'transcript', safe: true, value: (c) => (c.transcript ? 'Transcript' : '') },
  { name: 'Feature', per: 'transcript', value: (c) => str(c.transcript?.id) },
  { name: 'BIOTYPE', per: 'transcript', value: (c) => str(c.transcript?.biotype) },
  pairText('EXON', (c) => c.exon),
  pairText('INTRON', (c) => c.intron),
  pairText('HGVSc', (c) => c.hgvsc),
  pairText('HGVSp', (c) => c.hgvsp),
  pairText('cDNA_position', (c) => c.cdnaPosition),
  pairText('CDS_position', (c) => c.cdsPosition),
  pairText('Protein_position', (c) => c.proteinPosition),
  pairText('Amino_acids', (c) => c.aminoAcids),
  pairText('Codons', (c) => c.codons),
  // filled by known-variant sources (known/index.ts): the IDs of known variants with this allele
  { name: 'Existing_variation', per: 'allele', value: (c) => c.allele.known?.Existing_variation ?? '' },
  {
    name: 'DISTANCE',
    per: 'pair',
    safe: true,
    value: (c) => str(c.distance),
    write: (c, out) => {
      if (c.distance !== null) out.int(c.distance);
    },
  },
  { name: 'STRAND', per: 'transcript', safe: true, value: (c) => str(c.transcript?.strand) },
  { name: 'FLAGS', per: 'transcript', value: (c) => (c.transcript ? c.transcript.flags.join('&') : '') },
  { name: 'SYMBOL_SOURCE', per: 'transcript', safe: true, value: () => '' },
  { name: 'HGNC_ID', per: 'transcript', safe: true, value: () => '' },
  { name: 'ALLELE_NUM', per: 'allele', safe: true, value: (c) => String(c.allele.alleleNum) },
  { name: 'SOURCE', per: 'transcript', value: (c, ctx) => (c.transcript ? ctx.source : '') },
  { name: 'VARIANT_CLASS', per: 'allele', safe: true, value: (c) => soVariantClass(c.allele) },
];

/** Sequence Ontology class of the allele, as VEP's VARIANT_CLASS. */
export function soVariantClass(a: AlleleToAnnotate): string {
  if (a.symbolic !== null) return '';
  if (a.ref.length === 1 && a.alt.length === 1) return 'SNV';
  if (a.ref.length === 0) return 'insertion';
  if (a.alt.length === 0) return 'deletion';
  if (a.ref.length === a.alt.length) return 'substitution';
  return 'indel';
}

/**
 * A value made safe inside a CSQ entry, the way VEP's VCF writer does it: `,` and `|` become
 * `&`, `;` becomes `%3B`, runs of white space become `_`. A lone `-` means "none" and is
 * emptied, except in Allele (a deletion). Characters beyond latin1 (UTF-8 gene models) become
 * their UTF-8 bytes, which the latin1 sink writes out unchanged (see sink.ts).
 */
export function escapeCsqValue(value: string, isAllele: boolean): string {
  if (value === '') return value;
  if (!isAllele && value === '-') return '';
  // fast path: nothing to escape
  if (!NEEDS_ESCAPE.test(value)) return value;
  return latin1Safe(value.replace(/[,|]/g, '&').replace(/;/g, '%3B').replace(/\s+/g, '_'));
}

const NEEDS_ESCAPE = /[,;|\s\u0100-\uffff]/;

/** The CSQ header line for a field list. */
export function csqHeaderLine(fields: readonly AnnotationField[] = CSQ_FIELDS, id = 'CSQ'): string {
  return `##INFO=<ID=${id},Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. Format: ${fields
    .map((f) => f.name)
    .join('|')}">`;
}

/**
 * Consecutive fields of the same kind (`per`), as the byte writer walks them: a run of
 * transcript fields is one cached piece per transcript, a run of allele fields one per allele,
 * pair fields are formatted one by one.
 */
interface FieldRun {
  per: AnnotationField['per'];
  /** Indexes into the field list. */
  fields: number[];
}

function fieldRuns(fields: readonly AnnotationField[], barrier: number): FieldRun[] {
  const runs: FieldRun[] = [];
  for (let i = 0; i < fields.length; i++) {
    const last = runs[runs.length - 1];
    if (last !== undefined && i !== barrier && last.per === fields[i]!.per && last.per !== 'pair')
      last.fields.push(i);
    else runs.push({ per: fields[i]!.per, fields: [i] });
  }
  return runs;
}

/**
 * The cached text of each run, as strings (generic loop) and as latin1 bytes for
 * `writeBuiltinEntry`: a JS copy from a typed array costs less than `charCodeAt` per character
 * (profiled on 1 M records, those string copies were ~13% of the run).
 */
interface RunTexts {
  texts: string[];
  bytes: Uint8Array[];
}

/**
 * A transcript's runs, and for `writeBuiltinEntry` the heads and tails of its latest entries, at
 * most ENTRY_PARTS_KEPT of each, newest last (see EntryHead).
 */
interface TranscriptRuns extends RunTexts {
  heads: EntryHead[];
  tails: EntryTail[];
}

/**
 * Heads and tails kept per transcript: a few, since consecutive entries on a transcript alternate
 * between a few (an SNV's and an indel's VARIANT_CLASS; missense and synonymous in an exon).
 */
const ENTRY_PARTS_KEPT = 4;

/**
 * An entry's bytes from Consequence to the `|` after BIOTYPE (`terms|IMPACT|SYMBOL..BIOTYPE|`)
 * on one transcript, with the terms and impact they were made for. Consecutive entries on a
 * transcript mostly repeat them (the SNVs of an intron, of an upstream stretch), and one copy of
 * these bytes replaces a lookup and a copy per term, the impact's and the transcript run's.
 */
interface EntryHead {
  terms: string[];
  impact: string;
  bytes: Uint8Array;
}

/**
 * An entry's bytes after DISTANCE (`|STRAND..HGNC_ID|ALLELE_NUM|SOURCE|VARIANT_CLASS`) on one
 * transcript, with the allele runs (cached bytes, compared by identity) they were made from.
 */
interface EntryTail {
  alleleNum: Uint8Array;
  variantClass: Uint8Array;
  bytes: Uint8Array;
}

/** Runs of CSQ_FIELDS by index, as `writeBuiltinEntry` writes them (checked in the constructor). */
const BUILTIN_RUNS = {
  allele: 0,
  symbolToBiotype: 3,
  existingVariation: 13,
  strandToHgnc: 15,
  alleleNum: 16,
  source: 17,
  variantClass: 18,
  count: 19,
} as const;

/**
 * Builds CSQ entries. Values that depend only on the transcript are escaped once per
 * transcript and cached (a WeakMap, so transcripts can be dropped); the others once per pair.
 *
 * `write` puts a record's CSQ value straight into a `ByteBuilder`: per transcript, each run of
 * transcript fields (SYMBOL|Gene|Feature_type|Feature|BIOTYPE, STRAND|FLAGS|...) is one cached
 * string with its inner `|`s; per allele likewise; only the pair fields (consequence terms,
 * HGVS, positions) are formatted per entry. `value` / `entry` give the same text as strings.
 */
export class CsqFormatter {
  readonly fields: readonly AnnotationField[];
  private readonly ctx: FieldContext;
  private readonly runs: FieldRun[];
  /** Indexes into `runs` of the allele runs and of the transcript runs (what `runTexts` walks). */
  private readonly runsOf: Record<'allele' | 'transcript', number[]>;
  /** Runs written by `writeBuiltinEntry` (the fixed VEP fields), 0 when the list does not start with them. */
  private readonly builtinRuns: number;
  /** Per transcript: the text of each run (transcript runs filled, others ''), as strings and latin1 bytes. */
  private readonly cache = new WeakMap<object, TranscriptRuns>();
  private intergenic: TranscriptRuns | null = null;
  private lastAllele: AlleleToAnnotate | null = null;
  /** The current allele's run texts, refilled in place for each allele. */
  private readonly lastAlleleRuns: RunTexts;

  constructor(ctx: FieldContext, fields: readonly AnnotationField[] = CSQ_FIELDS) {
    this.ctx = ctx;
    this.fields = fields;
    const builtin = CSQ_FIELDS.every((f, i) => fields[i] === f);
    this.runs = fieldRuns(fields, builtin ? CSQ_FIELDS.length : -1);
    this.builtinRuns = builtin ? BUILTIN_RUNS.count : 0;
    this.runsOf = { allele: [], transcript: [] };
    this.runs.forEach((run, r) => {
      if (run.per !== 'pair') this.runsOf[run.per].push(r);
    });
    this.lastAlleleRuns = {
      texts: new Array<string>(this.runs.length).fill(''),
      bytes: new Array<Uint8Array>(this.runs.length).fill(NO_BYTES),
    };
    if (builtin) {
      const shape = this.runs.slice(0, BUILTIN_RUNS.count).map((r) => `${r.per}:${r.fields.join(',')}`);
      const expected = [
        'allele:0',
        'pair:1',
        'pair:2',
        'transcript:3,4,5,6,7',
        'pair:8',
        'pair:9',
        'pair:10',
        'pair:11',
        'pair:12',
        'pair:13',
        'pair:14',
        'pair:15',
        'pair:16',
        'allele:17',
        'pair:18',
        'transcript:19,20,21,22',
        'allele:23',
        'transcript:24',
        'allele:25',
      ];
      if (shape.join(' ') !== expected.join(' ')) throw new Error('CSQ_FIELDS changed: update BUILTIN_RUNS');
    }
  }

  /** One field's value, escaped for CSQ. */
  private fieldText(i: number, c: TranscriptConsequence): string {
    const f = this.fields[i]!;
    const v = f.value(c, this.ctx);
    return f.safe ? v : escapeCsqValue(v, i === 0);
  }

  /**
   * The text of every run of kind `per`, fields joined by `|`, filled into `into` (allele runs
   * reuse one pair of arrays: they live until the next allele) or into new arrays (transcript
   * runs are cached), whose other runs are '' with no bytes. Only the runs of that kind are
   * visited (4 of 26 for an allele: walking them all was ~2% of a 1 M run).
   */
  private runTexts(per: 'allele' | 'transcript', c: TranscriptConsequence, into?: RunTexts): RunTexts {
    const runs = this.runs;
    const target = into ?? {
      texts: new Array<string>(runs.length).fill(''),
      bytes: new Array<Uint8Array>(runs.length).fill(NO_BYTES),
    };
    const wanted = per === 'allele' ? this.runsOf.allele : this.runsOf.transcript;
    for (let w = 0; w < wanted.length; w++) {
      const r = wanted[w]!;
      const fields = runs[r]!.fields;
      let text = this.fieldText(fields[0]!, c);
      for (let k = 1; k < fields.length; k++) text += `|${this.fieldText(fields[k]!, c)}`;
      // an allele's run mostly repeats the last allele's (ALLELE_NUM 1, SNV, no known IDs):
      // a string compare instead of a lookup of the text's bytes
      if (text !== target.texts[r]) {
        target.texts[r] = text;
        target.bytes[r] = wordBytes(text);
      }
    }
    return target;
  }

  /** One CSQ entry (one allele x transcript) appended to `out`. */
  private writeEntry(out: ByteBuilder, c: TranscriptConsequence): void {
    const t = c.transcript;
    let byTranscript = t ? this.cache.get(t) : this.intergenic;
    if (byTranscript === undefined || byTranscript === null) {
      byTranscript = { ...this.runTexts('transcript', c), heads: [], tails: [] };
      if (t) this.cache.set(t, byTranscript);
      else this.intergenic = byTranscript;
    }
    if (c.allele !== this.lastAllele) {
      this.lastAllele = c.allele;
      this.runTexts('allele', c, this.lastAlleleRuns);
    }
    const byAllele = this.lastAlleleRuns;
    const runs = this.runs;
    const from = this.builtinRuns;
    if (from > 0) writeBuiltinEntry(out, c, byTranscript, byAllele.bytes);
    for (let r = from; r < runs.length; r++) {
      if (r > 0) out.byte(124 /* | */);
      const run = runs[r]!;
      if (run.per === 'transcript') out.str(byTranscript.texts[r]!);
      else if (run.per === 'allele') out.str(byAllele.texts[r]!);
      else {
        const i = run.fields[0]!;
        const f = this.fields[i]!;
        if (f.write !== undefined && f.safe) f.write(c, out);
        else out.str(this.fieldText(i, c));
      }
    }
  }

  /** A record's CSQ value (its entries joined by `,`) appended to `out`. */
  write(out: ByteBuilder, consequences: readonly TranscriptConsequence[]): void {
    for (let i = 0; i < consequences.length; i++) {
      if (i > 0) out.byte(44 /* , */);
      this.writeEntry(out, consequences[i]!);
    }
  }

  /** One CSQ entry (one allele x transcript) as a string. */
  entry(c: TranscriptConsequence): string {
    return this.value([c]);
  }

  /** The CSQ value of a record as a string: its entries joined by `,`. */
  value(consequences: readonly TranscriptConsequence[]): string {
    const out = new ByteBuilder(4096);
    this.write(out, consequences);
    return out.buf.toString('latin1', 0, out.length);
  }
}

/**
 * Latin1 bytes of the texts entries repeat (SO terms, impacts, allele runs such as `A`, `1`,
 * `SNV`), encoded once each: a per-allele `Buffer.from` was ~7% of a 1 M run. Emptied when it
 * reaches WORD_BYTES_MAX entries (inserted alleles are many and rarely repeat).
 */
const WORD_BYTES = new Map<string, Uint8Array>();
/** The bytes of '' (runs of another kind in a RunTexts). */
const NO_BYTES = new Uint8Array(0);
const WORD_BYTES_MAX = 4096;
const SINGLE_CHAR_BYTES = Array.from({ length: 256 }, (_, code) => Uint8Array.of(code));

function wordBytes(word: string): Uint8Array {
  // one-character words (SNV alleles, ALLELE_NUM 1-9) by character code, without hashing
  if (word.length === 1) {
    const code = word.charCodeAt(0);
    if (code < 256) return SINGLE_CHAR_BYTES[code]!;
  }
  let b = WORD_BYTES.get(word);
  if (b === undefined) {
    if (WORD_BYTES.size >= WORD_BYTES_MAX) WORD_BYTES.clear();
    b = Buffer.from(word, 'latin1');
    WORD_BYTES.set(word, b);
  }
  return b;
}

/**
 * The fixed VEP fields of one entry (CSQ_FIELDS, Allele ... VARIANT_CLASS), written field by
 * field in one monomorphic function: the same bytes the generic loop writes, without a call per
 * field (profiled: the per-field closure calls were most of the CSQ cost). `byTranscript` is the
 * transcript's cached runs (with the heads and tails it kept), `byAllele` the allele's run bytes,
 * indexed as BUILTIN_RUNS says.
 *
 * The entry's size is bounded first (every piece's length is known: cached bytes, the pair
 * strings, at most 21 characters for DISTANCE), the buffer grown once, and the bytes then go in
 * through a local buffer and offset: `ByteBuilder`'s per-call bound checks and field loads
 * were ~10% of a 1 M run.
 */
function writeBuiltinEntry(
  out: ByteBuilder,
  c: TranscriptConsequence,
  byTranscript: TranscriptRuns,
  byAllele: readonly Uint8Array[],
): void {
  const PIPE = 124;
  const allele = byAllele[BUILTIN_RUNS.allele]!;
  const existing = byAllele[BUILTIN_RUNS.existingVariation]!;
  const head = entryHead(byTranscript, c);
  const tail = entryTail(byTranscript, byAllele);
  out.reserve(
    BUILTIN_RUNS.count +
      MAX_INT_CHARS +
      allele.length +
      head.length +
      existing.length +
      tail.length +
      optLength(c.exon) +
      optLength(c.intron) +
      optLength(c.hgvsc) +
      optLength(c.hgvsp) +
      optLength(c.cdnaPosition) +
      optLength(c.cdsPosition) +
      optLength(c.proteinPosition) +
      optLength(c.aminoAcids) +
      optLength(c.codons),
  );
  let buf = out.buf;
  let at = out.length;
  at = putBytes(buf, at, allele);
  buf[at++] = PIPE;
  at = putBytes(buf, at, head); // ends with the | after BIOTYPE
  at = putText(buf, at, c.exon);
  buf[at++] = PIPE;
  at = putText(buf, at, c.intron);
  buf[at++] = PIPE;
  at = putText(buf, at, c.hgvsc);
  buf[at++] = PIPE;
  at = putText(buf, at, c.hgvsp);
  buf[at++] = PIPE;
  at = putText(buf, at, c.cdnaPosition);
  buf[at++] = PIPE;
  at = putText(buf, at, c.cdsPosition);
  buf[at++] = PIPE;
  at = putText(buf, at, c.proteinPosition);
  buf[at++] = PIPE;
  at = putText(buf, at, c.aminoAcids);
  buf[at++] = PIPE;
  at = putText(buf, at, c.codons);
  buf[at++] = PIPE;
  at = putBytes(buf, at, existing);
  buf[at++] = PIPE;
  if (c.distance !== null) {
    out.length = at;
    out.int(c.distance); // within the reserved MAX_INT_CHARS
    buf = out.buf;
    at = out.length;
  }
  at = putBytes(buf, at, tail); // starts with the | after DISTANCE
  out.length = at;
}

/** `terms|IMPACT|SYMBOL..BIOTYPE|` of an entry: one the transcript kept when one fits (EntryHead). */
function entryHead(byTranscript: TranscriptRuns, c: TranscriptConsequence): Uint8Array {
  const terms = c.consequences;
  const kept = byTranscript.heads;
  for (let k = kept.length - 1; k >= 0; k--) {
    const h = kept[k]!;
    if (h.impact !== c.impact || h.terms.length !== terms.length) continue;
    let same = true;
    for (let i = 0; i < terms.length && same; i++) same = h.terms[i] === terms[i];
    if (same) return h.bytes;
  }
  const parts: Uint8Array[] = [];
  for (let i = 0; i < terms.length; i++) {
    if (i > 0) parts.push(AMPERSAND);
    parts.push(wordBytes(terms[i]!));
  }
  parts.push(PIPE_BYTES, wordBytes(c.impact), PIPE_BYTES);
  parts.push(byTranscript.bytes[BUILTIN_RUNS.symbolToBiotype]!, PIPE_BYTES);
  const bytes = Buffer.concat(parts);
  if (kept.length === ENTRY_PARTS_KEPT) kept.shift();
  kept.push({ terms: terms.slice(), impact: c.impact, bytes });
  return bytes;
}

/** `|STRAND..HGNC_ID|ALLELE_NUM|SOURCE|VARIANT_CLASS` of an entry: one the transcript kept when one fits (EntryTail). */
function entryTail(byTranscript: TranscriptRuns, byAllele: readonly Uint8Array[]): Uint8Array {
  const alleleNum = byAllele[BUILTIN_RUNS.alleleNum]!;
  const variantClass = byAllele[BUILTIN_RUNS.variantClass]!;
  const kept = byTranscript.tails;
  for (let k = kept.length - 1; k >= 0; k--) {
    const t = kept[k]!;
    if (t.alleleNum === alleleNum && t.variantClass === variantClass) return t.bytes;
  }
  const t = byTranscript.bytes;
  const bytes = Buffer.concat([
    PIPE_BYTES,
    t[BUILTIN_RUNS.strandToHgnc]!,
    PIPE_BYTES,
    alleleNum,
    PIPE_BYTES,
    t[BUILTIN_RUNS.source]!,
    PIPE_BYTES,
    variantClass,
  ]);
  if (kept.length === ENTRY_PARTS_KEPT) kept.shift();
  kept.push({ alleleNum, variantClass, bytes });
  return bytes;
}

const PIPE_BYTES = Uint8Array.of(124);
const AMPERSAND = Uint8Array.of(38);

/** Room for any integer `ByteBuilder#int` writes in full (sign and 20 digits). */
const MAX_INT_CHARS = 21;

function optLength(s: string | null): number {
  return s === null ? 0 : s.length;
}

/**
 * Cached runs at least this long go in by `TypedArray#set`, shorter ones by a JS loop. Lower
 * than ByteBuilder's NATIVE_COPY_BYTES: here SO terms (14-30 bytes), the source file name and
 * the SYMBOL..BIOTYPE run (~60) were JS loops, ~5% of a 200 k profile; measured 1 M records,
 * 4 runs side by side, median ratio 0.94 against 64 (4: 0.97 against 16, not kept).
 */
const ENTRY_NATIVE_COPY_BYTES = 16;

/** `b` copied into `buf` at `at` (room already made); returns the offset after it. */
function putBytes(buf: Buffer, at: number, b: Uint8Array): number {
  const n = b.length;
  if (n >= ENTRY_NATIVE_COPY_BYTES) {
    buf.set(b, at);
    return at + n;
  }
  for (let i = 0; i < n; i++) buf[at++] = b[i]!;
  return at;
}

/** A latin1 string (nothing when null) copied into `buf` at `at` (room already made); returns the offset after it. */
function putText(buf: Buffer, at: number, s: string | null): number {
  if (s === null) return at;
  const n = s.length;
  if (n >= NATIVE_COPY_CHARS) return at + (buf as Latin1Writable).latin1Write(s, at, n);
  for (let i = 0; i < n; i++) buf[at++] = s.charCodeAt(i);
  return at;
}
