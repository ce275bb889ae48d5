/**
 * Benchmark of the engine's I/O path without prediction: read (gunzip + parse) -> normalise
 * alleles -> VCF writer, on the shared synthetic input, repeated to get past start-up noise.
 * A script, not a test: `pnpm exec tsx packages/annotation-engine/scripts/bench-io.ts [FILE] [PASSES]`.
 * Prints records/s for read only, read + normalise, and read + normalise + write (plain, BGZF).
 */
import { Writable } from 'node:stream';
import { allelesOf } from '../src/normalise/alleles.ts';
import { createWriter } from '../src/output/factory.ts';
import type { Provenance } from '../src/output/types.ts';
import { VcfReader } from '../src/vcf/reader.ts';

const file =
  process.argv[2] ??
  new URL('../../../../shared/data/inputs/synthetic-100k.chr21.vcf.gz', import.meta.url).pathname;
const passes = Number(process.argv[3] ?? 10);

const provenance: Provenance = {
  engine: 'bench',
  version: '0',
  geneModels: null,
  reference: null,
  assembly: null,
  commandLine: null,
  startedAt: new Date().toISOString(),
};

class Discard extends Writable {
  bytes = 0;
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.bytes += chunk.length;
    cb();
  }
}

async function run(mode: 'read' | 'normalise' | 'write' | 'write-bgzf'): Promise<number> {
  let records = 0;
  const t0 = performance.now();
  for (let p = 0; p < passes; p++) {
    const reader = await VcfReader.open(file);
    const sink = new Discard();
    const writer =
      mode === 'write' || mode === 'write-bgzf'
        ? createWriter(sink, { format: 'vcf', bgzip: mode === 'write-bgzf', provenance })
        : null;
    await writer?.start(reader.header);
    for await (const batch of reader.batches()) {
      for (const rec of batch) {
        records++;
        if (mode === 'read') continue;
        const alleles = allelesOf(rec, rec.chrom);
        if (writer) {
          const w = writer.write({ record: rec, chrom: rec.chrom, alleles, consequences: [], note: null });
          if (w) await w;
        }
      }
    }
    await writer?.finish();
  }
  const s = (performance.now() - t0) / 1000;
  return records / s;
}

for (const mode of ['read', 'normalise', 'write', 'write-bgzf'] as const) {
  await run(mode); // warm-up
  const rate = await run(mode);
  console.log(`${mode.padEnd(11)} ${Math.round(rate).toLocaleString('en-US').padStart(11)} records/s`);
}
