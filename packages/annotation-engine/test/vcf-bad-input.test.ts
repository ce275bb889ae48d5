/**
 * Bad input, generated here: every malformed line is reported with its line number and a plain
 * sentence, the good records around it are still read, `--on-error stop` turns the first one
 * into an error naming the line, and whole-file problems (empty, binary, foreign archive,
 * truncated gzip) give one clear error or report, never a crash.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError, ProblemLog } from '../src/vcf/problems.ts';
import { readVcfFully } from '../src/vcf/reader.ts';
import { MALFORMED } from './fixtures/io/malformed.ts';
import { tempDir } from './fixtures/io/shared.ts';

const temp = await tempDir();
afterAll(() => temp.remove());
let fileNo = 0;
async function file(content: string | Buffer, ext = '.vcf'): Promise<string> {
  const p = path.join(temp.dir, `case-${++fileNo}${ext}`);
  await writeFile(p, content);
  return p;
}

const HEADER = [
  '##fileformat=VCFv4.2',
  '##contig=<ID=21,length=46709983>',
  '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO',
];
const GOOD_BEFORE = '21\t25585733\trs142513484\tC\tT\t.\t.\t.';
const GOOD_AFTER = '21\t25587758\trs116645811\tG\tA\t.\tPASS\tDP=12';

/** Header (lines 1-3), a good record (4), the bad line (5), a good record (6). */
const around = (bad: string) => [...HEADER, GOOD_BEFORE, bad, GOOD_AFTER].join('\n') + '\n';

describe('malformed lines: reported with line number and sentence, good records kept', () => {
  for (const c of MALFORMED) {
    it(c.name, async () => {
      const p = await file(Buffer.from(around(c.line), 'latin1'));
      const { records, reader } = await readVcfFully(p);
      expect(reader.problems.kept).toEqual([{ line: 5, kind: 'malformed_line', message: c.message }]);
      expect(records.map((r) => r.line)).toEqual([4, 6]);
      expect(records.map((r) => r.id)).toEqual(['rs142513484', 'rs116645811']);
      expect(reader.counts.malformed).toBe(1);
    });
  }

  it('the stop policy turns the first bad line into one error naming the line', async () => {
    const p = await file(around('21\t25x87701\t.\tT\tC\t.\t.\t.'));
    const err = await readVcfFully(p, { problems: new ProblemLog('stop') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toBe('line 5: POS "25x87701" is not a whole number');
    expect((err as InputError).line).toBe(5);
  });

  it('sample columns must match the #CHROM header', async () => {
    const content = [
      '##fileformat=VCFv4.2',
      '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1',
      '21\t25585733\t.\tC\tT\t.\t.\t.\tGT\t0|1',
      '21\t25587701\t.\tT\tC\t.\t.\t.\tGT\t0|1\t1|1',
      '21\t25587758\t.\tG\tA\t.\t.\t.',
    ].join('\n');
    const { records, reader } = await readVcfFully(await file(content));
    expect(records.map((r) => r.line)).toEqual([3]);
    expect(reader.problems.kept.map((p) => `${p.line}: ${p.message}`)).toEqual([
      '4: the line has 11 columns but the #CHROM header has 10 (FORMAT and 1 sample)',
      '5: the line has 8 columns but the #CHROM header has 10 (FORMAT and 1 sample)',
    ]);
  });
});

describe('whole-file problems', () => {
  it('an empty file is an error', async () => {
    await expect(readVcfFully(await file(''))).rejects.toThrow(new InputError('the input file is empty'));
  });

  it('an empty gzip file is an error', async () => {
    await expect(readVcfFully(await file(gzipSync(''), '.vcf.gz'))).rejects.toThrow(
      'the input file is empty',
    );
  });

  it('binary garbage is refused at line 1 as not a VCF', async () => {
    const garbage = Buffer.concat([Buffer.from([0x00, 0x13, 0x37, 0x00]), randomBytes(4000)]);
    const err = (await readVcfFully(await file(garbage)).catch((e: unknown) => e)) as InputError;
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toBe(
      'line 1: the line contains binary data (byte 0x00 at column 1), not VCF text; the input is not a VCF file',
    );
  });

  it('a zip archive is named as such', async () => {
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), randomBytes(100)]);
    await expect(readVcfFully(await file(zip, '.vcf'))).rejects.toThrow(
      'the input is a zip archive, not a VCF (plain, gzip or bgzip text)',
    );
  });

  it('a header without records is read without problems (the pipeline warns)', async () => {
    const { records, reader } = await readVcfFully(await file(`${HEADER.join('\n')}\n`));
    expect(records).toEqual([]);
    expect(reader.problems.total).toBe(0);
    expect(reader.counts.lines).toBe(3);
  });

  it('no #CHROM line: noted at the first data line (not a skipped record), fixed columns assumed', async () => {
    const content = ['##fileformat=VCFv4.2', GOOD_BEFORE, GOOD_AFTER].join('\n');
    const { records, reader } = await readVcfFully(await file(content));
    expect(reader.problems.kept).toEqual([
      {
        line: 2,
        kind: 'missing_header',
        message:
          'the file has no #CHROM header line before its first data line; the columns are taken to be CHROM POS ID REF ALT QUAL FILTER INFO',
      },
    ]);
    expect(records.map((r) => r.line)).toEqual([2, 3]);
    expect(reader.problems.total).toBe(1);
    expect(reader.problems.recordsSkipped).toBe(0);
  });

  it('a #CHROM line separated by spaces says so', async () => {
    const content = ['##fileformat=VCFv4.2', '#CHROM POS ID REF ALT QUAL FILTER INFO', GOOD_BEFORE].join(
      '\n',
    );
    await expect(readVcfFully(await file(content))).rejects.toThrow(
      'line 2: the #CHROM header line should start with the columns CHROM, POS, ID, REF, ALT, QUAL, FILTER, INFO separated by tabs, but column 1 is "CHROM POS ID REF ALT QUAL FILTER INFO" (the columns look separated by spaces, and VCF needs tabs)',
    );
  });

  it('a bad #CHROM line is an error naming the line', async () => {
    const content = ['##fileformat=VCFv4.2', '#CHROM\tPOS\tREF\tALT', GOOD_BEFORE].join('\n');
    await expect(readVcfFully(await file(content))).rejects.toThrow(
      'line 2: the #CHROM header line should start with the columns CHROM, POS, ID, REF, ALT, QUAL, FILTER, INFO separated by tabs, but column 3 is "REF"',
    );
  });

  it('a truncated gzip file: records before the cut are read, the cut is reported with its line', async () => {
    // varied content so that the compressed file is long enough to cut in the middle
    const lines = [...HEADER];
    for (let i = 0; i < 4000; i++) {
      lines.push(
        `21\t${25_000_000 + i * 7}\trs${(i * 7919) % 100_003}\tA\tG\t${i % 97}\t.\tDP=${(i * 31) % 1000}`,
      );
    }
    const gz = gzipSync(`${lines.join('\n')}\n`);
    const cut = gz.subarray(0, Math.floor(gz.length / 2));
    const { records, reader } = await readVcfFully(await file(cut, '.vcf.gz'));
    expect(records.length).toBeGreaterThan(100);
    expect(records.length).toBeLessThan(4000);
    // every record before the cut, in order, none invented
    expect(records.map((r) => r.line)).toEqual(records.map((_, i) => i + 4));
    const last = records[records.length - 1]!.line;
    expect(reader.problems.kept).toEqual([
      {
        line: last + 1,
        kind: 'truncated_input',
        message: `the gzip stream ends early: the file is truncated (cut off during upload or copy?); the line is incomplete and was dropped (records up to line ${last} were read)`,
      },
    ]);
  });

  it('a truncated gzip file under the stop policy is one error', async () => {
    const gz = gzipSync(
      `${[...HEADER, GOOD_BEFORE].join('\n')}\n${'21\t1\t.\tA\tG\t.\t.\t.\n'.repeat(5000)}`,
    );
    const err = (await readVcfFully(await file(gz.subarray(0, gz.length - 20), '.vcf.gz'), {
      problems: new ProblemLog('stop'),
    }).catch((e: unknown) => e)) as InputError;
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/^line \d+: the gzip stream ends early: the file is truncated/);
  });
});
