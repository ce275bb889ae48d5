/**
 * The run summary (written as JSON): what was read, annotated and skipped (with reasons and
 * line numbers, capped lists plus totals), counts by consequence, impact, biotype and
 * chromosome, Ts/Tv, the indel length histogram, REF mismatches and timings.
 *
 * Counting rules: `byConsequence`, `byImpact` and `byBiotype` count allele x transcript pairs
 * (each term of a pair counts once); `byMostSevereConsequence` counts alleles by their most
 * severe term over all transcripts; `byChromosome` counts records (input spelling); Ts/Tv
 * counts SNV alleles; indel lengths are ALT minus REF length of the minimal representation
 * (negative: deletion), clamped to +-50.
 */
import { termRank } from '../consequence/terms.ts';
import type { TranscriptConsequence } from '../model.ts';
import { isTransition, variantClass } from '../normalise/alleles.ts';
import type { RefChecker, RefMismatch } from '../normalise/refcheck.ts';
import { type InputProblem, KEPT_PROBLEMS, type ProblemLog } from '../vcf/problems.ts';
import type { AnnotatedRecord, OutputFormat, Provenance } from './types.ts';

const INDEL_CLAMP = 50;

/** A counter per key; the boxed count saves the second hash lookup of get + set. */
type Counts = Map<string, { n: number }>;

function bump(m: Counts, k: string): void {
  box(m, k).n++;
}

/** The counter of `k`, made (at 0) when missing. */
function box(m: Counts, k: string): { n: number } {
  let c = m.get(k);
  if (c === undefined) {
    c = { n: 0 };
    m.set(k, c);
  }
  return c;
}

function sortedObject(m: Counts, byKey = false): Record<string, number> {
  const entries: Array<[string, number]> = [...m].map(([k, c]) => [k, c.n]);
  if (byKey) entries.sort((a, b) => Number(a[0]) - Number(b[0]));
  else entries.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return Object.fromEntries(entries);
}

export interface UnknownContig {
  records: number;
  firstLine: number;
}

/** A collector's counts as data (what a worker thread posts back). */
export type SummaryCollectorCounts = Omit<SummaryCollector, 'add' | 'merge' | 'firstUnsortedLine'>;

export class SummaryCollector {
  recordsAnnotated = 0;
  recordsNotAnnotated = 0;
  alleles = 0;
  allelesPredicted = 0;
  allelesPassedThrough = 0;
  pairs = 0;
  transitions = 0;
  transversions = 0;
  readonly byConsequence: Counts = new Map();
  readonly byMostSevere: Counts = new Map();
  readonly byImpact: Counts = new Map();
  readonly byBiotype: Counts = new Map();
  readonly byChromosome: Counts = new Map();
  readonly byVariantClass: Counts = new Map();
  readonly indelLengths: Counts = new Map();
  readonly unknownContigs = new Map<string, UnknownContig>();
  firstUnsortedLine: number | null = null;

  /**
   * Adds the counts of another collector (a worker thread's, for a later batch of records,
   * possibly a structured-clone copy without the class): merged in input order, the result
   * equals one collector over all records.
   */
  merge(o: SummaryCollectorCounts): void {
    this.recordsAnnotated += o.recordsAnnotated;
    this.recordsNotAnnotated += o.recordsNotAnnotated;
    this.alleles += o.alleles;
    this.allelesPredicted += o.allelesPredicted;
    this.allelesPassedThrough += o.allelesPassedThrough;
    this.pairs += o.pairs;
    this.transitions += o.transitions;
    this.transversions += o.transversions;
    const add = (into: Counts, from: Counts) => {
      for (const [k, c] of from) {
        const mine = into.get(k);
        if (mine) mine.n += c.n;
        else into.set(k, { n: c.n });
      }
    };
    add(this.byConsequence, o.byConsequence);
    add(this.byMostSevere, o.byMostSevere);
    add(this.byImpact, o.byImpact);
    add(this.byBiotype, o.byBiotype);
    add(this.byChromosome, o.byChromosome);
    add(this.byVariantClass, o.byVariantClass);
    add(this.indelLengths, o.indelLengths);
    for (const [name, u] of o.unknownContigs) {
      const mine = this.unknownContigs.get(name);
      if (mine) mine.records += u.records;
      else this.unknownContigs.set(name, { records: u.records, firstLine: u.firstLine });
    }
  }

  add(a: AnnotatedRecord): void {
    this.#chromosomes.add(a.record.chrom);
    if (a.note !== null) {
      this.recordsNotAnnotated++;
      if (a.note === 'unknown_contig') {
        const u = this.unknownContigs.get(a.record.chrom);
        if (u) u.records++;
        else this.unknownContigs.set(a.record.chrom, { records: 1, firstLine: a.record.line });
      }
      return;
    }
    this.recordsAnnotated++;
    for (const al of a.alleles) {
      this.alleles++;
      const cls = variantClass(al);
      this.#variantClasses.add(cls);
      if (al.symbolic !== null) {
        this.allelesPassedThrough++;
        continue;
      }
      this.allelesPredicted++;
      if (cls === 'SNV') {
        if (isTransition(al.ref, al.alt)) this.transitions++;
        else this.transversions++;
      } else if (al.ref.length !== al.alt.length) {
        const d = Math.max(-INDEL_CLAMP, Math.min(INDEL_CLAMP, al.alt.length - al.ref.length));
        bump(this.indelLengths, String(d));
      }
    }
    let current: unknown = null;
    let best = '';
    let bestRank = Number.POSITIVE_INFINITY;
    for (const c of a.consequences) {
      if (c.allele !== current) {
        if (current !== null) this.#mostSevere.add(best);
        current = c.allele;
        best = '';
        bestRank = Number.POSITIVE_INFINITY;
      }
      this.pairs++;
      const kind = this.#pairKind(c);
      kind.impact.n++;
      if (kind.biotype !== null) kind.biotype.n++;
      for (const box of kind.termBoxes) box.n++;
      if (kind.bestRank < bestRank) {
        bestRank = kind.bestRank;
        best = kind.best;
      }
    }
    if (current !== null) this.#mostSevere.add(best);
  }

  /**
   * The pair kinds seen last, newest last (at most PAIR_KINDS_KEPT). Consecutive pairs mostly
   * repeat a few kinds (the intron SNVs of a transcript, its upstream stretch), so a few
   * identity compares replace a map lookup per counter and per term (profiled: those lookups
   * were ~4% of a 1 M run). A private field: structured clones of the counts leave it out.
   */
  readonly #kinds: PairKind[] = [];
  /** Counted through their last key: records come by chromosome, alleles mostly SNVs, ... */
  readonly #chromosomes = new RunCounter(this.byChromosome);
  readonly #variantClasses = new RunCounter(this.byVariantClass);
  readonly #mostSevere = new RunCounter(this.byMostSevere);

  /** The counters a pair adds to, and its most severe term: one kept when one fits. */
  #pairKind(c: TranscriptConsequence): PairKind {
    const terms = c.consequences;
    const biotype = c.transcript ? c.transcript.biotype : null;
    const kept = this.#kinds;
    for (let k = kept.length - 1; k >= 0; k--) {
      const kind = kept[k]!;
      if (kind.impactName !== c.impact || kind.biotypeName !== biotype) continue;
      const same = kind.terms;
      if (same.length !== terms.length) continue;
      let i = 0;
      while (i < terms.length && same[i] === terms[i]) i++;
      if (i === terms.length) return kind;
    }
    let best = '';
    let bestRank = Number.POSITIVE_INFINITY;
    for (const t of terms) {
      const r = termRank(t);
      if (r < bestRank) {
        bestRank = r;
        best = t;
      }
    }
    const kind: PairKind = {
      terms: terms.slice(),
      impactName: c.impact,
      biotypeName: biotype,
      impact: box(this.byImpact, c.impact),
      biotype: biotype === null ? null : box(this.byBiotype, biotype),
      termBoxes: terms.map((t) => box(this.byConsequence, t)),
      best,
      bestRank,
    };
    if (kept.length === PAIR_KINDS_KEPT) kept.shift();
    kept.push(kind);
    return kind;
  }
}

/**
 * Counts keys into one map, keeping the counter of the key counted last: where keys come in
 * runs, a string compare replaces the map lookup.
 */
class RunCounter {
  readonly #counts: Counts;
  #key: string | null = null;
  #box: { n: number } = { n: 0 };
  constructor(counts: Counts) {
    this.#counts = counts;
  }
  add(key: string): void {
    if (key !== this.#key) {
      this.#key = key;
      this.#box = box(this.#counts, key);
    }
    this.#box.n++;
  }
}

/** Pair kinds a collector keeps (see SummaryCollector#kinds). */
const PAIR_KINDS_KEPT = 8;

/** One kind of allele x transcript pair as the counts see it, with its counters looked up. */
interface PairKind {
  terms: readonly string[];
  impactName: string;
  biotypeName: string | null;
  impact: { n: number };
  biotype: { n: number } | null;
  termBoxes: Array<{ n: number }>;
  /** The most severe term and its rank. */
  best: string;
  bestRank: number;
}

export interface Timings {
  /** Opening the input and reading its header. */
  readHeaderMs: number;
  /** Reading, annotating and writing the records. */
  annotateMs: number;
  totalMs: number;
}

export interface RunSummaryInput {
  provenance: Provenance;
  input: {
    name: string;
    compression: string;
    fileformat: string | null;
    samples: number;
    headerLines: number;
  };
  output: { name: string; format: OutputFormat } | null;
  counts: { lines: number; records: number; malformed: number; blankLines: number };
  problems: ProblemLog;
  refCheck: RefChecker;
  collector: SummaryCollector;
  sorted: boolean;
  warnings: string[];
  timings: Timings;
}

export type RunSummary = ReturnType<typeof buildSummary>;

export function buildSummary(s: RunSummaryInput) {
  const c = s.collector;
  const skippedByReason: Record<string, number> = {};
  for (const [k, n] of s.problems.countByKind) skippedByReason[k] = n;
  const mismatchList: RefMismatch[] = s.refCheck.kept.slice(0, KEPT_PROBLEMS);
  const problemList: Array<InputProblem> = s.problems.kept;
  const seconds = s.timings.annotateMs / 1000;
  return {
    engine: { name: s.provenance.engine, version: s.provenance.version },
    startedAt: s.provenance.startedAt,
    input: s.input,
    output: s.output,
    geneModels: s.provenance.geneModels,
    reference: s.provenance.reference,
    assembly: s.provenance.assembly,
    records: {
      lines: s.counts.lines,
      read: s.counts.records,
      annotated: c.recordsAnnotated,
      notAnnotated: c.recordsNotAnnotated,
      malformed: s.counts.malformed,
      blankLines: s.counts.blankLines,
      alleles: c.alleles,
      allelesPredicted: c.allelesPredicted,
      allelesPassedThrough: c.allelesPassedThrough,
      alleleTranscriptPairs: c.pairs,
    },
    problems: {
      /** Every problem listed, notes about the file (a missing #CHROM line) included. */
      total: s.problems.total,
      /** Records not annotated because of a problem: `total` without the notes. */
      recordsSkipped: s.problems.recordsSkipped,
      byReason: skippedByReason,
      /** The first problems of each kind, with line numbers (at most 500 per kind). */
      list: problemList,
      listComplete: problemList.length === s.problems.total,
    },
    refMismatches: {
      total: s.refCheck.mismatched,
      checked: s.refCheck.checked,
      uncheckedReferenceN: s.refCheck.unchecked,
      list: mismatchList,
      listComplete: mismatchList.length === s.refCheck.mismatched,
    },
    unknownContigs: Object.fromEntries(c.unknownContigs),
    sorted: s.sorted,
    firstUnsortedLine: c.firstUnsortedLine,
    counts: {
      byConsequence: sortedObject(c.byConsequence),
      byMostSevereConsequence: sortedObject(c.byMostSevere),
      byImpact: sortedObject(c.byImpact),
      byBiotype: sortedObject(c.byBiotype),
      byChromosome: sortedObject(c.byChromosome),
      byVariantClass: sortedObject(c.byVariantClass),
    },
    tstv: {
      transitions: c.transitions,
      transversions: c.transversions,
      ratio: c.transversions === 0 ? null : Math.round((c.transitions / c.transversions) * 1000) / 1000,
    },
    indelLengths: sortedObject(c.indelLengths, true),
    warnings: s.warnings,
    timings: {
      ...s.timings,
      recordsPerSecond: seconds > 0 ? Math.round(s.counts.records / seconds) : null,
    },
  };
}
