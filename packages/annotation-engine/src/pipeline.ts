/**
 * The annotation pipeline, a chain of small stages (after Ensembl VEP's Runner):
 *
 *   VcfReader (batches of VcfLine) -> contig names reconciled -> alleles normalised
 *   -> reference loaded for the region the sources need -> REF checked -> annotation sources
 *   (gene models today; known variants next) -> writer chosen by the factory -> summary + log
 *
 * Records are annotated one at a time in input order, each with its own reference region, so
 * the input does not have to be sorted: unsorted input is annotated correctly and the log and
 * summary say it was unsorted (and how to sort it for tabix). Memory holds one batch of
 * records and the reference windows the reference reader caches.
 *
 * Failures: bad lines and unannotatable records are counted and reported through the
 * `ProblemLog` (policy skip or stop). Whole-input failures (empty or binary file, assembly
 * mismatch, no record on any reference contig) throw an `InputError`; the output file is then
 * removed, never left half-written.
 *
 * Coordinates: GENOMIC, 1-BASED, CLOSED throughout (model.ts).
 */
import { basename } from 'node:path';
import type { Writable } from 'node:stream';
import { predictConsequences, regionNeeded } from './annotate.ts';
import type { AlleleToAnnotate, ReferenceSequence, TranscriptConsequence, TranscriptIndex } from './model.ts';
import { ContigResolver } from './normalise/contigs.ts';
import { assemblyHint, RefChecker } from './normalise/refcheck.ts';
import { createWriter } from './output/factory.ts';
import { type AnnotationField, CSQ_FIELDS } from './output/fields.ts';
import { plural, RunLog } from './output/log.ts';
import { ENGINE_NAME, ENGINE_VERSION } from './output/provenance.ts';
import { buildSummary, type RunSummary, SummaryCollector } from './output/summary.ts';
import { TeeWriter } from './output/tee-writer.ts';
import type { AnnotationWriter, OutputFormat, Provenance } from './output/types.ts';
import { createBatchAnnotator, type LocalBatch } from './parallel/batch-annotator.ts';
import { AnnotationPool, deserializeError, WORKER_QUEUE_DEPTH } from './parallel/pool.ts';
import {
  type BatchResult,
  type EngineResources,
  REF_MATCH,
  REF_MISMATCH,
  REF_NOT_CHECKED,
  type WorkBatch,
} from './parallel/protocol.ts';
import { contigListText, recordAnnotator } from './record-annotator.ts';
import type { VcfSource } from './vcf/input.ts';
import type { VcfLine } from './vcf/parse.ts';
import {
  type ErrorPolicy,
  formatProblem,
  InputError,
  type InputProblem,
  NO_REFERENCE_CONTIG,
  type ProblemKind,
  ProblemLog,
  ProblemRecorder,
} from './vcf/problems.ts';
import { VcfReader } from './vcf/reader.ts';

/** A 1-based closed region of the reference. */
export interface Region {
  chrom: string;
  start: number;
  end: number;
}

/** The reference as the pipeline uses it (see reference/index.ts). */
export interface PipelineReference extends ReferenceSequence {
  contigLengths: Map<string, number>;
  /** Undefined when the region is loaded already (see Reference.ensure). */
  ensure(chrom: string, start: number, end: number): Promise<void> | undefined;
}

/** Something that annotates alleles; gene models are the first, known variants come next. */
export interface AnnotationSource {
  /** The reference region `annotate` will read for this allele. */
  regionNeeded(allele: AlleleToAnnotate): Region;
  /** Synchronous: the pipeline has loaded `regionNeeded` before calling. */
  annotate(allele: AlleleToAnnotate, reference: ReferenceSequence): TranscriptConsequence[];
  /**
   * Optional asynchronous loading before `annotate` for a record's span (1-based closed, the
   * reference's contig name; `end` is one past the REF for insertions): known-variant sources
   * read their tabix window here. Returns a promise only when it has to wait.
   */
  prepare?(chrom: string, start: number, end: number): Promise<void> | undefined;
  /** CSQ / TSV / JSON fields this source adds after the built-in ones (known/index.ts). */
  fields?: readonly AnnotationField[];
}

/** Gene models as an annotation source: VEP-style consequences per transcript. */
export function geneModelSource(genes: TranscriptIndex): AnnotationSource {
  return {
    regionNeeded: (allele) => regionNeeded(allele, genes),
    annotate: (allele, reference) => predictConsequences(allele, genes, reference),
  };
}

export interface AnnotateVcfOptions {
  /** A path (plain, gzip or bgzip), a Readable or any async iterable of bytes. */
  input: VcfSource;
  /** Name used in the log and summary (default: the path, or "input"). */
  inputName?: string;
  /** A path (BGZF when it ends in .gz) or a Writable; null to produce the summary only. */
  output: string | Writable | null;
  format?: OutputFormat;
  bgzip?: boolean;
  /**
   * Further outputs written in the same pass (e.g. TSV and JSON beside the VCF): one read and
   * one prediction for every format. Needs `output`; each is removed too when the run fails.
   */
  moreOutputs?: { output: string | Writable; format?: OutputFormat; bgzip?: boolean }[];
  genes: TranscriptIndex;
  reference: PipelineReference;
  /** Annotation sources, in CSQ order; by default the gene models (`geneModelSource(genes)`). */
  sources?: AnnotationSource[];
  /** Contig synonym groups (see normalise/contigs.ts). */
  synonyms?: readonly string[][];
  onError?: ErrorPolicy;
  /** Assembly of the reference, for messages and headers (default GRCh38). */
  assembly?: string;
  provenance?: Partial<Provenance>;
  log?: RunLog;
  /**
   * Stops the run between batches (SIGTERM, a cancelled job): the promise rejects with an
   * `AnnotationAbortedError` and the output file is removed.
   */
  signal?: AbortSignal;
  /**
   * Worker threads (parallel/pool.ts): with `threads` > 1, batches of records are annotated and
   * formatted on that many threads: `threads - 1` workers, and the calling thread for the
   * batches that come while every worker has `workerQueueDepth` queued. Each worker
   * opening `resources` itself (they must describe the same
   * reference, gene models and known-variant sources as `reference`, `genes` and `sources`);
   * the output, log and summary equal a single-threaded run's byte for byte. Inputs of fewer
   * than `PARALLEL_MIN_RECORDS` records run on the calling thread (starting workers costs more).
   */
  parallel?: {
    threads: number;
    resources: EngineResources;
    /** Fewest records for which workers are started (default `PARALLEL_MIN_RECORDS`). */
    minRecords?: number;
    /** Records per batch sent to a worker (default 4,096). */
    batchRecords?: number;
    /**
     * Batches a worker may have queued before the calling thread annotates one itself (default
     * WORKER_QUEUE_DEPTH; 0: the calling thread annotates every batch, a large number: the
     * workers annotate every batch).
     */
    workerQueueDepth?: number;
  };
}

/** Records below which a run stays on the calling thread even when threads are asked for. */
export const PARALLEL_MIN_RECORDS = 20_000;
/** Records per batch sent to a worker thread (about 2 MB of VCF output). */
const WORKER_BATCH_RECORDS = 4096;

/** Records as the reader gave them, with the problems it found while reading them. */
interface ReadBatch {
  records: VcfLine[];
  readerProblems: InputProblem[];
}

/** The run was stopped through `signal` before it finished. */
export class AnnotationAbortedError extends Error {
  override name = 'AnnotationAbortedError';
  constructor(reason: unknown) {
    super(
      `annotation stopped before the end (${reason instanceof Error ? reason.message : String(reason ?? 'aborted')}); no output was written`,
    );
  }
}

export interface AnnotateVcfResult {
  summary: RunSummary;
  log: RunLog;
}

/** Longest stretch of annotation without letting timers and signal handlers run. */
const YIELD_EVERY_MS = 20;

/** Problems written line by line into the log; the summary keeps more. */
const LOGGED_PROBLEMS = 100;

/** What a problem of each kind cost, singular and plural, for the log's tally ("2 malformed lines"). */
const PROBLEM_COUNT_WORDS: Record<ProblemKind, [string, string]> = {
  malformed_line: ['malformed line', 'malformed lines'],
  missing_header: ['missing #CHROM header line', 'missing #CHROM header lines'],
  truncated_input: ['truncated input', 'truncated inputs'],
  unknown_contig: [
    'record on a contig the reference does not have',
    'records on contigs the reference does not have',
  ],
  ref_mismatch: ['REF mismatch', 'REF mismatches'],
  position_beyond_contig: ['record beyond its contig end', 'records beyond their contig end'],
  annotation_failed: ['record that could not be annotated', 'records that could not be annotated'],
};

/** Annotates a VCF end to end. Throws `InputError` (with a user-facing message) when the input cannot be used. */
export async function annotateVcf(options: AnnotateVcfOptions): Promise<AnnotateVcfResult> {
  const t0 = performance.now();
  const log = options.log ?? new RunLog();
  const problems = new ProblemLog(options.onError ?? 'skip');
  const inputName = options.inputName ?? (typeof options.input === 'string' ? options.input : 'input');
  const assembly = options.assembly ?? 'GRCh38';
  const provenance: Provenance = {
    engine: ENGINE_NAME,
    version: ENGINE_VERSION,
    geneModels: null,
    reference: null,
    assembly,
    commandLine: null,
    startedAt: new Date().toISOString(),
    ...options.provenance,
  };
  const reference = options.reference;
  const sources: AnnotationSource[] = options.sources ?? [geneModelSource(options.genes)];
  const resolver = new ContigResolver(reference.contigLengths.keys(), options.synonyms ?? []);
  const refCheck = new RefChecker();
  const collector = new SummaryCollector();
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    log.warn(m);
  };

  log.info(
    `${ENGINE_NAME} ${ENGINE_VERSION}; reading ${basename(inputName)} (error policy: ${problems.policy})`,
  );
  const replay = (found: readonly InputProblem[]) => {
    for (const p of found) problems.report(p.line, p.kind, p.message);
  };
  // With threads, the reader runs ahead of the annotation: its problems are recorded and
  // replayed before the records of the batch they came with, as a single thread reports them.
  const parallel = options.parallel && options.parallel.threads > 1 ? options.parallel : null;
  const readerLog = parallel ? new ProblemRecorder() : problems;
  const reader = await VcfReader.open(options.input, { problems: readerLog });
  if (readerLog instanceof ProblemRecorder) replay(readerLog.take());
  const header = reader.header;
  const tHeader = performance.now();
  log.info(
    `header: ${header.fileformat ?? 'no ##fileformat'}, ${plural(header.meta.length, 'meta line')}, ${plural(header.samples.length, 'sample')} (samples are copied, not parsed); input is ${reader.compression === 'gzip' ? 'gzip/bgzip-compressed' : 'plain text'}`,
  );
  const hint = () => assemblyHint(header, reference.contigLengths, (n) => resolver.resolve(n), assembly);
  const lengthClause = hint();
  if (lengthClause.includes('bp in the VCF header')) {
    warn(`the VCF header's contig lengths differ from the reference FASTA's${lengthClause}`);
  }

  const outputName = typeof options.output === 'string' ? options.output : options.output ? 'stream' : null;
  let writer: AnnotationWriter | null = null;
  /** Every output, primary first (`writer` tees to them). */
  let outputs: AnnotationWriter[] = [];
  if (options.output !== null) {
    const fields = [...CSQ_FIELDS, ...sources.flatMap((s) => s.fields ?? [])];
    writer = createWriter(options.output, {
      format: options.format,
      bgzip: options.bgzip,
      provenance,
      fields,
    });
    log.info(
      `writing ${writer.format.toUpperCase()} to ${outputName === 'stream' ? 'the output stream' : basename(outputName!)}`,
    );
    // one pass, several formats (output/tee-writer.ts)
    if (options.moreOutputs && options.moreOutputs.length > 0) {
      const more = options.moreOutputs.map((o) =>
        createWriter(o.output, { format: o.format, bgzip: o.bgzip, provenance, fields }),
      );
      for (const [i, w] of more.entries()) {
        const o = options.moreOutputs[i]!.output;
        log.info(
          `also writing ${w.format.toUpperCase()} to ${typeof o === 'string' ? basename(o) : 'a stream'}`,
        );
      }
      outputs = [writer, ...more];
      writer = new TeeWriter(outputs);
    } else outputs = [writer];
  }

  const contigText = contigListText(reference.contigLengths.keys());
  let sorted = true;
  let lastChrom = '';
  let lastPos = 0;
  const finishedChroms = new Set<string>();
  /** Notes the first record out of order (the input need not be sorted; the log says so). */
  const noteOrder = (rec: VcfLine) => {
    const prevChrom = lastChrom;
    const prevPos = lastPos;
    if (rec.chrom === lastChrom) {
      if (rec.pos < lastPos) sorted = false;
    } else {
      if (finishedChroms.has(rec.chrom)) sorted = false;
      finishedChroms.add(lastChrom);
      lastChrom = rec.chrom;
    }
    lastPos = rec.pos;
    if (!sorted) {
      collector.firstUnsortedLine = rec.line;
      warn(
        `the input is not sorted (line ${rec.line}: ${rec.chrom}:${rec.pos} comes after ${prevChrom}:${prevPos}); every record is still annotated correctly and the output keeps the input order. To index the output with tabix, sort it first: bcftools sort -Oz -o sorted.vcf.gz input.vcf`,
      );
    }
  };

  const annotateRecord = recordAnnotator({
    reference,
    sources,
    resolver,
    refCheck,
    problems,
    contigText,
    verdict: () => refCheck.verdict(false, hint),
  });
  const signal = options.signal;

  /** Annotates and writes on this thread. */
  const annotateHere = async (batches: AsyncIterable<ReadBatch>) => {
    let sinceYield = 0;
    let lastYield = performance.now();
    for await (const batch of batches) {
      if (signal?.aborted) throw new AnnotationAbortedError(signal.reason);
      replay(batch.readerProblems);
      for (const rec of batch.records) {
        // Records resolve as microtasks, which starve timers and signal handlers: give the event
        // loop a turn every ~20 ms (heartbeats of the annotator service, SIGTERM, the abort signal).
        if (++sinceYield === 256) {
          sinceYield = 0;
          const now = performance.now();
          if (now - lastYield > YIELD_EVERY_MS) {
            await new Promise<void>((resolve) => setImmediate(resolve));
            lastYield = performance.now();
            if (signal?.aborted) throw new AnnotationAbortedError(signal.reason);
          }
        }
        if (sorted) noteOrder(rec);
        const pending = annotateRecord(rec);
        const annotated = pending instanceof Promise ? await pending : pending;
        collector.add(annotated);
        const wait = writer?.write(annotated);
        if (wait) await wait;
      }
    }
  };

  /**
   * Annotates on worker threads (parallel/pool.ts); results are taken in input order, their
   * REF checks and problems replayed record by record, their bytes appended to each output.
   */
  const annotateOnWorkers = async (pool: AnnotationPool, batches: AsyncIterable<ReadBatch>) => {
    const inFlight: {
      result: Promise<BatchResult | null>;
      /** Set once `result` has settled (results are taken without waiting while they are). */
      settled: boolean;
      readerProblems: InputProblem[];
      lines: Int32Array;
    }[] = [];
    const push = (result: Promise<BatchResult | null>, readerProblems: InputProblem[], lines: Int32Array) => {
      const item = { result, settled: false, readerProblems, lines };
      const settle = () => {
        item.settled = true;
      };
      result.then(settle, settle);
      inFlight.push(item);
    };
    /** Batches in flight at most (a few per thread: memory holds them whatever the input size). */
    const maxInFlight = pool.threads * ((parallel?.workerQueueDepth ?? WORKER_QUEUE_DEPTH) + 2);
    const batchRecords = parallel?.batchRecords ?? WORKER_BATCH_RECORDS;
    const takeOldest = async () => {
      const item = inFlight.shift()!;
      const r = await item.result;
      replay(item.readerProblems);
      if (r === null) return;
      const n = r.failure ? r.failedAt + 1 : item.lines.length;
      let p = 0;
      let m = 0;
      for (let i = 0; i < n; i++) {
        const check = r.refChecks[i];
        if (check !== REF_NOT_CHECKED) {
          refCheck.record(
            check === REF_MATCH ? 'match' : check === REF_MISMATCH ? 'mismatch' : 'unchecked',
            check === REF_MISMATCH ? (r.mismatches[m++] ?? undefined) : undefined,
          );
          const mismatch = refCheck.verdict(false, hint);
          if (mismatch) throw mismatch;
        }
        const line = item.lines[i];
        while (p < r.problems.length && r.problems[p]!.line === line) {
          const q = r.problems[p++]!;
          problems.report(q.line, q.kind, q.message);
        }
      }
      replay(r.problems.slice(p));
      if (r.failure) throw deserializeError(r.failure);
      collector.merge(r.collector);
      for (let k = 0; k < outputs.length; k++) {
        const wait = outputs[k]!.writeEncoded!(r.outputs[k]!);
        if (wait) await wait;
      }
    };
    /**
     * One batch: to a worker when one has room in its queue, else annotated here when fewer
     * than maxInFlight are in flight, else after the oldest result is written. Results already
     * back are written first, so the main thread's first job is feeding and draining the workers.
     */
    const dispatch = async (work: LocalBatch, readerProblems: InputProblem[]) => {
      const asText = (): WorkBatch => ({
        seq: work.seq,
        text: work.records.map((rec) => rec.text).join('\n'),
        lines: work.lines,
      });
      for (;;) {
        while (inFlight.length > 0 && inFlight[0]!.settled) await takeOldest();
        const sent = pool.submitToWorker(asText);
        if (sent) {
          push(sent, readerProblems, work.lines);
          return;
        }
        if (inFlight.length < maxInFlight) {
          const here = pool.annotateHere(work);
          push(here, readerProblems, work.lines);
          await here.catch(() => undefined);
          // let the workers' answers in (messages are tasks, not microtasks)
          await new Promise<void>((resolve) => setImmediate(resolve));
          return;
        }
        await takeOldest();
      }
    };
    let seq = 0;
    for await (const batch of batches) {
      if (signal?.aborted) throw new AnnotationAbortedError(signal.reason);
      const records = batch.records;
      if (records.length === 0) push(Promise.resolve(null), batch.readerProblems, new Int32Array(0));
      for (let off = 0; off < records.length; off += batchRecords) {
        const piece = records.slice(off, off + batchRecords);
        const lines = new Int32Array(piece.length);
        for (let i = 0; i < piece.length; i++) {
          const rec = piece[i]!;
          if (sorted) noteOrder(rec);
          lines[i] = rec.line;
        }
        await dispatch({ seq: seq++, records: piece, lines }, off === 0 ? batch.readerProblems : []);
      }
    }
    while (inFlight.length > 0) await takeOldest();
  };

  let pool: AnnotationPool | null = null;
  try {
    if (signal?.aborted) throw new AnnotationAbortedError(signal.reason);
    await writer?.start(header);
    const read = (async function* (): AsyncGenerator<ReadBatch> {
      for await (const records of reader.batches()) {
        yield { records, readerProblems: readerLog instanceof ProblemRecorder ? readerLog.take() : [] };
      }
    })();
    // threads only for inputs worth it: read ahead up to PARALLEL_MIN_RECORDS records first
    const ahead: ReadBatch[] = [];
    if (parallel && outputs.every((w) => w.writeEncoded !== undefined)) {
      const minRecords = parallel.minRecords ?? PARALLEL_MIN_RECORDS;
      let n = 0;
      while (n < minRecords) {
        const r = await read.next();
        if (r.done) break;
        ahead.push(r.value);
        n += r.value.records.length;
      }
      if (n >= minRecords) {
        const init = {
          resources: parallel.resources,
          header,
          formats: outputs.map((w) => w.format),
          provenance,
        };
        // the main thread annotates its share with this run's reference and sources
        const local = await createBatchAnnotator(reference, sources, {
          ...init,
          synonyms: options.synonyms ?? [],
        });
        pool = await AnnotationPool.start(parallel.threads, init, local, parallel.workerQueueDepth);
        log.info(
          `annotating on ${plural(pool.threads, 'thread')} (the main thread and ${plural(pool.threads - 1, 'worker thread')})`,
        );
      }
    }
    const batches = (async function* (): AsyncGenerator<ReadBatch> {
      yield* ahead.splice(0);
      yield* read;
    })();
    if (pool) await annotateOnWorkers(pool, batches);
    else await annotateHere(batches);
    if (readerLog instanceof ProblemRecorder) replay(readerLog.take());
    const final = refCheck.verdict(true, hint);
    if (final) throw final;
    if (reader.counts.records === 0 && reader.counts.malformed > 0 && header.synthesized) {
      // No #CHROM line and not one line that reads as a record: some other kind of file.
      const first = problems.kept.find((p) => p.kind === 'malformed_line');
      throw new InputError(
        `no line of the file is a VCF record and it has no #CHROM header line, so it is not a VCF file${first ? ` (line ${first.line}: ${first.message})` : ''}`,
        null,
        'not_vcf',
      );
    }
    if (reader.counts.records === 0) {
      warn(
        reader.counts.malformed > 0
          ? 'no usable data record: every data line was malformed'
          : `the file has a header but no data records (${plural(reader.counts.lines, 'line')})`,
      );
    } else if (collector.recordsAnnotated === 0 && collector.unknownContigs.size > 0) {
      const inputContigs = [...collector.unknownContigs]
        .slice(0, 5)
        .map(([name, u]) => `"${name}" (${plural(u.records, 'record')}, first at line ${u.firstLine})`)
        .join(', ');
      const why =
        header.assemblyHints.length > 0
          ? `; the input's header names ${header.assemblyHints.join(', ')}`
          : '';
      throw new InputError(
        `none of the ${plural(reader.counts.records, 'record')} is on a contig of the reference FASTA: the input's contigs are ${inputContigs}; the FASTA has ${contigText}${why}. Check that the input and the reference are the same assembly and species`,
        null,
        // the CLI and the service each add how their user maps other names (NO_REFERENCE_CONTIG)
        NO_REFERENCE_CONTIG,
      );
    }
    await writer?.finish();
  } catch (err) {
    await writer?.abort();
    if (err instanceof InputError) log.error(err.message);
    throw err;
  } finally {
    await pool?.close();
  }
  const t1 = performance.now();

  const c = reader.counts;
  log.info(
    `read ${plural(c.records, 'record')} from ${plural(c.lines, 'line')}; annotated ${plural(collector.recordsAnnotated, 'record')} (${plural(collector.allelesPredicted, 'allele')}, ${plural(collector.pairs, 'allele x transcript pair')})`,
  );
  if (collector.allelesPassedThrough > 0) {
    log.info(
      `${plural(collector.allelesPassedThrough, 'allele')} passed through without prediction (symbolic, star or unchanged alleles)`,
    );
  }
  if (problems.total > 0) {
    const parts = [...problems.countByKind].map(([k, n]) => plural(n, ...PROBLEM_COUNT_WORDS[k]));
    log.warn(`${plural(problems.total, 'problem')} skipped and reported: ${parts.join(', ')}`);
    // unknown contigs are listed per contig below, not per line
    const listed = problems.kept.filter((p) => p.kind !== 'unknown_contig');
    for (const p of listed.slice(0, LOGGED_PROBLEMS)) log.warn(`  ${formatProblem(p)}`);
    const more = problems.total - problems.count('unknown_contig') - Math.min(listed.length, LOGGED_PROBLEMS);
    if (more > 0)
      log.warn(`  ... and ${plural(more, 'more problem')}; the summary lists them with line numbers`);
  }
  for (const [name, u] of collector.unknownContigs) {
    log.warn(
      `contig "${name}": ${plural(u.records, 'record')} not annotated, not in the reference (first at line ${u.firstLine})`,
    );
  }
  if (refCheck.mismatched > 0) {
    log.warn(
      `${plural(refCheck.mismatched, 'REF allele')} of ${refCheck.checked.toLocaleString('en-US')} checked ${refCheck.mismatched === 1 ? 'does' : 'do'} not match the reference`,
    );
  }
  if (refCheck.unchecked > 0) {
    log.info(
      `${plural(refCheck.unchecked, 'REF allele')} could not be checked: the reference has only N there`,
    );
  }
  const totalMs = t1 - t0;
  log.info(
    `done in ${(totalMs / 1000).toFixed(2)} s (${Math.round(c.records / Math.max((t1 - tHeader) / 1000, 1e-6)).toLocaleString('en-US')} records/s)${sorted ? '' : '; the input was not sorted'}`,
  );

  const summary = buildSummary({
    provenance,
    input: {
      name: basename(inputName),
      compression: reader.compression,
      fileformat: header.fileformat,
      samples: header.samples.length,
      headerLines: header.meta.length + (header.synthesized ? 0 : 1),
    },
    output: writer && outputName ? { name: basename(outputName), format: writer.format } : null,
    counts: c,
    problems,
    refCheck,
    collector,
    sorted,
    warnings,
    timings: {
      readHeaderMs: Math.round(tHeader - t0),
      annotateMs: Math.round(t1 - tHeader),
      totalMs: Math.round(totalMs),
    },
  });
  return { summary, log };
}
