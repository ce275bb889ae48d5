/**
 * The reader against htslib (bcftools, Debian): on the shared inputs and on a seeded random VCF
 * (multi-allelic, indels, symbolic and star alleles, lower case, INFO flags and lists, CRLF,
 * gzip), every record's CHROM, POS, ID, REF, ALT, QUAL, FILTER and INFO keys equal what
 * `bcftools query` prints for it.
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../src/seeded-random.ts';
import { readVcfFully } from '../src/vcf/reader.ts';
import { inputs, tempDir } from './fixtures/io/shared.ts';

const temp = await tempDir();
afterAll(() => temp.remove());

/**
 * One comparable line per record. htslib parses typed values and prints them its own way
 * (QUAL 55.0 -> 55, INFO floats 0.9330 -> 0.933), while our reader keeps the text as written
 * (the output must copy it verbatim), so QUAL is compared as a number and INFO by its keys.
 */
function comparable(
  chrom: string,
  pos: string,
  id: string,
  ref: string,
  alt: string,
  qual: string,
  filter: string,
  info: string,
): string {
  const q = qual === '.' ? '.' : String(Number(qual));
  const keys =
    info === '.'
      ? '.'
      : info
          .split(';')
          .map((e) => e.split('=')[0])
          .join(';');
  return [chrom, pos, id, ref, alt, q, filter, keys].join('|');
}

function bcftoolsRecords(file: string): string[] {
  const out = execFileSync(
    'bcftools',
    ['query', '-f', '%CHROM|%POS|%ID|%REF|%ALT|%QUAL|%FILTER|%INFO\\n', file],
    {
      encoding: 'latin1',
      maxBuffer: 1 << 28,
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [chrom, pos, id, ref, alt, qual, filter, info] = l.split('|') as [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      return comparable(chrom, pos, id, ref, alt, qual, filter, info);
    });
}

async function ourRecords(file: string): Promise<string[]> {
  const { records, reader } = await readVcfFully(file);
  expect(reader.problems.total).toBe(0);
  return records.map((r) =>
    comparable(r.chrom, String(r.pos), r.id, r.ref, r.alts.join(','), r.qual, r.filter, r.info),
  );
}

function randomVcf(seed: number, n: number): string {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const bases = (k: number) =>
    Array.from({ length: k }, () => pick(['A', 'C', 'G', 'T', 'a', 'c', 'N'])).join('');
  const lines = [
    '##fileformat=VCFv4.3',
    '##contig=<ID=21,length=46709983>',
    '##contig=<ID=chrX,length=156040895>',
    '##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">',
    '##INFO=<ID=AF,Number=A,Type=Float,Description="Frequency">',
    '##INFO=<ID=DB,Number=0,Type=Flag,Description="dbSNP">',
    '##INFO=<ID=NOTE,Number=1,Type=String,Description="Free text">',
    '##FILTER=<ID=LowQual,Description="Low quality">',
    '##FILTER=<ID=q10,Description="Quality below 10">',
    '##ALT=<ID=DEL,Description="Deletion">',
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2',
  ];
  let pos = 1000;
  for (let i = 0; i < n; i++) {
    pos += 1 + Math.floor(rnd() * 50);
    const ref = bases(1 + Math.floor(rnd() ** 3 * 8));
    const nAlt = 1 + Math.floor(rnd() ** 2 * 3);
    const alts = Array.from({ length: nAlt }, () => {
      const r = rnd();
      if (r < 0.05) return '<DEL>';
      if (r < 0.08) return '*';
      if (r < 0.5) return bases(1);
      return ref[0] + bases(Math.floor(rnd() * 6));
    });
    const info: string[] = [];
    if (rnd() < 0.5) info.push(`DP=${Math.floor(rnd() * 100)}`);
    if (rnd() < 0.3) info.push(`AF=${alts.map(() => (rnd() / 2).toFixed(3)).join(',')}`);
    if (rnd() < 0.2) info.push('DB');
    if (rnd() < 0.1) info.push(`NOTE=a:b/c(${i})`);
    const qual = rnd() < 0.3 ? '.' : (rnd() * 100).toFixed(1);
    const filter = pick(['.', 'PASS', 'LowQual', 'LowQual;q10']);
    const gt = () => `${pick(['0', '1', '.'])}${pick(['/', '|'])}${pick(['0', '1'])}`;
    lines.push(
      [
        pick(['21', 'chrX']),
        pos,
        rnd() < 0.5 ? '.' : `rs${i}`,
        ref,
        alts.join(','),
        qual,
        filter,
        info.join(';') || '.',
        'GT',
        gt(),
        gt(),
      ].join('\t'),
    );
  }
  return `${lines.join(rnd() < 0.5 ? '\n' : '\r\n')}\n`;
}

describe('reader vs bcftools query', () => {
  for (const name of [
    'vep-test.chr21.vcf',
    'vep-idt-test.vcf',
    'vep-test-not-ordered.vcf',
    'synthetic-100k.chr21.vcf.gz',
    '1kg-phase1.grch37.chr1-head.1092-samples.vcf.gz',
  ]) {
    it(name, async () => {
      const file = inputs(name);
      const ours = await ourRecords(file);
      const theirs = bcftoolsRecords(file);
      expect(ours.length).toBe(theirs.length);
      expect(ours).toEqual(theirs);
    });
  }

  for (const seed of [1, 2, 3]) {
    it(`seeded random VCF #${seed} (plain and gzip, LF or CRLF)`, async () => {
      const text = randomVcf(seed, 3000);
      const plain = path.join(temp.dir, `random-${seed}.vcf`);
      const gz = path.join(temp.dir, `random-${seed}.vcf.gz`);
      await writeFile(plain, text);
      await writeFile(gz, gzipSync(text));
      const theirs = bcftoolsRecords(plain);
      expect(await ourRecords(plain)).toEqual(theirs);
      expect(await ourRecords(gz)).toEqual(theirs);
      expect(theirs).toHaveLength(3000);
    });
  }
});
