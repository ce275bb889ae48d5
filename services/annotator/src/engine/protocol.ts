/**
 * Messages between the annotator's main thread and its engine worker threads. Plain data
 * only (structured clone). One job at a time per worker; the main thread never sees file
 * bytes, only progress and the outcome.
 */
import type { JobCounts, JobProgress, ResultKeys } from '@gas/contracts';
import type { AwsConfig } from '@gas/service-kit';

/** Given once when the worker starts: what it needs to load the reference and reach S3. */
export type WorkerSetup = {
  aws: AwsConfig;
  reference: ReferenceSetup;
};

/**
 * What the worker annotates against: an engine reference bundle (its manifest names every file,
 * known-variant sources included, with checksums), or the files one by one (no known variants).
 */
export type ReferenceSetup =
  | { bundle: string; bundleRoot?: string }
  | { fasta: string; gff3: string; synonyms?: string; assembly: string };

export type JobToRun = {
  jobId: string;
  inputBucket: string;
  inputKey: string;
  inputFileName: string;
  inputSizeBytes: number;
  resultsBucket: string;
  keys: ResultKeys & { log_key: string };
  /** Created by the worker, removed by the worker and again by the main thread (any outcome). */
  scratchDir: string;
  /** Lines the main thread wants at the top of the job log (attempt, worker). */
  logPreamble: string[];
};

export type JobSuccess = {
  counts: JobCounts;
  timings_ms: Record<string, number>;
  reference_versions: Record<string, string>;
};

/** `userMessage` is set when the input is at fault (bad VCF): it is what the user reads. */
export type JobFailure = {
  userMessage: string | null;
  internalMessage: string;
  stack?: string;
  counts?: JobCounts;
  timings_ms: Record<string, number>;
  logUploaded: boolean;
};

export type ToWorker = { type: 'run'; job: JobToRun } | { type: 'abort' };

export type FromWorker =
  | { type: 'engine-ready' }
  | { type: 'engine-failed'; message: string }
  | { type: 'progress'; progress: Omit<JobProgress, 'updated_at'> }
  | { type: 'done'; result: JobSuccess }
  | { type: 'failed'; failure: JobFailure };
