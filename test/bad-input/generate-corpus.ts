/**
 * The bad-input corpus (issue #10): a few hundred malformed or hostile VCFs derived from the
 * shared inputs (`../shared/data/inputs`), each with the outcome a user should see.
 *
 * Determinism: everything random comes from one seeded generator (mulberry32), so a seed names
 * a corpus exactly; files are built in memory at test time and never checked in. Compression
 * uses Node's zlib and, for BGZF, the `bgzip` binary (htslib, installed with the stack), both
 * deterministic for the same input.
 *
 * Expected outcomes are derived from the VCF specification and from what the mutation did,
 * not from what the engine happens to print:
 *   - `failed`: the whole file is unusable (empty, binary, foreign format, broken #CHROM line,
 *     wrong assembly, a decompression bomb); the job's message must match `message`, and
 *     carry `line N` when `line` is given.
 *   - `completed`: the file is usable; `skippedLines` is the exact set of input lines (1-based,
 *     header lines counted) that must be reported as skipped, with line numbers; an empty set
 *     means a clean run. When a truncated compressed stream makes the exact line depend on how
 *     much a decoder recovers, `skipPattern` names the problem instead and any line is accepted.
 *     `noteLines` are notes about the file that cost no record (a missing #CHROM line): listed
 *     with their line, not counted in `records_skipped`.
 *
 * Run as a script to look at a corpus: `pnpm exec tsx test/bad-input/generate-corpus.ts
 * [--seed N] [--out DIR]` writes the files and `manifest.json` and prints counts per family.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, gunzipSync, gzipSync, inflateRawSync } from 'node:zlib';
import { seededRandom } from '../../packages/annotation-engine/src/seeded-random.ts';

export type ExpectedOutcome =
  | { outcome: 'failed'; message: RegExp; line?: number }
  | {
      outcome: 'completed';
      skippedLines: number[];
      skipPattern?: RegExp;
      records?: number;
      /** Lines of notes about the file (a missing #CHROM line): listed, not skipped records. */
      noteLines?: number[];
    };

export interface CorpusCase {
  /** `<family>-<nn>`: unique, used as the upload's file name stem and in failure reports. */
  name: string;
  family: string;
  fileName: string;
  bytes: Buffer;
  expected: ExpectedOutcome;
  /** What was done to the source, for a person reading a failure. */
  note: string;
}

export const DEFAULT_SEED = 20261122;

/** GRCh38 chr21 length in the shared FASTA (reference/grch38-chr21/chr21.fa.gz.fai). */
const CHR21_LENGTH = 46_709_983;

/** The Free plan's upload limit (services/web FREE_UPLOAD_LIMIT_BYTES): bombs stay under it. */
export const FREE_UPLOAD_LIMIT_BYTES = 153_600;

/** A VCF as lines (no line ends), split into header and records, plus where records start. */
interface SourceVcf {
  header: string[];
  records: string[];
  /** Columns per data line (8, or 9 + samples). */
  columns: number;
}

function parseSource(text: string): SourceVcf {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const header = lines.filter((l) => l.startsWith('#'));
  const records = lines.filter((l) => !l.startsWith('#'));
  return { header, records, columns: header.at(-1)!.split('\t').length };
}

const joinLines = (lines: string[]) => `${lines.join('\n')}\n`;

/** 1-based line number of record `i` (0-based) of a source written without changes. */
const lineOf = (src: SourceVcf, i: number) => src.header.length + i + 1;

function bgzip(data: Buffer): Buffer {
  return execFileSync('bgzip', ['-c'], { input: data, maxBuffer: 256 * 1024 * 1024 });
}

/** What a decoder recovers from a truncated gzip stream (sync flush: everything decodable). */
function gunzipPrefix(gz: Buffer): Buffer {
  try {
    return gunzipSync(gz, { finishFlush: constants.Z_SYNC_FLUSH });
  } catch {
    return Buffer.alloc(0);
  }
}

/** Per-member decoding of a cut BGZF file: whole blocks, then what the cut block yields. */
function bgzfPrefix(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 18 <= data.length) {
    const blockSize = data.readUInt16LE(at + 16) + 1;
    const deflated = data.subarray(at + 18, Math.min(at + blockSize - 8, data.length));
    try {
      parts.push(inflateRawSync(deflated, { finishFlush: constants.Z_SYNC_FLUSH }));
    } catch {
      break;
    }
    at += blockSize;
  }
  return Buffer.concat(parts);
}

function randomBytes(random: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(random() * 256);
  return b;
}

/** Random bytes with at least one control character and no line ends (a splice that stays on its line). */
function binarySplice(random: () => number, n: number): Buffer {
  const b = randomBytes(random, n);
  for (let i = 0; i < n; i++) if (b[i] === 0x0a || b[i] === 0x0d) b[i] = 0x00;
  b[Math.floor(random() * n)] = Math.floor(random() * 8) + 1; // a control byte 0x01-0x08
  return b;
}

export function generateCorpus(options: { sharedData: string; seed?: number }): CorpusCase[] {
  const seed = options.seed ?? DEFAULT_SEED;
  const random = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const inputs = join(options.sharedData, 'inputs');

  const vepText = readFileSync(join(inputs, 'vep-test.chr21.vcf'), 'latin1');
  const vep = parseSource(vepText);
  const synAll = gunzipSync(readFileSync(join(inputs, 'synthetic-100k.chr21.vcf.gz'))).toString('latin1');
  const synLines = synAll.slice(0, 400_000).split('\n');
  synLines.pop(); // a partial line
  const syn = parseSource(joinLines(synLines.slice(0, 305)));
  // Several 64 kB BGZF blocks from few records (annotation costs per record): long INFO values.
  const note = () => Array.from({ length: 220 }, () => 'ACGTacgt_.'[int(0, 9)]).join('');
  const synBig = parseSource(
    joinLines([
      ...syn.header.slice(0, -1),
      '##INFO=<ID=NOTE,Number=1,Type=String,Description="padding">',
      syn.header.at(-1)!,
      ...synLines.slice(5, 1_005).map((l) => `${l};NOTE=${note()}`),
    ]),
  );
  const g37Lines = gunzipSync(readFileSync(join(inputs, '1kg-phase1.grch37.chr1-head.1092-samples.vcf.gz')))
    .toString('latin1')
    .split('\n', 60);
  const g37 = parseSource(joinLines(g37Lines.filter((l) => l !== '')));

  const cases: CorpusCase[] = [];
  const counters = new Map<string, number>();
  const add = (
    family: string,
    bytes: Buffer | string,
    expected: ExpectedOutcome,
    note: string,
    ext = '.vcf',
  ) => {
    const n = (counters.get(family) ?? 0) + 1;
    counters.set(family, n);
    const name = `${family}-${String(n).padStart(2, '0')}`;
    cases.push({
      name,
      family,
      fileName: `${name}${ext}`,
      bytes: typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes,
      expected,
      note,
    });
  };
  const clean = (records?: number): ExpectedOutcome => ({
    outcome: 'completed',
    skippedLines: [],
    ...(records === undefined ? {} : { records }),
  });
  const skips = (lines: number[], records?: number): ExpectedOutcome => ({
    outcome: 'completed',
    skippedLines: [...new Set(lines)].sort((a, b) => a - b),
    ...(records === undefined ? {} : { records }),
  });
  /** Every record annotated; a note about the file (not a skipped record) on `line`. */
  const noted = (line: number): ExpectedOutcome => ({
    outcome: 'completed',
    skippedLines: [],
    noteLines: [line],
  });
  const fails = (message: RegExp, line?: number): ExpectedOutcome => ({
    outcome: 'failed',
    message,
    ...(line === undefined ? {} : { line }),
  });
  /** The source with some records replaced (index -> new line text). */
  const withRecords = (src: SourceVcf, changes: Map<number, string>) =>
    joinLines([...src.header, ...src.records.map((r, i) => changes.get(i) ?? r)]);
  /** Changes one column of `count` random records with `mutate`; the changed lines are skipped. */
  const mutateColumn = (
    family: string,
    src: SourceVcf,
    column: number,
    values: readonly string[],
    count = 1,
    bad = true,
  ) => {
    for (const value of values) {
      const changes = new Map<number, string>();
      while (changes.size < count) {
        const i = int(0, src.records.length - 1);
        const cols = src.records[i]!.split('\t');
        cols[column] = value;
        changes.set(i, cols.join('\t'));
      }
      add(
        family,
        withRecords(src, changes),
        bad ? skips([...changes.keys()].map((i) => lineOf(src, i))) : clean(src.records.length),
        `column ${column + 1} set to ${JSON.stringify(value.slice(0, 40))} on ${count} record(s)`,
      );
    }
  };

  // ---- the shared inputs as they are (controls; the parser edge cases VEP tests) ----------
  // Records on contigs the chr21 reference lacks are skipped; a file with only those fails.
  const reference = new Set(['21', 'chr21', 'NC_000021.9']);
  for (const file of [
    'vep-test.chr21.vcf',
    'vep-windows-crlf.vcf',
    'vep-test-not-ordered.vcf',
    'vep-test-no-transcripts.vcf',
    'vep-idt-test.vcf',
  ]) {
    const bytes = readFileSync(join(inputs, file));
    const lines = bytes.toString('latin1').split(/\r?\n/);
    const data = lines.map((l, i) => ({ l, n: i + 1 })).filter(({ l }) => l !== '' && !l.startsWith('#'));
    const elsewhere = data.filter(({ l }) => !reference.has(l.split('\t')[0]!)).map(({ n }) => n);
    add(
      'shared-input',
      bytes,
      elsewhere.length === data.length
        ? fails(/none of the .* on a contig of the reference/)
        : skips(elsewhere, data.length),
      `${file} as it is`,
    );
  }

  // ---- truncated plain text at random byte offsets in the records ---------------------------
  const vepHeaderBytes = Buffer.byteLength(joinLines(vep.header));
  for (let k = 0; k < 20; k++) {
    const cut = int(vepHeaderBytes + 1, vepText.length - 2);
    const text = vepText.slice(0, cut);
    const lines = text.split('\n');
    const partial = lines.pop()!;
    const complete = lines.length;
    const records = complete - vep.header.length;
    // A cut inside the last column leaves a line VCF cannot tell from a whole one.
    const partialColumns = partial === '' ? 0 : partial.split('\t').length;
    if (partial === '') add('truncated-plain', text, clean(records), `cut at byte ${cut} (a line end)`);
    else if (partialColumns < vep.columns)
      add('truncated-plain', text, skips([complete + 1], records), `cut at byte ${cut}, mid-line`);
    else add('truncated-plain', text, clean(records + 1), `cut at byte ${cut}, in the last column`);
  }
  // ... and in the header: a cut #CHROM line is broken; a cut before it leaves a header-only file
  const chromStart = vepHeaderBytes - Buffer.byteLength(`${vep.header.at(-1)!}\n`);
  for (const cut of [chromStart + 3, chromStart + 12, chromStart + 30]) {
    add(
      'truncated-header',
      vepText.slice(0, cut),
      fails(/#CHROM header line/, vep.header.length),
      `cut at byte ${cut}, inside the #CHROM line`,
    );
  }
  for (let k = 0; k < 3; k++) {
    const cut = int(30, chromStart - 1);
    add('truncated-header', vepText.slice(0, cut), clean(0), `cut at byte ${cut}, before the #CHROM line`);
  }

  // ---- truncated gzip and BGZF ---------------------------------------------------------------
  const synGz = gzipSync(Buffer.from(joinLines([...syn.header, ...syn.records]), 'latin1'));
  for (let k = 0; k < 12; k++) {
    const cut = int(Math.floor(synGz.length * 0.3), synGz.length - 9);
    const gz = synGz.subarray(0, cut);
    const prefix = gunzipPrefix(gz).toString('latin1');
    const expected: ExpectedOutcome = prefix.includes(syn.header.at(-1)!)
      ? { outcome: 'completed', skippedLines: [], skipPattern: /truncated|ends early/ }
      : fails(/gzip stream ends early|truncated/);
    add('truncated-gzip', gz, expected, `gzip cut at byte ${cut} of ${synGz.length}`, '.vcf.gz');
  }
  for (const cut of [1, 2, 5, 10, 20]) {
    add(
      'truncated-gzip',
      synGz.subarray(0, cut),
      fails(cut < 2 ? /binary data/ : /gzip stream ends early|truncated/),
      `gzip cut at byte ${cut}, before any text`,
      '.vcf.gz',
    );
  }
  const synBgz = bgzip(Buffer.from(joinLines([...synBig.header, ...synBig.records]), 'latin1'));
  const blockStarts: number[] = [];
  for (let at = 0; at < synBgz.length; at += synBgz.readUInt16LE(at + 16) + 1) blockStarts.push(at);
  // the last start is the 28-byte EOF block
  for (let k = 0; k < 8; k++) {
    const b = int(1, blockStarts.length - 2);
    const cut = int(blockStarts[b]! + 20, blockStarts[b + 1]! - 9);
    add(
      'truncated-bgzip',
      synBgz.subarray(0, cut),
      { outcome: 'completed', skippedLines: [], skipPattern: /truncated|ends early/ },
      `BGZF cut at byte ${cut}, inside block ${b + 1} of ${blockStarts.length - 1}`,
      '.vcf.gz',
    );
  }
  for (const b of [1, blockStarts.length - 1]) {
    // Cut at a block boundary: whole members, no EOF block. Readable; the last line may be partial.
    const data = synBgz.subarray(0, blockStarts[b]);
    const text = bgzfPrefix(data).toString('latin1');
    const lines = text.split('\n');
    const partial = lines.pop()!;
    const records = lines.length - synBig.header.length;
    add(
      'truncated-bgzip',
      data,
      partial === ''
        ? clean(records)
        : partial.split('\t').length < synBig.columns
          ? skips([lines.length + 1], records)
          : clean(records + 1),
      `BGZF cut at the start of block ${b + 1} (no EOF marker)`,
      '.vcf.gz',
    );
  }

  // ---- binary files and foreign formats -------------------------------------------------------
  for (let k = 0; k < 10; k++) {
    const b = randomBytes(random, int(64, 64 * 1024));
    b[0] = 0x01 + int(0, 6); // never a line end, never a known magic number
    add('binary', b, fails(/binary data/, 1), `${b.length} random bytes`);
  }
  for (let k = 0; k < 3; k++) {
    const b = Buffer.concat([Buffer.from('\n'), randomBytes(random, int(2048, 16 * 1024))]);
    add('binary', b, fails(/not a VCF/), 'random bytes after an empty first line');
  }
  const foreign: Array<[string, Buffer, RegExp]> = [
    ['zip', Buffer.from('504b0304140000000800', 'hex'), /zip/],
    ['bzip2', Buffer.from('425a6839314159265359', 'hex'), /bzip2/],
    ['xz', Buffer.from('fd377a585a000004e6d6b446', 'hex'), /xz/],
    ['zstd', Buffer.from('28b52ffd2400', 'hex'), /zstd/],
    ['bcf', gzipSync(Buffer.concat([Buffer.from('BCF\x02\x02'), randomBytes(random, 200)])), /BCF/],
    ['bam', gzipSync(Buffer.concat([Buffer.from('BAM\x01'), randomBytes(random, 200)])), /BAM/],
    [
      'png',
      Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), randomBytes(random, 300)]),
      /not a VCF/,
    ],
    ['gzip-in-gzip', gzipSync(gzipSync(Buffer.from(vepText, 'latin1'))), /binary data/],
  ];
  for (const [what, bytes, message] of foreign) {
    const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b; // random bytes after it would be a corrupt stream
    add(
      'foreign-format',
      gzipped ? bytes : Buffer.concat([bytes, randomBytes(random, 64)]),
      fails(message),
      what,
    );
  }

  // ---- binary spliced into a valid file -------------------------------------------------------
  for (let k = 0; k < 12; k++) {
    const i = int(0, vep.records.length - 1);
    const line = Buffer.from(vep.records[i]!, 'latin1');
    // inside CHROM ... INFO: the sample columns are copied, not parsed (VCF samples are lazy)
    const at = int(0, vep.records[i]!.split('\t').slice(0, 8).join('\t').length);
    const spliced = Buffer.concat([
      line.subarray(0, at),
      binarySplice(random, int(1, 200)),
      line.subarray(at),
    ]);
    add(
      'binary-spliced',
      withRecords(vep, new Map([[i, spliced.toString('latin1')]])),
      skips([lineOf(vep, i)]),
      `binary bytes inside record line ${lineOf(vep, i)}`,
    );
  }
  for (let k = 0; k < 3; k++) {
    const h = int(1, vep.header.length - 2); // a ## line other than the first
    const header = [...vep.header];
    header[h] = `${header[h]}${binarySplice(random, 16).toString('latin1')}`;
    add(
      'binary-spliced',
      joinLines([...header, ...vep.records]),
      skips([h + 1]),
      `binary in meta line ${h + 1}`,
    );
  }
  add(
    'binary-spliced',
    Buffer.concat([binarySplice(random, 32), Buffer.from(vepText, 'latin1')]),
    fails(/binary data/, 1),
    'binary bytes before the first line',
  );

  // ---- column count and separators --------------------------------------------------------
  for (let k = 0; k < 12; k++) {
    const changes = new Map<number, string>();
    const n = int(1, 3);
    while (changes.size < n) {
      const i = int(0, vep.records.length - 1);
      const cols = vep.records[i]!.split('\t');
      const kind = int(0, 2);
      if (kind === 0)
        cols.splice(int(1, cols.length - 1), int(1, 4)); // columns missing
      else if (kind === 1) cols.splice(int(1, cols.length), 0, 'extra'); // one too many
      changes.set(i, kind === 2 ? cols.join(' ') : cols.join('\t')); // kind 2: spaces for tabs
    }
    add(
      'wrong-columns',
      withRecords(vep, changes),
      skips([...changes.keys()].map((i) => lineOf(vep, i))),
      `${n} record(s) with missing, extra or space-separated columns`,
    );
  }
  add(
    'wrong-columns',
    joinLines([...vep.header.slice(0, -1), vep.header.at(-1)!.replaceAll('\t', ' '), ...vep.records]),
    fails(/#CHROM header line/, vep.header.length),
    '#CHROM line separated by spaces',
  );
  add(
    'wrong-columns',
    joinLines([...vep.header.slice(0, -1), '#CHROM\tPOS\tID\tREF\tALT', ...vep.records]),
    fails(/#CHROM header line/, vep.header.length),
    '#CHROM line with five columns',
  );
  add(
    'wrong-columns',
    joinLines([...vep.header.slice(0, -1), vep.header.at(-1)!.replace('FORMAT', 'FMT'), ...vep.records]),
    fails(/FORMAT/, vep.header.length),
    'column 9 of #CHROM is not FORMAT',
  );
  {
    const changes = new Map<number, string>();
    for (let i = 0; i < vep.records.length; i++) changes.set(i, vep.records[i]!.replaceAll('\t', ' '));
    add(
      'wrong-columns',
      withRecords(vep, changes),
      skips([...changes.keys()].map((i) => lineOf(vep, i))),
      'every record separated by spaces',
    );
  }

  // ---- bad POS, REF, ALT, INFO --------------------------------------------------------------
  mutateColumn('bad-pos', vep, 1, [
    '0',
    '-5',
    'abc',
    '1e5',
    '',
    '25585733.0',
    '99999999999',
    '12a',
    ' 25585733',
  ]);
  mutateColumn('bad-pos', vep, 1, [String(CHR21_LENGTH + 1), String(CHR21_LENGTH + 50_000), '2147483647']);
  mutateColumn('bad-pos', syn, 1, ['-1', 'NaN'], 5);
  mutateColumn('bad-ref', vep, 3, ['X', '', 'ACGU', 'C T', '.', 'R', '<DEL>', 'C,A']);
  mutateColumn('bad-alt', vep, 4, ['Z', ',T', 'T,,A', '<DEL', 'T G', 'A,.', '<a>b>', 'T,']);
  mutateColumn('bad-info', syn, 7, [
    'DP=1;;AF=0.5',
    '=5',
    'AF 0.5',
    'D P=3',
    ';AF=1',
    '',
    'A\u00e9=1',
    'X:Y=1',
  ]);
  // valid INFO that looks odd: a flag, a trailing ";", a non-ASCII value (only keys are restricted)
  mutateColumn('bad-info', syn, 7, ['AF=0.5;DP', 'SYN;', 'K=\u00fc'], 2, false);

  // ---- REF that disagrees with the FASTA, and contigs --------------------------------------
  {
    const i = int(0, vep.records.length - 1);
    const cols = vep.records[i]!.split('\t');
    cols[3] = cols[3] === 'A' ? 'G' : 'A';
    cols[4] = cols[3] === 'A' ? 'C' : 'T';
    add(
      'ref-mismatch',
      withRecords(vep, new Map([[i, cols.join('\t')]])),
      skips([lineOf(vep, i)]),
      'one wrong REF',
    );
  }
  for (const contig of ['22', 'chrUn_gl000220', 'foo', 'MT', 'chr1']) {
    const changes = new Map<number, string>();
    while (changes.size < 3) {
      const i = int(0, vep.records.length - 1);
      changes.set(i, vep.records[i]!.replace(/^21\t/, `${contig}\t`));
    }
    add(
      'unknown-contig',
      withRecords(vep, changes),
      skips([...changes.keys()].map((i) => lineOf(vep, i))),
      `3 records on contig ${contig}`,
    );
  }
  for (const contig of ['chr21', 'NC_000021.9']) {
    const changes = new Map(vep.records.map((r, i) => [i, r.replace(/^21\t/, `${contig}\t`)]));
    add('contig-synonym', withRecords(vep, changes), clean(132), `every record on ${contig}`);
  }
  add(
    'unknown-contig',
    withRecords(vep, new Map(vep.records.map((r, i) => [i, r.replace(/^21\t/, '22\t')]))),
    fails(/none of the .* records is on a contig of the reference/),
    'every record on contig 22',
  );

  // ---- wrong assembly -----------------------------------------------------------------------
  add(
    'wrong-assembly',
    joinLines([...g37.header, ...g37.records]),
    fails(/contig|assembly|GRCh37/),
    '1000 Genomes GRCh37 chr1',
  );
  add(
    'wrong-assembly',
    gzipSync(Buffer.from(joinLines([...g37.header, ...g37.records]), 'latin1')),
    fails(/contig|assembly|GRCh37/),
    '1000 Genomes GRCh37 chr1, gzip',
    '.vcf.gz',
  );
  for (const shift of [-500_000, -312_345, 7]) {
    // chr21 records moved as between assemblies, still inside the real sequence: REF no longer matches
    const header = [vep.header[0]!, '##reference=GRCh37', ...vep.header.slice(1)];
    const records = vep.records.map((r) => {
      const cols = r.split('\t');
      cols[1] = String(Number(cols[1]) + shift);
      return cols.join('\t');
    });
    add(
      'wrong-assembly',
      joinLines([...header, ...records]),
      fails(/assembly|GRCh37/),
      `positions shifted by ${shift}`,
    );
  }

  // ---- headers: missing, only, empty ----------------------------------------------------------
  add(
    'missing-header',
    joinLines([...vep.header.slice(0, -1), ...vep.records]),
    noted(vep.header.length),
    'no #CHROM line',
  );
  add(
    'missing-header',
    joinLines([...vep.header.slice(1), ...vep.records]),
    clean(132),
    'no ##fileformat line',
  );
  add('missing-header', joinLines(vep.records), noted(1), 'no header at all');
  add(
    'missing-header',
    joinLines(syn.records.map((r) => r.split('\t').slice(0, 5).join('\t'))),
    noted(1),
    'no header, five columns (as VEP accepts)',
  );
  add(
    'missing-header',
    joinLines([vep.header[0]!, ...vep.records]),
    noted(2),
    'only ##fileformat, no #CHROM line',
  );
  add('header-only', joinLines(vep.header), clean(0), 'vep-test header, no records');
  add('header-only', joinLines(syn.header), clean(0), 'synthetic header, no records');
  add('header-only', gzipSync(joinLines(syn.header)), clean(0), 'header only, gzip', '.vcf.gz');
  add('header-only', `${joinLines(vep.header)}\n\n\n`, clean(0), 'header and blank lines');
  add('header-only', joinLines([vep.header[0]!]), clean(0), 'only the ##fileformat line');
  add('empty', '', fails(/empty/), '0 bytes');
  add('empty', gzipSync(Buffer.alloc(0)), fails(/empty/), 'gzip of nothing', '.vcf.gz');
  add('empty', '\n', fails(/empty/), 'one line end');
  add('empty', '\n\n\n\n', fails(/empty/), 'line ends only');
  add('empty', '   \n\t\n', fails(/not a VCF/), 'white space only');

  // ---- line ends and encodings ----------------------------------------------------------------
  add('line-ends', vepText.replaceAll('\n', '\r\n'), clean(132), 'CRLF');
  add(
    'line-ends',
    vepText
      .split('\n')
      .map((l, i) => (i % 2 ? `${l}\r` : l))
      .join('\n'),
    clean(132),
    'mixed CRLF and LF',
  );
  add('line-ends', vepText.replaceAll('\n', '\r'), fails(/CR only/, 1), 'CR only (classic Mac)');
  add('line-ends', vepText.trimEnd(), clean(132), 'no line end after the last record');
  add(
    'encoding',
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(vepText, 'latin1')]),
    clean(132),
    'UTF-8 byte order mark',
  );
  add(
    'encoding',
    Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(vepText, 'utf16le')]),
    fails(/UTF-16 text/, 1),
    'UTF-16LE with byte order mark',
  );
  add(
    'encoding',
    Buffer.from(vepText, 'utf16le').swap16(),
    fails(/UTF-16 text/, 1),
    'UTF-16BE without byte order mark',
  );
  {
    const header = [...vep.header];
    header.splice(
      1,
      0,
      '##source=Universit\u00e4t M\u00fcnchen pipeline \u00a9',
      '##comment=caf\u00e9 na\u00efve',
    );
    add('encoding', joinLines([...header, ...vep.records]), clean(132), 'Latin-1 bytes in meta lines');
    add(
      'encoding',
      Buffer.from(joinLines([...header, ...vep.records]), 'utf8'),
      clean(132),
      'UTF-8 text in meta lines',
    );
    const changes = new Map([[int(0, 131), '']]);
    const [i] = [...changes.keys()];
    const cols = vep.records[i!]!.split('\t');
    cols[2] = 'rs\u00e9\u00e8';
    changes.set(i!, cols.join('\t'));
    add('encoding', withRecords(vep, changes), clean(132), 'Latin-1 bytes in an ID');
  }
  {
    const i = int(0, vep.records.length - 1);
    const line = vep.records[i]!;
    add(
      'nul-bytes',
      withRecords(vep, new Map([[i, `${line.slice(0, 5)}\0${line.slice(5)}`]])),
      skips([lineOf(vep, i)]),
      'NUL inside a record',
    );
    add(
      'nul-bytes',
      withRecords(vep, new Map([[i, `${line.slice(0, -1)}\0${line.slice(-1)}`]])),
      skips([lineOf(vep, i)]),
      'NUL in the sample column of a record',
    );
    add('nul-bytes', `\0\0\0\0${vepText}`, fails(/binary data/, 1), 'NUL bytes at the start');
    add(
      'nul-bytes',
      `${vepText}${'\0'.repeat(4096)}`,
      skips([vep.header.length + vep.records.length + 1]),
      'NUL padding at the end (a crashed writer)',
    );
    add(
      'nul-bytes',
      `${vepText}${'\0'.repeat(100)}\n${'\0'.repeat(100)}\n`,
      skips([140, 141]),
      'NUL lines at the end',
    );
  }

  // ---- huge lines and wide records (a few MB: within the upload limit of a Premium user) -------
  {
    const i = int(0, vep.records.length - 1);
    const cols = vep.records[i]!.split('\t');
    cols[7] = `BIG=${'ACGT'.repeat(1_000_000)}`;
    add('huge-line', withRecords(vep, new Map([[i, cols.join('\t')]])), clean(132), 'a 4 MB INFO value');
    add(
      'huge-line',
      withRecords(vep, new Map([[i, 'x'.repeat(5_000_000)]])),
      skips([lineOf(vep, i)]),
      'a 5 MB line without tabs',
    );
    const header = [...vep.header];
    header.splice(1, 0, `##comment=${'z'.repeat(3_000_000)}`);
    add('huge-line', joinLines([...header, ...vep.records]), clean(132), 'a 3 MB meta line');
    add('huge-line', 'A'.repeat(6_000_000), fails(/not a VCF/), '6 MB without a line end');
  }
  {
    const alts = (n: number) => {
      const out: string[] = [];
      for (let k = 0; out.length < n; k++) {
        let s = '';
        for (let v = k, j = 0; j < 7; j++, v = Math.floor(v / 4)) s += 'ACGT'[v % 4];
        out.push(`T${s}`);
      }
      return out.join(',');
    };
    for (const n of [200, 5_000]) {
      const i = int(0, vep.records.length - 1);
      const cols = vep.records[i]!.split('\t');
      cols[4] = alts(n);
      add(
        'many-alts',
        withRecords(vep, new Map([[i, cols.join('\t')]])),
        clean(132),
        `${n} ALT alleles in one record`,
      );
    }
    const samples = 50_000;
    const names = Array.from({ length: samples }, (_, k) => `S${k}`);
    const header = [
      ...vep.header.slice(0, -1),
      `${vep.header.at(-1)!.split('\t').slice(0, 9).join('\t')}\t${names.join('\t')}`,
    ];
    const gts = (k: number) =>
      Array.from({ length: samples }, (_, s) => ((s + k) % 97 === 0 ? '0|1' : '0|0')).join('\t');
    const records = vep.records
      .slice(0, 20)
      .map((r, k) => `${r.split('\t').slice(0, 9).join('\t')}\t${gts(k)}`);
    add('many-samples', joinLines([...header, ...records]), clean(20), `${samples} samples`);
    records[7] = records[7]!.slice(0, records[7]!.lastIndexOf('\t'));
    add(
      'many-samples',
      joinLines([...header, ...records]),
      skips([header.length + 8]),
      `${samples} samples, one record one short`,
    );
    add(
      'many-samples',
      gzipSync(joinLines([...header, ...records])),
      skips([header.length + 8]),
      'the same, gzip',
      '.vcf.gz',
    );
  }

  // ---- gzip bombs within the Free upload limit, and gzip members --------------------------
  const member = (text: string | Buffer, times: number) => {
    const one = gzipSync(typeof text === 'string' ? Buffer.from(text, 'latin1') : text, { level: 9 });
    return Buffer.concat(Array.from({ length: times }, () => one));
  };
  const MB = 1024 * 1024;
  const bombs: Array<[string, Buffer]> = [
    ['100 MB of NUL bytes, one member', gzipSync(Buffer.alloc(100 * MB), { level: 9 })],
    ['140 MB of line ends in 1 MB members', member('\n'.repeat(MB), 140)],
    ['100 MB of "A" without a line end', member('A'.repeat(MB), 100)],
    [
      'a valid header, then one 2 kB record repeated 40,000 times',
      Buffer.concat([
        gzipSync(joinLines(vep.header)),
        member(`${vep.records[0]!.replace('\t.\tGT', `\tPAD=${'A'.repeat(2_000)}\tGT`)}\n`.repeat(2_000), 20),
      ]),
    ],
    [
      'a synthetic header, then 10 sites with 2 kB INFO repeated 600 times',
      Buffer.concat([
        gzipSync(joinLines(syn.header)),
        member(
          joinLines(syn.records.slice(0, 10).map((r) => `${r};PAD=${'ACGT'.repeat(500)}`)).repeat(200),
          3,
        ),
      ]),
    ],
    ['BGZF blocks of NUL bytes', bgzip(Buffer.alloc(60 * MB))],
  ];
  for (const [what, bytes] of bombs) {
    if (bytes.length > FREE_UPLOAD_LIMIT_BYTES)
      throw new Error(`bomb "${what}" is ${bytes.length} bytes, over the Free limit`);
    add(
      'gzip-bomb',
      bytes,
      fails(/decompression bomb/),
      `${what} (${bytes.length} bytes compressed)`,
      '.vcf.gz',
    );
  }
  // Only one layer is inflated: the inner stream is binary text to the reader.
  add(
    'gzip-bomb',
    gzipSync(gzipSync(Buffer.alloc(50 * MB))),
    fails(/binary data/, 1),
    'gzip inside gzip (a bomb inside)',
    '.vcf.gz',
  );
  {
    const half = Math.floor(vep.records.length / 2);
    const a = gzipSync(joinLines([...vep.header, ...vep.records.slice(0, half)]));
    const b = gzipSync(joinLines(vep.records.slice(half)));
    add('gzip-members', Buffer.concat([a, b]), clean(132), 'two gzip members (cat a.gz b.gz)', '.vcf.gz');
    add(
      'gzip-members',
      Buffer.concat([a, gzipSync(Buffer.alloc(0)), b]),
      clean(132),
      'an empty member between',
      '.vcf.gz',
    );
    add('gzip-members', bgzip(Buffer.from(vepText, 'latin1')), clean(132), 'BGZF', '.vcf.gz');
    // Small files: the stream breaks in the first chunk read, before any line is whole.
    add(
      'gzip-members',
      Buffer.concat([gzipSync(vepText), randomBytes(random, 300)]),
      fails(/gzip data is corrupt.*appended/),
      'garbage appended after the gzip member',
      '.vcf.gz',
    );
    add(
      'gzip-members',
      Buffer.concat([a, Buffer.from(vep.records.slice(half).join('\n'))]),
      fails(/gzip data is corrupt.*appended/),
      'plain text appended after the gzip member',
      '.vcf.gz',
    );
    add('gzip-members', gzipSync(vepText), clean(132), 'gzip named .vcf', '.vcf');
    add('gzip-members', vepText, clean(132), 'plain text named .vcf.gz', '.vcf.gz');
  }

  // ---- order, duplicates, symbolic alleles, lines out of place ---------------------------------
  for (let k = 0; k < 3; k++) {
    const shuffled = [...vep.records];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = int(0, i);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    add('unsorted', joinLines([...vep.header, ...shuffled]), clean(132), 'records shuffled');
  }
  add(
    'duplicates',
    joinLines([...vep.header, ...vep.records, ...vep.records]),
    clean(264),
    'every record twice, in two runs',
  );
  add(
    'duplicates',
    joinLines([...vep.header, ...vep.records.flatMap((r) => [r, r])]),
    clean(264),
    'every record twice in a row',
  );
  for (const alt of [
    '<DEL>',
    '<*>',
    '<NON_REF>',
    '*',
    'C[21:25600000[',
    'T,<NON_REF>',
    '<INS:ME:ALU>',
    '.',
  ]) {
    const changes = new Map<number, string>();
    while (changes.size < 4) {
      const i = int(0, vep.records.length - 1);
      const cols = vep.records[i]!.split('\t');
      cols[4] = alt.replace(/^C(?=\[)/, cols[3]!);
      changes.set(i, cols.join('\t'));
    }
    add('symbolic', withRecords(vep, changes), clean(132), `ALT ${alt} on 4 records`);
  }
  {
    const i = int(10, vep.records.length - 1);
    const records = [...vep.records];
    records.splice(i, 0, '##INFO=<ID=LATE,Number=1,Type=Integer,Description="late">');
    add(
      'misplaced-lines',
      joinLines([...vep.header, ...records]),
      skips([lineOf(vep, i)]),
      'a ## line among the records',
    );
    records[i] = '#a comment';
    add(
      'misplaced-lines',
      joinLines([...vep.header, ...records]),
      skips([lineOf(vep, i)]),
      'a # comment among the records',
    );
    add(
      'misplaced-lines',
      joinLines([...vep.header, ...vep.records, vep.header.at(-1)!]),
      skips([lineOf(vep, 132)]),
      'the #CHROM line repeated at the end',
    );
  }

  // ---- random mixes: several faults in one file ---------------------------------------------
  const setColumn = (cols: string[], i: number, value: string) =>
    cols.map((v, j) => (j === i ? value : v)).join('\t');
  const faults: Array<(cols: string[]) => string> = [
    (c) => setColumn(c, 1, pick(['0', '-3', 'x1'])),
    (c) => setColumn(c, 3, pick(['Q', '', 'N N'])),
    (c) => setColumn(c, 4, pick(['T,,G', 'J', '<X'])),
    (c) => setColumn(c, 7, pick(['a b', '=1', ';;'])),
    (c) => c.slice(0, int(2, 7)).join('\t'),
    (c) => `${c.join('\t')}\t${'0|1'}`,
  ];
  for (let k = 0; k < 20; k++) {
    const changes = new Map<number, string>();
    const n = int(2, 12);
    while (changes.size < n) {
      const i = int(0, vep.records.length - 1);
      changes.set(i, pick(faults)(vep.records[i]!.split('\t')));
    }
    add(
      'mixed-faults',
      withRecords(vep, changes),
      skips(
        [...changes.keys()].map((i) => lineOf(vep, i)),
        132 - n,
      ),
      `${n} broken records`,
    );
  }
  return cases;
}

/** Writes the corpus and a manifest (expected outcomes, regexes as source text). */
export function writeCorpus(dir: string, cases: readonly CorpusCase[]): void {
  mkdirSync(dir, { recursive: true });
  for (const c of cases) writeFileSync(join(dir, c.fileName), c.bytes);
  const manifest = cases.map((c) => ({
    name: c.name,
    file: c.fileName,
    bytes: c.bytes.length,
    note: c.note,
    expected:
      c.expected.outcome === 'failed'
        ? { ...c.expected, message: c.expected.message.source }
        : {
            ...c.expected,
            ...(c.expected.skipPattern ? { skipPattern: c.expected.skipPattern.source } : {}),
          },
  }));
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

const isMain = process.argv[1] && import.meta.url === new URL(process.argv[1], 'file://').href;
if (isMain) {
  const args = process.argv.slice(2);
  const option = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const seed = Number(option('--seed') ?? DEFAULT_SEED);
  const out = option('--out') ?? join(process.cwd(), `bad-input-corpus-${seed}`);
  const sharedData = new URL('../../../shared/data/', import.meta.url).pathname;
  const cases = generateCorpus({ sharedData, seed });
  writeCorpus(out, cases);
  const byFamily = new Map<string, number>();
  for (const c of cases) byFamily.set(c.family, (byFamily.get(c.family) ?? 0) + 1);
  for (const [family, n] of byFamily) console.log(`${family.padEnd(18)} ${n}`);
  const failed = cases.filter((c) => c.expected.outcome === 'failed').length;
  console.log(
    `${cases.length} files in ${out} (seed ${seed}): ${failed} expected FAILED, ${cases.length - failed} COMPLETED`,
  );
}
