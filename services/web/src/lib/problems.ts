/**
 * The job page's "Problems in the input" table. The engine's summary lists every problem with
 * its line (the first 500 of each kind), so a file holding a chromosome the reference lacks
 * filled the page with one sentence repeated line after line (seen as a user: 36 rows of
 * `contig "22" is not in the reference FASTA ...`). Problems with the same sentence become one
 * row, their lines written as ranges (`3-9, 51-79`), rows in the order the sentences first
 * appear. Sentences that name something of the record itself (a REF base, a POS value) differ
 * and stay apart.
 */

export interface ProblemRow {
  /** The lines, ascending, consecutive ones as a range: `3-9, 12, 51-79`. */
  lines: string;
  /** How many lines have this problem (among those the summary lists). */
  count: number;
  message: string;
}

export function groupProblems(list: ReadonlyArray<{ line: number; message: string }>): ProblemRow[] {
  const linesByMessage = new Map<string, number[]>();
  for (const { line, message } of list) {
    const lines = linesByMessage.get(message);
    if (lines === undefined) linesByMessage.set(message, [line]);
    else lines.push(line);
  }
  return [...linesByMessage].map(([message, lines]) => ({
    lines: lineRanges(lines),
    count: lines.length,
    message,
  }));
}

/** `[3, 4, 5, 9, 12, 13]` -> `3-5, 9, 12-13` (sorted first, repeats kept once). */
export function lineRanges(lines: readonly number[]): string {
  const sorted = [...new Set(lines)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}
