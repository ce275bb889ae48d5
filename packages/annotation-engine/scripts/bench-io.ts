/**
 * Benchmark of the engine's I/O path without prediction: read (gunzip + parse) -> normalise
 * alleles -> VCF writer, on the shared synthetic input, repeated to get past start-up noise.
 * A script, not a test:
 *   pnpm exec tsx packages/annotation-engine/scripts/bench-io.ts [FILE] [PASSES]
 * Prints records/s for: read only; read + normalise; + VCF writer copying lines; + VCF writer
 * formatting 3 CSQ entries per record (fixed consequences standing in for the predictor);
 * the last with BGZF output. "per CPU s" divides by the process's CPU time (all threads), which
 * is the one-core figure and stays meaningful on a loaded machine; "wall" is elapsed time.
 */
import { Writable } from 'node:stream';
import type { Transcript, TranscriptConsequence } from '../src/model.ts';
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
  geneModels: { path: 'genes.gff3.gz', sha256: null },
  reference: null,
  assembly: null,
  commandLine: null,
  startedAt: new Date().toISOString(),
};

const transcripts: Transcript[] = [1, 2, 3].map((i) => ({
  id: `ENST0000035295${i}`,
  version: '8',
  chrom: '21',
  start: 1,
  end: 2,
  strand: -1,
  biotype: 'protein_coding',
  geneId: `ENSG0000015471${i}`,
  geneSymbol: `GENE${i}`,
  geneBiotype: 'protein_coding',
  exons: [],
  cdsStart: 1,
  cdsEnd: 2,
  cdsStartPhase: 0,
  flags: [],
  attributes: {},
}));

class Discard extends Writable {
  override _write(_chunk: Buffer, _enc: string, cb: () => void): void {
    cb();
  }
}

type Mode = 'read' | 'normalise' | 'write' | 'write-csq' | 'write-csq-bgzf';

async function run(mode: Mode): Promise<{ wall: number; cpu: number }> {
  let records = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let p = 0; p < passes; p++) {
    const reader = await VcfReader.open(file);
    const writer =
      mode === 'read' || mode === 'normalise'
        ? null
        : createWriter(new Discard(), { format: 'vcf', bgzip: mode === 'write-csq-bgzf', provenance });
    await writer?.start(reader.header);
    for await (const batch of reader.batches()) {
      for (const rec of batch) {
        records++;
        if (mode === 'read') continue;
        const alleles = allelesOf(rec, rec.chrom);
        if (!writer) continue;
        const consequences: TranscriptConsequence[] = [];
        if (mode !== 'write') {
          for (const t of transcripts) {
            consequences.push({
              allele: alleles[0]!,
              transcript: t,
              consequences: ['missense_variant'],
              impact: 'MODERATE',
              exon: '10/10',
              intron: null,
              hgvsc: `${t.id}.8:c.991G>A`,
              hgvsp: 'ENSP00000284967.1:p.Ala331Thr',
              cdnaPosition: '1033',
              cdsPosition: '991',
              proteinPosition: '331',
              aminoAcids: 'A/T',
              codons: 'Gca/Aca',
              distance: null,
            });
          }
        }
        const w = writer.write({ record: rec, chrom: rec.chrom, alleles, consequences, note: null });
        if (w) await w;
      }
    }
    await writer?.finish();
  }
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { wall: records / wall, cpu: records / ((c.user + c.system) / 1e6) };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(11);
for (const mode of ['read', 'normalise', 'write', 'write-csq', 'write-csq-bgzf'] as const) {
  await run(mode); // warm-up
  const best = { wall: 0, cpu: 0 };
  for (let i = 0; i < 3; i++) {
    const r = await run(mode);
    best.wall = Math.max(best.wall, r.wall);
    best.cpu = Math.max(best.cpu, r.cpu);
  }
  console.log(`${mode.padEnd(15)} ${fmt(best.cpu)} records per CPU s ${fmt(best.wall)} records/s wall`);
}
