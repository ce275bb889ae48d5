/**
 * The VCF reader: a stream of decompressed chunks in, batches of `VcfLine`s out.
 *
 * `VcfReader.open` reads up to the end of the header (the `#CHROM` line, or the first data line
 * when there is none); `batches()` then yields one array of records per decompressed chunk
 * (about 256 kB of text), so the per-record cost is a few `indexOf`s and slices, not a promise.
 * Memory holds one chunk and one partial line, never the file.
 *
 * Lines: LF or CRLF; numbered from 1 with header lines counted; a UTF-8 byte order mark before
 * the first line is dropped. Blank lines are counted and ignored. Every unusable line goes to
 * the `ProblemLog` with its number and a sentence; under the `stop` policy that throws. A file that is empty, binary, or cut short is reported the same
 * way (whole-file problems always throw).
 */
import { addMetaLine, emptyHeader, setColumnsLine, type VcfHeader } from './header.ts';
import { CompressedInputError, type Compression, decompressedChunks, type VcfSource } from './input.ts';
import { binaryProblem, parseDataLine, type VcfLine } from './parse.ts';
import { InputError, ProblemLog } from './problems.ts';

/** A single line longer than this is taken for binary data without line ends. */
const MAX_LINE_CHARS = 256 * 1024 * 1024;

export interface VcfReaderOptions {
  problems?: ProblemLog;
}

export interface VcfReadCounts {
  lines: number;
  records: number;
  malformed: number;
  blankLines: number;
}

export class VcfReader {
  readonly header: VcfHeader = emptyHeader();
  readonly problems: ProblemLog;
  readonly counts: VcfReadCounts = { lines: 0, records: 0, malformed: 0, blankLines: 0 };
  compression: Compression = 'none';

  private readonly chunks: AsyncGenerator<Buffer>;
  private carry = '';
  private inBody = false;
  /** Column count data lines must have: the header's, or 0 when the header is missing (lenient). */
  private columns = 0;
  private pending: VcfLine[] = [];
  private done = false;

  private constructor(source: VcfSource, options: VcfReaderOptions) {
    this.problems = options.problems ?? new ProblemLog('skip');
    this.chunks = decompressedChunks(source, (c) => {
      this.compression = c;
    });
  }

  /** Opens the source and reads its header. Throws `InputError` when the file is not a usable VCF. */
  static async open(source: VcfSource, options: VcfReaderOptions = {}): Promise<VcfReader> {
    const reader = new VcfReader(source, options);
    while (!reader.inBody && !reader.done) await reader.pull();
    if (reader.counts.lines === reader.counts.blankLines && reader.carry === '') {
      throw new InputError(
        reader.counts.lines === 0 ? 'the input file is empty' : 'the input file is empty (only blank lines)',
      );
    }
    return reader;
  }

  /** Record batches in input order; each array is the reader's to reuse only after the next call. */
  async *batches(): AsyncGenerator<VcfLine[]> {
    for (;;) {
      if (this.pending.length > 0) {
        const out = this.pending;
        this.pending = [];
        yield out;
      }
      if (this.done) return;
      await this.pull();
    }
  }

  private async pull(): Promise<void> {
    let r: IteratorResult<Buffer>;
    try {
      r = await this.chunks.next();
    } catch (err) {
      if (err instanceof CompressedInputError) {
        // Not one whole line readable: the whole file is the problem, not its last line.
        if (this.counts.lines === 0) throw new InputError(err.message, null, err.kind);
        this.done = true;
        const last = this.counts.lines;
        if (this.carry !== '') {
          this.problems.report(
            last + 1,
            'truncated_input',
            `${err.message}; the line is incomplete and was dropped (records up to line ${last} were read)`,
          );
          this.counts.malformed++;
          this.carry = '';
        } else {
          this.problems.report(
            last + 1,
            'truncated_input',
            `${err.message}; records up to line ${last} were read`,
          );
        }
        return;
      }
      throw err;
    }
    if (r.done) {
      this.done = true;
      if (this.carry !== '') {
        const last = this.carry;
        this.carry = '';
        this.line(last.charCodeAt(last.length - 1) === 13 ? last.slice(0, -1) : last);
      }
      return;
    }
    const chunk = r.value.toString('latin1');
    if (this.carry !== '' && chunk.indexOf('\n') < 0) {
      // Still inside one long line: append only (a rope), so the line is scanned once when it
      // ends, not once per chunk (that was quadratic: 64 MB without a line end took 80 s).
      this.carry += chunk;
      this.checkLineLength();
      return;
    }
    let text = this.carry + chunk;
    // A UTF-8 byte order mark (Windows editors write one) is not part of the first line.
    if (this.counts.lines === 0 && text.startsWith('\u00ef\u00bb\u00bf')) text = text.slice(3);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      this.line(text.slice(start, end));
      start = nl + 1;
    }
    this.carry = start === 0 ? text : text.slice(start);
    this.checkLineLength();
  }

  private checkLineLength(): void {
    if (this.carry.length > MAX_LINE_CHARS) {
      throw new InputError(
        `no line end in the first ${MAX_LINE_CHARS / 1024 / 1024} MB after line ${this.counts.lines}: this is not VCF text`,
      );
    }
  }

  /** One line without its line end; `this.counts.lines` becomes its number. */
  private line(text: string): void {
    const n = ++this.counts.lines;
    if (this.inBody) {
      const c0 = text.charCodeAt(0);
      if (c0 !== 35 /* # */ && text.length > 0) {
        this.dataLine(text, n);
        return;
      }
      if (text.length === 0) {
        this.counts.blankLines++;
        return;
      }
      this.malformed(
        n,
        text,
        text.startsWith('##')
          ? 'a meta-information line (##) after the #CHROM header line; header lines must come first'
          : 'a line starting with "#" among the data lines',
      );
      return;
    }
    // header
    if (n === 1) {
      const binary = binaryProblem(text);
      if (binary) throw new InputError(firstLineProblem(text, binary), 1, 'binary_input');
    }
    if (text.startsWith('##')) {
      const binary = binaryProblem(text);
      if (binary) {
        this.malformed(n, text, binary);
        return;
      }
      addMetaLine(this.header, text);
      return;
    }
    if (text.startsWith('#')) {
      const problem = setColumnsLine(this.header, text, n);
      if (problem) throw new InputError(problem, n, 'bad_header');
      this.columns = this.header.columns.length;
      this.inBody = true;
      return;
    }
    if (text.length === 0) {
      this.counts.blankLines++;
      return;
    }
    // a data line before any #CHROM line: no header; assume the fixed columns (as VEP does)
    this.problems.report(
      n,
      'missing_header',
      'the file has no #CHROM header line before its first data line; the columns are taken to be CHROM POS ID REF ALT QUAL FILTER INFO',
    );
    this.inBody = true;
    this.columns = 0;
    this.dataLine(text, n);
  }

  private dataLine(text: string, n: number): void {
    const rec = parseDataLine(text, n, this.columns);
    if (typeof rec === 'string') this.malformed(n, text, rec);
    else {
      this.counts.records++;
      this.pending.push(rec);
    }
  }

  private malformed(n: number, text: string, reason: string): void {
    this.counts.malformed++;
    this.problems.report(n, 'malformed_line', binaryProblem(text) ?? reason);
  }
}

/** The sentence for a first line with control characters: UTF-16 and CR line ends named. */
function firstLineProblem(first: string, binary: string): string {
  // latin1-decoded: a UTF-16 byte order mark, or ASCII with a NUL after (LE) or before (BE) it
  if (/^(\u00ff\u00fe|\u00fe\u00ff)|^(#\u0000#\u0000|\u0000#\u0000#)/.test(first)) {
    return 'the file is UTF-16 text, not the ASCII/UTF-8 a VCF is; save it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8) and upload that';
  }
  if (/^##?[^\r]*\r[^\n]/.test(first)) {
    return 'the lines end in CR only (old Mac style), so the file reads as one line; convert the line ends to LF (e.g. tr "\\r" "\\n") and upload that';
  }
  return `${binary}; the input is not a VCF file`;
}

/** Reads a whole VCF (header and records) into memory: for tests and small inputs only. */
export async function readVcfFully(
  source: VcfSource,
  options: VcfReaderOptions = {},
): Promise<{ header: VcfHeader; records: VcfLine[]; reader: VcfReader }> {
  const reader = await VcfReader.open(source, options);
  const records: VcfLine[] = [];
  for await (const batch of reader.batches()) records.push(...batch);
  return { header: reader.header, records, reader };
}
