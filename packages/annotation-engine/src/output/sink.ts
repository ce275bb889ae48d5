/**
 * Where the writers' text goes: a file (written under a temporary name and renamed into place
 * only when the run succeeds, so a failed run never leaves a half file behind) or any Writable.
 * A path that names something other than a regular file or a directory (`/dev/null`,
 * `/dev/stdout`, a named pipe) is written in place: renaming a temporary file over it would
 * replace the device itself (as root, `-o /dev/null` turned /dev/null into a plain file).
 *
 * Text is written as latin1 into one `ByteBuilder` (bytes.ts), byte for byte: the reader
 * decodes the input as latin1 too, so input bytes (UTF-8 included) come out exactly as they went
 * in. Strings from elsewhere (gene models) go through `latin1Safe` first. Writers either hand
 * whole lines (`line`) or fill `out` themselves and call `endRecord` (the VCF writer does:
 * no string per line); bytes formatted elsewhere (worker threads) come in through `chunk`.
 *
 * `bgzip: true` writes BGZF: gzip members of at most 65,280 input bytes, each with the `BC`
 * extra field holding its size, and the 28-byte empty end-of-file block, as htslib does, so that
 * `bcftools`, `tabix` and any gzip reader accept the file. Blocks are compressed on the libuv
 * thread pool, several at a time, and written in order.
 *
 * Backpressure: bytes go to the stream at once, in call order (so order never depends on who
 * waits); when the stream says it is full, every caller waits on one shared promise that the
 * next 'drain' settles. A file is opened with a high-water mark of OUTPUT_AHEAD_BYTES, not the
 * stream default of 16 kB: with that default every 1 MB flush was "full", so the annotating
 * thread stopped at each flush until the libuv thread had written it, instead of annotating the
 * next records meanwhile (1 M records, one thread, 4 alternating pairs: median wall 11.45 ->
 * 9.70 s, and 7.5% -> under 4% idle in the CPU profile). Flushed buffers come back through the
 * write callback and are reused for the next flush (a fresh 1.25 MB buffer per flush was 500 MB
 * of new memory to fault in per 1 M records). Writers flush many times without waiting in
 * between (a record with thousands of ALTs is many flushes), so one 'drain' listener per flush
 * piled up listeners (MaxListenersExceededWarning) and left as many promises to reject when the
 * stream failed.
 */
import { createWriteStream, statSync } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { crc32, deflateRaw } from 'node:zlib';
import { ByteBuilder } from './bytes.ts';

const deflateRawAsync = promisify(deflateRaw);

/** Uncompressed bytes per BGZF block (htslib's choice: leaves room for incompressible data). */
export const BGZF_BLOCK_INPUT = 65280;
const BGZF_MAX_BLOCK = 65536;

/** The empty BGZF block that marks the end of the file. */
export const BGZF_EOF = Buffer.from('1f8b08040000000000ff0600424302001b0003000000000000000000', 'hex');

const FLUSH_BYTES = 1 << 20;
/** Bytes a file sink lets the stream hold (written on the libuv thread) before callers wait. */
export const OUTPUT_AHEAD_BYTES = 8 << 20;
/** Flushed buffers kept for reuse. */
const SPARE_BUFFERS = 4;
/** BGZF blocks allowed in flight (compressing or waiting to be written) before the caller waits. */
const MAX_QUEUED_BLOCKS = 48;

/** Strings with characters beyond latin1 (from UTF-8 gene models) as their UTF-8 bytes, so latin1 encoding keeps them. */
export function latin1Safe(s: string): string {
  return /[^\u0000-\u00ff]/.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s;
}

export async function bgzfBlock(data: Buffer, level = 6): Promise<Buffer> {
  let body = await deflateRawAsync(data, { level });
  if (body.length + 26 > BGZF_MAX_BLOCK) body = await deflateRawAsync(data, { level: 0 });
  const block = Buffer.allocUnsafe(18 + body.length + 8);
  block[0] = 0x1f;
  block[1] = 0x8b;
  block[2] = 8; // deflate
  block[3] = 4; // FEXTRA
  block.writeUInt32LE(0, 4); // mtime
  block[8] = 0;
  block[9] = 0xff; // OS unknown
  block.writeUInt16LE(6, 10); // XLEN
  block[12] = 0x42; // 'B'
  block[13] = 0x43; // 'C'
  block.writeUInt16LE(2, 14);
  block.writeUInt16LE(block.length - 1, 16); // BSIZE - 1
  body.copy(block, 18);
  block.writeUInt32LE(crc32(data) >>> 0, 18 + body.length);
  block.writeUInt32LE(data.length, 22 + body.length);
  return block;
}

/** The output cannot be written; the message names the file and the reason in plain words. */
export class OutputError extends Error {
  override name = 'OutputError';
  constructor(target: string, cause: unknown) {
    const code = (cause as { code?: string }).code;
    const reason =
      code === 'ENOENT'
        ? 'its directory does not exist'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'ENOSPC'
            ? 'no space left on the device'
            : code === 'EISDIR'
              ? 'it is a directory'
              : code === 'EPIPE'
                ? 'the program reading it closed the pipe before the end'
                : (cause as Error).message;
    super(`cannot write the output "${target}": ${reason}`, { cause });
  }
}

export interface TextSinkOptions {
  bgzip?: boolean;
  /** deflate level for BGZF (1 fast ... 9 small); 6 by default, as bgzip. */
  level?: number;
}

/** Where a writer puts its lines: a file or stream (`TextSink`) or memory (`MemorySink`). */
export interface RecordSink {
  /** Bytes not yet flushed; writers may append whole lines to it, then call `endRecord`. */
  readonly out: ByteBuilder;
  line(text: string): Promise<void> | undefined;
  endRecord(): Promise<void> | undefined;
  /** Whole lines already encoded elsewhere (by a worker thread), in output order. */
  chunk(bytes: Uint8Array): Promise<void> | undefined;
  close(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * Lines kept in memory until someone takes them (`out.take()`): how a worker thread formats a
 * batch of records with the very writers the main thread uses (parallel/worker.ts).
 */
export class MemorySink implements RecordSink {
  readonly out = new ByteBuilder(1 << 20);

  line(text: string): undefined {
    this.out.str(text);
    this.out.byte(10);
    return undefined;
  }

  endRecord(): undefined {
    return undefined;
  }

  chunk(bytes: Uint8Array): undefined {
    this.out.bytes(bytes);
    return undefined;
  }

  async close(): Promise<void> {}

  async abort(): Promise<void> {
    this.out.length = 0;
  }
}

/** True for an existing path that is neither a regular file nor a directory: a device, a pipe, a socket. */
function writtenInPlace(path: string): boolean {
  try {
    const stat = statSync(path, { throwIfNoEntry: false });
    return stat !== undefined && !stat.isFile() && !stat.isDirectory();
  } catch {
    return false; // unreadable path: opening the temporary file reports why
  }
}

export class TextSink implements RecordSink {
  /** Bytes not yet flushed; writers may append to it directly, then call `endRecord`. */
  readonly out = new ByteBuilder(FLUSH_BYTES + (FLUSH_BYTES >> 2));
  private pendingBytes: Buffer[] = [];
  private pendingLength = 0;
  private readonly stream: Writable;
  private readonly finalPath: string | null;
  private readonly tempPath: string | null;
  private readonly bgzip: boolean;
  private readonly level: number;
  private failed: Error | null = null;
  /** Settles at the stream's next 'drain' (or its error); null while the stream takes more. */
  private drained: Promise<void> | null = null;
  /** Once the stream failed: one rejected promise for every later caller. */
  private failure: Promise<never> | null = null;
  /** BGZF blocks being compressed, written in order by this chain. */
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  /** Flush buffers the stream has finished writing, for `out` to fill again. */
  private readonly spare: Buffer[] = [];
  /** Bytes handed to the underlying stream (compressed size for BGZF). */
  bytesWritten = 0;

  constructor(target: string | Writable, options: TextSinkOptions = {}) {
    this.bgzip = options.bgzip ?? false;
    this.level = options.level ?? 6;
    if (typeof target === 'string') {
      this.finalPath = target;
      this.tempPath = writtenInPlace(target) ? null : `${target}.partial-${process.pid}`;
      this.stream = createWriteStream(this.tempPath ?? target, { highWaterMark: OUTPUT_AHEAD_BYTES });
    } else {
      this.finalPath = null;
      this.tempPath = null;
      this.stream = target;
    }
    this.stream.on('error', (err) => {
      this.failed = new OutputError(this.finalPath ?? 'the output stream', err);
    });
  }

  /**
   * Adds one line (without its line end; the sink adds LF). Returns a promise when the caller
   * should wait (buffer full), else undefined.
   */
  line(text: string): Promise<void> | undefined {
    this.out.str(text);
    this.out.byte(10);
    return this.endRecord();
  }

  /** After a writer appended whole lines to `out`: flushes when enough is buffered. */
  endRecord(): Promise<void> | undefined {
    if (this.out.length < FLUSH_BYTES) return undefined;
    // plain text: the shared drain promise itself, so callers that drop all but the last one
    // returned (writers do, within a record) leave no promise of their own to reject
    if (!this.bgzip) return this.putOut();
    return this.flush(false);
  }

  /**
   * Hands what `out` holds to the stream (plain text); `out` goes on in a spare buffer. Only a
   * file's buffers are reused: a file stream is done with a chunk when its write callback runs,
   * while any other Writable (a PassThrough, say) may still hold it after that.
   */
  private putOut(): Promise<void> | undefined {
    const full = this.out.buf;
    const bytes = this.out.take(this.spare.pop());
    return this.put(bytes, this.finalPath !== null ? full : undefined);
  }

  /** Whole lines already encoded (by a worker thread), in output order. */
  chunk(bytes: Uint8Array): Promise<void> | undefined {
    if (this.bgzip || bytes.length < FLUSH_BYTES >> 2) {
      this.out.bytes(bytes);
      return this.endRecord();
    }
    // large chunks go out as they are (no copy), right after what is buffered before them
    const before = this.putOut();
    return this.put(bytes) ?? before;
  }

  private async flush(final: boolean): Promise<void> {
    if (this.failed) throw this.failed;
    if (!this.bgzip) {
      await this.putOut();
      return;
    }
    const bytes = this.out.take();
    this.pendingBytes.push(bytes);
    this.pendingLength += bytes.length;
    if (!final && this.pendingLength < BGZF_BLOCK_INPUT) return;
    const all = this.pendingBytes.length === 1 ? this.pendingBytes[0]! : Buffer.concat(this.pendingBytes);
    const whole = final ? all.length : all.length - (all.length % BGZF_BLOCK_INPUT);
    for (let off = 0; off < whole; off += BGZF_BLOCK_INPUT) {
      const block = bgzfBlock(all.subarray(off, Math.min(whole, off + BGZF_BLOCK_INPUT)), this.level);
      block.catch(() => undefined); // handled by the chain below; avoids an early unhandled rejection
      this.queued++;
      this.chain = this.chain
        .then(async () => {
          const bytes = await block;
          this.queued--;
          if (!this.failed) await this.put(bytes);
        })
        .catch((err: Error) => {
          this.failed ??= err;
        });
    }
    const tail = all.subarray(whole);
    this.pendingBytes = tail.length > 0 ? [Buffer.from(tail)] : [];
    this.pendingLength = tail.length;
    // blocks compress on the thread pool while the caller goes on; wait only when many are queued
    if (final || this.queued > MAX_QUEUED_BLOCKS) await this.chain;
    if (this.failed) throw this.failed;
  }

  /**
   * Hands `bytes` to the stream now; returns the shared drain promise when the stream is full
   * (every caller until the next 'drain' gets the same one), else undefined. `recycle`: the
   * buffer `bytes` lies in, kept for reuse once the stream has written it.
   */
  private put(bytes: Uint8Array, recycle?: Buffer): Promise<void> | undefined {
    if (this.failed) {
      this.failure ??= Promise.reject(this.failed);
      return this.failure;
    }
    if (bytes.length > 0) {
      this.bytesWritten += bytes.length;
      const written =
        recycle === undefined
          ? undefined
          : (err?: Error | null) => {
              if (!err && this.spare.length < SPARE_BUFFERS) this.spare.push(recycle);
            };
      if (!this.stream.write(bytes, written)) this.drained ??= this.nextDrain();
    }
    return this.drained ?? undefined;
  }

  /** One 'drain' (or 'error') listener for all waiting callers; cleared as the event fires. */
  private nextDrain(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const settle = (err?: Error) => {
        this.stream.off('drain', settle);
        this.stream.off('error', settle);
        this.drained = null;
        const failure = this.failed ?? err;
        if (failure) reject(failure);
        else resolve();
      };
      this.stream.on('drain', settle);
      this.stream.on('error', settle);
    });
  }

  /** Writes what is left (and the BGZF end block), closes, and moves the file into place. */
  async close(): Promise<void> {
    await this.flush(true);
    if (this.bgzip) await this.put(BGZF_EOF);
    if (this.finalPath !== null) {
      await new Promise<void>((resolve, reject) => {
        this.stream.end((err?: Error | null) =>
          err ? reject(this.failed ?? new OutputError(this.finalPath!, err)) : resolve(),
        );
      });
      if (this.failed) throw this.failed;
      if (this.tempPath !== null) await rename(this.tempPath, this.finalPath);
    } else {
      await new Promise<void>((resolve) => this.stream.end(resolve));
    }
  }

  /** Gives up: closes and removes the temporary file. */
  async abort(): Promise<void> {
    this.out.length = 0;
    if (this.tempPath !== null) {
      // the file is opened asynchronously: wait for the stream to close before removing it
      const stream = this.stream;
      if (!stream.closed) {
        await new Promise<void>((resolve) => {
          stream.once('close', () => resolve());
          stream.destroy();
        });
      }
      await unlink(this.tempPath).catch(() => undefined);
    } else {
      this.stream.end();
    }
  }
}
