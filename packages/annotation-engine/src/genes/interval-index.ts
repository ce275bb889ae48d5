/**
 * Static interval index over transcripts, genomic 1-based closed.
 *
 * Per contig: transcripts sorted by start, and maxEnd[i] = max(end[0..i]). For a query
 * [qs, qe] widened by `flank`, binary-search the last transcript with start <= qe + flank,
 * then walk left while maxEnd[i] >= qs - flank, keeping those whose own end reaches qs - flank.
 * Results come out in ascending start order. Building is O(n log n); a query is
 * O(log n + k + the transcripts that start before the query but end inside the scan),
 * which for gene models (few very long transcripts) stays small.
 *
 * `nearby` answers the same query and says how far it may move with the same answer: with the
 * widened query [a, b] and R the transcripts found, R stays the same while
 *   b < the next start after b   (no transcript enters on the right),
 *   b >= the largest start in R  (none leaves on the right),
 *   a <= the smallest end in R   (none leaves on the left),
 *   a > the largest end, < a, of the transcripts starting at or before b (none enters on the left).
 * Sorted input asks about consecutive positions, so the caller answers most queries from the
 * last one (annotate.ts) without a search.
 */
import type { NearbyTranscripts, Transcript } from '../model.ts';

interface ContigIndex {
  starts: Int32Array;
  ends: Int32Array;
  maxEnds: Int32Array;
  transcripts: Transcript[];
}

export class TranscriptIntervalIndex {
  private readonly contigs = new Map<string, ContigIndex>();

  constructor(transcripts: readonly Transcript[]) {
    const byContig = new Map<string, Transcript[]>();
    for (const t of transcripts) {
      let list = byContig.get(t.chrom);
      if (list === undefined) {
        list = [];
        byContig.set(t.chrom, list);
      }
      list.push(t);
    }
    for (const [chrom, list] of byContig) {
      list.sort((a, b) => a.start - b.start || a.end - b.end || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const n = list.length;
      const starts = new Int32Array(n);
      const ends = new Int32Array(n);
      const maxEnds = new Int32Array(n);
      let running = 0;
      for (let i = 0; i < n; i++) {
        const t = list[i] as Transcript;
        starts[i] = t.start;
        ends[i] = t.end;
        running = Math.max(running, t.end);
        maxEnds[i] = running;
      }
      this.contigs.set(chrom, { starts, ends, maxEnds, transcripts: list });
    }
  }

  /** Transcripts whose span widened by `flank` each side overlaps [start, end] (1-based closed). */
  overlapping(chrom: string, start: number, end: number, flank: number): Transcript[] {
    return this.nearby(chrom, start, end, flank).transcripts;
  }

  /** `overlapping`, with the range of widened queries that give the same transcripts (see the top). */
  nearby(chrom: string, start: number, end: number, flank: number): NearbyTranscripts {
    const a = Math.min(start, end) - flank;
    const b = Math.max(start, end) + flank;
    const near: NearbyTranscripts = {
      transcripts: [],
      aFrom: Number.NEGATIVE_INFINITY,
      aTo: Number.POSITIVE_INFINITY,
      bFrom: Number.NEGATIVE_INFINITY,
      bTo: Number.POSITIVE_INFINITY,
      spanStart: 0,
      spanEnd: 0,
    };
    const c = this.contigs.get(chrom);
    if (c === undefined) return near;
    const { starts, ends, maxEnds } = c;
    // last index with starts[i] <= b, then left while some transcript up to i may reach a
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((starts[mid] as number) <= b) lo = mid + 1;
      else hi = mid;
    }
    if (lo < starts.length) near.bTo = (starts[lo] as number) - 1;
    let enteringEnd = Number.NEGATIVE_INFINITY; // the largest end < a among starts <= b
    let i = lo - 1;
    for (; i >= 0; i--) {
      if ((maxEnds[i] as number) < a) break;
      const e = ends[i] as number;
      if (e >= a) {
        near.transcripts.push(c.transcripts[i] as Transcript);
        const s = starts[i] as number;
        if (s > near.bFrom) near.bFrom = s;
        if (e < near.aTo) near.aTo = e;
        if (near.spanEnd === 0 || e > near.spanEnd) near.spanEnd = e;
        near.spanStart = s; // walking left: starts only decrease
      } else if (e > enteringEnd) enteringEnd = e;
    }
    if (i >= 0 && (maxEnds[i] as number) > enteringEnd) enteringEnd = maxEnds[i] as number;
    near.aFrom = enteringEnd + 1;
    near.transcripts.reverse();
    return near;
  }
}
