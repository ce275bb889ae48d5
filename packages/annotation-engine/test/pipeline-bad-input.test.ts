/**
 * Bad input through the whole pipeline: every malformed line of the shared list, a truncated
 * gzip and an engine failure on one record are reported with their line numbers and sentences,
 * while every good record around them is annotated and written.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeneModels } from '../src/genes/index.ts';
import { annotateVcf, geneModelSource } from '../src/pipeline.ts';
import type { Reference } from '../src/reference/index.ts';
import { readCsq } from './fixtures/io/csq.ts';
import { MALFORMED } from './fixtures/io/malformed.ts';
import { chr21Engine, inputs, tempDir } from './fixtures/io/shared.ts';

let genes: GeneModels;
let reference: Reference;
const temp = await tempDir();
beforeAll(async () => {
  ({ genes, reference } = await chr21Engine());
});
afterAll(() => temp.remove());

/** The 132 real records of vep-test.chr21.vcf as sites-only lines. */
async function goodRecords(): Promise<string[]> {
  const text = await readFile(inputs('vep-test.chr21.vcf'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split('\t').slice(0, 8).join('\t'));
}
const HEADER = ['##fileformat=VCFv4.2', '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO'];

describe('bad input through the pipeline', () => {
  it('every malformed line is reported with its line and sentence; every good record is annotated', async () => {
    const good = await goodRecords();
    const lines = [...HEADER];
    const expected: string[] = [];
    MALFORMED.forEach((m, i) => {
      lines.push(good[i]!);
      lines.push(m.line);
      expected.push(`${lines.length}: ${m.message}`);
    });
    const goodCount = MALFORMED.length + 1;
    lines.push(good[MALFORMED.length]!);
    const input = path.join(temp.dir, 'mixed.vcf');
    await writeFile(input, Buffer.from(`${lines.join('\n')}\n`, 'latin1'));
    const output = path.join(temp.dir, 'mixed.out.vcf');
    const { summary, log } = await annotateVcf({ input, output, genes, reference });
    expect(summary.problems.list.map((p) => `${p.line}: ${p.message}`)).toEqual(expected);
    expect(summary.problems.byReason).toEqual({ malformed_line: MALFORMED.length });
    expect(summary.records).toMatchObject({
      read: goodCount,
      annotated: goodCount,
      malformed: MALFORMED.length,
    });
    const { records } = readCsq(await readFile(output, 'latin1'));
    expect(records.map((r) => r.id)).toEqual(good.slice(0, goodCount).map((l) => l.split('\t')[2]));
    expect(records.every((r) => r.csq.length > 0)).toBe(true);
    for (const e of expected.slice(0, 3))
      expect(log.lines.some((l) => l.endsWith(`WARN:   line ${e}`))).toBe(true);
    // the tally reads as English: "N problems skipped and reported: N malformed lines"
    expect(log.lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `WARN: ${MALFORMED.length} problems skipped and reported: ${MALFORMED.length} malformed lines$`,
        ),
      ),
    );
  });

  it('a truncated gzip input: the records before the cut are annotated and the cut is reported', async () => {
    const good = await goodRecords();
    const many: string[] = [];
    for (let i = 0; i < 40; i++) many.push(...good.map((l) => l.replace(/\trs(\d+)\t/, `\trs$1_${i}\t`)));
    const gz = gzipSync(`${[...HEADER, ...many].join('\n')}\n`);
    const input = path.join(temp.dir, 'cut.vcf.gz');
    await writeFile(input, gz.subarray(0, Math.floor(gz.length * 0.6)));
    const output = path.join(temp.dir, 'cut.out.vcf');
    const { summary } = await annotateVcf({ input, output, genes, reference });
    const read = summary.records.read;
    expect(read).toBeGreaterThan(100);
    expect(read).toBeLessThan(many.length);
    expect(summary.records.annotated).toBe(read);
    expect(summary.problems.list).toHaveLength(1);
    expect(summary.problems.list[0]).toMatchObject({ line: read + 3, kind: 'truncated_input' });
    expect(summary.problems.list[0]!.message).toMatch(/^the gzip stream ends early: the file is truncated/);
    const { records } = readCsq(await readFile(output, 'utf8'));
    expect(records).toHaveLength(read);
    expect(records.every((r) => r.csq.length > 0)).toBe(true);
  });

  it('an engine failure on one record is reported with its line; the other records are annotated', async () => {
    const good = await goodRecords();
    const input = path.join(temp.dir, 'boom.vcf');
    await writeFile(input, `${[...HEADER, ...good.slice(0, 5)].join('\n')}\n`);
    const output = path.join(temp.dir, 'boom.out.vcf');
    const genesSource = geneModelSource(genes);
    const { summary } = await annotateVcf({
      input,
      output,
      genes,
      reference,
      // a source that breaks on one position stands in for a predictor bug
      sources: [
        {
          regionNeeded: (a) => genesSource.regionNeeded(a),
          annotate: (a, ref) => {
            if (a.start === 25587701) throw new Error('index out of range');
            return genesSource.annotate(a, ref);
          },
        },
      ],
    });
    expect(summary.problems.list).toEqual([
      {
        line: 4,
        kind: 'annotation_failed',
        message:
          'the engine failed on this record (index out of range); record not annotated. Please report it with the record',
      },
    ]);
    const { records } = readCsq(await readFile(output, 'utf8'));
    expect(records.map((r) => (r.csq.length > 0 ? 'csq' : r.info))).toEqual([
      'csq',
      'GAS_NOTE=annotation_failed',
      'csq',
      'csq',
      'csq',
    ]);
  });
});
