/**
 * Reference access: bgzip + .fai + .gzi, plain + .fai, plain without an index (indexed in
 * memory), all answering the same bases; 1-based closed slices; 'N' outside the contig; a slice
 * that was not ensured is refused with a sentence; bad files are named.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FastaError, openReference, type Reference } from '../src/reference/index.ts';
import { DATA } from './fixtures/science/truth-helpers.ts';

const BGZIP = `${DATA}reference/grch38-chr21/chr21.fa.gz`;
const tmp = mkdtempSync(join(tmpdir(), 'gas-fasta-'));
let bgzip: Reference;
// 21:25,585,701-25,585,800 (MRPL39 last exon), read independently below from the bgzip file
let window100: string;

beforeAll(async () => {
  bgzip = await openReference(BGZIP);
  await bgzip.ensure('21', 25_585_701, 25_585_800);
  window100 = bgzip.slice('21', 25_585_701, 25_585_800);
});
afterAll(async () => {
  await bgzip.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Writes `>name` + seq as plain FASTA with 60-column lines, optionally with a .fai. */
function writePlain(path: string, contigs: [string, string][], withFai: boolean): void {
  let text = '';
  let fai = '';
  for (const [name, seq] of contigs) {
    const header = `>${name} test contig\n`;
    const offset = Buffer.byteLength(text) + Buffer.byteLength(header);
    text += header;
    for (let i = 0; i < seq.length; i += 60) text += `${seq.slice(i, i + 60)}\n`;
    fai += `${name}\t${seq.length}\t${offset}\t60\t61\n`;
  }
  writeFileSync(path, text);
  if (withFai) writeFileSync(`${path}.fai`, fai);
}

describe('openReference', () => {
  it('reads the bgzip chr21 with its .fai and .gzi: lengths and known bases', async () => {
    expect(bgzip.contigLengths.get('21')).toBe(46_709_983);
    // rs142513484 is 21:25585733 C>T (data README)
    expect(window100[25_585_733 - 25_585_701]).toBe('C');
    expect(window100).toMatch(/^[ACGT]{100}$/);
    // the N-filled part of the contig
    await bgzip.ensure('21', 1, 10);
    expect(bgzip.slice('21', 1, 10)).toBe('NNNNNNNNNN');
  });

  it('plain FASTA with and without .fai gives the same bases as the bgzip file', async () => {
    const other = 'ACGT'.repeat(40);
    for (const withFai of [true, false]) {
      const path = join(tmp, `plain-${withFai}.fa`);
      writePlain(
        path,
        [
          ['other', other],
          ['win', window100.toLowerCase()],
        ],
        withFai,
      );
      const ref = await openReference(path);
      expect(ref.contigLengths.get('win')).toBe(100);
      await ref.ensure('win', 1, 100);
      expect(ref.slice('win', 1, 100)).toBe(window100); // upper-cased
      expect(ref.slice('win', 33, 35)).toBe(window100.slice(32, 35));
      await ref.ensure('other', 1, 160);
      expect(ref.slice('other', 158, 160)).toBe('CGT');
      await ref.close();
    }
  });

  it('answers N beyond the contig and for unknown contigs; 1-based closed', async () => {
    const path = join(tmp, 'small.fa');
    writePlain(path, [['c', 'ACGTACGTAC']], false);
    const ref = await openReference(path);
    await ref.ensure('c', -5, 20);
    expect(ref.slice('c', 1, 1)).toBe('A');
    expect(ref.slice('c', 2, 4)).toBe('CGT');
    expect(ref.slice('c', -1, 2)).toBe('NNAC');
    expect(ref.slice('c', 9, 12)).toBe('ACNN');
    expect(ref.slice('c', 5, 4)).toBe('');
    expect(ref.slice('nope', 1, 3)).toBe('NNN');
  });

  it('refuses a slice that was not loaded, saying what to do', async () => {
    const ref = await openReference(BGZIP);
    expect(() => ref.slice('21', 30_000_000, 30_000_010)).toThrow(/not loaded; call ensure\(\)/);
    await ref.close();
  });

  it('names missing and non-FASTA files', async () => {
    await expect(openReference(join(tmp, 'missing.fa'))).rejects.toThrow(/FASTA file not found/);
    const notFasta = join(tmp, 'not.fa');
    writeFileSync(notFasta, 'ACGT\n>late\nACGT\n');
    await expect(openReference(notFasta)).rejects.toThrow(FastaError);
    await expect(openReference(notFasta)).rejects.toThrow(/line 1: sequence before the first '>' header/);
    const empty = join(tmp, 'empty.fa');
    writeFileSync(empty, '');
    await expect(openReference(empty)).rejects.toThrow(/no sequence found/);
  });

  it('refuses to read a big unindexed FASTA whole and says how to index it', async () => {
    const path = join(tmp, 'big.fa');
    writePlain(path, [['c', 'ACGT'.repeat(500)]], false);
    await expect(openReference(path, { maxUnindexedBytes: 1000 })).rejects.toThrow(
      /has no \.fai index and is too big to read whole \(\d+ bytes\); index it: samtools faidx/,
    );
    const gz = join(tmp, 'big.fa.gz');
    writeFileSync(gz, gzipSync(readFileSync(path)));
    await expect(openReference(gz, { maxUnindexedBytes: 10 })).rejects.toThrow(
      /compressed but has no \.fai\/\.gzi index/,
    );
    const small = await openReference(gz);
    await small.ensure('c', 1, 8);
    expect(small.slice('c', 1, 8)).toBe('ACGTACGT');
  });
});

describe('reference windows', () => {
  it('grows a window for a neighbouring region and keeps earlier bases readable', async () => {
    const ref = await openReference(BGZIP);
    await ref.ensure('21', 25_585_701, 25_585_800); // window 25,427,969-25,690,112
    await ref.ensure('21', 25_900_000, 25_900_100); // the next 256 kb: the window grows
    expect(ref.slice('21', 25_585_701, 25_585_800)).toBe(window100);
    const long = ref.slice('21', 25_585_701, 25_900_100);
    expect(long.length).toBe(25_900_100 - 25_585_701 + 1);
    expect(long.slice(0, 100)).toBe(window100);
    await ref.close();
  });
});
