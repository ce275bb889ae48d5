/**
 * SnpEff as a peer in the engine benchmark (`bench-engine.ts --snpeff`).
 *
 * There is no internet here, so SnpEff cannot download its GRCh38 database. This module builds
 * one from the files GAS and bcftools read in the same run (the grch38-chr21 bundle's FASTA and
 * Ensembl GFF3, packages/annotation-engine/bundles/grch38-chr21/manifest.json), so all three
 * tools annotate against the same gene models and sequence.
 *
 * Database cache: `<cacheRoot>/snpeff-<key>/` holding `snpEff.config` (our own, never the
 * system's /etc/snpeff or anything in the repo) and `data/<GENOME>/{genes.gff,sequences.fa,
 * snpEffectPredictor.bin}`. `key` is a sha256 over the SnpEff version, NORMALISATION_VERSION and
 * the sha256 of the FASTA and GFF3 bytes, so a changed input or a changed normalisation builds a
 * new database and an unchanged one is reused. A build happens in `<dir>.building-<pid>` and is
 * renamed into place only when SnpEff succeeded: an interrupted build is never reused.
 *
 * GFF3 normalisation (what SnpEff 5.1d's GFF3 reader needs from the Ensembl file, see the data
 * README): `gene:` / `transcript:` prefixes stripped from ID and Parent (Parent may list
 * several); every row whose ID is `gene:...` typed `gene`, every row whose ID is
 * `transcript:...` (SO types: transcript, lincRNA, NMD_transcript_variant, ...) typed `mRNA`
 * with the Ensembl type kept as `biotype` when the row has none; genes first, then transcripts,
 * then exons/CDS/UTRs, so parents come before children; `biological_region` and `chromosome`
 * rows dropped (not gene models). The FASTA is decompressed to `sequences.fa`.
 *
 * Annotation: `java -Xmx8g -jar /usr/share/java/snpeff.jar ann -noStats -noLog -nodownload
 * -c <config> <GENOME> in.vcf.gz > out.vcf` (not the /usr/bin/snpEff wrapper, which prints its
 * argument line into the VCF). `-Xmx8g` as in the data README's published figure; the JVM grows
 * its heap lazily, so peak RSS is what SnpEff actually used (plus the JVM's own ~50-100 MB).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, openSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

export const SNPEFF_JAR = '/usr/share/java/snpeff.jar';
const SYSTEM_CONFIG = '/etc/snpeff/snpEff.config';
/** Bump when the GFF3 normalisation or the config changes: it is part of the cache key. */
const NORMALISATION_VERSION = 1;
const GENOME = 'GAS_GRCh38_chr21';
const ANNOTATE_HEAP = '-Xmx8g';

export interface SnpEffDatabase {
  /** The folder holding snpEff.config and data/. */
  dir: string;
  config: string;
  genome: string;
  version: string;
  /** False when the database came from the cache. */
  built: boolean;
  buildS: number;
}

/** "SnpEff 5.1d (build 2023-01-20 19:55)", or throws with a hint when SnpEff is missing. */
export function snpEffVersion(): string {
  if (!existsSync(SNPEFF_JAR)) throw new Error(`--snpeff: ${SNPEFF_JAR} not found (apt-get install snpeff)`);
  const out = execFileSync('java', ['-jar', SNPEFF_JAR, '-version'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [, name, version, date] = /^(\S+)\t(\S+)\t(.+)$/m.exec(out.trim()) ?? [];
  return name ? `${name} ${version} (build ${date})` : out.trim().split('\n')[0]!;
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function linesOf(gzFile: string) {
  return createInterface({ input: createReadStream(gzFile).pipe(createGunzip()), crlfDelay: Infinity });
}

/** Writes the Ensembl GFF3 `gff3Gz` as SnpEff reads it (see the design note above). */
export async function normaliseGff3ForSnpEff(
  gff3Gz: string,
  out: string,
): Promise<{ genes: number; transcripts: number }> {
  const genes: string[] = [];
  const transcripts: string[] = [];
  const parts: string[] = [];
  const strip = (v: string) =>
    v
      .split(',')
      .map((p) => p.replace(/^(gene|transcript):/, ''))
      .join(',');
  for await (const line of linesOf(gff3Gz)) {
    if (line === '' || line.startsWith('#')) continue;
    const cols = line.split('\t');
    if (cols.length !== 9) continue;
    const type = cols[2]!;
    if (type === 'biological_region' || type === 'chromosome') continue;
    const attrs = cols[8]!.split(';').filter((a) => a !== '');
    const id = attrs.find((a) => a.startsWith('ID='))?.slice(3) ?? '';
    const kind = id.startsWith('gene:') ? 'gene' : id.startsWith('transcript:') ? 'mRNA' : null;
    const fixed = attrs.map((a) =>
      a.startsWith('ID=')
        ? `ID=${strip(a.slice(3))}`
        : a.startsWith('Parent=')
          ? `Parent=${strip(a.slice(7))}`
          : a,
    );
    if (kind === 'mRNA' && type !== 'transcript' && !fixed.some((a) => a.startsWith('biotype=')))
      fixed.push(`biotype=${type}`);
    cols[2] = kind ?? type;
    cols[8] = fixed.join(';');
    (kind === 'gene' ? genes : kind === 'mRNA' ? transcripts : parts).push(cols.join('\t'));
  }
  await writeFile(out, ['##gff-version 3', ...genes, ...transcripts, ...parts, ''].join('\n'));
  return { genes: genes.length, transcripts: transcripts.length };
}

/** Our config: data.dir, the codon tables and loss-of-function settings of the system config, one genome. */
async function writeConfig(file: string, dataDir: string): Promise<void> {
  const system = existsSync(SYSTEM_CONFIG) ? await readFile(SYSTEM_CONFIG, 'utf8') : '';
  const globals = system.split('\n').filter((l) => /^(codon|lof)\.\S+\s*[:=]/.test(l));
  if (!globals.some((l) => l.startsWith('codon.Standard')))
    throw new Error(`--snpeff: no codon.Standard table in ${SYSTEM_CONFIG}`);
  await writeFile(
    file,
    [
      '# written by packages/annotation-engine/bench/peers/snpeff.ts (engine benchmark cache)',
      `data.dir = ${dataDir}/`,
      ...globals,
      `${GENOME}.genome : Homo_sapiens GRCh38 chr21 (GAS bundle grch38-chr21, Ensembl 84 gene models)`,
      '',
    ].join('\n'),
  );
}

/**
 * Returns the SnpEff database for `fasta` + `gff3Gz` under `cacheRoot`, building it when the
 * cache has none for these inputs (about a minute on this machine).
 */
export async function prepareSnpEffDatabase(options: {
  fasta: string;
  gff3Gz: string;
  cacheRoot: string;
  log: (line: string) => void;
}): Promise<SnpEffDatabase> {
  const version = snpEffVersion();
  const [fastaSha, gffSha] = await Promise.all([sha256File(options.fasta), sha256File(options.gff3Gz)]);
  const key = createHash('sha256')
    .update(`${version}\n${NORMALISATION_VERSION}\n${fastaSha}\n${gffSha}\n`)
    .digest('hex')
    .slice(0, 16);
  const dir = path.join(path.resolve(options.cacheRoot), `snpeff-${key}`);
  const ready = (d: string) => existsSync(path.join(d, 'data', GENOME, 'snpEffectPredictor.bin'));
  const db = { dir, config: path.join(dir, 'snpEff.config'), genome: GENOME, version };
  if (ready(dir)) {
    options.log(`# SnpEff database from the cache: ${dir}`);
    return { ...db, built: false, buildS: 0 };
  }

  const t0 = performance.now();
  const work = `${dir}.building-${process.pid}`;
  await rm(work, { recursive: true, force: true });
  const genomeDir = path.join(work, 'data', GENOME);
  await mkdir(genomeDir, { recursive: true });
  const counts = await normaliseGff3ForSnpEff(options.gff3Gz, path.join(genomeDir, 'genes.gff'));
  await pipeline(
    createReadStream(options.fasta),
    createGunzip(),
    createWriteStream(path.join(genomeDir, 'sequences.fa')),
  );
  await writeConfig(path.join(work, 'snpEff.config'), path.join(work, 'data'));
  options.log(
    `# building the SnpEff database (${counts.genes} genes, ${counts.transcripts} transcripts) in ${work}`,
  );
  const buildLog = path.join(work, 'build.log');
  await runToFile(
    'java',
    [
      '-Xmx4g',
      '-jar',
      SNPEFF_JAR,
      'build',
      '-gff3',
      '-noCheckCds',
      '-noCheckProtein',
      '-noLog',
      '-nodownload',
      '-v',
      '-c',
      path.join(work, 'snpEff.config'),
      GENOME,
    ],
    buildLog,
  );
  if (!ready(work)) throw new Error(`SnpEff build wrote no snpEffectPredictor.bin; see ${buildLog}`);
  // The config names its data.dir: point it at the final folder before the rename.
  await writeConfig(path.join(work, 'snpEff.config'), path.join(dir, 'data'));
  try {
    await rename(work, dir);
  } catch (err) {
    // Another run finished the same build first: use its copy.
    if (!ready(dir)) throw err;
    await rm(work, { recursive: true, force: true });
  }
  const buildS = (performance.now() - t0) / 1000;
  options.log(`# built the SnpEff database in ${buildS.toFixed(1)} s: ${dir}`);
  return { ...db, built: true, buildS };
}

/** Runs a command with stdout and stderr into `logFile`; rejects with the log's tail on failure. */
function runToFile(cmd: string, args: string[], logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fd = openSync(logFile, 'w');
    const child = spawn(cmd, args, { stdio: ['ignore', fd, fd] });
    child.on('error', reject);
    child.on('close', async (code) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `${cmd} ${args.join(' ')} failed (exit ${code}):\n${(await readFile(logFile, 'utf8')).slice(-2000)}`,
          ),
        );
    });
  });
}

/**
 * The command that annotates `input` into `output` (uncompressed VCF), for the benchmark's
 * `/usr/bin/time -v` runner: `sh` redirects SnpEff's stdout and then execs java, so the time
 * figures are java's own.
 */
export function snpEffAnnotateCommand(db: SnpEffDatabase, input: string, output: string): [string, string[]] {
  return [
    'sh',
    [
      '-c',
      'out=$1; shift; exec "$@" > "$out"',
      'sh',
      output,
      'java',
      ANNOTATE_HEAP,
      '-jar',
      SNPEFF_JAR,
      'ann',
      '-noStats',
      '-noLog',
      '-nodownload',
      '-c',
      db.config,
      db.genome,
      input,
    ],
  ];
}

/**
 * Checks SnpEff's output after the timed run (not timed): every input record came out, and
 * the database annotated coding consequences (a database without transcripts would be fast and
 * wrong). Returns a line for the benchmark's log.
 */
export async function checkSnpEffOutput(output: string, expectedRecords: number): Promise<string> {
  let records = 0;
  let withAnn = 0;
  let missense = 0;
  const lines = createInterface({ input: createReadStream(output), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.startsWith('#')) continue;
    records++;
    const info = line.split('\t', 8)[7] ?? '';
    if (info.includes('ANN=')) withAnn++;
    if (info.includes('missense_variant')) missense++;
  }
  if (records !== expectedRecords)
    throw new Error(`SnpEff wrote ${records} records for ${expectedRecords} input records (${output})`);
  if (missense === 0)
    throw new Error(
      `SnpEff found no missense_variant in ${records} records: is the database empty? (${output})`,
    );
  return `# SnpEff output: ${records.toLocaleString('en-US')} records, ${withAnn.toLocaleString('en-US')} with ANN, ${missense.toLocaleString('en-US')} with a missense_variant`;
}
