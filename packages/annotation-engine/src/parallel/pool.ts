/**
 * Annotation over threads, output in input order.
 *
 *   main thread: VcfReader -> batches of data lines (text + line numbers) -> round robin over
 *                the workers and the main thread itself (N threads = the main one + N-1 workers)
 *   each:        parse -> annotate -> format every output into bytes (batch-annotator.ts)
 *   main thread: results taken back in batch order -> problems, REF checks and summary counts
 *                replayed in input order -> bytes appended to each output
 *
 * At most `2 x threads` batches are in flight, so memory holds a few batches whatever the input
 * size. Each worker opens the reference, gene models (from the index cache the main thread
 * filled) and known-variant readers itself; nothing is shared but file names. The main thread
 * annotates with the pipeline's own. Memory: every worker adds its own runtime, gene models and
 * reference cache (~50-80 MB on chr21; its young generation is capped at
 * WORKER_YOUNG_GENERATION_MB), which is why the CLI's default is one thread.
 */
import { Worker } from 'node:worker_threads';
import { InputError } from '../vcf/problems.ts';
import type { BatchAnnotator } from './batch-annotator.ts';
import type { BatchResult, SerializedError, WorkBatch, WorkerInit, WorkerReady } from './protocol.ts';

/** An error a worker posted, rebuilt on this side (InputErrors keep their class, line and kind). */
export function deserializeError(e: SerializedError): Error {
  const err = e.kind !== undefined ? new InputError(e.message, null, e.kind) : new Error(e.message);
  if (e.kind !== undefined) Object.assign(err, { line: e.line ?? null });
  err.message = e.message;
  if (e.name !== err.name) err.name = e.name;
  if (e.stack) err.stack = e.stack;
  return err;
}

/** A worker's young generation (V8's default is ~48 MB per isolate). */
const WORKER_YOUNG_GENERATION_MB = 8;

interface Pending {
  resolve(r: BatchResult): void;
  reject(e: Error): void;
}

class AnnotationWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private failed: Error | null = null;
  readonly ready: Promise<void>;

  constructor(init: WorkerInit) {
    // src/parallel/worker-entry.mjs from the sources (registers tsx); from the built CLI,
    // dist/worker-entry.mjs next to dist/cli.mjs, the bundled worker (scripts/build-cli.ts)
    this.worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), {
      workerData: init,
      execArgv: [],
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    this.ready = new Promise((resolve, reject) => {
      this.worker.once('message', (m: WorkerReady) => {
        if (m.ready) {
          this.worker.on('message', (r: BatchResult) => {
            const p = this.pending.get(r.seq);
            this.pending.delete(r.seq);
            p?.resolve(r);
          });
          resolve();
        } else reject(deserializeError(m.failure));
      });
      this.worker.on('error', (err) => {
        this.fail(err);
        reject(err);
      });
      this.worker.on('exit', (code) => {
        this.fail(new Error(`an annotation worker thread exited (code ${code}) before its work was done`));
        reject(this.failed);
      });
    });
    this.ready.catch(() => undefined);
  }

  private fail(err: Error): void {
    this.failed ??= err;
    for (const p of this.pending.values()) p.reject(this.failed);
    this.pending.clear();
  }

  submit(batch: WorkBatch): Promise<BatchResult> {
    if (this.failed) return Promise.reject(this.failed);
    const result = new Promise<BatchResult>((resolve, reject) => {
      this.pending.set(batch.seq, { resolve, reject });
    });
    this.worker.postMessage(batch);
    return result;
  }

  async terminate(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

/** Where a batch can go: a worker thread, or the main thread's own batch annotator. */
interface Lane {
  submit(batch: WorkBatch): Promise<BatchResult>;
}

export class AnnotationPool {
  private readonly workers: AnnotationWorker[];
  private readonly lanes: Lane[];
  private next = 0;

  private constructor(workers: AnnotationWorker[], local: BatchAnnotator) {
    this.workers = workers;
    this.lanes = [...workers, { submit: local }];
  }

  /**
   * Starts `threads - 1` workers (the main thread, through `local`, is the last) and waits
   * until each has opened its files.
   */
  static async start(threads: number, init: WorkerInit, local: BatchAnnotator): Promise<AnnotationPool> {
    const workers = Array.from({ length: Math.max(0, threads - 1) }, () => new AnnotationWorker(init));
    const pool = new AnnotationPool(workers, local);
    try {
      await Promise.all(workers.map((w) => w.ready));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  /** Threads annotating: the workers and the main thread. */
  get threads(): number {
    return this.lanes.length;
  }

  /** Hands a batch to the next thread (round robin); resolves with its result. */
  submit(batch: WorkBatch): Promise<BatchResult> {
    const lane = this.lanes[this.next]!;
    this.next = (this.next + 1) % this.lanes.length;
    const r = lane.submit(batch);
    r.catch(() => undefined); // awaited in order by the caller
    return r;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.workers.map((w) => w.terminate()));
  }
}
