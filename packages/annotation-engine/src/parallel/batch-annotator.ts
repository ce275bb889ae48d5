/**
 * Annotates one batch of data lines into a `BatchResult`: the encoded lines of every output,
 * the problems, the REF checks and the summary counts, for the main thread to replay in input
 * order (pool.ts). Used by the worker threads (worker.ts) and, with the pipeline's own
 * reference and sources, by the main thread, which annotates its share of the batches too.
 * Batches are annotated one after the other, in the order they are given.
 */
import { ContigResolver } from '../normalise/contigs.ts';
import { RefChecker, type RefMismatch } from '../normalise/refcheck.ts';
import { createWriterOn } from '../output/factory.ts';
import { CSQ_FIELDS } from '../output/fields.ts';
import { MemorySink } from '../output/sink.ts';
import { SummaryCollector } from '../output/summary.ts';
import type { AnnotationWriter } from '../output/types.ts';
import type { AnnotationSource, PipelineReference } from '../pipeline.ts';
import { contigListText, recordAnnotator } from '../record-annotator.ts';
import { parseDataLine, type VcfLine } from '../vcf/parse.ts';
import { InputError, ProblemRecorder } from '../vcf/problems.ts';
import {
  type BatchResult,
  REF_MATCH,
  REF_MISMATCH,
  REF_NOT_CHECKED,
  REF_UNCHECKED,
  type SerializedError,
  type WorkBatch,
  type WorkerInit,
} from './protocol.ts';

export function serializeError(err: unknown): SerializedError {
  const e = err instanceof Error ? err : new Error(String(err));
  const out: SerializedError = { name: e.name, message: e.message, stack: e.stack };
  if (e instanceof InputError) {
    out.line = e.line;
    out.kind = e.kind;
  }
  return out;
}

/** A batch the main thread annotates itself: the records as its reader parsed them. */
export interface LocalBatch {
  seq: number;
  records: readonly VcfLine[];
  lines: Int32Array;
}

/** Annotates a batch; the result's output buffers are its own (transferable). */
export type BatchAnnotator = (batch: WorkBatch | LocalBatch) => Promise<BatchResult>;

export async function createBatchAnnotator(
  reference: PipelineReference,
  sources: readonly AnnotationSource[],
  init: Omit<WorkerInit, 'resources'> & { synonyms: readonly string[][] },
): Promise<BatchAnnotator> {
  const fields = [...CSQ_FIELDS, ...sources.flatMap((s) => s.fields ?? [])];
  const refCheck = new RefChecker();
  const problems = new ProblemRecorder();
  const annotate = recordAnnotator({
    reference,
    sources,
    resolver: new ContigResolver(reference.contigLengths.keys(), init.synonyms),
    refCheck,
    problems,
    contigText: contigListText(reference.contigLengths.keys()),
    verdict: () => null, // the main thread decides, over the checks of every batch in order
  });
  const sinks = init.formats.map(() => new MemorySink());
  const writers: AnnotationWriter[] = init.formats.map((format, i) =>
    createWriterOn(sinks[i]!, format, { provenance: init.provenance, fields }),
  );
  // start() sets a writer up from the header (and writes the header lines, which the main
  // thread writes itself: dropped here)
  for (const w of writers) await w.start(init.header);
  for (const s of sinks) s.out.length = 0;
  const columns = init.header.synthesized ? 0 : init.header.columns.length;

  const annotateBatch = async (batch: WorkBatch | LocalBatch): Promise<BatchResult> => {
    // the main thread's batches come parsed already; a worker's come as text
    const parsed = 'records' in batch ? batch.records : null;
    const texts = 'text' in batch ? batch.text.split('\n') : [];
    const n = batch.lines.length;
    const refChecks = new Uint8Array(n);
    const mismatches: (RefMismatch | null)[] = [];
    const collector = new SummaryCollector();
    let failure: SerializedError | null = null;
    let failedAt = n;
    for (let i = 0; i < n; i++) {
      const rec = parsed ? parsed[i]! : parseDataLine(texts[i]!, batch.lines[i]!, columns);
      const { checked, mismatched, unchecked } = refCheck;
      const kept = refCheck.kept.length;
      try {
        if (typeof rec === 'string') throw new Error(`line ${batch.lines[i]} no longer parses: ${rec}`);
        const pending = annotate(rec);
        const annotated = pending instanceof Promise ? await pending : pending;
        collector.add(annotated);
        for (const w of writers) w.write(annotated);
      } catch (err) {
        failure = serializeError(err);
        failedAt = i;
        break;
      } finally {
        if (refCheck.unchecked > unchecked) refChecks[i] = REF_UNCHECKED;
        else if (refCheck.mismatched > mismatched) {
          refChecks[i] = REF_MISMATCH;
          mismatches.push(refCheck.kept.length > kept ? refCheck.kept[kept]! : null);
        } else if (refCheck.checked > checked) refChecks[i] = REF_MATCH;
        else refChecks[i] = REF_NOT_CHECKED;
      }
    }
    // an exact-size copy is handed over; the sink keeps its buffer for the next batch
    const outputs = sinks.map((s) => {
      const bytes = new Uint8Array(s.out.length);
      bytes.set(s.out.buf.subarray(0, s.out.length));
      s.out.length = 0;
      return bytes;
    });
    return {
      seq: batch.seq,
      outputs,
      problems: problems.take(),
      refChecks,
      mismatches,
      collector,
      failure,
      failedAt,
    };
  };

  // one batch after the other, in the order given
  let queue: Promise<unknown> = Promise.resolve();
  return (batch) => {
    const result = queue.then(() => annotateBatch(batch));
    queue = result.catch(() => undefined);
    return result;
  };
}
