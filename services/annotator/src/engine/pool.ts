/**
 * A bounded pool of engine worker threads (main-thread side). At most `size` workers exist;
 * each runs one job at a time and keeps the reference and gene models it loaded for the next
 * job. The queue drainer runs at most `size` jobs at once, so a job always finds a worker:
 * a big job holds one worker while small jobs run on the others.
 *
 * Each worker has a V8 heap limit (`maxHeapMb`): a job that would need more memory kills only
 * its worker (an internal error for that job), never the service. A worker that crashed or
 * whose job was aborted is terminated and replaced by a fresh one on the next job.
 * Aborting terminates the thread at once rather than posting the worker's `abort` message:
 * the engine is CPU-bound and notices an abort only between input chunks, and on SIGTERM the
 * lease must be released within the stop timeout (the caller removes the scratch folder).
 */
import { Worker } from 'node:worker_threads';
import type { JobProgress } from '@gas/contracts';
import type { FastifyBaseLogger as Logger } from 'fastify';
import type { FromWorker, JobFailure, JobSuccess, JobToRun, ToWorker, WorkerSetup } from './protocol.ts';

export type JobOutcome = { ok: true; result: JobSuccess } | { ok: false; failure: JobFailure };

export class WorkerCrashedError extends Error {
  override readonly name = 'WorkerCrashedError';
}

const bootUrl = new URL('./worker-boot.mjs', import.meta.url);
const entryUrl = new URL('./worker.ts', import.meta.url).href;

export class EnginePool {
  readonly #setup: WorkerSetup;
  readonly #size: number;
  readonly #maxHeapMb: number;
  readonly #logger: Logger;
  readonly #idle: Worker[] = [];
  readonly #busy = new Set<Worker>();
  #closed = false;
  #engine: { state: 'loading' } | { state: 'ready' } | { state: 'failed'; message: string } = {
    state: 'loading',
  };

  constructor(options: { setup: WorkerSetup; size: number; maxHeapMb: number; logger: Logger }) {
    this.#setup = options.setup;
    this.#size = options.size;
    this.#maxHeapMb = options.maxHeapMb;
    this.#logger = options.logger;
  }

  get busy(): number {
    return this.#busy.size;
  }

  #spawn(): Worker {
    const worker = new Worker(bootUrl, {
      workerData: { entry: entryUrl, setup: this.#setup },
      resourceLimits: { maxOldGenerationSizeMb: this.#maxHeapMb },
      stdout: false,
      stderr: false,
    });
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'engine-ready') this.#engine = { state: 'ready' };
      if (message.type === 'engine-failed') {
        this.#engine = { state: 'failed', message: message.message };
        this.#logger.error({ reason: message.message }, 'engine worker cannot load the reference data');
      }
    });
    return worker;
  }

  /** For /readyz: throws while no worker has loaded the reference, or when loading failed. */
  assertEngineReady(): void {
    if (this.#engine.state === 'failed')
      throw new Error(`reference data cannot be loaded: ${this.#engine.message}`);
    if (this.#engine.state === 'loading') throw new Error('loading the reference data');
  }

  #take(): Worker {
    const idle = this.#idle.pop();
    if (idle) return idle;
    // At most #size workers exist: the busy ones plus the idle ones.
    if (this.#busy.size >= this.#size) throw new Error(`all ${this.#size} engine workers are busy`);
    return this.#spawn();
  }

  /** Runs a job on a worker; resolves with its outcome, rejects with WorkerCrashedError or on abort. */
  run(
    job: JobToRun,
    options: { signal: AbortSignal; onProgress: (p: Omit<JobProgress, 'updated_at'>) => void },
  ): Promise<JobOutcome> {
    if (this.#closed) return Promise.reject(new Error('the engine pool is closed'));
    const worker = this.#take();
    this.#busy.add(worker);
    return new Promise<JobOutcome>((resolve, reject) => {
      let settled = false;
      const cleanup = (keep: boolean) => {
        settled = true;
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        options.signal.removeEventListener('abort', onAbort);
        this.#busy.delete(worker);
        if (keep && !this.#closed) this.#idle.push(worker);
        else void worker.terminate();
      };
      const onMessage = (message: FromWorker) => {
        if (message.type === 'engine-ready' || message.type === 'engine-failed') return;
        if (message.type === 'progress') return options.onProgress(message.progress);
        if (options.signal.aborted) {
          // The job stopped because we asked: its outcome is not the job's outcome.
          cleanup(false);
          return reject(options.signal.reason ?? new Error('job aborted'));
        }
        cleanup(true);
        resolve(
          message.type === 'done'
            ? { ok: true, result: message.result }
            : { ok: false, failure: message.failure },
        );
      };
      const onError = (error: Error) => {
        if (settled) return;
        cleanup(false);
        this.#logger.error({ err: error, job_id: job.jobId }, 'engine worker crashed');
        reject(new WorkerCrashedError(`the engine worker crashed: ${error.message}`, { cause: error }));
      };
      const onExit = (code: number) => {
        if (settled) return;
        cleanup(false);
        reject(new WorkerCrashedError(`the engine worker exited with code ${code}`));
      };
      const onAbort = () => {
        if (settled) return;
        // The engine is CPU-bound and would notice an abort only between chunks: end the
        // thread now. The caller removes the job's scratch folder.
        cleanup(false);
        reject(options.signal.reason ?? new Error('job aborted'));
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      if (options.signal.aborted) onAbort();
      else options.signal.addEventListener('abort', onAbort, { once: true });
      worker.postMessage({ type: 'run', job } satisfies ToWorker);
    });
  }

  /** Starts the idle workers now, so they load the reference while no job waits for them. */
  warm(): void {
    while (!this.#closed && this.#idle.length + this.#busy.size < this.#size) {
      const worker = this.#spawn();
      // An idle worker that dies (bad reference path, out of memory) is simply dropped.
      worker.once('exit', () => {
        const index = this.#idle.indexOf(worker);
        if (index >= 0) this.#idle.splice(index, 1);
      });
      this.#idle.push(worker);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#idle, ...this.#busy];
    this.#idle.length = 0;
    await Promise.all(all.map((worker) => worker.terminate()));
  }
}
