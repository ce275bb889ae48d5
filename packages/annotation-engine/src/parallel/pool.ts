/**
 * Annotation over threads, output in input order.
 *
 *   main thread: VcfReader -> batches of data lines (text + line numbers) -> to the worker with
 *                the fewest batches queued (N threads = the main one + N-1 workers); when every
 *                worker has WORKER_QUEUE_DEPTH queued, the main thread annotates one itself
 *   each:        parse -> annotate -> format every output into bytes (batch-annotator.ts)
 *   main thread: results taken back in batch order -> problems, REF checks and summary counts
 *                replayed in input order -> bytes appended to each output
 *
 * The workers come first: the main thread also reads, parses, replays and writes everything, so
 * with round robin (the first scheme) the worker waited on it while it annotated its share.
 * Batches the main thread annotates keep the records its reader parsed (no second parse); a
 * worker's travel as text and are parsed there. At most `threads x (queue depth + 2)` batches
 * are in flight, so memory holds a few batches whatever the input size. Each worker opens the
 * reference, gene models (from the index cache the main thread filled) and known-variant
 * readers itself; nothing is shared but file names. Memory: every worker adds its own runtime,
 * gene models and reference cache (~70-90 MB on chr21; its young generation is capped at
 * WORKER_YOUNG_GENERATION_MB); the CLI caps the heaps' growth when it starts workers (cli.ts).
 */
import { Worker } from 'node:worker_threads';
import { InputError } from '../vcf/problems.ts';
import type { BatchAnnotator, LocalBatch } from './batch-annotator.ts';
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

  /** Batches sent and not answered yet. */
  get queued(): number {
    return this.pending.size;
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

/**
 * Batches a worker may have queued before the main thread annotates one itself: enough that the
 * worker still has work while the main thread is busy with a batch of its own (~10 ms each).
 */
export const WORKER_QUEUE_DEPTH = 4;

export class AnnotationPool {
  private readonly workers: AnnotationWorker[];
  private readonly local: BatchAnnotator;
  private readonly queueDepth: number;

  private constructor(workers: AnnotationWorker[], local: BatchAnnotator, queueDepth: number) {
    this.workers = workers;
    this.local = local;
    this.queueDepth = queueDepth;
  }

  /**
   * Starts `threads - 1` workers (the main thread, through `local`, is the other) and waits
   * until each has opened its files. `queueDepth`: batches a worker may have queued before the
   * main thread annotates one itself (default WORKER_QUEUE_DEPTH; the tests vary it).
   */
  static async start(
    threads: number,
    init: WorkerInit,
    local: BatchAnnotator,
    queueDepth = WORKER_QUEUE_DEPTH,
  ): Promise<AnnotationPool> {
    const workers = Array.from({ length: Math.max(0, threads - 1) }, () => new AnnotationWorker(init));
    const pool = new AnnotationPool(workers, local, queueDepth);
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
    return this.workers.length + 1;
  }

  /**
   * Hands a batch to the worker with the fewest batches queued, if that one has fewer than
   * the pool's queue depth; null when every worker is busy enough (then the caller annotates it on
   * the main thread, `annotateHere`, or waits for a result). `batch` is called only when a
   * worker takes it (the text is joined for workers only).
   */
  submitToWorker(batch: () => WorkBatch): Promise<BatchResult> | null {
    let best: AnnotationWorker | null = null;
    for (const w of this.workers) if (best === null || w.queued < best.queued) best = w;
    if (best === null || best.queued >= this.queueDepth) return null;
    const r = best.submit(batch());
    r.catch(() => undefined); // awaited in order by the caller
    return r;
  }

  /** Annotates a batch on the main thread. */
  annotateHere(batch: LocalBatch): Promise<BatchResult> {
    const r = this.local(batch);
    r.catch(() => undefined);
    return r;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.workers.map((w) => w.terminate()));
  }
}
