/**
 * Gene models: GFF3 (Ensembl and RefSeq styles) and GTF into `Transcript`s, plus an interval
 * index answering "which transcripts lie within `flank` bases of this region".
 *
 * Reading is a GeneModelParser (./parse.ts: lines in, transcripts out, no I/O) fed by a
 * streaming line reader that handles plain, gzip and bgzip files. See ./parse.ts for how
 * features are linked into transcripts.
 *
 * Why not @gmod/gff: measured on this machine on ensembl84.chr21.gff3 (29 k lines),
 * @gmod/gff 2.0.0 `parseStringSync` took 2.9-5.9 s and 81-205 MB of heap just to build its
 * feature graph (it keeps every feature to resolve parents), and it reads no GTF; this parser,
 * gunzip and linking into Transcripts included, takes 0.65-1.2 s and 29-49 MB. It keeps only
 * what a Transcript needs and reads both formats with one linking step.
 *
 * The index (./interval-index.ts): per contig, transcripts sorted by start with a running
 * maximum of their ends; a query is one binary search plus a backward scan that stops as soon
 * as the running maximum falls below the query start. No per-query allocation but the result.
 *
 * Coordinates: GENOMIC, 1-BASED, CLOSED, as in the files.
 */
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Transcript, TranscriptIndex } from '../model.ts';
import { TranscriptIntervalIndex } from './interval-index.ts';
import { GeneModelError, GeneModelParser } from './parse.ts';

export { TranscriptIntervalIndex } from './interval-index.ts';
export { GeneModelError } from './parse.ts';

export interface GeneModels extends TranscriptIndex {
  transcripts: Transcript[];
  file: string;
  format: 'gff3' | 'gtf';
}

export interface LoadGeneModelsOptions {
  /** Maps the file's contig names to the reference's spelling (e.g. NC_000021.9 -> 21). */
  contigName?: (name: string) => string;
}

/** Reads a plain or gzip/bgzip GFF3 or GTF file into an indexed set of transcripts. */
export async function loadGeneModels(file: string, opts: LoadGeneModelsOptions = {}): Promise<GeneModels> {
  if (!existsSync(file)) throw new GeneModelError(`gene model file not found: ${file}`);
  const format = detectFormat(file);
  const parser = new GeneModelParser(format, file, opts.contigName);
  const head = await readFirstBytes(file, 2);
  const raw = createReadStream(file);
  const input = head[0] === 0x1f && head[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let gunzipError: Error | null = null;
  input.on('error', (err: Error) => {
    gunzipError = err;
  });
  try {
    for await (const line of lines) {
      if (!parser.line(line)) break;
    }
  } catch (err) {
    if (err instanceof GeneModelError) throw err;
    throw new GeneModelError(
      `${file}: cannot read (${(err as Error).message}); is it a truncated or corrupt gzip file?`,
    );
  }
  if (gunzipError !== null) {
    throw new GeneModelError(
      `${file}: cannot read (${(gunzipError as Error).message}); is it a truncated gzip file?`,
    );
  }
  const transcripts = parser.finish();
  const index = new TranscriptIntervalIndex(transcripts);
  return {
    transcripts,
    file,
    format,
    overlapping: (chrom, start, end, flank) => index.overlapping(chrom, start, end, flank),
    nearby: (chrom, start, end, flank) => index.nearby(chrom, start, end, flank),
  };
}

function detectFormat(file: string): 'gff3' | 'gtf' {
  const name = file.toLowerCase().replace(/\.(gz|bgz)$/, '');
  if (name.endsWith('.gtf') || name.endsWith('.gtf2') || name.endsWith('.gff2')) return 'gtf';
  return 'gff3';
}

async function readFirstBytes(path: string, n: number): Promise<Buffer> {
  const { open } = await import('node:fs/promises');
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    await fh.read(buf, 0, n, 0);
    return buf;
  } finally {
    await fh.close();
  }
}
