/**
 * Snapshot tests of the VCF reader on the shared inputs: what a user would check is that every
 * record comes out with the right line number, columns and alleles, CRLF removed, header kept,
 * compression detected from the bytes.
 */
import { createReadStream } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { VcfLine } from '../src/vcf/parse.ts';
import { readVcfFully, VcfReader } from '../src/vcf/reader.ts';
import { inputs, tempDir } from './fixtures/io/shared.ts';

/** One compact line per record for snapshots. */
function show(r: VcfLine): string {
  return `${r.line}: ${r.chrom}:${r.pos} ${r.id} ${r.ref}>${r.alts.join(',')} qual=${r.qual} filter=${r.filter} info=${r.info}${r.rest ? ` rest=${r.rest.length > 30 ? `${r.rest.slice(0, 30)}...` : r.rest}` : ''}`;
}

const temp = await tempDir();
afterAll(() => temp.remove());

describe('VCF reader on the shared inputs', () => {
  it('vep-test.chr21.vcf: 132 records, one sample, header kept', async () => {
    const { header, records, reader } = await readVcfFully(inputs('vep-test.chr21.vcf'));
    expect(reader.compression).toBe('none');
    expect(header.fileformat).toBe('VCFv4.1');
    expect(header.samples).toEqual(['HG00096']);
    expect(header.columnsLine).toBe(7);
    expect(header.contigs.get('21')).toEqual({ length: 46709983, assembly: 'GCF_000001405.26' });
    expect(reader.problems.total).toBe(0);
    expect(records).toHaveLength(132);
    expect({ meta: header.meta, records: records.map(show) }).toMatchSnapshot();
  });

  it('vep-windows-crlf.vcf: CRLF removed; no header reported, fixed columns assumed, 5 columns padded', async () => {
    const { records, reader, header } = await readVcfFully(inputs('vep-windows-crlf.vcf'));
    expect(header.synthesized).toBe(true);
    expect(records.every((r) => !r.text.includes('\r'))).toBe(true);
    expect(records.map(show)).toMatchInlineSnapshot(`
      [
        "1: 1:884108 . T>TCCCTTTGGC qual=. filter=. info=.",
        "2: 1:25780929 . ATGTGTGTG>ATGTGTG qual=. filter=. info=.",
      ]
    `);
    expect(reader.problems.kept).toMatchInlineSnapshot(`
      [
        {
          "kind": "missing_header",
          "line": 1,
          "message": "the file has no #CHROM header line before its first data line; the columns are taken to be CHROM POS ID REF ALT QUAL FILTER INFO",
        },
      ]
    `);
  });

  it('vep-idt-test.vcf and vep-test-no-transcripts.vcf', async () => {
    const idt = await readVcfFully(inputs('vep-idt-test.vcf'));
    const none = await readVcfFully(inputs('vep-test-no-transcripts.vcf'));
    expect({ idt: idt.records.map(show), noTranscripts: none.records.map(show) }).toMatchInlineSnapshot(`
      {
        "idt": [
          "8: 21:25585733 rs142513484 C>T qual=. filter=. info=. rest=GT	0|0",
          "9: 21:25587701 rs187353664 T>C qual=. filter=. info=. rest=GT	0|0",
          "10: 21:25587758 rs116645811 G>A qual=. filter=. info=. rest=GT	0|0",
        ],
        "noTranscripts": [
          "3: 21:25084225 rs556597444 C>G qual=. filter=. info=. rest=GT	0|1",
          "4: 21:25470980 rs189516870 G>A qual=. filter=. info=. rest=GT	0|1",
        ],
      }
    `);
    expect(idt.reader.problems.total + none.reader.problems.total).toBe(0);
  });

  it('vep-test-not-ordered.vcf: records in file order with their line numbers', async () => {
    const { records } = await readVcfFully(inputs('vep-test-not-ordered.vcf'));
    expect(records).toHaveLength(77);
    expect(records.slice(0, 6).map(show)).toMatchInlineSnapshot(`
      [
        "3: 1:230710034 rs894744940 C>T qual=. filter=. info=.",
        "4: 1:230710045 rs754176245 C>T qual=. filter=. info=.",
        "5: 1:230710054 rs779634377 G>A qual=. filter=. info=.",
        "6: 1:230710048 rs699 A>G qual=. filter=. info=.",
        "7: 1:230710056 rs750932889 G>C qual=. filter=. info=.",
        "8: 1:230710246 rs1471899965 T>C qual=. filter=. info=.",
      ]
    `);
  });

  it('1000 Genomes, 1,092 samples, gzip: samples left unparsed, streamed in batches', async () => {
    const reader = await VcfReader.open(inputs('1kg-phase1.grch37.chr1-head.1092-samples.vcf.gz'));
    expect(reader.compression).toBe('gzip');
    expect(reader.header.samples).toHaveLength(1092);
    expect(reader.header.assemblyHints).toContain('GRCh37');
    let n = 0;
    let batches = 0;
    let first: VcfLine | null = null;
    let last: VcfLine | null = null;
    for await (const batch of reader.batches()) {
      batches++;
      for (const r of batch) {
        n++;
        first ??= r;
        last = r;
        // FORMAT + 1,092 samples, unparsed
        expect(r.rest.split('\t')).toHaveLength(1093);
      }
    }
    expect(n).toBe(970);
    expect(batches).toBeGreaterThan(1);
    expect(reader.counts).toEqual({ lines: 1000, records: 970, malformed: 0, blankLines: 0 });
    expect([first, last].map((r) => show({ ...r!, rest: '' }))).toMatchInlineSnapshot(`
      [
        "31: 1:10583 rs58108140 G>A qual=100 filter=PASS info=AVGPOST=0.7707;RSQ=0.4319;LDAF=0.2327;ERATE=0.0161;AN=2184;VT=SNP;AA=.;THETA=0.0046;AC=314;SNPSOURCE=LOWCOV;AF=0.14;ASN_AF=0.13;AMR_AF=0.17;AFR_AF=0.04;EUR_AF=0.21",
        "1000: 1:775135 rs138782671 G>C qual=100 filter=PASS info=ERATE=0.0004;THETA=0.0106;AVGPOST=0.9966;AC=73;AN=2184;VT=SNP;AA=.;SNPSOURCE=LOWCOV;LDAF=0.0335;RSQ=0.9582;AF=0.03;AMR_AF=0.03;AFR_AF=0.10;EUR_AF=0.02",
      ]
    `);
  });

  it('bgzip (BGZF, many gzip members) is read whole, whatever the file name says', async () => {
    const misnamed = path.join(temp.dir, 'synthetic.txt');
    await copyFile(inputs('synthetic-100k.chr21.vcf.gz'), misnamed);
    const reader = await VcfReader.open(createReadStream(misnamed));
    let n = 0;
    let lastLine = 0;
    for await (const batch of reader.batches()) {
      n += batch.length;
      lastLine = batch[batch.length - 1]!.line;
    }
    expect(reader.compression).toBe('gzip');
    expect(n).toBe(100_000);
    expect(lastLine).toBe(100_005);
  });
});
