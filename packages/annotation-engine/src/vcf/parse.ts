/**
 * One VCF data line into a `VcfLine`, without I/O and with as little allocation as we can:
 * the line is cut at its first eight tabs only; FORMAT and the samples stay one unparsed string
 * (`rest`) whose tabs are merely counted (and NUL looked for); INFO is checked by one scan of
 * its characters and parsed into keys only when someone asks (`infoValue`). A bad line yields a
 * plain sentence instead of a record, so the caller can report it with its line number and
 * carry on.
 *
 * Coordinates: POS as in VCF, 1-based.
 */
import type { VcfRecord } from '../model.ts';

/** A parsed data line plus what the writers need to copy it through untouched. */
export interface VcfLine extends VcfRecord {
  /** The line as read, without its line end. */
  text: string;
  /** 0-based half-open offsets of the INFO column inside `text`. */
  infoStart: number;
  infoEnd: number;
}

const MAX_POS = 2 ** 31 - 1;

let lastChrom = '';

/** 1 for A C G T N in either case. */
const BASE = new Uint8Array(128);
for (const c of 'ACGTNacgtn') BASE[c.charCodeAt(0)] = 1;

/** Characters allowed in INFO keys (VCF 4.3: [A-Za-z_][0-9A-Za-z_.]*, plus the legacy 1000G). */
const INFO_KEY = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9_.+-]/.test(ch)) INFO_KEY[c] = 1;
}

function firstNonBase(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || BASE[c] === 0) return i;
  }
  return -1;
}

function show(s: string, max = 40): string {
  return s.length > max ? `"${s.slice(0, max)}..."` : `"${s}"`;
}

/** Binary data shows up as control characters; a sentence for it, or null if the text is clean. */
export function binaryProblem(text: string, from = 0, to = text.length): string | null {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) {
      return `the line contains binary data (byte 0x${c.toString(16).padStart(2, '0')} at column ${i + 1}), not VCF text`;
    }
  }
  return null;
}

/** Why an ALT allele is not valid VCF, or null. `single` is true when it is the only ALT. */
export function altProblem(alt: string, single: boolean): string | null {
  if (alt.length === 0) return 'an ALT allele is empty (two commas in a row, or a trailing comma)';
  if (firstNonBase(alt) < 0) return null;
  if (alt === '*') return null;
  if (alt === '.')
    return single ? null : 'ALT "." (no alternate allele) cannot be combined with other alleles';
  const c0 = alt.charCodeAt(0);
  if (c0 === 60 /* < */) {
    if (alt.length > 2 && alt.charCodeAt(alt.length - 1) === 62 && !/[<>,\s]/.test(alt.slice(1, -1)))
      return null;
    return `ALT ${show(alt)} opens a symbolic allele with "<" but is not of the form <ID>`;
  }
  // breakends: t[p[, t]p], ]p]t, [p[t, and single breakends .t / t.
  if (
    /^[ACGTNacgtn]*[[\]][^[\]\s]+[[\]][ACGTNacgtn]*$/.test(alt) ||
    /^\.[ACGTNacgtn]+$|^[ACGTNacgtn]+\.$/.test(alt)
  ) {
    return null;
  }
  const bad = firstNonBase(alt);
  return `ALT ${show(alt)} contains "${alt[bad]}", which is not a base (A, C, G, T or N), "*", "." or a <symbolic> allele`;
}

/** Why the INFO column is broken, or null. One pass over its characters, no allocation. */
export function infoProblem(info: string): string | null {
  if (info === '.') return null;
  if (info.length === 0) return 'the INFO column is empty (write "." when there is no INFO)';
  let keyStart = 0;
  let inKey = true;
  for (let i = 0; i <= info.length; i++) {
    const c = i === info.length ? 59 : info.charCodeAt(i);
    if (c === 59 /* ; */) {
      if (inKey && i === keyStart) {
        if (i === info.length && i > 0) break; // a trailing ';' is tolerated
        return `INFO ${show(info)} has an empty entry (";;" or a leading ";")`;
      }
      keyStart = i + 1;
      inKey = true;
    } else if (c === 32 || c === 9 || c === 10 || c === 13) {
      return `INFO ${show(info)} contains white space, which VCF does not allow in INFO`;
    } else if (c < 32 || c === 127) {
      return `INFO contains binary data (byte 0x${c.toString(16).padStart(2, '0')} at character ${i + 1}), not VCF text`;
    } else if (inKey) {
      if (c === 61 /* = */) {
        if (i === keyStart)
          return `INFO ${show(info)} has a value without a key ("=..." at character ${i + 1})`;
        inKey = false;
      } else if (c >= 128 || INFO_KEY[c] === 0) {
        return `INFO ${show(info)} has a key with the character "${info[i]}" (keys are letters, digits, "_" and ".")`;
      }
    }
  }
  return null;
}

/**
 * Parses one data line. `columns` is the header's column count (8, or 9 + samples); 0 means the
 * file had no #CHROM line, in which case 5 to 8 columns are accepted and padded with ".".
 * Returns the record, or a sentence saying what is wrong with the line.
 */
export function parseDataLine(text: string, line: number, columns: number): VcfLine | string {
  const t1 = text.indexOf('\t');
  const t2 = t1 < 0 ? -1 : text.indexOf('\t', t1 + 1);
  const t3 = t2 < 0 ? -1 : text.indexOf('\t', t2 + 1);
  const t4 = t3 < 0 ? -1 : text.indexOf('\t', t3 + 1);
  let t5 = t4 < 0 ? -1 : text.indexOf('\t', t4 + 1);
  let t6 = t5 < 0 ? -1 : text.indexOf('\t', t5 + 1);
  let t7 = t6 < 0 ? -1 : text.indexOf('\t', t6 + 1);
  if (t7 < 0) {
    const found = countColumns(text);
    if (columns !== 0 || found < 5) {
      const spaces = / \S+ \S+ /.test(text)
        ? '; the columns look separated by spaces, and VCF needs tabs'
        : '';
      return `the line has ${found} tab-separated column${found === 1 ? '' : 's'}; a VCF data line has ${columns || 8} (CHROM POS ID REF ALT QUAL FILTER INFO${columns > 8 ? ' FORMAT and the samples' : ''})${spaces}`;
    }
    // headerless and short (VEP accepts CHROM POS ID REF ALT): pad QUAL FILTER INFO with "."
    text = text + '\t.'.repeat(8 - found);
    t5 = text.indexOf('\t', t4 + 1);
    t6 = text.indexOf('\t', t5 + 1);
    t7 = text.indexOf('\t', t6 + 1);
  }
  const t8 = text.indexOf('\t', t7 + 1);
  const infoEnd = t8 < 0 ? text.length : t8;
  let rest = '';
  if (t8 >= 0) {
    rest = text.slice(t8 + 1);
    if (columns === 8) {
      return `the line has ${countColumns(text)} columns but the #CHROM header has 8 (no FORMAT or samples)`;
    }
    if (columns > 8) {
      let tabs = 0;
      for (let i = rest.indexOf('\t'); i >= 0; i = rest.indexOf('\t', i + 1)) tabs++;
      if (tabs + 9 !== columns) {
        return `the line has ${tabs + 9} columns but the #CHROM header has ${columns} (FORMAT and ${columns - 9} sample${columns === 10 ? '' : 's'})`;
      }
    }
    // FORMAT and the samples are copied, not parsed: of the control characters only NUL is
    // looked for there (one memchr; binary data nearly always holds one). A check of every
    // character costs as much as the parse itself on wide lines (2,504 GT-only samples: 60 us
    // more per line, on top of 66; 20 times the tab count on long FORMATs), so it is not done.
    const nul = rest.indexOf('\u0000');
    if (nul >= 0) return binaryProblem(text, t8 + 1 + nul, t8 + 2 + nul)!;
  } else if (columns > 9) {
    return `the line has 8 columns but the #CHROM header has ${columns} (FORMAT and ${columns - 9} sample${columns === 10 ? '' : 's'})`;
  }

  if (t1 === 0) return 'CHROM is empty';
  // consecutive records share their CHROM: reuse the previous string instead of a new one
  let chrom = lastChrom;
  if (t1 !== chrom.length || !text.startsWith(chrom)) {
    chrom = text.slice(0, t1);
    lastChrom = chrom;
  }

  let pos = 0;
  if (t2 === t1 + 1) return 'POS is empty';
  for (let i = t1 + 1; i < t2; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return `POS ${show(text.slice(t1 + 1, t2))} is not a whole number`;
    pos = pos * 10 + d;
  }
  if (pos > MAX_POS) return `POS ${text.slice(t1 + 1, t2)} is larger than any chromosome`;
  if (pos === 0) return 'POS is 0 (a telomere); there is no base to annotate';

  const ref = text.slice(t3 + 1, t4);
  if (ref.length === 0) return 'REF is empty';
  const badRef = firstNonBase(ref);
  if (badRef >= 0) {
    return `REF ${show(ref)} contains "${ref[badRef]}", which is not a base (A, C, G, T or N)`;
  }
  const altField = text.slice(t4 + 1, t5);
  let alts: string[];
  if (altField.indexOf(',') < 0) {
    if (firstNonBase(altField) >= 0 || altField.length === 0) {
      const p = altProblem(altField, true);
      if (p) return p;
    }
    alts = [altField];
  } else {
    alts = altField.split(',');
    for (const a of alts) {
      const p = altProblem(a, false);
      if (p) return p;
    }
  }
  // POS, REF, ALT (above) and INFO (infoProblem) are checked character by character; CHROM, ID,
  // QUAL and FILTER are copied to the output, so control characters (binary data) stop here.
  const binary =
    binaryProblem(text, 0, t1) ?? binaryProblem(text, t2 + 1, t3) ?? binaryProblem(text, t5 + 1, t7);
  if (binary) return binary;
  const info = column(text, t7, infoEnd);
  if (info !== '.') {
    const p = infoProblem(info);
    if (p) return p;
  }
  return {
    line,
    chrom,
    pos,
    id: column(text, t2, t3),
    ref,
    alts,
    qual: column(text, t5, t6),
    filter: column(text, t6, t7),
    info,
    rest,
    text,
    infoStart: t7 + 1,
    infoEnd,
  };
}

/** The column between two tab offsets; "." and "PASS" without allocating (they are most columns). */
function column(text: string, tabBefore: number, end: number): string {
  const len = end - tabBefore - 1;
  if (len === 1 && text.charCodeAt(tabBefore + 1) === 46) return '.';
  if (len === 4 && text.startsWith('PASS', tabBefore + 1)) return 'PASS';
  return text.slice(tabBefore + 1, end);
}

function countColumns(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\t'); i >= 0; i = text.indexOf('\t', i + 1)) n++;
  return n;
}

/** The value of one INFO key: the string after `key=`, `true` for a flag, undefined if absent. */
export function infoValue(info: string, key: string): string | true | undefined {
  if (info === '.' || info.indexOf(key) < 0) return undefined;
  let start = 0;
  while (start <= info.length) {
    let end = info.indexOf(';', start);
    if (end < 0) end = info.length;
    if (info.startsWith(key, start)) {
      const after = start + key.length;
      if (after === end) return true;
      if (info.charCodeAt(after) === 61) return info.slice(after + 1, end);
    }
    start = end + 1;
  }
  return undefined;
}

/** INFO without the entry `key` ("." when nothing is left). */
export function removeInfoKey(info: string, key: string): string {
  if (info === '.' || info.indexOf(key) < 0) return info;
  const kept: string[] = [];
  for (const entry of info.split(';')) {
    if (entry === key || entry.startsWith(`${key}=`) || entry === '') continue;
    kept.push(entry);
  }
  return kept.length === 0 ? '.' : kept.join(';');
}
