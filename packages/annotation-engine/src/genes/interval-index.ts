/**
 * Static interval index over transcripts, genomic 1-based closed.
 *
 * Per contig: transcripts sorted by start, and maxEnd[i] = max(end[0..i]). For a query
 * [qs, qe] widened by `flank`, binary-search the last transcript with start <= qe + flank,
 * then walk left while maxEnd[i] >= qs - flank, keeping those whose own end reaches qs - flank.
 * Results come out in ascending start order. Building is O(n log n); a query is
 * O(log n + k + the transcripts that start before the query but end inside the scan),
 * which for gene models (few very long transcripts) stays small.
 */
import type { Transcript } from '../model.ts';

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
    const c = this.contigs.get(chrom);
    const out: Transcript[] = [];
    if (c === undefined) return out;
    // An insertion has end = start - 1; treat it as touching both flanking bases.
    const qs = Math.min(start, end) - flank;
    const qe = Math.max(start, end) + flank;
    // last index with starts[i] <= qe
    let lo = 0;
    let hi = c.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((c.starts[mid] as number) <= qe) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0; i--) {
      if ((c.maxEnds[i] as number) < qs) break;
      if ((c.ends[i] as number) >= qs) out.push(c.transcripts[i] as Transcript);
    }
    out.reverse();
    return out;
  }
}
