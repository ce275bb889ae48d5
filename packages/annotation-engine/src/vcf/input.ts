/**
 * Bytes of a VCF, decompressed, as a stream of chunks.
 *
 * The compression is detected from the first bytes, never from the file name: gzip and bgzip
 * (BGZF is a series of gzip members, which Node's gunzip reads one after the other) are
 * inflated; plain text passes through; other archive formats (zip, bzip2, xz, zstd, BAM/BCF
 * inside bgzip) are refused with a sentence that names them. A gzip stream that ends early or is
 * corrupt becomes an `InputError` saying so; the reader adds the line it had reached.
 *
 * Decompression bombs: real VCFs compress 5-20 fold (the shared inputs: 7-8 fold; BGZF of
 * genotype-heavy files rarely beyond 30), while a crafted gzip stream expands up to ~1,000 fold,
 * so a file within an upload limit could hold gigabytes of text or millions of copies of one
 * record. Once more than `MAX_EXPANSION_FLOOR_BYTES` have been inflated, the text may be at most
 * `MAX_EXPANSION` times the compressed bytes read so far (Apache POI's zip-bomb rule, 1:100);
 * beyond that the stream is refused as a whole-file error, before the records are annotated.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputError } from './problems.ts';

export type VcfSource = string | Readable | AsyncIterable<Uint8Array>;

export type Compression = 'gzip' | 'none';

/** The gzip stream ended before its end (truncated file) or its data is corrupt. */
export class CompressedInputError extends InputError {
  override name = 'CompressedInputError';
  readonly truncated: boolean;
  constructor(message: string, truncated: boolean, cause: unknown) {
    super(message, null, truncated ? 'truncated_input' : 'corrupt_input', { cause });
    this.truncated = truncated;
  }
}

/**
 * Bytes per read and per inflated chunk. The reader turns each chunk into one batch of records,
 * and a batch lives until its last record is annotated: batches of 1 MB (~40 k records) outlived
 * the young-generation collections and piled up as old-generation garbage (live heap ~21 MB,
 * heap ~120 MB). 32-64 kB batches die young: 1 M records, one thread, 214 -> 191 MB peak RSS.
 */
const READ_CHUNK_BYTES = 64 * 1024;
const INFLATED_CHUNK_BYTES = 32 * 1024;

/** Most decompressed bytes per compressed byte a VCF may have (see the module comment). */
export const MAX_EXPANSION = 100;
/** The expansion rule applies once this much text has been inflated (small files are harmless). */
export const MAX_EXPANSION_FLOOR_BYTES = 2 * 1024 * 1024;

/** The gzip stream expands far more than any VCF does: a decompression bomb, refused whole. */
export class DecompressionBombError extends InputError {
  override name = 'DecompressionBombError';
  constructor(inflated: number, compressed: number) {
    super(
      `the gzip data expands more than ${MAX_EXPANSION}-fold (${mb(inflated)} MB of text from the first ${mb(compressed)} MB of the file), far beyond any real VCF: the file looks like a decompression bomb and was not annotated. If it is a real VCF with many samples, remove the genotypes first (bcftools view -G) and upload that`,
      null,
      'decompression_bomb',
    );
  }
}

function mb(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(bytes < 1024 * 1024 ? 2 : 0);
}

/** Names a known non-VCF binary format from its first bytes, or returns null. */
export function sniffForeignFormat(head: Uint8Array): string | null {
  const s = (i: number) => head[i];
  if (s(0) === 0x50 && s(1) === 0x4b && s(2) === 0x03 && s(3) === 0x04) return 'a zip archive';
  if (s(0) === 0x42 && s(1) === 0x5a && s(2) === 0x68) return 'bzip2-compressed data';
  if (s(0) === 0xfd && s(1) === 0x37 && s(2) === 0x7a && s(3) === 0x58) return 'xz-compressed data';
  if (s(0) === 0x28 && s(1) === 0xb5 && s(2) === 0x2f && s(3) === 0xfd) return 'zstd-compressed data';
  if (s(0) === 0x42 && s(1) === 0x43 && s(2) === 0x46 && s(3) === 0x02)
    return 'a BCF file (convert it with `bcftools view -Ov`)';
  if (s(0) === 0x42 && s(1) === 0x41 && s(2) === 0x4d && s(3) === 0x01) return 'a BAM file';
  return null;
}

function toIterable(source: VcfSource): AsyncIterable<Uint8Array> {
  if (typeof source === 'string') return createReadStream(source, { highWaterMark: READ_CHUNK_BYTES });
  return source;
}

/**
 * Decompressed chunks of the source. Throws `InputError` for an unreadable file or a foreign
 * format, `CompressedInputError` for a truncated or corrupt gzip stream.
 */
export async function* decompressedChunks(
  source: VcfSource,
  onCompression?: (c: Compression) => void,
): AsyncGenerator<Buffer> {
  const iterator = toIterable(source)[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  try {
    while (head.length < 4) {
      const r = await iterator.next();
      if (r.done) break;
      head = head.length === 0 ? Buffer.from(r.value) : Buffer.concat([head, r.value]);
    }
  } catch (err) {
    throw unreadable(source, err);
  }
  const isGzip = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  onCompression?.(isGzip ? 'gzip' : 'none');
  let compressedBytes = 0;
  const rest = async function* (): AsyncGenerator<Uint8Array> {
    compressedBytes = head.length;
    if (head.length > 0) yield head;
    for (;;) {
      let r: IteratorResult<Uint8Array>;
      try {
        r = await iterator.next();
      } catch (err) {
        throw unreadable(source, err);
      }
      if (r.done) return;
      compressedBytes += r.value.length;
      yield r.value;
    }
  };
  if (!isGzip) {
    const foreign = sniffForeignFormat(head);
    if (foreign) throw new InputError(`the input is ${foreign}, not a VCF (plain, gzip or bgzip text)`);
    for await (const chunk of rest()) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    return;
  }
  const gunzip = createGunzip({ chunkSize: INFLATED_CHUNK_BYTES });
  const feed = Readable.from(rest(), { objectMode: false });
  let feedError: unknown = null;
  feed.on('error', (err) => {
    feedError = err;
    gunzip.destroy(err);
  });
  feed.pipe(gunzip);
  let first = true;
  let inflatedBytes = 0;
  try {
    for await (const chunk of gunzip) {
      const buf = chunk as Buffer;
      inflatedBytes += buf.length;
      if (inflatedBytes > MAX_EXPANSION_FLOOR_BYTES && inflatedBytes > MAX_EXPANSION * compressedBytes) {
        throw new DecompressionBombError(inflatedBytes, compressedBytes);
      }
      if (first) {
        first = false;
        const foreign = sniffForeignFormat(buf);
        if (foreign) throw new InputError(`the input is ${foreign}, not a VCF (plain, gzip or bgzip text)`);
      }
      yield buf;
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    if (feedError) throw feedError instanceof InputError ? feedError : unreadable(source, feedError);
    const code = (err as { code?: string }).code;
    if (code === 'Z_BUF_ERROR') {
      throw new CompressedInputError(
        'the gzip stream ends early: the file is truncated (cut off during upload or copy?)',
        true,
        err,
      );
    }
    throw new CompressedInputError(
      `the gzip data is corrupt (${(err as Error).message}); the file is damaged or has data appended after the compressed part`,
      false,
      err,
    );
  } finally {
    feed.destroy();
    gunzip.destroy();
  }
}

function unreadable(source: VcfSource, err: unknown): InputError {
  if (err instanceof InputError) return err;
  const code = (err as { code?: string }).code;
  const what = typeof source === 'string' ? `"${source}"` : 'the input stream';
  if (code === 'ENOENT')
    return new InputError(`cannot read ${what}: no such file`, null, 'unreadable', { cause: err });
  if (code === 'EISDIR')
    return new InputError(`cannot read ${what}: it is a directory`, null, 'unreadable', { cause: err });
  if (code === 'EACCES')
    return new InputError(`cannot read ${what}: permission denied`, null, 'unreadable', { cause: err });
  return new InputError(`cannot read ${what}: ${(err as Error).message}`, null, 'unreadable', { cause: err });
}
