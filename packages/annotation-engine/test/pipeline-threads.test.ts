/**
 * Worker threads (parallel/pool.ts) change nothing but the speed: on the shared inputs, with
 * known-variant sources and three output formats, and on an input full of problems (malformed
 * lines, an unknown contig, a REF mismatch, unsorted records), a run on two threads (one worker,
 * and the main thread for the batches that come while the worker has its queue full) in small
 * batches writes the same bytes, the same summary and the same log as a run on one thread; under
 * the stop policy both stop with the same error. The worker's queue depth is varied so that the
 * main thread annotates most batches (depth 1), none (every batch to the worker) or all (0).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeneModels } from '../src/genes/index.ts';
import { KnownVariantSource, parseKnownSpec } from '../src/known/index.ts';
import type { EngineResources } from '../src/parallel/protocol.ts';
import { type AnnotateVcfOptions, annotateVcf, geneModelSource } from '../src/pipeline.ts';
import type { Reference } from '../src/reference/index.ts';
import { chr21, chr21Engine, inputs, sharedData, tempDir } from './fixtures/io/shared.ts';

const KNOWN = [
  `${path.join(sharedData, 'known/vep84_chr21_25-26Mb_known.vcf.gz')}:AF_AF=AF,EUR_AF`,
  `${path.join(sharedData, 'known/clinvar_20260226_GRCh38_genepanel_subset.vcf.gz')}:CLNSIG`,
].map(parseKnownSpec);
const STARTED = '2026-01-01T00:00:00.000Z';

let genes: GeneModels;
let reference: Reference;
let known: KnownVariantSource[];
let temp: { dir: string; remove: () => Promise<void> };
let resources: EngineResources;

beforeAll(async () => {
  ({ genes, reference } = await chr21Engine());
  known = await Promise.all(KNOWN.map((k) => KnownVariantSource.open(k, ['21'])));
  temp = await tempDir('gas-threads-');
  resources = {
    fasta: chr21.fasta,
    geneModels: { kind: 'file', path: chr21.gff, sha256: 'test', cacheDir: path.join(temp.dir, 'genes') },
    known: KNOWN,
    synonyms: [],
  };
});
afterAll(() => temp.remove());

/** One run; its outputs' bytes, the summary without timings, the log without timing lines. */
async function run(
  input: string,
  name: string,
  threads: number,
  more: Partial<AnnotateVcfOptions> = {},
  workerQueueDepth = 1,
) {
  // the same file names in both runs (they appear in the summary and the log)
  const dir = path.join(temp.dir, `threads-${threads}-${workerQueueDepth}`);
  await mkdir(dir, { recursive: true });
  const out = (ext: string) => path.join(dir, `${name}.${ext}`);
  const { summary, log } = await annotateVcf({
    input,
    output: out('vcf'),
    moreOutputs: [{ output: out('tsv') }, { output: out('jsonl') }],
    genes,
    reference,
    sources: [geneModelSource(genes), ...known.map((k) => k.asAnnotationSource())],
    provenance: { startedAt: STARTED },
    parallel: { threads, resources, minRecords: 0, batchRecords: 7, workerQueueDepth },
    ...more,
  });
  const { timings: _t, ...counts } = summary as typeof summary & { timings: unknown };
  return {
    files: await Promise.all(['vcf', 'tsv', 'jsonl'].map((ext) => readFile(out(ext)))),
    summary: counts,
    log: log.lines.filter((l) => !/done in|worker thread/.test(l)).map((l) => l.replace(/^\[[^\]]*\] /, '')),
  };
}

describe('worker threads', () => {
  it('write the same bytes, summary and log as one thread on the shared inputs', async () => {
    for (const name of ['vep-test.chr21.vcf', 'vep-test-not-ordered.vcf']) {
      const one = await run(inputs(name), name, 1);
      expect(one.files[0]!.length, name).toBeGreaterThan(10_000);
      for (const depth of [1, 0, 1000]) {
        const two = await run(inputs(name), name, 2, {}, depth);
        for (let i = 0; i < 3; i++)
          expect(two.files[i]!.equals(one.files[i]!), `${name} depth ${depth} output ${i}`).toBe(true);
        expect(two.summary, `${name} depth ${depth}`).toEqual(one.summary);
        expect(two.log, `${name} depth ${depth}`).toEqual(one.log);
      }
    }
  });

  it('report the same problems in the same order, and stop with the same error', async () => {
    const lines = (await readFile(inputs('vep-test.chr21.vcf'), 'latin1')).split('\n');
    const header = lines.filter((l) => l.startsWith('#'));
    const data = lines.filter((l) => l !== '' && !l.startsWith('#'));
    const mismatch = data[30]!.split('\t');
    mismatch[3] = mismatch[3] === 'A' ? 'C' : 'A';
    const messy = [
      ...header,
      ...data.slice(0, 20),
      'not\ta\trecord',
      'chrUn_x\t100\t.\tA\tG\t.\t.\t.\tGT\t0/1',
      ...data.slice(40, 60),
      mismatch.join('\t'),
      ...data.slice(20, 30),
      '21\tabc\t.\tA\tG\t.\t.\t.\tGT\t0/1',
      ...data.slice(60),
    ];
    const file = path.join(temp.dir, 'messy.vcf');
    await writeFile(file, `${messy.join('\n')}\n`, 'latin1');
    const one = await run(file, 'messy', 1);
    expect(one.summary.problems.byReason).toMatchObject({
      malformed_line: 2,
      unknown_contig: 1,
      ref_mismatch: 1,
    });
    const stopOne = await run(file, 'stop', 1, { onError: 'stop' }).catch((e: Error) => e.message);
    expect(stopOne).toMatch(/^line \d+: /);
    for (const depth of [1, 0, 1000]) {
      const two = await run(file, 'messy', 2, {}, depth);
      for (let i = 0; i < 3; i++)
        expect(two.files[i]!.equals(one.files[i]!), `depth ${depth} output ${i}`).toBe(true);
      expect(two.summary, `depth ${depth}`).toEqual(one.summary);
      expect(two.log, `depth ${depth}`).toEqual(one.log);
      const stopTwo = await run(file, 'stop', 2, { onError: 'stop' }, depth).catch((e: Error) => e.message);
      expect(stopTwo, `depth ${depth}`).toBe(stopOne);
    }
  });
});
