/**
 * Reader behaviour the bad-input corpus (issue #10) asked for, one fixture each: a UTF-8 byte
 * order mark is not part of the header; a file of blank lines is empty; a gzip stream broken
 * before its first line is a whole-file error that says so (it used to read "empty"); binary
 * bytes in ID/QUAL/FILTER/INFO, and NUL in the (unparsed) sample columns, make the record
 * malformed; UTF-16 and CR-only line ends are named.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readVcfFully } from '../src/vcf/reader.ts';

const VCF = [
  '##fileformat=VCFv4.2',
  '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO',
  '21\t25585733\trs1\tC\tT\t.\t.\t.',
  '21\t25587701\trs2\tT\tC\t.\t.\t.',
  '',
].join('\n');

async function* once(bytes: Buffer): AsyncGenerator<Buffer> {
  yield bytes;
}
const read = (bytes: Buffer | string) =>
  readVcfFully(once(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes));

describe('hostile input, whole files', () => {
  it('a UTF-8 byte order mark before ##fileformat is dropped: header and records as without it', async () => {
    const { header, records, reader } = await read(
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(VCF)]),
    );
    expect(header.fileformat).toBe('VCFv4.2');
    expect(records).toHaveLength(2);
    expect(reader.problems.total).toBe(0);
  });

  it('blank lines only: empty', async () => {
    await expect(read('\n\n\r\n')).rejects.toThrow(/^the input file is empty \(only blank lines\)$/);
  });

  it('gzip cut in its first bytes, or a small gzip with garbage after it: the gzip sentence, not "empty"', async () => {
    const gz = gzipSync(VCF);
    await expect(read(gz.subarray(0, 12))).rejects.toThrow(
      /^the gzip stream ends early: the file is truncated/,
    );
    await expect(read(Buffer.concat([gz, Buffer.from('garbage after the member')]))).rejects.toThrow(
      /^the gzip data is corrupt .*has data appended after the compressed part$/,
    );
  });

  it('UTF-16 and CR-only line ends are named, on line 1', async () => {
    const utf16 = read(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(VCF, 'utf16le')]));
    await expect(utf16).rejects.toThrow(/^line 1: the file is UTF-16 text/);
    await expect(read(VCF.replaceAll('\n', '\r'))).rejects.toThrow(/^line 1: the lines end in CR only/);
  });
});

describe('hostile input, records', () => {
  it('control characters in CHROM, ID, QUAL, FILTER or INFO: the record is skipped with its line', async () => {
    const lines = VCF.split('\n');
    const bad = [
      '2\u00011\t25585733\t.\tC\tT\t.\t.\t.',
      '21\t25585733\trs\u00071\tC\tT\t.\t.\t.',
      '21\t25585733\t.\tC\tT\t3\u00000\t.\t.',
      '21\t25585733\t.\tC\tT\t.\tPA\u001bSS\t.',
      '21\t25585733\t.\tC\tT\t.\t.\tDP=\u00021',
    ];
    const { records, reader } = await read([...lines.slice(0, 2), ...bad, ...lines.slice(2)].join('\n'));
    expect(records.map((r) => r.id)).toEqual(['rs1', 'rs2']);
    expect(reader.problems.kept.map((p) => p.line)).toEqual([3, 4, 5, 6, 7]);
    for (const p of reader.problems.kept)
      expect(p.message).toMatch(/binary data \(byte 0x[0-9a-f]{2} at (column|character) \d+\)/);
  });

  it('NUL in FORMAT or a sample column (not parsed): the record is skipped with its line and column', async () => {
    const withSamples = [
      '##fileformat=VCFv4.2',
      '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB',
      '21\t25585733\trs1\tC\tT\t.\t.\t.\tGT\t0|1\t0|\u00001',
      '21\t25587701\trs2\tT\tC\t.\t.\t.\tG\u0000T\t0|1\t0|0',
      '21\t25587758\trs3\tG\tA\t.\t.\t.\tGT\t0|1\t0|0',
      '',
    ].join('\n');
    const { records, reader } = await read(withSamples);
    expect(records.map((r) => r.id)).toEqual(['rs3']);
    expect(reader.problems.kept.map((p) => [p.line, p.message])).toEqual([
      [3, 'the line contains binary data (byte 0x00 at column 36), not VCF text'],
      [4, 'the line contains binary data (byte 0x00 at column 28), not VCF text'],
    ]);
  });
});
