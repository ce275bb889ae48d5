#!/usr/bin/env -S node --import tsx
/**
 * gas-annotate: the engine's command line (other tools call it; the options are fixed).
 *
 *   gas-annotate --fasta FA --gff GFF -i IN -o OUT [--format vcf|tsv|json] [--summary FILE]
 *                [--synonyms FILE] [--on-error skip|stop] [--log FILE] [--assembly NAME]
 *                [--known FILE[:FIELDS]]... [--bundle DIR [--bundle-root DIR]] [--threads N]
 *
 * Exit codes: 0 success (problems skipped under the skip policy are in the log and summary);
 * 1 the input, gene models or reference cannot be used; 2 bad command line; 3 internal error;
 * 130 stopped by SIGINT/SIGTERM (the partial output is removed).
 * On failure stderr gets exactly one line, `gas-annotate: <what is wrong>`; `--debug` adds
 * the stack trace.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { loadGeneIndex, loadGeneModelsCached } from './bundle/gene-index.ts';
import { BundleError, bundleKnownSpecs, openBundle } from './bundle/index.ts';
import { GeneModelError, type GeneModels } from './genes/index.ts';
import {
  KnownSourceError,
  type KnownSourceSpec,
  KnownVariantSource,
  knownProvenance,
  parseKnownSpec,
} from './known/index.ts';
import { ContigResolver, readSynonymsFile } from './normalise/contigs.ts';
import { formatFromName, OUTPUT_FORMATS } from './output/factory.ts';
import { plural, RunLog } from './output/log.ts';
import { ENGINE_NAME, ENGINE_VERSION, sha256File } from './output/provenance.ts';
import { OutputError } from './output/sink.ts';
import type { OutputFormat } from './output/types.ts';
import { AnnotationAbortedError, annotateVcf, geneModelSource, PARALLEL_MIN_RECORDS } from './pipeline.ts';
import { FastaError, openReference } from './reference/index.ts';
import { InputError, NO_REFERENCE_CONTIG } from './vcf/problems.ts';

/**
 * One thread unless asked. Two threads keep the memory ceiling (250 MB peak RSS at 1 M and 10 M
 * records, with HEAP_GROWING_PERCENT) but on this 2-core machine gain only ~1.05-1.3x in wall
 * time for ~1.5x the CPU, short of the ~1.6x that would make every core the default
 * (bench/README.md, "Threads").
 */
const DEFAULT_THREADS = 1;

/** Problems printed on stderr after the closing line when there is no --log to read them in. */
const PROBLEMS_ON_STDERR = 5;

/**
 * With worker threads, the old generation of every heap grows by HEAP_GROWING_PERCENT over what
 * the last full collection kept, instead of V8's factor of up to 4: the live heap is small
 * (~20-25 MB) and most of the peak RSS was garbage not collected yet. A V8 flag read at every
 * full collection, so it works when set after start-up (the heap size flags do not), and it is
 * process-wide, so the workers' heaps follow it. It costs GC time (~2-3 s CPU at 1 M records),
 * so one thread, which keeps the memory ceiling without it, runs with V8's default. Measured in
 * bench/README.md: 2 threads, 1 M records, ~300-320 MB -> ~210-235 MB peak RSS.
 */
const HEAP_GROWING_PERCENT = 50;

const USAGE = `Usage: gas-annotate --fasta FASTA --gff GENES -i INPUT.vcf[.gz] -o OUTPUT [options]

Annotates every variant of a VCF with its consequences on every transcript (Ensembl VEP style).

Required:
  --fasta FILE        reference FASTA (bgzip + .fai + .gzi, or plain with .fai, or small gzip)
  --gff FILE          gene models, GFF3 or GTF (plain or gzip)
    or
  --bundle DIR        a reference bundle: DIR/manifest.json names the FASTA, gene models,
                      synonyms and known-variant sources with their SHA-256 (verified)
  -i, --input FILE    VCF 4.1-4.3, plain, gzip or bgzip (detected from the content); - for stdin
  -o, --output FILE   output; bgzip-compressed when the name ends in .gz; - for stdout

Options:
  --format FMT        vcf (CSQ field, as VEP), tsv (one row per allele x transcript) or json
                      (JSON Lines, one object per record); default: from the output name, else vcf
  --also FILE         write this output too, in the same pass (repeatable; format from the
                      name: .vcf[.gz], .tsv[.gz], .json[l][.gz]); one read, one prediction
  --summary FILE      write the run summary (counts, skipped lines, timings) as JSON
  --log FILE          write the human-readable log to FILE
  --synonyms FILE     contig name synonyms, two or more names per line (tab-separated)
  --on-error POLICY   skip (default): skip bad lines and report them; stop: stop at the first
  --assembly NAME     assembly of the reference, for headers and messages (default GRCh38)
  --known FILE[:FIELDS]
                      a bgzip + tabix-indexed VCF of known variants (repeatable): its IDs go
                      into Existing_variation, the INFO keys listed in FIELDS (KEY or KEY=NAME,
                      comma-separated) into CSQ fields of that NAME; matched by allele
  --bundle-root DIR   where the bundle's paths resolve from (replaces the manifest's root)
  --gene-cache DIR    where parsed gene models are cached, keyed by the file's SHA-256, the
                      reference contigs and synonyms (default: the OS temp dir/gas-gene-index;
                      off: no cache)
  --threads N         threads annotating batches of records: N-1 worker threads take them
                      first, the main thread (which reads and writes) annotates when they
                      are busy; output in input order and identical to one thread (default
                      ${DEFAULT_THREADS}; 2 threads on 2 cores: ~1.05-1.3x faster for ~1.5x the CPU,
                      peak memory ~210-235 MB instead of ~170-200; every worker holds its own
                      runtime, gene models and reference cache, ~70-90 MB each; this machine
                      has ${os.availableParallelism()} cores; inputs under ${PARALLEL_MIN_RECORDS.toLocaleString('en-US')} records always use one)
  --quiet             print nothing on success
  --debug             print stack traces on failure
  -h, --help          this help
  --version           print the version`;

class UsageError extends Error {
  override name = 'UsageError';
}

function quoteArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

async function main(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace(/\.$/, '')}; see --help`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${ENGINE_NAME} ${ENGINE_VERSION}\n`);
    return 0;
  }
  if (values.bundle !== undefined && (values.fasta !== undefined || values.gff !== undefined)) {
    throw new UsageError('give either --bundle or --fasta and --gff, not both; see --help');
  }
  if (values['bundle-root'] !== undefined && values.bundle === undefined) {
    throw new UsageError('--bundle-root needs --bundle; see --help');
  }
  let knownSpecs: KnownSourceSpec[];
  try {
    knownSpecs = (values.known ?? []).map(parseKnownSpec);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const required = [
    ['input', '-i/--input'],
    ['output', '-o/--output'],
  ] as const;
  if (values.bundle === undefined) {
    if (!values.fasta) throw new UsageError('missing --fasta (or --bundle); see --help');
    if (!values.gff) throw new UsageError('missing --gff (or --bundle); see --help');
  }
  for (const [key, flag] of required) {
    if (!values[key]) throw new UsageError(`missing ${flag}; see --help`);
  }
  const threads = values.threads === undefined ? DEFAULT_THREADS : Number(values.threads);
  if (!Number.isInteger(threads) || threads < 1 || threads > 256)
    throw new UsageError(`--threads must be a whole number from 1 to 256, not "${values.threads}"`);
  if (threads > 1) v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  const policy = values['on-error'] ?? 'skip';
  if (policy !== 'skip' && policy !== 'stop')
    throw new UsageError(`--on-error must be skip or stop, not "${policy}"`);
  let format: OutputFormat | undefined;
  if (values.format !== undefined) {
    if (!(OUTPUT_FORMATS as readonly string[]).includes(values.format)) {
      throw new UsageError(`--format must be one of ${OUTPUT_FORMATS.join(', ')}, not "${values.format}"`);
    }
    format = values.format as OutputFormat;
  } else {
    format = formatFromName(values.output!) ?? 'vcf';
  }

  const moreOutputs = (values.also ?? []).map((o) => {
    const f = formatFromName(o);
    if (f === null)
      throw new UsageError(`--also ${o}: the name must end in .vcf, .tsv or .json (optionally .gz)`);
    if (o === '-' || o === values.output) throw new UsageError(`--also ${o}: must be another file than -o`);
    return { output: o, format: f };
  });
  let logFile: WriteStream | null = null;
  if (values.log) logFile = createWriteStream(values.log);
  const log = new RunLog(logFile ? (line) => logFile!.write(`${line}\n`) : null);
  try {
    const bundle = values.bundle ? await openBundle(values.bundle, { root: values['bundle-root'] }) : null;
    if (bundle) {
      const m = bundle.manifest;
      const verified = [bundle.fasta, bundle.geneModels, bundle.synonyms, ...bundle.known].filter(
        (f) => f?.checksum === 'verified',
      ).length;
      log.info(
        `bundle ${m.name} ${m.version} (${m.assembly}) from ${bundle.dir}: ${verified} file checksum(s) verified`,
      );
      knownSpecs = [...bundleKnownSpecs(bundle).map(parseKnownSpec), ...knownSpecs];
    }
    const fastaPath = bundle ? bundle.fasta.path : values.fasta!;
    const gffPath = bundle ? bundle.geneModels.path : values.gff!;
    const synonymsPath = values.synonyms ?? bundle?.synonyms?.path;
    const synonyms = synonymsPath ? await readSynonymsFile(synonymsPath) : [];
    const fastaHash = bundle ? Promise.resolve(bundle.fasta.sha256) : sha256File(fastaPath);
    const gffHash = bundle ? Promise.resolve(bundle.geneModels.sha256) : sha256File(gffPath);
    fastaHash.catch(() => undefined);
    gffHash.catch(() => undefined);
    const reference = await openReference(fastaPath);
    try {
      log.info(`reference ${fastaPath}: ${reference.contigLengths.size} contig(s)`);
      const resolver = new ContigResolver(reference.contigLengths.keys(), synonyms);
      const cacheDir =
        values['gene-cache'] === 'off'
          ? null
          : (values['gene-cache'] ?? path.join(os.tmpdir(), 'gas-gene-index'));
      let how = '';
      let genes: GeneModels;
      if (bundle?.geneIndex) {
        genes = await loadGeneIndex(bundle.geneIndex.path, bundle.geneModels.sha256);
        how = ", from the bundle's prebuilt index";
      } else {
        const cached = await loadGeneModelsCached(gffPath, {
          cacheDir,
          sha256: await gffHash,
          contigName: (name) => resolver.resolve(name) ?? name,
          keyParts: [...reference.contigLengths.keys(), JSON.stringify(synonyms)],
        });
        genes = cached.genes;
        if (cached.fromCache) how = `, from the index cache ${cached.cacheFile}`;
        else if (cached.cacheFile) how = `; index cached in ${cached.cacheFile}`;
      }
      log.info(`gene models ${gffPath}: ${genes.transcripts.length} transcripts (${genes.format})`);
      if (how !== '') log.info(`gene models ${how.replace(/^[,;] /, '')}`);
      checkGeneContigs(genes.transcripts, reference.contigLengths, gffPath, log);
      const known: KnownVariantSource[] = [];
      for (const spec of knownSpecs) {
        const source = await KnownVariantSource.open(spec, reference.contigLengths.keys(), synonyms);
        if (source.contigs.length === 0) {
          log.warn(
            `known variants ${spec.path}: none of its contigs is in the reference; it will match nothing`,
          );
        }
        log.info(
          `known variants ${spec.path}: fields ${
            source
              .csqFields()
              .map((f) => f.name)
              .join(', ') || '(IDs only)'
          }`,
        );
        known.push(source);
      }
      const knownSums = await Promise.all(
        known.map(async (k) => bundle?.known.find((b) => b.path === k.path)?.sha256 ?? sha256File(k.path)),
      );
      // "-" is stdin / stdout (stdout is never ended: the process owns it)
      let output: string | PassThrough = values.output!;
      if (output === '-') {
        output = new PassThrough();
        output.pipe(process.stdout, { end: false });
      }
      const stop = new AbortController();
      // `on`, not `once`: tsx relays a signal to us again when our answer is slow (under load),
      // and a second, unhandled SIGTERM would kill the process before it removes its partial output
      const onSignal = (sig: NodeJS.Signals) => {
        if (!stop.signal.aborted) stop.abort(new Error(`received ${sig}`));
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const { summary } = await annotateVcf({
        signal: stop.signal,
        input: values.input === '-' ? process.stdin : values.input!,
        inputName: values.input === '-' ? 'stdin' : values.input!,
        output,
        moreOutputs,
        format,
        genes,
        reference,
        sources: [geneModelSource(genes), ...known.map((k) => k.asAnnotationSource())],
        parallel: {
          threads,
          resources: {
            fasta: fastaPath,
            geneModels: bundle?.geneIndex
              ? { kind: 'index', path: bundle.geneIndex.path, sha256: bundle.geneModels.sha256 }
              : { kind: 'file', path: gffPath, sha256: await gffHash, cacheDir },
            known: knownSpecs,
            synonyms,
          },
        },
        synonyms,
        onError: policy,
        assembly: values.assembly ?? bundle?.manifest.assembly ?? 'GRCh38',
        log,
        provenance: {
          geneModels: { path: gffPath, sha256: await gffHash, format: genes.format },
          reference: { path: fastaPath, sha256: await fastaHash },
          knownSources: known.map((k, i) => knownProvenance(k.path, knownSums[i]!)),
          bundle: bundle?.provenance ?? null,
          commandLine: ['gas-annotate', ...argv].map(quoteArg).join(' '),
        },
      });
      if (values.summary) await writeFile(values.summary, `${JSON.stringify(summary, null, 2)}\n`);
      if (!values.quiet) {
        // every data line counts as a record, malformed ones too (as the job page and e-mail say)
        const r = summary.records;
        const { total, recordsSkipped } = summary.problems;
        const where = values.log ? ` in ${values.log}` : values.summary ? ` in ${values.summary}` : '';
        const skipped = recordsSkipped > 0 ? `${plural(recordsSkipped, 'record')} skipped, ` : '';
        process.stderr.write(
          `gas-annotate: annotated ${r.annotated.toLocaleString('en-US')} of ${plural(r.read + r.malformed, 'record')} into ${values.output === '-' ? 'stdout' : values.output}` +
            `${total > 0 ? `; ${skipped}${plural(total, 'problem')} reported${where}` : ''}` +
            ` (${(summary.timings.totalMs / 1000).toFixed(1)} s)\n`,
        );
        // without --log the problems would be nowhere a person looks: the first few go to stderr
        if (total > 0 && !values.log) {
          const shown = summary.problems.list.slice(0, PROBLEMS_ON_STDERR);
          const rest = total - shown.length;
          process.stderr.write(
            shown.map((p) => `gas-annotate: line ${p.line}: ${p.message}\n`).join('') +
              (rest > 0
                ? `gas-annotate: ... and ${plural(rest, 'more problem')} (${values.summary ? `see ${values.summary}` : 'see --summary FILE or --log FILE'})\n`
                : ''),
          );
        }
      }
      return 0;
    } finally {
      await reference.close();
    }
  } catch (err) {
    log.error(err instanceof Error ? err.message : String(err));
    throw err;
  } finally {
    if (logFile) await new Promise<void>((resolve) => logFile!.end(resolve));
  }
}

/**
 * Gene models on contigs the FASTA does not have would silently make every variant intergenic:
 * an error when none of their contigs is in the FASTA, a warning in the log for the others.
 */
function checkGeneContigs(
  transcripts: readonly { chrom: string }[],
  contigLengths: ReadonlyMap<string, number>,
  file: string,
  log: RunLog,
): void {
  const missing = new Map<string, number>();
  for (const t of transcripts) {
    if (!contigLengths.has(t.chrom)) missing.set(t.chrom, (missing.get(t.chrom) ?? 0) + 1);
  }
  if (missing.size === 0) return;
  const names = [...missing.keys()].slice(0, 5).join(', ');
  const fasta = [...contigLengths.keys()].slice(0, 5).join(', ');
  const n = [...missing.values()].reduce((a, b) => a + b, 0);
  if (n === transcripts.length) {
    throw new InputError(
      `none of the gene models in ${file} is on a contig of the reference FASTA (gene model contigs: ${names}; FASTA: ${fasta}); are they for the same assembly? A --synonyms file can map other contig names`,
    );
  }
  log.warn(
    `${n} of ${transcripts.length} transcripts are on contigs not in the FASTA (${names}) and will not be used`,
  );
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      fasta: { type: 'string' },
      gff: { type: 'string' },
      input: { type: 'string', short: 'i' },
      output: { type: 'string', short: 'o' },
      format: { type: 'string' },
      summary: { type: 'string' },
      log: { type: 'string' },
      synonyms: { type: 'string' },
      'on-error': { type: 'string' },
      assembly: { type: 'string' },
      known: { type: 'string', multiple: true },
      also: { type: 'string', multiple: true },
      bundle: { type: 'string' },
      'bundle-root': { type: 'string' },
      'gene-cache': { type: 'string' },
      threads: { type: 'string' },
      quiet: { type: 'boolean' },
      debug: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
}

/** One line for stderr, and the exit code, for any failure. */
export function describeFailure(err: unknown): { line: string; code: number } {
  if (err instanceof UsageError) return { line: err.message, code: 2 };
  if (err instanceof AnnotationAbortedError) return { line: err.message, code: 130 };
  if (
    err instanceof InputError ||
    err instanceof GeneModelError ||
    err instanceof FastaError ||
    err instanceof OutputError ||
    err instanceof KnownSourceError ||
    err instanceof BundleError
  ) {
    const advice =
      err instanceof InputError && err.kind === NO_REFERENCE_CONTIG
        ? ', or give a --synonyms file for other contig names'
        : '';
    return { line: `${err.message.replace(/\s*\n\s*/g, ' ')}${advice}`, code: 1 };
  }
  const e = err as { code?: string; message?: string; path?: string };
  if (e && (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR' || e.code === 'ENOSPC')) {
    return { line: `${e.message}`, code: 1 };
  }
  return { line: `internal error: ${e?.message ?? String(err)} (run with --debug for details)`, code: 3 };
}

const argv = process.argv.slice(2);
const debug = argv.includes('--debug');
main(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const { line, code } = describeFailure(err);
    process.stderr.write(`gas-annotate: ${line}\n`);
    if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = code;
  },
);
