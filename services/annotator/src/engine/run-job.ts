/**
 * One annotation job, run inside an engine worker thread (never on the main thread).
 *
 * Data flow: ONE engine pass (memory holds one engine batch and stream buffers, whatever the
 * input size; nothing of the input is written to disk):
 *   S3 GetObject body -> annotateVcf -> VCF (BGZF)   -> scratch/output.vcf.gz
 *                                   \-> TSV          -> scratch/output.tsv
 *                                   \-> JSON Lines   -> scratch/output.json
 *   then each file is streamed to the results bucket with a multipart Upload, plus the
 *   summary (JSON) and the job log (text).
 * The engine's `moreOutputs` (its TeeWriter) writes every annotated record to the three
 * writers, so the input is read, parsed and predicted once and the three outputs hold the same
 * records (until Nov 2026 the annotator ran three passes over a scratch copy of the input).
 * Outputs are uploaded only once the pass has succeeded, so a failed or killed run never
 * leaves a partial object under a result key (on failure the engine removes its outputs and
 * the scratch folder goes anyway); a rerun overwrites the same keys whole (S3 replaces an
 * object atomically).
 *
 * Progress: bytes of the (possibly compressed) input read from S3 of its size, and records
 * done = records the engine has looked up in the reference (the pipeline calls `ensure`
 * once per record on a reference contig, before annotating it). Phases: `annotating`, then
 * `uploading` (the contract's `writing-tsv` / `writing-json` belonged to the three passes).
 *
 * Abort (SIGTERM, a lost lease): the signal stops the S3 read and the engine between batches;
 * either way the run ends with a `JobAbortedError` (no job log is written for it).
 *
 * Failures: an engine `InputError` (bad VCF, wrong assembly, ...) is the user's message as
 * the engine wrote it, with its line number; anything else is an internal error whose
 * details go to the job log's operator part and the service log, never to the user.
 * The scratch folder is removed in every outcome.
 */
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  annotateVcf,
  ENGINE_NAME,
  ENGINE_VERSION,
  type GeneModels,
  geneModelSource,
  InputError,
  type KnownVariantSource,
  NO_REFERENCE_CONTIG,
  type OutputFormat,
  type PipelineReference,
  type Provenance,
  type Reference,
  RunLog,
  type RunSummary,
} from '@gas/annotation-engine';
import type { JobCounts, JobProgress } from '@gas/contracts';
import type { JobFailure, JobSuccess, JobToRun } from './protocol.ts';

/** What a worker loads once and reuses for every job it runs. */
export type EngineContext = {
  reference: Reference;
  genes: GeneModels;
  /** Known-variant sources (rsIDs, ClinVar, allele frequencies): a bundle's, else none. */
  known: KnownVariantSource[];
  synonyms: string[][];
  assembly: string;
  provenance: Pick<Provenance, 'geneModels' | 'reference' | 'knownSources' | 'bundle'>;
};

export type RunHooks = {
  s3: S3Client;
  signal: AbortSignal;
  onProgress(progress: Omit<JobProgress, 'updated_at'>): void;
};

export class JobAbortedError extends Error {
  override readonly name = 'JobAbortedError';
}

/** The outputs of the one engine pass; the first is the engine's primary output. */
const OUTPUTS: ReadonlyArray<{ format: OutputFormat; key: 'annotated_vcf_key' | 'tsv_key' | 'json_key' }> = [
  { format: 'vcf', key: 'annotated_vcf_key' },
  { format: 'tsv', key: 'tsv_key' },
  { format: 'json', key: 'json_key' },
];

const CONTENT_TYPES: Record<OutputFormat, string> = {
  vcf: 'application/gzip',
  tsv: 'text/tab-separated-values; charset=utf-8',
  json: 'application/x-ndjson; charset=utf-8',
};

function countsOf(summary: RunSummary): JobCounts {
  return {
    // every data record of the file, the malformed ones too, so that the page's and the e-mail's
    // "N read, M annotated, K skipped" add up (the engine's `read` counts only those it could parse)
    variants_read: summary.records.read + summary.records.malformed,
    variants_annotated: summary.records.annotated,
    records_skipped: summary.problems.recordsSkipped,
    consequences: summary.records.alleleTranscriptPairs,
  };
}

/** A reference that counts the records the pipeline looks up (for progress). */
function countingReference(reference: Reference, counter: { records: number }): PipelineReference {
  return {
    contigLengths: reference.contigLengths,
    slice: reference.slice.bind(reference),
    ensure(chrom, start, end) {
      counter.records++;
      return reference.ensure(chrom, start, end);
    },
  } as PipelineReference;
}

/** Yields the S3 body while counting its bytes; stops on abort. */
async function* countingBytes(
  body: AsyncIterable<Uint8Array>,
  onBytes: (n: number) => void,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    if (signal.aborted) throw new JobAbortedError('job aborted');
    onBytes(chunk.length);
    yield chunk;
  }
}

async function uploadFile(
  s3: S3Client,
  bucket: string,
  key: string,
  path: string,
  contentType: string,
  signal: AbortSignal,
): Promise<void> {
  const upload = new Upload({
    client: s3,
    params: { Bucket: bucket, Key: key, Body: createReadStream(path), ContentType: contentType },
    partSize: 8 * 1024 * 1024,
    queueSize: 2,
    leavePartsOnError: false,
  });
  const onAbort = () => void upload.abort().catch(() => undefined);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await upload.done();
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

export async function runJob(job: JobToRun, engine: EngineContext, hooks: RunHooks): Promise<JobSuccess> {
  const { s3, signal } = hooks;
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const log = new RunLog();
  for (const line of job.logPreamble) log.info(line);
  const counter = { records: 0 };
  let bytesRead = 0;
  let phase: JobProgress['phase'] = 'annotating';
  const report = () =>
    hooks.onProgress({
      phase,
      records_done: counter.records,
      bytes_read: bytesRead,
      bytes_total: job.inputSizeBytes,
    });
  const ticker = setInterval(report, 500);
  const failureCounts: { counts?: JobCounts } = {};

  await mkdir(job.scratchDir, { recursive: true });
  try {
    const outputs = OUTPUTS.map((output) => ({
      ...output,
      path: join(job.scratchDir, `output.${output.format}${output.format === 'vcf' ? '.gz' : ''}`),
    }));
    const [primary, ...more] = outputs;
    const provenance: Partial<Provenance> = {
      ...engine.provenance,
      commandLine: `gas annotator job ${job.jobId}`,
    };

    const object = await s3.send(new GetObjectCommand({ Bucket: job.inputBucket, Key: job.inputKey }), {
      abortSignal: signal,
    });
    if (!object.Body) throw new Error(`GetObject s3://${job.inputBucket}/${job.inputKey} returned no body`);
    const body = object.Body as AsyncIterable<Uint8Array>;

    const started = performance.now();
    const { summary } = await annotateVcf({
      input: countingBytes(
        body,
        (n) => {
          bytesRead += n;
        },
        signal,
      ),
      inputName: job.inputFileName,
      output: primary!.path,
      format: primary!.format,
      bgzip: true,
      moreOutputs: more.map((o) => ({ output: o.path, format: o.format, bgzip: false })),
      genes: engine.genes,
      sources: [geneModelSource(engine.genes), ...engine.known.map((k) => k.asAnnotationSource())],
      reference: countingReference(engine.reference, counter),
      synonyms: engine.synonyms,
      onError: 'skip',
      assembly: engine.assembly,
      provenance,
      log,
      signal,
    });
    timings.annotate_ms = Math.round(performance.now() - started);
    failureCounts.counts = countsOf(summary);

    phase = 'uploading';
    report();
    const uploadStarted = performance.now();
    for (const output of outputs) {
      await uploadFile(
        s3,
        job.resultsBucket,
        job.keys[output.key],
        output.path,
        CONTENT_TYPES[output.format],
        signal,
      );
    }
    await s3.send(
      new PutObjectCommand({
        Bucket: job.resultsBucket,
        Key: job.keys.summary_key,
        Body: `${JSON.stringify(summary, null, 2)}\n`,
        ContentType: 'application/json',
      }),
      { abortSignal: signal },
    );
    timings.upload_ms = Math.round(performance.now() - uploadStarted);
    timings.total_ms = Math.round(performance.now() - t0);
    const sizes = await Promise.all(
      outputs.map(async (o) => `${o.format} ${(await stat(o.path)).size} bytes`),
    );
    log.info(
      `results written to s3://${job.resultsBucket}/${job.keys.annotated_vcf_key} and beside it (${sizes.join(', ')})`,
    );
    await putLog(s3, job, log);
    return {
      counts: countsOf(summary),
      timings_ms: timings,
      reference_versions: referenceVersions(engine),
    };
  } catch (error) {
    // The engine reports an abort as its own AnnotationAbortedError: one name for both.
    const cause =
      signal.aborted && !(error instanceof JobAbortedError) ? new JobAbortedError('job aborted') : error;
    throw new JobRunError(cause, log, failureCounts.counts, timings, t0);
  } finally {
    clearInterval(ticker);
    await rm(job.scratchDir, { recursive: true, force: true });
  }
}

/** Carries what a failed run knows (its log, counts) to the code that reports the failure. */
export class JobRunError extends Error {
  override readonly name = 'JobRunError';
  readonly log: RunLog;
  readonly counts: JobCounts | undefined;
  readonly timings: Record<string, number>;
  constructor(
    cause: unknown,
    log: RunLog,
    counts: JobCounts | undefined,
    timings: Record<string, number>,
    t0: number,
  ) {
    super((cause as Error)?.message ?? String(cause), { cause });
    this.log = log;
    this.counts = counts;
    this.timings = { ...timings, total_ms: Math.round(performance.now() - t0) };
  }
}

function referenceVersions(engine: EngineContext): Record<string, string> {
  const versions: Record<string, string> = {
    engine: `${ENGINE_NAME} ${ENGINE_VERSION}`,
    assembly: engine.assembly,
  };
  const { geneModels, reference } = engine.provenance;
  if (geneModels) versions.gene_models = `${geneModels.path.split('/').pop()} sha256:${geneModels.sha256}`;
  if (reference) versions.reference = `${reference.path.split('/').pop()} sha256:${reference.sha256}`;
  const { bundle, knownSources } = engine.provenance;
  if (bundle) versions.bundle = bundle;
  for (const k of knownSources ?? []) versions[`known:${k.path.split('/').pop()}`] = `sha256:${k.sha256}`;
  return versions;
}

async function putLog(s3: S3Client, job: JobToRun, log: RunLog): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: job.resultsBucket,
      Key: job.keys.log_key,
      Body: `${log.lines.join('\n')}\n`,
      ContentType: 'text/plain; charset=utf-8',
    }),
  );
}

/**
 * What a web user can do when no record is on a reference contig and only the names differ (the
 * CLI's --synonyms file is not theirs to give; built-in synonyms already cover 21/chr21/NC_000021.9).
 */
export const RENAME_CONTIGS_ADVICE =
  " If only the contig names differ, rename them to the reference's (for example with bcftools annotate --rename-chrs) and upload the file again.";

/**
 * Turns a failed run into what the user and the operator read. Writes the job log (the
 * user-facing line for a bad input; a plain sentence for an internal error).
 */
export async function describeFailure(error: unknown, job: JobToRun, s3: S3Client): Promise<JobFailure> {
  const runError = error instanceof JobRunError ? error : undefined;
  const cause = runError ? runError.cause : error;
  const log = runError?.log ?? new RunLog();
  const userMessage =
    cause instanceof InputError
      ? `The input file could not be annotated: ${cause.message}.${cause.kind === NO_REFERENCE_CONTIG ? RENAME_CONTIGS_ADVICE : ''}`
      : (cause as { name?: string })?.name === 'NoSuchKey'
        ? 'The uploaded file is no longer in storage (it may have been deleted); please upload it again.'
        : null;
  // The pipeline logs its own failures, except those found while opening the input.
  if (cause instanceof InputError && !log.lines.some((line) => line.includes(cause.message))) {
    log.error(cause.message);
  }
  if (userMessage === null) {
    log.error(
      'the job stopped because of an internal error; the GAS team can see the details in the service log',
    );
  }
  let logUploaded = false;
  if (!(cause instanceof JobAbortedError)) {
    try {
      await putLog(s3, job, log);
      logUploaded = true;
    } catch {
      logUploaded = false;
    }
  }
  return {
    userMessage: userMessage?.replace(/\.\.$/, '.') ?? null,
    internalMessage: (cause as Error)?.message ?? String(cause),
    ...((cause as Error)?.stack ? { stack: (cause as Error).stack } : {}),
    ...(runError?.counts ? { counts: runError.counts } : {}),
    timings_ms: runError?.timings ?? {},
    logUploaded,
  };
}
