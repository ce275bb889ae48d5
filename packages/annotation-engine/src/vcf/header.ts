/**
 * The VCF header: meta-information lines kept verbatim for the output, the column line, and
 * the few facts the engine uses (declared contigs and lengths, assembly hints).
 */

export const FIXED_COLUMNS = ['CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO'] as const;

export interface DeclaredContig {
  length: number | null;
  assembly: string | null;
}

export interface VcfHeader {
  /** Meta-information lines (`##...`) in input order, without line ends. */
  meta: string[];
  /** Column names of the `#CHROM` line without the `#`; the eight fixed ones when the file had none. */
  columns: string[];
  /** Sample names (columns after FORMAT). */
  samples: string[];
  /** e.g. `VCFv4.2`, or null when `##fileformat` is missing. */
  fileformat: string | null;
  /** `##contig=<ID=..,length=..,assembly=..>` lines by ID. */
  contigs: Map<string, DeclaredContig>;
  /** Values of `##reference=`, `##assembly=` and contig `assembly=` that name an assembly. */
  assemblyHints: string[];
  /** True when there was no `#CHROM` line and the fixed columns were assumed. */
  synthesized: boolean;
  /** 1-based line of the `#CHROM` line (0 when missing). */
  columnsLine: number;
}

export function emptyHeader(): VcfHeader {
  return {
    meta: [],
    columns: [...FIXED_COLUMNS],
    samples: [],
    fileformat: null,
    contigs: new Map(),
    assemblyHints: [],
    synthesized: true,
    columnsLine: 0,
  };
}

/** Value of `key=` inside a structured meta line `##X=<a=b,key=value,...>` (quotes removed). */
export function structuredValue(line: string, key: string): string | null {
  const open = line.indexOf('<');
  if (open < 0) return null;
  const body = line.slice(open + 1, line.endsWith('>') ? -1 : undefined);
  let i = 0;
  while (i < body.length) {
    const eq = body.indexOf('=', i);
    if (eq < 0) return null;
    const k = body.slice(i, eq);
    let j = eq + 1;
    let value: string;
    if (body[j] === '"') {
      let end = j + 1;
      while (end < body.length && body[end] !== '"') end += body[end] === '\\' ? 2 : 1;
      value = body.slice(j + 1, end);
      j = end + 1;
    } else {
      const comma = body.indexOf(',', j);
      const end = comma < 0 ? body.length : comma;
      value = body.slice(j, end);
      j = end;
    }
    if (k === key) return value;
    i = j + 1;
  }
  return null;
}

/** Adds one `##` line to the header, extracting the facts the engine uses. */
export function addMetaLine(header: VcfHeader, line: string): void {
  header.meta.push(line);
  if (line.startsWith('##fileformat=')) {
    header.fileformat = line.slice('##fileformat='.length).trim();
  } else if (line.startsWith('##contig=<')) {
    const id = structuredValue(line, 'ID');
    if (id) {
      const len = structuredValue(line, 'length');
      const assembly = structuredValue(line, 'assembly');
      const length = len && /^\d+$/.test(len) ? Number(len) : null;
      header.contigs.set(id, { length, assembly });
      if (assembly && !header.assemblyHints.includes(assembly)) header.assemblyHints.push(assembly);
    }
  } else if (line.startsWith('##reference=') || line.startsWith('##assembly=')) {
    const v = line.slice(line.indexOf('=') + 1).trim();
    if (v && !header.assemblyHints.includes(v)) header.assemblyHints.push(v);
  }
}

/** Parses the `#CHROM` line; returns an error sentence when its columns are not VCF's. */
export function setColumnsLine(header: VcfHeader, line: string, lineNumber: number): string | null {
  const columns = line.slice(1).split('\t');
  for (let i = 0; i < FIXED_COLUMNS.length; i++) {
    if (columns[i]?.toUpperCase() !== FIXED_COLUMNS[i]) {
      const spaces =
        columns.length === 1 && line.includes(' ')
          ? ' (the columns look separated by spaces, and VCF needs tabs)'
          : '';
      return `the #CHROM header line should start with the columns ${FIXED_COLUMNS.join(', ')} separated by tabs, but column ${i + 1} is "${columns[i] ?? ''}"${spaces}`;
    }
  }
  if (columns.length > 8 && columns[8]?.toUpperCase() !== 'FORMAT') {
    return `column 9 of the #CHROM header line must be FORMAT when there are sample columns, not "${columns[8]}"`;
  }
  header.columns = columns;
  header.samples = columns.slice(9);
  header.synthesized = false;
  header.columnsLine = lineNumber;
  return null;
}
