/**
 * An annotation worker thread: opens its own reference, gene models and known-variant readers
 * (`EngineResources`), then annotates the batches the main thread sends, in the order they
 * come, with the batch annotator the main thread uses for its own share (batch-annotator.ts:
 * the same record annotator and writers as the single-threaded pipeline, writing into memory),
 * and posts back each batch's result. The main thread replays those in input order (pool.ts),
 * so the run's output, log and summary equal a single-threaded run's.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { geneModelSource } from '../pipeline.ts';
import { createBatchAnnotator, serializeError } from './batch-annotator.ts';
import type { WorkBatch, WorkerInit, WorkerReady } from './protocol.ts';
import { openResources } from './resources.ts';

async function main(): Promise<void> {
  const port = parentPort!;
  const init = workerData as WorkerInit;
  let annotateBatch: Awaited<ReturnType<typeof createBatchAnnotator>>;
  try {
    const { reference, genes, known } = await openResources(init.resources);
    const sources = [geneModelSource(genes), ...known.map((k) => k.asAnnotationSource())];
    annotateBatch = await createBatchAnnotator(reference, sources, {
      ...init,
      synonyms: init.resources.synonyms,
    });
  } catch (err) {
    port.postMessage({ ready: false, failure: serializeError(err) } satisfies WorkerReady);
    return;
  }
  port.on('message', (batch: WorkBatch) => {
    void annotateBatch(batch).then((result) =>
      // the output buffers travel (transferred, not cloned)
      port.postMessage(
        result,
        result.outputs.map((o) => o.buffer as ArrayBuffer),
      ),
    );
  });
  port.postMessage({ ready: true } satisfies WorkerReady);
}

await main();
