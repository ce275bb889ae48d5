/**
 * Reference sequence access: async loading, synchronous slicing.
 *
 * The predictor is synchronous (it runs once per allele x transcript and must not allocate
 * promises), so reading is split in two: `ensure(chrom, start, end)` loads the window that
 * covers a region (from a bgzip FASTA with .fai + .gzi, a plain FASTA with .fai, or a plain
 * FASTA without index, which is read whole and indexed in memory), and `slice` then answers
 * from memory. Windows are aligned to WINDOW_BASES so neighbouring variants share one load; a
 * window that overlaps a new region grows by the missing parts (up to MAX_MERGED_BASES), so
 * sorted input reads each base about once; a small LRU keeps the last MAX_WINDOWS windows.
 *
 * Coordinates: GENOMIC, 1-BASED, CLOSED throughout (`slice('21', 10, 12)` is three bases).
 * Positions outside the contig read as 'N', as VEP does near contig ends.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { BgzipIndexedFasta, IndexedFasta } from '@gmod/indexedfasta';
import type { ReferenceSequence } from '../model.ts';

export interface Reference extends ReferenceSequence {
  contigLengths: Map<string, number>;
  /**
   * Loads (and caches) the bases of chrom start..end (1-based closed) so that `slice` is
   * synchronous. Returns undefined, not a promise, when they are loaded already: sorted input
   * asks for the same region record after record, and awaiting even a settled promise is a
   * microtask turn per record.
   */
  ensure(chrom: string, start: number, end: number): Promise<void> | undefined;
  close(): Promise<void>;
}

export class FastaError extends Error {
  override name = 'FastaError';
}

const WINDOW_BASES = 262_144;
const MAX_WINDOWS = 24;
const MAX_UNINDEXED_BYTES = 256 * 1024 * 1024;
/** A grown window is capped so one contig never sits whole in memory by accident. */
const MAX_MERGED_BASES = 16 * 1024 * 1024;

interface Window {
  chrom: string;
  /** 1-based position of seq[0]. */
  start: number;
  /** 1-based closed end of the window (clipped to the contig). */
  end: number;
  seq: string;
}

/** Reads bases 0-based half-open [min, max) of one contig. */
type RangeReader = (chrom: string, min: number, max: number) => Promise<string>;

export interface OpenReferenceOptions {
  /**
   * Largest file read whole when there is no usable index (default 256 MB): a genome must come
   * with its index instead, and gets a sentence saying how to make one.
   */
  maxUnindexedBytes?: number;
}

/** Opens a FASTA: `x.fa.gz` with `x.fa.gz.fai` + `x.fa.gz.gzi` (bgzip), `x.fa` with or without `x.fa.fai`. */
export async function openReference(fastaPath: string, opts: OpenReferenceOptions = {}): Promise<Reference> {
  if (!existsSync(fastaPath)) throw new FastaError(`FASTA file not found: ${fastaPath}`);
  const faiPath = `${fastaPath}.fai`;
  const gziPath = `${fastaPath}.gzi`;
  let read: RangeReader;
  let contigLengths: Map<string, number>;
  const head = await readHead(fastaPath);
  const gzipped = head[0] === 0x1f && head[1] === 0x8b;
  if (gzipped && existsSync(faiPath) && existsSync(gziPath)) {
    const fasta = new BgzipIndexedFasta({ path: fastaPath, faiPath, gziPath });
    contigLengths = new Map(Object.entries(await fasta.getSequenceSizes()));
    read = async (chrom, min, max) => (await fasta.getSequence(chrom, min, max)) ?? '';
  } else if (!gzipped && existsSync(faiPath)) {
    const fasta = new IndexedFasta({ path: fastaPath, faiPath });
    contigLengths = new Map(Object.entries(await fasta.getSequenceSizes()));
    read = async (chrom, min, max) => (await fasta.getSequence(chrom, min, max)) ?? '';
  } else {
    // No usable index: read the whole file (gzip or plain) and keep the contigs in memory.
    // Meant for small FASTAs; a genome must be indexed.
    const size = statSync(fastaPath).size;
    const limit = opts.maxUnindexedBytes ?? MAX_UNINDEXED_BYTES;
    if (size > limit) {
      throw new FastaError(
        gzipped
          ? `${fastaPath} is compressed but has no ${existsSync(faiPath) ? '.gzi' : '.fai/.gzi'} index and is too big to read whole (${size} bytes); compress it with bgzip and index it: samtools faidx ${fastaPath}`
          : `${fastaPath} has no .fai index and is too big to read whole (${size} bytes); index it: samtools faidx ${fastaPath}`,
      );
    }
    const raw = await readFile(fastaPath);
    const text = (gzipped ? gunzipSync(raw) : raw).toString('latin1');
    const contigs = parseFastaText(text, fastaPath);
    contigLengths = new Map([...contigs].map(([name, seq]) => [name, seq.length]));
    read = async (chrom, min, max) => contigs.get(chrom)?.slice(min, max) ?? '';
  }
  return new WindowedReference(contigLengths, read);
}

async function readHead(path: string): Promise<Buffer> {
  const { open } = await import('node:fs/promises');
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(2);
    await fh.read(buf, 0, 2, 0);
    return buf;
  } finally {
    await fh.close();
  }
}

/** Parses FASTA text into upper-case contig strings keyed by the first word of each header. */
export function parseFastaText(text: string, fileName: string): Map<string, string> {
  const contigs = new Map<string, string>();
  let name: string | null = null;
  let parts: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith('>')) {
      if (name !== null) contigs.set(name, parts.join('').toUpperCase());
      name = line.slice(1).trim().split(/\s+/)[0] ?? '';
      if (name === '') throw new FastaError(`${fileName} line ${i + 1}: FASTA header without a name`);
      parts = [];
    } else if (line.length > 0) {
      if (name === null)
        throw new FastaError(`${fileName} line ${i + 1}: sequence before the first '>' header`);
      parts.push(line.trim());
    }
  }
  if (name !== null) contigs.set(name, parts.join('').toUpperCase());
  if (contigs.size === 0) throw new FastaError(`${fileName}: no sequence found (is it a FASTA file?)`);
  return contigs;
}

class WindowedReference implements Reference {
  readonly contigLengths: Map<string, number>;
  private readonly read: RangeReader;
  /** Most recently used last. */
  private windows: Window[] = [];

  constructor(contigLengths: Map<string, number>, read: RangeReader) {
    this.contigLengths = contigLengths;
    this.read = read;
  }

  /** The contig's length, the last one asked for remembered (records come contig by contig). */
  private lengthOf(chrom: string): number | undefined {
    if (chrom !== this.lastChrom) {
      this.lastChrom = chrom;
      this.lastLength = this.contigLengths.get(chrom);
    }
    return this.lastLength;
  }

  private lastChrom: string | null = null;
  private lastLength: number | undefined = undefined;

  ensure(chrom: string, start: number, end: number): Promise<void> | undefined {
    const length = this.lengthOf(chrom);
    if (length === undefined) return undefined; // unknown contig: slice answers 'N'
    const lo = Math.max(1, start);
    const hi = Math.min(length, end);
    if (hi < lo || this.find(chrom, lo, hi) !== null) return undefined;
    return this.load(chrom, lo, hi, length);
  }

  /** Reads the aligned window(s) covering lo..hi (not loaded yet) into the cache. */
  private async load(chrom: string, lo: number, hi: number, length: number): Promise<void> {
    const wStart = Math.floor((lo - 1) / WINDOW_BASES) * WINDOW_BASES + 1;
    const wEnd = Math.min(length, Math.ceil(hi / WINDOW_BASES) * WINDOW_BASES);
    // Sorted input moves forward through long genes: grow an overlapping window by the missing
    // parts only, instead of reading the whole region again.
    const near = this.overlappingWindow(chrom, wStart, wEnd);
    if (near !== null && Math.max(near.end, wEnd) - Math.min(near.start, wStart) < MAX_MERGED_BASES) {
      let seq = near.seq;
      let start = near.start;
      if (wStart < near.start) {
        seq = (await this.read(chrom, wStart - 1, near.start - 1)).toUpperCase() + seq;
        start = wStart;
      }
      if (wEnd > near.end) seq += (await this.read(chrom, near.end, wEnd)).toUpperCase();
      this.windows.splice(this.windows.indexOf(near), 1);
      this.windows.push({ chrom, start, end: start + seq.length - 1, seq });
      return;
    }
    const seq = (await this.read(chrom, wStart - 1, wEnd)).toUpperCase();
    this.windows.push({ chrom, start: wStart, end: wStart + seq.length - 1, seq });
    if (this.windows.length > MAX_WINDOWS) this.windows.shift();
  }

  /** A loaded window on chrom overlapping or touching [start, end], most recent first. */
  private overlappingWindow(chrom: string, start: number, end: number): Window | null {
    const ws = this.windows;
    for (let i = ws.length - 1; i >= 0; i--) {
      const w = ws[i] as Window;
      if (w.chrom === chrom && w.start <= end + 1 && w.end >= start - 1) return w;
    }
    return null;
  }

  private find(chrom: string, start: number, end: number): Window | null {
    const ws = this.windows;
    for (let i = ws.length - 1; i >= 0; i--) {
      const w = ws[i] as Window;
      if (w.chrom === chrom && w.start <= start && w.end >= end) return w;
    }
    return null;
  }

  slice(chrom: string, start: number, end: number): string {
    if (end < start) return '';
    const length = this.lengthOf(chrom);
    if (length === undefined) return 'N'.repeat(end - start + 1);
    const lo = Math.max(1, start);
    const hi = Math.min(length, end);
    if (hi < lo) return 'N'.repeat(end - start + 1);
    const w = this.find(chrom, lo, hi);
    if (w === null) {
      throw new FastaError(
        `reference ${chrom}:${start}-${end} was not loaded; call ensure() for the region before slice()`,
      );
    }
    const core = w.seq.slice(lo - w.start, hi - w.start + 1);
    if (lo === start && hi === end) return core;
    return 'N'.repeat(lo - start) + core + 'N'.repeat(end - hi);
  }

  async close(): Promise<void> {
    this.windows = [];
  }
}
