/**
 * One pass, several formats (`moreOutputs`, output/tee-writer.ts): VCF + TSV + JSON Lines from a
 * single read of the input are byte for byte the files three separate runs write (the run's
 * start time aside), and a failing run leaves none of them behind.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeneModels } from '../src/genes/index.ts';
import { annotateVcf } from '../src/pipeline.ts';
import type { Reference } from '../src/reference/index.ts';
import { chr21Engine, inputs, tempDir } from './fixtures/io/shared.ts';

let genes: GeneModels;
let reference: Reference;
let temp: { dir: string; remove: () => Promise<void> };
const out = (name: string) => path.join(temp.dir, name);
const STARTED = '2026-01-01T00:00:00.000Z';

beforeAll(async () => {
  ({ genes, reference } = await chr21Engine());
  temp = await tempDir('gas-onepass-');
});
afterAll(() => temp.remove());

describe('one pass, several outputs', () => {
  it('VCF, TSV and JSON Lines from one read equal three separate runs', async () => {
    const input = inputs('vep-test.chr21.vcf');
    const { summary } = await annotateVcf({
      input,
      output: out('one.vcf.gz'),
      moreOutputs: [{ output: out('one.tsv') }, { output: out('one.jsonl') }],
      genes,
      reference,
      provenance: { startedAt: STARTED },
    });
    expect(summary.records.annotated).toBe(132);
    for (const [name, sep] of [
      ['vcf.gz', 'sep.vcf.gz'],
      ['tsv', 'sep.tsv'],
      ['jsonl', 'sep.jsonl'],
    ] as const) {
      await annotateVcf({ input, output: out(sep), genes, reference, provenance: { startedAt: STARTED } });
      const a = await readFile(out(`one.${name}`));
      const b = await readFile(out(sep));
      expect(a.length, name).toBeGreaterThan(1000);
      expect(a.equals(b), name).toBe(true);
    }
  });

  it('a failing run removes every output', async () => {
    const err = await annotateVcf({
      input: inputs('1kg-phase1.grch37.chr1-head.1092-samples.vcf.gz'),
      output: out('bad.vcf'),
      moreOutputs: [{ output: out('bad.tsv') }, { output: out('bad.jsonl'), format: 'json' }],
      genes,
      reference,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((await readdir(temp.dir)).filter((f) => f.startsWith('bad.'))).toEqual([]);
  });
});
