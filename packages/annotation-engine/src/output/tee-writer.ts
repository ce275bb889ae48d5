/**
 * Several outputs from ONE pass over the input: every annotated record goes to each writer in
 * turn (VCF, TSV, JSON Lines...). The annotator service used to run the engine once per format
 * (three reads, three predictions); with `AnnotateVcfOptions.moreOutputs` it reads and predicts
 * once. Back-pressure: the record waits for every writer that asked to wait. A failure aborts
 * all outputs (none is left half-written).
 */
import type { VcfHeader } from '../vcf/header.ts';
import type { AnnotatedRecord, AnnotationWriter } from './types.ts';

export class TeeWriter implements AnnotationWriter {
  readonly writers: readonly AnnotationWriter[];

  constructor(writers: readonly AnnotationWriter[]) {
    if (writers.length === 0) throw new Error('TeeWriter needs at least one writer');
    this.writers = writers;
  }

  /** The first writer's format (the primary output). */
  get format() {
    return this.writers[0]!.format;
  }

  async start(header: VcfHeader): Promise<void> {
    for (const w of this.writers) await w.start(header);
  }

  write(rec: AnnotatedRecord): Promise<void> | undefined {
    const waits: Promise<void>[] = [];
    for (const w of this.writers) {
      const wait = w.write(rec);
      if (wait) waits.push(wait);
    }
    if (waits.length === 0) return undefined;
    return waits.length === 1 ? waits[0] : Promise.all(waits).then(() => undefined);
  }

  async finish(): Promise<void> {
    try {
      for (const w of this.writers) await w.finish();
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  async abort(): Promise<void> {
    await Promise.allSettled(this.writers.map((w) => w.abort()));
  }
}
