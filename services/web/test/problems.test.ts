import { describe, expect, it } from 'vitest';
import { groupProblems, lineRanges } from '../src/lib/problems.ts';

describe('the job page problem rows', () => {
  it('writes lines as ranges of consecutive numbers, sorted, each once', () => {
    expect(lineRanges([])).toBe('');
    expect(lineRanges([7])).toBe('7');
    expect(lineRanges([3, 4, 5, 9, 12, 13])).toBe('3-5, 9, 12-13');
    expect(lineRanges([13, 3, 12, 4, 4])).toBe('3-4, 12-13');
  });

  it('one row per sentence, in the order sentences first appear, with how many lines have it', () => {
    const rows = groupProblems([
      { line: 3, message: 'contig "1" is missing' },
      { line: 4, message: 'contig "1" is missing' },
      { line: 6, message: 'POS "12a" is not a whole number' },
      { line: 5, message: 'contig "1" is missing' },
      { line: 40, message: 'contig "1" is missing' },
      { line: 8, message: 'POS "x" is not a whole number' },
    ]);
    expect(rows).toEqual([
      { lines: '3-5, 40', count: 4, message: 'contig "1" is missing' },
      { lines: '6', count: 1, message: 'POS "12a" is not a whole number' },
      { lines: '8', count: 1, message: 'POS "x" is not a whole number' },
    ]);
  });
});
