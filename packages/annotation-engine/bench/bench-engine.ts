/**
 * The engine benchmark (a script, not a test): GAS against `bcftools csq -l` on the same inputs,
 * in one run, on this machine.
 *
 *   pnpm bench:engine [--sizes 100000,1000000[,10000000]] [--seed 42] [--keep DIR] [--threads N]
 *                     [--repeat R] [--snpeff [--snpeff-max 100000] [--snpeff-cache DIR]] [--floor]
 *   (or: pnpm --filter @gas/annotation-engine bench -- ...)
 *
 * Inputs come from the project's own seeded generator (`generateSynthetic` below), the shape of
 * ../shared/data/inputs/synthetic-100k.chr21.vcf.gz: sites-only, 90% SNVs, 5% deletions and 5%
 * insertions of 1-12 bp, positions uniform over the real block 21:24,985,581-26,000,306, REF
 * from the FASTA, sorted, bgzip-compressed. Both tools read the same file, use the same FASTA
 * and the Ensembl GFF3, and write uncompressed VCF (bcftools `-Ov`; GAS `-o x.vcf`), so neither
 * pays for BGZF output. Each tool runs under `/usr/bin/time -v`: wall time and peak RSS are the
 * whole process's, start-up included (node + gene models for GAS), as in the data README's table.
 * GAS is the built CLI (`dist/cli.mjs`, bundled first by scripts/build-cli.ts: JavaScript as
 * deployed, no tsx in the process). It also reports its own annotation-only rate (from its
 * summary: after the header is read). GAS runs with its default thread count (1) unless
 * `--threads N` is given (the row names the count); worker threads are threads of one process,
 * so its peak RSS covers all of them.
 *
 * `--repeat R` runs bcftools and GAS R times per size, alternately (bcftools, GAS, bcftools,
 * GAS, ...), prints a row pair per run and then the ratios' minimum, median and maximum: on a
 * shared host the speed of both tools drifts between runs (bcftools alone varied 0.50-0.82 M
 * variants/s within one hour here), and only the ratio of a pair run back to back is comparable.
 *
 * `--floor` adds, per size, the I/O floor (bench/io-floor.ts): the seconds a JS process spends
 * only reading the input and writing as many bytes as GAS's output, against bcftools' whole run.
 *
 * With `--snpeff`, SnpEff 5.1d (Debian package) runs on the same files too, for sizes up to
 * `--snpeff-max` records (it is ~100x slower): its database is built from the same FASTA and GFF3
 * and cached by checksum (peers/snpeff.ts); its ratio is SnpEff/bcftools.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildCli } from '../scripts/build-cli.ts';
import { openReference } from '../src/reference/index.ts';
import { seededRandom } from '../src/seeded-random.ts';
import { checkSnpEffOutput, prepareSnpEffDatabase, snpEffAnnotateCommand } from './peers/snpeff.ts';

const here = path.dirname(new URL(import.meta.url).pathname);
const repoRoot = path.resolve(here, '../../..');
const DATA = path.resolve(repoRoot, '../shared/data');
const FASTA = path.join(DATA, 'reference/grch38-chr21/chr21.fa.gz');
const GFF3 = path.join(DATA, 'reference/grch38-chr21/ensembl84.chr21.gff3.gz');
/** gas-annotate's default --threads (src/cli.ts DEFAULT_THREADS), for the row's label. */
const CLI_DEFAULT_THREADS = 1;
const BLOCK_START = 24_985_581;
const BLOCK_END = 26_000_306;

/**
 * Writes `n` sorted sites-only records to `file` (bgzip). Positions are drawn uniformly per
 * 10 kb slice (count proportional to the slice, fraction by the PRNG) and sorted within it, so
 * memory stays flat whatever `n`.
 */
export async function generateSynthetic(file: string, n: number, seed: number): Promise<void> {
  const rand = seededRandom(seed);
  const reference = await openReference(FASTA);
  const bgzip = spawn('bgzip', ['-c', '-@', '2'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const out = createWriteStream(file);
  bgzip.stdout.pipe(out);
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    bgzip.on('error', reject);
  });
  const write = (s: string) =>
    bgzip.stdin.write(s) ? undefined : new Promise<void>((r) => bgzip.stdin.once('drain', () => r()));
  await write(
    '##fileformat=VCFv4.2\n##contig=<ID=21,length=46709983>\n##source=gas-bench-engine seed=' +
      `${seed}\n##INFO=<ID=SYN,Number=0,Type=Flag,Description="Synthetic record">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n`,
  );
  const SLICE = 10_000;
  const span = BLOCK_END - BLOCK_START + 1;
  const BASES = 'ACGT';
  let emitted = 0;
  for (let s = BLOCK_START; s <= BLOCK_END; s += SLICE) {
    const e = Math.min(s + SLICE - 1, BLOCK_END);
    const exact = (n * (e - s + 1)) / span;
    let count = Math.floor(exact) + (rand() < exact - Math.floor(exact) ? 1 : 0);
    if (e === BLOCK_END) count = n - emitted;
    if (count <= 0) continue;
    await reference.ensure('21', s, Math.min(e + 13, BLOCK_END + 13));
    const positions = new Float64Array(count);
    for (let i = 0; i < count; i++) positions[i] = s + Math.floor(rand() * (e - s + 1));
    positions.sort();
    let chunk = '';
    for (let i = 0; i < count; i++) {
      const pos = positions[i]!;
      const kind = rand();
      let ref: string;
      let alt: string;
      if (kind < 0.9) {
        ref = reference.slice('21', pos, pos);
        let b = BASES[Math.floor(rand() * 4)]!;
        while (b === ref) b = BASES[Math.floor(rand() * 4)]!;
        alt = b;
      } else if (kind < 0.95) {
        const len = 1 + Math.floor(rand() * 12);
        ref = reference.slice('21', pos, pos + len);
        alt = ref[0]!;
      } else {
        const len = 1 + Math.floor(rand() * 12);
        ref = reference.slice('21', pos, pos);
        alt = ref;
        for (let k = 0; k < len; k++) alt += BASES[Math.floor(rand() * 4)]!;
      }
      chunk += `21\t${pos}\t.\t${ref}\t${alt}\t.\t.\tSYN\n`;
    }
    emitted += count;
    await write(chunk);
  }
  bgzip.stdin.end();
  await done;
  await reference.close();
}

interface Measured {
  wallS: number;
  /** user + system CPU seconds (all threads): the figure that holds on a loaded machine. */
  cpuS: number;
  rssMb: number;
  /** GAS only: records/s after the header was read, from its summary. */
  annotateRate?: number;
}

/** Runs a command under /usr/bin/time -v; returns its wall time and peak RSS. */
function timed(cmd: string, args: string[], cwd: string): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-v', cmd, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`${cmd} ${args.join(' ')} failed (exit ${code}):\n${err.slice(-2000)}`));
        return;
      }
      const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(err);
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
      if (!wall || !rss) {
        reject(new Error(`no /usr/bin/time figures for ${cmd}`));
        return;
      }
      const wallS = Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]);
      const user = Number(/User time \(seconds\): ([\d.]+)/.exec(err)?.[1] ?? 0);
      const sys = Number(/System time \(seconds\): ([\d.]+)/.exec(err)?.[1] ?? 0);
      resolve({ wallS, cpuS: user + sys, rssMb: Number(rss[1]) / 1024 });
    });
  });
}

/**
 * `--floor`: what reading the input and writing GAS's output cost a JavaScript process with no
 * annotation at all (bench/io-floor.ts, in its own node process), set against bcftools' whole
 * run of the same size. Shows how much of bcftools' time is left for annotating, at best.
 */
async function ioFloor(
  input: string,
  gasOut: string,
  bcfOut: string,
  bcf: Measured,
  dir: string,
): Promise<string> {
  const gasBytes = (await stat(gasOut)).size;
  const bcfBytes = (await stat(bcfOut)).size;
  const script = path.join(here, 'io-floor.ts');
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', script, input, String(gasBytes), path.join(dir, 'io-floor.scratch')],
    { cwd: repoRoot, encoding: 'utf8' },
  );
  const f = JSON.parse(out) as { read: { seconds: number }; write: { seconds: number } };
  const floor = f.read.seconds + f.write.seconds;
  const mb = (b: number) => `${(b / 1e6).toFixed(0)} MB`;
  return (
    `# I/O floor (bench/io-floor.ts, no annotation): reading the input in JS (gunzip, line ends, POS, REF, ALT) ${f.read.seconds.toFixed(2)} s` +
    ` + writing GAS's ${mb(gasBytes)} of output ${f.write.seconds.toFixed(2)} s = ${floor.toFixed(2)} s,` +
    ` ${((100 * floor) / bcf.wallS).toFixed(0)}% of bcftools' whole last run (${bcf.wallS.toFixed(2)} s, ${mb(bcfBytes)} of output)`
  );
}

function fmtRate(r: number): string {
  return r >= 1e6 ? `${(r / 1e6).toFixed(2)} M` : `${(r / 1e3).toFixed(1)} k`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    // `pnpm --filter ... bench -- --sizes ...` passes the `--` through
    args: process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--')),
    options: {
      sizes: { type: 'string', default: '100000,1000000' },
      seed: { type: 'string', default: '42' },
      keep: { type: 'string' },
      threads: { type: 'string' },
      repeat: { type: 'string', default: '1' },
      snpeff: { type: 'boolean', default: false },
      'snpeff-max': { type: 'string', default: '100000' },
      'snpeff-cache': { type: 'string' },
      floor: { type: 'boolean', default: false },
    },
  });
  const sizes = values.sizes!.split(',').map((s) => Number(s.replace(/_/g, '')));
  if (sizes.some((n) => !Number.isInteger(n) || n <= 0))
    throw new Error('--sizes: positive integers, comma-separated');
  const seed = Number(values.seed);
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error('--repeat: a positive integer');
  const dir = values.keep ?? path.join(os.tmpdir(), `gas-bench-${process.pid}`);
  await mkdir(dir, { recursive: true });
  const bcftoolsVersion = execFileSync('bcftools', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  console.log(
    `# GAS vs bcftools csq -l; ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), node ${process.version}, ${bcftoolsVersion}`,
  );
  console.log(
    `# inputs: seeded synthetic (seed ${seed}) over 21:${BLOCK_START}-${BLOCK_END}; files in ${dir}`,
  );
  const snpEff = values.snpeff
    ? await prepareSnpEffDatabase({
        fasta: FASTA,
        gff3Gz: GFF3,
        cacheRoot:
          values['snpeff-cache'] ??
          (values.keep ? path.join(dir, 'snpeff-cache') : path.join(os.tmpdir(), 'gas-bench-snpeff-cache')),
        log: console.log,
      })
    : null;
  if (snpEff) console.log(`# ${snpEff.version}, database ${snpEff.genome} in ${snpEff.dir}`);
  // the CLI as deployed: built JavaScript (scripts/build-cli.ts), not through tsx
  const gasCli = await buildCli();
  console.log(`# GAS: node ${path.relative(repoRoot, gasCli)} (built now by scripts/build-cli.ts)`);
  const rows: string[] = [];
  /** Per size with --repeat > 1: the ratios' spread over the runs. */
  const spreads: string[] = [];
  for (const n of sizes) {
    const input = path.join(dir, `synthetic-${n}.seed${seed}.vcf.gz`);
    if (!existsSync(input)) {
      const t = performance.now();
      await generateSynthetic(input, n, seed);
      console.log(
        `# generated ${input} (${((await stat(input)).size / 1e6).toFixed(1)} MB) in ${((performance.now() - t) / 1000).toFixed(1)} s`,
      );
    }
    const bcfOut = path.join(dir, `bcftools-${n}.vcf`);
    const gasOut = path.join(dir, `gas-${n}.vcf`);
    const summary = path.join(dir, `gas-${n}.summary.json`);
    const row = (tool: string, m: Measured, ratio: string, extra: string) =>
      `| ${n.toLocaleString('en-US')} | ${tool} | ${fmtRate(n / m.wallS)} | ${m.wallS.toFixed(2)} s | ${fmtRate(n / m.cpuS)} | ${m.cpuS.toFixed(2)} s | ${m.rssMb.toFixed(0)} MB | ${ratio} | ${extra} |`;
    const ratios: { wall: number; cpu: number }[] = [];
    /** The last bcftools run of this size (SnpEff's ratio is taken against it). */
    let bcf: Measured | null = null;
    for (let run = 1; run <= repeat; run++) {
      bcf = await timed('bcftools', ['csq', '-l', '-f', FASTA, '-g', GFF3, input, '-Ov', '-o', bcfOut], dir);
      const gasArgs = [
        gasCli,
        '--fasta',
        FASTA,
        '--gff',
        GFF3,
        '-i',
        input,
        '-o',
        gasOut,
        '--summary',
        summary,
        '--quiet',
      ];
      // the CLI's own default unless --threads is given (the row names the count either way)
      if (values.threads !== undefined) gasArgs.push('--threads', values.threads);
      const gasThreads = Number(values.threads ?? CLI_DEFAULT_THREADS);
      const gas = await timed(process.execPath, gasArgs, repoRoot);
      const s = JSON.parse(await readFile(summary, 'utf8')) as { timings: { recordsPerSecond: number } };
      gas.annotateRate = s.timings.recordsPerSecond;
      const bcfRate = n / bcf.wallS;
      const gasRate = n / gas.wallS;
      const runLabel = repeat > 1 ? `, run ${run}/${repeat}` : '';
      ratios.push({ wall: gasRate / bcfRate, cpu: bcf.cpuS / gas.cpuS });
      rows.push(
        row(
          `GAS (${gasThreads} thread${gasThreads === 1 ? '' : 's'}${runLabel})`,
          gas,
          `${(gasRate / bcfRate).toFixed(3)} (CPU ${(bcf.cpuS / gas.cpuS).toFixed(3)})`,
          fmtRate(gas.annotateRate),
        ),
        row(`bcftools csq -l${runLabel}`, bcf, '1', ''),
      );
      console.log(rows.slice(-2).join('\n'));
    }
    if (repeat > 1) {
      const spread = (xs: number[]) => {
        const v = [...xs].sort((a, b) => a - b);
        const mid = v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
        return `min ${v[0]!.toFixed(3)}, median ${mid.toFixed(3)}, max ${v.at(-1)!.toFixed(3)}`;
      };
      const line = `# ${n.toLocaleString('en-US')} records, ${repeat} alternating runs: ratio GAS/bcftools (wall) ${spread(ratios.map((r) => r.wall))}; (CPU) ${spread(ratios.map((r) => r.cpu))}`;
      spreads.push(line);
      console.log(line);
    }
    if (values.floor && bcf) {
      const line = await ioFloor(input, gasOut, bcfOut, bcf, dir);
      spreads.push(line);
      console.log(line);
    }
    if (snpEff && bcf && n <= Number(values['snpeff-max'])) {
      const bcfRate = n / bcf.wallS;
      const snpOut = path.join(dir, `snpeff-${n}.vcf`);
      const snp = await timed(...snpEffAnnotateCommand(snpEff, input, snpOut), dir);
      const ratio = `${(n / snp.wallS / bcfRate).toFixed(4)} (CPU ${(bcf.cpuS / snp.cpuS).toFixed(4)})`;
      rows.push(row('SnpEff ann', snp, ratio, ''));
      console.log(`${rows.at(-1)}\n${await checkSnpEffOutput(snpOut, n)}`);
      if (!values.keep) await rm(snpOut, { force: true });
    } else if (snpEff) console.log(`# SnpEff skipped at ${n} records (--snpeff-max ${values['snpeff-max']})`);
    if (!values.keep) await rm(gasOut, { force: true }).then(() => rm(bcfOut, { force: true }));
  }
  console.log(
    `\n# load average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} (figures are noisy when it exceeds the cores)`,
  );
  console.log(
    '| records | tool | variants/s (wall) | wall | variants per CPU s | CPU | peak RSS | ratio to bcftools (wall; CPU) | GAS annotate-only (wall) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  for (const l of spreads) console.log(l);
  if (!values.keep) await rm(dir, { recursive: true, force: true });
}

await main();
