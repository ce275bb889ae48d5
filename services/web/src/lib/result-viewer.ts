/**
 * The result viewer reads the annotated TSV from S3 as a stream, line by line, and keeps
 * only the rows of the requested page that pass the filters; it stops reading as soon as the
 * page is full plus one row (to know whether there is a next page). Memory is one page, never
 * the whole result. Filters: gene (SYMBOL, exact, case-insensitive), consequence (one SO
 * term among the `&`-joined terms), impact, and, when the result has those columns,
 * ClinVar significance (substring) and maximum allele frequency.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export type ResultFilters = {
  gene?: string;
  consequence?: string;
  impact?: string;
  clinvar?: string;
  max_af?: number;
};

export type ResultPage = { columns: string[]; rows: string[][]; page: number; hasNext: boolean };

const CLINVAR_COLUMNS = ['CLIN_SIG', 'ClinVar_CLNSIG', 'CLNSIG'];
const AF_COLUMNS = ['AF', 'MAX_AF', 'gnomAD_AF'];

export function rowMatcher(columns: string[], filters: ResultFilters): (row: string[]) => boolean {
  const at = (names: string[]) => columns.findIndex((c) => names.includes(c));
  const gene = columns.indexOf('SYMBOL');
  const consequence = columns.indexOf('Consequence');
  const impact = columns.indexOf('IMPACT');
  const clinvar = at(CLINVAR_COLUMNS);
  const af = at(AF_COLUMNS);
  return (row) => {
    if (filters.gene && (row[gene] ?? '').toLowerCase() !== filters.gene.toLowerCase()) return false;
    if (filters.consequence && !(row[consequence] ?? '').split('&').includes(filters.consequence))
      return false;
    if (filters.impact && row[impact] !== filters.impact) return false;
    if (
      filters.clinvar &&
      (clinvar < 0 || !(row[clinvar] ?? '').toLowerCase().includes(filters.clinvar.toLowerCase()))
    )
      return false;
    if (filters.max_af !== undefined) {
      const value = af < 0 ? Number.NaN : Number.parseFloat(row[af] ?? '');
      if (Number.isFinite(value) && value > filters.max_af) return false;
    }
    return true;
  };
}

/** Reads page `page` (1-based) of `pageSize` matching rows from a TSV stream; lines starting with `##` are skipped. */
export async function readResultPage(
  stream: Readable,
  filters: ResultFilters,
  page: number,
  pageSize: number,
): Promise<ResultPage> {
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let columns: string[] | null = null;
  let matches: ((row: string[]) => boolean) | null = null;
  const skip = (page - 1) * pageSize;
  let seen = 0;
  const rows: string[][] = [];
  let hasNext = false;
  try {
    for await (const line of lines) {
      if (line === '' || line.startsWith('##')) continue;
      if (!columns) {
        columns = line.replace(/^#/, '').split('\t');
        matches = rowMatcher(columns, filters);
        continue;
      }
      const row = line.split('\t');
      if (!matches!(row)) continue;
      seen++;
      if (seen <= skip) continue;
      if (rows.length === pageSize) {
        hasNext = true;
        break;
      }
      rows.push(row);
    }
  } finally {
    lines.close();
    stream.destroy();
  }
  return { columns: columns ?? [], rows, page, hasNext };
}

export async function readResultPageFromS3(
  s3: S3Client,
  bucket: string,
  key: string,
  filters: ResultFilters,
  page: number,
  pageSize: number,
): Promise<ResultPage> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return readResultPage(object.Body as Readable, filters, page, pageSize);
}
