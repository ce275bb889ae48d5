/**
 * A growable byte buffer that writers fill directly, latin1 (one byte per character).
 *
 * Why: building each output line as a JS string and encoding it afterwards made the engine pay
 * three times for every byte (concatenation or join, the flattened string, then the latin1
 * encode), and the intermediate strings were most of the garbage the collector chased (profiled
 * on 1 M records: CSQ joins, sink joins and `Buffer.from` were 30% of the run, GC another 14%).
 * Here each piece goes straight into one buffer: short strings by a `charCodeAt` loop (cheaper
 * than a native call for a few bytes), long ones by `Buffer#write`.
 *
 * Strings must be latin1-safe (every char <= 0xff): input text is decoded as latin1 and
 * gene-model strings go through `latin1Safe` (sink.ts), so this holds for what writers pass.
 */

/** Strings at least this long are copied natively; shorter ones by a JS loop. */
export const NATIVE_COPY_CHARS = 24;
/** Pre-encoded byte runs at least this long are copied by `TypedArray#set`; shorter ones by a JS loop. */
export const NATIVE_COPY_BYTES = 64;

/** `Buffer#latin1Write`: `write(s, offset, length, 'latin1')` without its argument checks (not in the typings). */
export type Latin1Writable = Buffer & { latin1Write(s: string, offset: number, length: number): number };

export class ByteBuilder {
  buf: Buffer;
  /** Bytes written so far. */
  length = 0;

  constructor(capacity = 1 << 20) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }

  byte(c: number): void {
    if (this.length === this.buf.length) this.reserve(1);
    this.buf[this.length++] = c;
  }

  /** The whole string, latin1. */
  str(s: string): void {
    const n = s.length;
    if (this.length + n > this.buf.length) this.reserve(n);
    if (n >= NATIVE_COPY_CHARS) {
      this.length += (this.buf as Latin1Writable).latin1Write(s, this.length, n);
      return;
    }
    const buf = this.buf;
    let at = this.length;
    for (let i = 0; i < n; i++) buf[at++] = s.charCodeAt(i);
    this.length = at;
  }

  /** Characters [start, end) of `s`, latin1, without making the substring. */
  range(s: string, start: number, end: number): void {
    const n = end - start;
    if (n <= 0) return;
    if (this.length + n > this.buf.length) this.reserve(n);
    if (n >= NATIVE_COPY_CHARS) {
      this.length += (this.buf as Latin1Writable).latin1Write(
        start === 0 && end === s.length ? s : s.slice(start, end),
        this.length,
        n,
      );
      return;
    }
    const buf = this.buf;
    let at = this.length;
    for (let i = start; i < end; i++) buf[at++] = s.charCodeAt(i);
    this.length = at;
  }

  /** A string unless it is null (nothing written then). */
  opt(s: string | null): void {
    if (s !== null) this.str(s);
  }

  /** An integer in decimal, without making its string. */
  int(v: number): void {
    if (v < 0) {
      this.byte(45 /* - */);
      v = -v;
    }
    if (v < 10) {
      this.byte(48 + v);
      return;
    }
    if (!Number.isSafeInteger(v)) {
      this.str(String(v));
      return;
    }
    let digits = 1;
    for (let p = 10; p <= v; p *= 10) digits++;
    if (this.length + digits > this.buf.length) this.reserve(digits);
    const buf = this.buf;
    let at = this.length + digits;
    this.length = at;
    while (v >= 10) {
      const q = Math.floor(v / 10);
      buf[--at] = 48 + (v - q * 10);
      v = q;
    }
    buf[--at] = 48 + v;
  }

  /**
   * Pre-encoded bytes: short ones by a JS loop over the typed array (cheaper than `charCodeAt`
   * on a string of any representation, and than a native call for a few bytes), long ones natively.
   */
  encoded(b: Uint8Array): void {
    const n = b.length;
    if (this.length + n > this.buf.length) this.reserve(n);
    if (n >= NATIVE_COPY_BYTES) {
      this.buf.set(b, this.length);
      this.length += n;
      return;
    }
    const buf = this.buf;
    let at = this.length;
    for (let i = 0; i < n; i++) buf[at++] = b[i]!;
    this.length = at;
  }

  bytes(b: Uint8Array): void {
    if (this.length + b.length > this.buf.length) this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /**
   * Hands over what was written (a view of the current buffer) and goes on in `next` (a buffer
   * the caller no longer needs, used when it is at least as large) or in a fresh one of the same
   * capacity, so the caller may keep the returned bytes as long as it likes.
   */
  take(next?: Buffer): Buffer {
    const out = this.buf.subarray(0, this.length);
    this.buf =
      next !== undefined && next.length >= this.buf.length ? next : Buffer.allocUnsafe(this.buf.length);
    this.length = 0;
    return out;
  }
}
