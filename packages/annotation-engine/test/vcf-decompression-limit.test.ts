/**
 * The decompression limit of `vcf/input.ts`: past 2 MiB of text, a gzip input may inflate to at
 * most 100 times the compressed bytes read. Real files pass (the shared inputs inflate 7-8
 * fold), a small file passes whatever its ratio, and a bomb is refused with a sentence before
 * much of it is read. The bad-input corpus (services/annotator/test/bad-input-corpus.test.ts)
 * runs more bombs through the service.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  DecompressionBombError,
  decompressedChunks,
  MAX_EXPANSION,
  MAX_EXPANSION_FLOOR_BYTES,
} from '../src/vcf/input.ts';
import { readVcfFully } from '../src/vcf/reader.ts';

const inputs = path.join(import.meta.dirname, '../../../../shared/data/inputs');

/** The source as an S3 body delivers it: 64 kB chunks. */
async function* chunks(bytes: Buffer): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += 65_536) yield bytes.subarray(i, i + 65_536);
}

async function inflatedBytes(bytes: Buffer): Promise<number> {
  let n = 0;
  for await (const chunk of decompressedChunks(chunks(bytes))) n += chunk.length;
  return n;
}

describe('gzip decompression limit', () => {
  it('real inputs inflate whole (synthetic-100k: 391 kB -> 2.6 MB; 1000 Genomes: 3.8 MB -> 30 MB)', async () => {
    expect(await inflatedBytes(readFileSync(path.join(inputs, 'synthetic-100k.chr21.vcf.gz')))).toBe(
      2_642_264,
    );
    const kg = readFileSync(path.join(inputs, '1kg-phase1.grch37.chr1-head.1092-samples.vcf.gz'));
    expect(await inflatedBytes(kg)).toBe(29_825_719);
  });

  it('a small file passes whatever its ratio (1 MiB of text from 1 kB)', async () => {
    const small = gzipSync(Buffer.alloc(1024 * 1024, '\n'));
    expect(small.length * MAX_EXPANSION).toBeLessThan(1024 * 1024);
    expect(await inflatedBytes(small)).toBe(1024 * 1024);
  });

  it('a bomb is refused with a sentence once past the floor, long before its end', async () => {
    const record = '21\t25585733\trs142513484\tC\tT\t.\t.\t.\n';
    const bomb = Buffer.concat([
      gzipSync('##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n'),
      gzipSync(record.repeat(1_000_000)), // 37 MB of text in about 110 kB
    ]);
    let inflated = 0;
    const error = await (async () => {
      for await (const chunk of decompressedChunks(chunks(bomb))) inflated += chunk.length;
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecompressionBombError);
    expect((error as Error).message).toMatch(
      /^the gzip data expands more than 100-fold \(\d+ MB of text from the first 0\.\d\d MB of the file\), far beyond any real VCF: the file looks like a decompression bomb/,
    );
    expect(inflated).toBeGreaterThan(MAX_EXPANSION_FLOOR_BYTES - 512 * 1024);
    expect(inflated).toBeLessThan(MAX_EXPANSION * bomb.length + 512 * 1024);
    // through the reader it is a whole-file error, not a skipped line
    await expect(readVcfFully(chunks(bomb))).rejects.toBeInstanceOf(DecompressionBombError);
  });
});
