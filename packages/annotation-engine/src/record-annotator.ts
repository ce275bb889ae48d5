/**
 * One VCF record through the annotation stages (pipeline.ts describes them): contig name
 * reconciled, alleles normalised, the reference region the sources need loaded, REF checked,
 * every source asked. Problems go to the `ProblemLog` with the record's line.
 *
 * Shared by the single-threaded pipeline and the worker threads (parallel/worker.ts), so that
 * both annotate a record the same way; `verdict` is where they differ: the pipeline asks the
 * REF checker for its assembly verdict after every record, a worker leaves that to the main
 * thread, which replays the workers' REF checks in input order.
 *
 * Coordinates: GENOMIC, 1-BASED, CLOSED.
 */
import type { AlleleToAnnotate, TranscriptConsequence } from './model.ts';
import { allelesOf } from './normalise/alleles.ts';
import type { ContigResolver } from './normalise/contigs.ts';
import type { RefChecker } from './normalise/refcheck.ts';
import type { AnnotatedRecord } from './output/types.ts';
import type { AnnotationSource, PipelineReference } from './pipeline.ts';
import type { VcfLine } from './vcf/parse.ts';
import { InputError, type ProblemLog } from './vcf/problems.ts';

export interface RecordAnnotatorParts {
  reference: PipelineReference;
  sources: readonly AnnotationSource[];
  resolver: ContigResolver;
  refCheck: RefChecker;
  problems: ProblemLog;
  /** The reference's contigs as listed in messages ("1, 2, 3, 4, 5, ..."). */
  contigText: string;
  /** Called after each REF check: an error to throw (assembly mismatch) or null. */
  verdict: () => Error | null;
}

/** The reference's contig names as messages list them: the first five, then "...". */
export function contigListText(names: Iterable<string>): string {
  const list = [...names];
  return list.length <= 5 ? list.join(', ') : `${list.slice(0, 5).join(', ')}, ...`;
}

/**
 * A record's annotation: the record itself when nothing had to be loaded for it (nearly every
 * record), else a promise. Callers await only a promise: an async annotator (and an `await` of a
 * plain value) cost every record a promise and a microtask turn.
 */
export type RecordAnnotation = AnnotatedRecord | Promise<AnnotatedRecord>;

export function recordAnnotator(parts: RecordAnnotatorParts): (rec: VcfLine) => RecordAnnotation {
  const { reference, sources, resolver, refCheck, problems, contigText, verdict } = parts;
  const annotateRecord = (rec: VcfLine): RecordAnnotation => {
    const chrom = resolver.resolve(rec.chrom);
    if (chrom === null) {
      problems.report(
        rec.line,
        'unknown_contig',
        `contig "${rec.chrom}" is not in the reference FASTA (which has ${contigText}) under this or a synonym name; record not annotated`,
      );
      return { record: rec, chrom: null, alleles: [], consequences: [], note: 'unknown_contig' };
    }
    const refEnd = rec.pos + rec.ref.length - 1;
    const length = reference.contigLengths.get(chrom)!;
    if (refEnd > length) {
      problems.report(
        rec.line,
        'position_beyond_contig',
        `${rec.chrom}:${rec.pos} (REF ${rec.ref.length} bp) lies beyond the end of contig ${chrom} (${length} bp in the FASTA); record not annotated`,
      );
      return { record: rec, chrom, alleles: [], consequences: [], note: 'beyond_contig_end' };
    }
    const alleles = allelesOf(rec, chrom);
    let lo = rec.pos;
    let hi = refEnd;
    try {
      for (const al of alleles) {
        if (al.symbolic !== null) continue;
        for (const s of sources) {
          const r = s.regionNeeded(al);
          if (r.start < lo) lo = r.start;
          if (r.end > hi) hi = r.end;
        }
      }
    } catch (err) {
      return failed(rec, chrom, err);
    }
    // synchronous when the region is loaded already (ensure returns undefined)
    const loading = reference.ensure(chrom, lo, hi);
    if (loading) return loading.then(() => prepared(rec, chrom, alleles, refEnd, 0));
    return prepared(rec, chrom, alleles, refEnd, 0);
  };

  /** Once the region is loaded: the sources prepared from the `from`-th on, then the rest. */
  const prepared = (
    rec: VcfLine,
    chrom: string,
    alleles: AlleleToAnnotate[],
    refEnd: number,
    from: number,
  ): RecordAnnotation => {
    for (let i = from; i < sources.length; i++) {
      const wait = sources[i]!.prepare?.(chrom, rec.pos, refEnd + 1);
      if (wait) return wait.then(() => prepared(rec, chrom, alleles, refEnd, i + 1));
    }
    return annotateLoaded(rec, chrom, alleles, refEnd);
  };

  /** REF check and every source's annotation, everything loaded. */
  const annotateLoaded = (
    rec: VcfLine,
    chrom: string,
    alleles: AlleleToAnnotate[],
    refEnd: number,
  ): AnnotatedRecord => {
    const bases = reference.slice(chrom, rec.pos, refEnd);
    const verdictOf = refCheck.check(rec.line, rec.chrom, rec.pos, rec.ref, bases);
    const mismatch = verdict();
    if (mismatch) throw mismatch;
    if (verdictOf === 'mismatch') {
      problems.report(
        rec.line,
        'ref_mismatch',
        `REF ${short(rec.ref)} does not match the reference FASTA, which has ${short(bases)} at ${chrom}:${rec.pos}; record not annotated`,
      );
      return { record: rec, chrom, alleles: [], consequences: [], note: 'ref_mismatch' };
    }
    const consequences: TranscriptConsequence[] = [];
    try {
      for (const al of alleles) {
        if (al.symbolic !== null) continue;
        for (const s of sources) for (const c of s.annotate(al, reference)) consequences.push(c);
      }
    } catch (err) {
      return failed(rec, chrom, err);
    }
    return { record: rec, chrom, alleles, consequences, note: null };
  };

  /** A source threw on this record: a bug, but one record must not sink the whole run. */
  const failed = (rec: VcfLine, chrom: string, err: unknown): AnnotatedRecord => {
    if (err instanceof InputError) throw err;
    problems.report(
      rec.line,
      'annotation_failed',
      `the engine failed on this record (${(err as Error)?.message ?? String(err)}); record not annotated. Please report it with the record`,
    );
    return { record: rec, chrom, alleles: [], consequences: [], note: 'annotation_failed' };
  };

  return annotateRecord;
}

function short(s: string): string {
  return s.length > 20 ? `${s.slice(0, 20)}... (${s.length} bp)` : s;
}
