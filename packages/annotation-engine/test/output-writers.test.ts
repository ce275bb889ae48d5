/**
 * Writers: the CSQ header reads as VEP's, values are escaped as VEP escapes them, an existing
 * CSQ is replaced, untouched lines are copied byte for byte, TSV has one row per allele x
 * transcript, JSON Lines one object per record, and BGZF output is real BGZF (blocks with the
 * BC field, the EOF block) that bcftools and tabix accept.
 */
import { execFileSync, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { AlleleToAnnotate, Transcript, TranscriptConsequence } from '../src/model.ts';
import { allelesOf } from '../src/normalise/alleles.ts';
import { createWriter, formatFromName } from '../src/output/factory.ts';
import { CSQ_FIELDS, CsqFormatter, csqHeaderLine, escapeCsqValue } from '../src/output/fields.ts';
import { BGZF_EOF, MemorySink, TextSink } from '../src/output/sink.ts';
import { TsvWriter } from '../src/output/tsv-writer.ts';
import type { Provenance } from '../src/output/types.ts';
import { addMetaLine, emptyHeader, setColumnsLine, type VcfHeader } from '../src/vcf/header.ts';
import { parseDataLine, type VcfLine } from '../src/vcf/parse.ts';
import { tempDir } from './fixtures/io/shared.ts';

const temp = await tempDir();
afterAll(() => temp.remove());

const provenance: Provenance = {
  engine: 'gas-annotation-engine',
  version: '0.1.0',
  geneModels: { path: '/data/genes.gff3.gz', sha256: 'ab'.repeat(32), format: 'gff3' },
  reference: { path: '/data/chr21.fa.gz', sha256: 'cd'.repeat(32) },
  assembly: 'GRCh38',
  commandLine: 'gas-annotate --fasta chr21.fa.gz --gff genes.gff3.gz -i in.vcf -o out.vcf',
  startedAt: '2026-01-01T00:00:00.000Z',
};

const transcript: Transcript = {
  id: 'ENST00000352957',
  version: '8',
  chrom: '21',
  start: 25585656,
  end: 25607517,
  strand: -1,
  biotype: 'protein_coding',
  geneId: 'ENSG00000154719',
  geneSymbol: 'MRPL39',
  geneBiotype: 'protein_coding',
  exons: [],
  cdsStart: 25585700,
  cdsEnd: 25607400,
  cdsStartPhase: 0,
  flags: ['cds_start_NF'],
  attributes: {},
};

function header(lines: string[]): VcfHeader {
  const h = emptyHeader();
  for (const l of lines.slice(0, -1)) addMetaLine(h, l);
  expect(setColumnsLine(h, lines[lines.length - 1]!, lines.length)).toBeNull();
  return h;
}

function line(text: string, n = 10, columns = 10): VcfLine {
  const r = parseDataLine(text, n, columns);
  if (typeof r === 'string') throw new Error(r);
  return r;
}

function csq(allele: AlleleToAnnotate, extra: Partial<TranscriptConsequence> = {}): TranscriptConsequence {
  return {
    allele,
    transcript,
    consequences: ['missense_variant', 'splice_region_variant'],
    impact: 'MODERATE',
    exon: '10/10',
    intron: null,
    hgvsc: 'ENST00000352957.8:c.991G>A',
    hgvsp: 'ENSP00000284967.1:p.Ala331Thr',
    cdnaPosition: '1033',
    cdsPosition: '991',
    proteinPosition: '331',
    aminoAcids: 'A/T',
    codons: 'Gca/Aca',
    distance: null,
    ...extra,
  };
}

const HEADER = [
  '##fileformat=VCFv4.2',
  '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. Format: Allele|Consequence">',
  '##VEP="v100"',
  '##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">',
  '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
  '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1',
];

describe('CSQ fields', () => {
  it('the header line is VEP-compatible, field order from the list', () => {
    const h = csqHeaderLine();
    expect(
      h.startsWith(
        '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|EXON|INTRON|HGVSc|HGVSp|cDNA_position|CDS_position|Protein_position|Amino_acids|Codons|Existing_variation|DISTANCE|STRAND|FLAGS|SYMBOL_SOURCE|HGNC_ID|ALLELE_NUM|',
      ),
    ).toBe(true);
    expect(h.endsWith('">')).toBe(true);
    expect(h.split('Format: ')[1]!.slice(0, -2).split('|')).toEqual(CSQ_FIELDS.map((f) => f.name));
  });

  it('values are escaped as VEP does: , and | to &, ; to %3B, white space to _, "-" emptied except in Allele', () => {
    expect(escapeCsqValue('a,b|c;d e\tf', false)).toBe('a&b&c%3Bd_e_f');
    expect(escapeCsqValue('-', false)).toBe('');
    expect(escapeCsqValue('-', true)).toBe('-');
    expect(escapeCsqValue('p.Ala331=', false)).toBe('p.Ala331=');
  });
});

describe('CSQ entries on one transcript', () => {
  it('each entry equals its fields joined, however its terms, impact and allele vary from entry to entry', () => {
    // the byte writer keeps a few heads (terms|IMPACT|...|BIOTYPE|) and tails (|STRAND...|VARIANT_CLASS)
    // per transcript: more variety than it keeps, in an order that revisits old ones, must still
    // give every entry its own fields
    const ctx = { source: 'genes.gff3.gz' };
    const formatter = new CsqFormatter(ctx);
    const expected = (c: TranscriptConsequence) =>
      CSQ_FIELDS.map((f, i) => (f.safe ? f.value(c, ctx) : escapeCsqValue(f.value(c, ctx), i === 0))).join(
        '|',
      );
    const records = [
      ['21\t25585733\t.\tC\tT', ['missense_variant'], 'MODERATE'],
      ['21\t25585734\t.\tCA\tC', ['frameshift_variant'], 'HIGH'],
      ['21\t25585735\t.\tA\tAGG', ['frameshift_variant', 'splice_region_variant'], 'HIGH'],
      ['21\t25585736\t.\tG\tA', ['synonymous_variant'], 'LOW'],
      ['21\t25585737\t.\tGT\tAC', ['missense_variant'], 'MODERATE'],
      ['21\t25585738\t.\tT\tC,G', ['stop_gained'], 'HIGH'],
      ['21\t25585739\t.\tC\tT', ['missense_variant', 'splice_region_variant'], 'MODERATE'],
      ['21\t25585740\t.\tC\tT', ['missense_variant'], 'MODIFIER'],
    ] as const;
    const heads = new Set<string>();
    const tails = new Set<string>();
    for (let round = 0; round < 3; round++) {
      for (const [i, [text, terms, impact]] of records.entries()) {
        const rec = line(`${text}\t.\t.\t.`, 10 + i, 8);
        for (const allele of allelesOf(rec, '21')) {
          const c = csq(allele, { consequences: [...terms], impact, distance: round === 1 ? 120 + i : null });
          const entry = formatter.entry(c);
          expect(entry).toBe(expected(c));
          const fields = entry.split('|');
          heads.add(fields.slice(1, 3).join('|'));
          tails.add(`${fields[CSQ_FIELDS.findIndex((f) => f.name === 'ALLELE_NUM')]}|${fields.at(-1)}`);
        }
      }
    }
    // more heads and tails than a transcript keeps (4 of each)
    expect(heads.size).toBeGreaterThan(4);
    expect(tails.size).toBeGreaterThan(4);
  });
});

describe('VCF writer', () => {
  it('replaces an existing CSQ, keeps other INFO, copies untouched lines verbatim, writes provenance', async () => {
    const out = path.join(temp.dir, 'out.vcf');
    const w = createWriter(out, { provenance });
    expect(w.format).toBe('vcf');
    await w.start(header(HEADER));
    const annotated = line('21\t25585733\trs142513484\tc\tT\t50\tPASS\tDP=7;CSQ=old|stuff\tGT\t0|1');
    const alleles = allelesOf(annotated, '21');
    w.write({ record: annotated, chrom: '21', alleles, consequences: [csq(alleles[0]!)], note: null });
    const plain = line('21\t25587701\t.\tT\tC\t.\t.\tDP=3\tGT\t1|1', 11);
    w.write({ record: plain, chrom: '21', alleles: allelesOf(plain, '21'), consequences: [], note: null });
    const unknown = line('chrUn\t5\t.\tA\tG\t.\t.\t.\tGT\t0|1', 12);
    w.write({ record: unknown, chrom: null, alleles: [], consequences: [], note: 'unknown_contig' });
    const sym = line('21\t25587800\t.\tA\t<DEL>,G\t.\t.\tCSQ=stale\tGT\t0|1', 13);
    const symAlleles = allelesOf(sym, '21');
    w.write({
      record: sym,
      chrom: '21',
      alleles: symAlleles,
      consequences: [csq(symAlleles[1]!)],
      note: null,
    });
    await w.finish();
    const text = await readFile(out, 'latin1');
    const lines = text.trimEnd().split('\n');
    const meta = lines.filter((l) => l.startsWith('##'));
    expect(meta.filter((l) => l.includes('ID=CSQ,'))).toEqual([csqHeaderLine()]);
    expect(meta.some((l) => l.startsWith('##VEP'))).toBe(false);
    expect(meta).toContain(`##GAS_geneModels=genes.gff3.gz format=gff3 sha256=${'ab'.repeat(32)}`);
    expect(meta).toContain(`##GAS_reference=chr21.fa.gz sha256=${'cd'.repeat(32)}`);
    expect(meta).toContain('##GAS_engine=gas-annotation-engine 0.1.0');
    expect(meta).toContain(`##GAS_command_line='${provenance.commandLine}'`);
    const body = lines.filter((l) => !l.startsWith('#'));
    expect(body).toEqual([
      '21\t25585733\trs142513484\tc\tT\t50\tPASS\tDP=7;CSQ=T|missense_variant&splice_region_variant|MODERATE|MRPL39|ENSG00000154719|Transcript|ENST00000352957|protein_coding|10/10||ENST00000352957.8:c.991G>A|ENSP00000284967.1:p.Ala331Thr|1033|991|331|A/T|Gca/Aca|||-1|cds_start_NF|||1|genes.gff3.gz|SNV\tGT\t0|1',
      '21\t25587701\t.\tT\tC\t.\t.\tDP=3\tGT\t1|1',
      'chrUn\t5\t.\tA\tG\t.\t.\tGAS_NOTE=unknown_contig\tGT\t0|1',
      '21\t25587800\t.\tA\t<DEL>,G\t.\t.\tCSQ=G|missense_variant&splice_region_variant|MODERATE|MRPL39|ENSG00000154719|Transcript|ENST00000352957|protein_coding|10/10||ENST00000352957.8:c.991G>A|ENSP00000284967.1:p.Ala331Thr|1033|991|331|A/T|Gca/Aca|||-1|cds_start_NF|||2|genes.gff3.gz|SNV;GAS_NOTE=symbolic_allele\tGT\t0|1',
    ]);
    // bcftools reads it and finds the CSQ values where the header says
    const view = execFileSync('bcftools', ['query', '-f', '%POS\\t%INFO/CSQ\\n', out], { encoding: 'utf8' });
    expect(view.split('\n')[0]).toMatch(
      /^25585733\tT\|missense_variant&splice_region_variant\|MODERATE\|MRPL39\|/,
    );
  });

  it('a headerless input gets ##fileformat and the eight fixed columns', async () => {
    const out = path.join(temp.dir, 'headerless.vcf');
    const w = createWriter(out, { provenance });
    await w.start(emptyHeader());
    const r = line('1\t884108\t.\tT\tTCC', 1, 0);
    w.write({ record: r, chrom: null, alleles: [], consequences: [], note: 'unknown_contig' });
    await w.finish();
    const text = await readFile(out, 'utf8');
    expect(text.split('\n')[0]).toBe('##fileformat=VCFv4.2');
    expect(text).toContain(
      '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n1\t884108\t.\tT\tTCC\t.\t.\tGAS_NOTE=unknown_contig\n',
    );
    execFileSync('bcftools', ['view', out], { encoding: 'utf8' });
  });
});

describe('TSV and JSON Lines writers', () => {
  const rec = () => line('21\t25585733\trs142513484\tC\tT,<DEL>\t.\t.\t.\tGT\t0|1');

  it('TSV: header row, one row per allele x transcript, a NOTE row for what was not annotated', async () => {
    const out = path.join(temp.dir, 'out.tsv');
    const w = createWriter(out, { provenance });
    expect(w.format).toBe('tsv');
    await w.start(emptyHeader());
    const r = rec();
    const alleles = allelesOf(r, '21');
    w.write({
      record: r,
      chrom: '21',
      alleles,
      consequences: [
        csq(alleles[0]!),
        csq(alleles[0]!, {
          transcript: null,
          consequences: ['intergenic_variant'],
          impact: 'MODIFIER',
          exon: null,
          hgvsc: null,
          hgvsp: null,
        }),
      ],
      note: null,
    });
    await w.finish();
    const rows = (await readFile(out, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => l.split('\t'));
    const head = rows[0]!;
    expect(head.slice(0, 7)).toEqual(['CHROM', 'POS', 'ID', 'REF', 'ALT', 'Allele', 'Consequence']);
    expect(head[head.length - 1]).toBe('NOTE');
    expect(rows).toHaveLength(4);
    expect(rows.every((row) => row.length === head.length)).toBe(true);
    const col = (row: string[], name: string) => row[head.indexOf(name)];
    expect(col(rows[1]!, 'Consequence')).toBe('missense_variant&splice_region_variant');
    expect(col(rows[1]!, 'HGVSp')).toBe('ENSP00000284967.1:p.Ala331Thr');
    expect(col(rows[2]!, 'Consequence')).toBe('intergenic_variant');
    expect(col(rows[3]!, 'Allele')).toBe('<DEL>');
    expect(col(rows[3]!, 'ALLELE_NUM')).toBe('2');
    expect(col(rows[3]!, 'NOTE')).toBe('symbolic allele <DEL> (structural variant); not annotated');
    // ALT is the row's own allele, not the record's ALT column
    expect(rows.slice(1).map((row) => col(row, 'ALT'))).toEqual(['T', 'T', '<DEL>']);
  });

  it('TSV: a many-ALT record gives rows of bounded size (linear in ALTs x transcripts), one row per ALT when not annotated', async () => {
    /** A distinct insertion per k: T and k written in base 4 with the letters ACGT. */
    const altOf = (k: number) =>
      `T${k
        .toString(4)
        .padStart(6, '0')
        .replace(/\d/g, (d) => 'ACGT'[Number(d)]!)}`;
    /** TSV bytes and rows for one record with `n` ALTs, each allele on 3 transcripts. */
    const tsvOf = async (n: number, note: 'unknown_contig' | null) => {
      const alts = Array.from({ length: n }, (_, k) => altOf(k));
      const r = line(`21\t25585733\trs1\tT\t${alts.join(',')}\t.\t.\t.\tGT\t0|1`);
      const alleles = note === null ? allelesOf(r, '21') : [];
      const sink = new MemorySink();
      const w = new TsvWriter(sink, provenance);
      await w.start(emptyHeader());
      w.write({
        record: r,
        chrom: note === null ? '21' : null,
        alleles,
        consequences: alleles.flatMap((a) => [csq(a), csq(a), csq(a)]),
        note,
      });
      const text = sink.out.take().toString('latin1');
      return {
        bytes: text.length,
        rows: text
          .trimEnd()
          .split('\n')
          .slice(1)
          .map((l) => l.split('\t')),
      };
    };
    const small = await tsvOf(20, null);
    const large = await tsvOf(2_000, null);
    expect(small.rows).toHaveLength(60);
    expect(large.rows).toHaveLength(6_000);
    // 100 times the ALTs: about 100 times the bytes (squared would be 10,000 times)
    expect(large.bytes / small.bytes).toBeLessThan(110);
    const unannotated = await tsvOf(2_000, 'unknown_contig');
    expect(unannotated.rows).toHaveLength(2_000);
    expect(unannotated.rows[1999]![4]).toBe(altOf(1999));
    expect(unannotated.rows[1999]!.at(-1)).toBe('contig not in the reference');
    expect(unannotated.rows[1999]![CSQ_FIELDS.findIndex((f) => f.name === 'ALLELE_NUM') + 5]).toBe('2000');
    expect(unannotated.bytes).toBeLessThan(2_000 * 200);
  });

  it('JSON Lines: one object per record with alleles and their consequences', async () => {
    const out = path.join(temp.dir, 'out.jsonl');
    expect(formatFromName(out)).toBe('json');
    const w = createWriter(out, { provenance });
    await w.start(emptyHeader());
    const r = rec();
    const alleles = allelesOf(r, '21');
    w.write({ record: r, chrom: '21', alleles, consequences: [csq(alleles[0]!)], note: null });
    await w.finish();
    const objs = (await readFile(out, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(objs).toHaveLength(1);
    expect(objs[0]).toMatchObject({
      line: 10,
      chrom: '21',
      pos: 25585733,
      alts: ['T', '<DEL>'],
      alleles: [
        {
          allele: 'T',
          alleleNum: 1,
          start: 25585733,
          end: 25585733,
          consequences: [{ Feature: 'ENST00000352957', IMPACT: 'MODERATE', ALLELE_NUM: '1' }],
        },
        {
          allele: '<DEL>',
          alleleNum: 2,
          note: 'symbolic allele <DEL> (structural variant); not annotated',
          consequences: [],
        },
      ],
    });
  });
});

describe('BGZF output', () => {
  it('is a series of BGZF blocks ending with the EOF block; gunzip, bcftools and tabix accept it', async () => {
    const out = path.join(temp.dir, 'big.vcf.gz');
    const sink = new TextSink(out, { bgzip: true });
    const lines = [
      '##fileformat=VCFv4.2',
      '##contig=<ID=21,length=46709983>',
      '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO',
    ];
    for (let i = 0; i < 30_000; i++)
      lines.push(`21\t${1_000_000 + i * 3}\trs${i}\tA\tG\t${i % 60}\t.\tDP=${(i * 7919) % 1000}`);
    for (const l of lines) {
      const w = sink.line(l);
      if (w) await w;
    }
    await sink.close();
    const bytes = await readFile(out);
    expect(gunzipSync(bytes).toString('latin1')).toBe(`${lines.join('\n')}\n`);
    expect(bytes.subarray(bytes.length - 28)).toEqual(BGZF_EOF);
    // walk the blocks: each has the BC extra field whose BSIZE-1 gives its length
    let off = 0;
    let blocks = 0;
    while (off < bytes.length) {
      expect([bytes[off], bytes[off + 1], bytes[off + 3], bytes[off + 12], bytes[off + 13]]).toEqual([
        0x1f, 0x8b, 4, 0x42, 0x43,
      ]);
      const size = bytes.readUInt16LE(off + 16) + 1;
      expect(size).toBeLessThanOrEqual(65536);
      off += size;
      blocks++;
    }
    expect(off).toBe(bytes.length);
    expect(blocks).toBeGreaterThan(2);
    expect(execFileSync('bcftools', ['view', '-H', out], { encoding: 'utf8' }).split('\n').length - 1).toBe(
      30_000,
    );
    execFileSync('tabix', ['-f', '-p', 'vcf', out]);
    expect(execFileSync('tabix', [out, '21:1000003-1000006'], { encoding: 'utf8' })).toBe(
      `${lines[4]}\n${lines[5]}\n`,
    );
  });

  it('a failed run leaves no file behind', async () => {
    const out = path.join(temp.dir, 'aborted.vcf.gz');
    const sink = new TextSink(out, { bgzip: true });
    sink.line('##fileformat=VCFv4.2');
    await sink.abort();
    await expect(readFile(out)).rejects.toThrow(/ENOENT/);
    expect((await readdir(temp.dir)).filter((f) => f.startsWith('aborted'))).toEqual([]);
  });
});

describe('plain file output', () => {
  it('many flushes come out byte for byte (flush buffers are reused once written)', async () => {
    const out = path.join(temp.dir, 'many-flushes.vcf');
    const sink = new TextSink(out);
    const expected: string[] = [];
    // ~24 MB in lines that differ everywhere, so a buffer reused too early shows as wrong bytes
    for (let i = 0; i < 200_000; i++) {
      const line = `21\t${1_000_000 + i}\trs${i}\tA\tG\t.\t.\tX=${String(i).repeat(12)}\t${(i * 7919).toString(36).repeat(3)}`;
      expected.push(`${line}\n`);
      const w = sink.line(line);
      if (w && i % 3 === 0) await w; // some waits taken, some left to the shared drain promise
    }
    for (let k = 0; k < 6; k++) {
      const chunk = `${k}${'y'.repeat(400_000)}\n`;
      expected.push(chunk);
      sink.chunk(Buffer.from(chunk, 'latin1'));
    }
    await sink.close();
    const text = await readFile(out, 'latin1');
    const want = expected.join('');
    // the first difference, with a little context (a diff of 24 MB strings takes minutes)
    let at = 0;
    while (at < want.length && text.charCodeAt(at) === want.charCodeAt(at)) at++;
    const excerpt = (s: string) => JSON.stringify(s.slice(Math.max(0, at - 40), at + 40));
    expect(
      at === want.length && text.length === want.length
        ? null
        : { at, got: excerpt(text), want: excerpt(want) },
    ).toBe(null);
  });
});

describe('output to something that is not a regular file', () => {
  it('a named pipe is written in place: it stays a pipe, gets every byte, and no temporary file is left', async () => {
    // A device or pipe must not be replaced by renaming a temporary file over it: as root,
    // `-o /dev/null` once turned /dev/null into a plain file. A pipe takes the same path here
    // without putting the machine's /dev/null at stake.
    const dir = path.join(temp.dir, 'fifo');
    execFileSync('mkdir', ['-p', dir]);
    const fifo = path.join(dir, 'out.vcf');
    execFileSync('mkfifo', [fifo]);
    // the reader end: `cat`, so that a regression (the pipe replaced, nobody writing to it)
    // fails the assertions below instead of leaving a read blocked forever
    const reader = spawn('cat', [fifo]);
    const chunks: Buffer[] = [];
    reader.stdout.on('data', (b: Buffer) => chunks.push(b));
    const received = new Promise<string>((resolve) =>
      reader.once('close', () => resolve(Buffer.concat(chunks).toString('latin1'))),
    );
    const sink = new TextSink(fifo);
    const lines = Array.from({ length: 5000 }, (_, i) => `21\t${100 + i}\t.\tA\tG\t.\t.\tN=${i}`);
    for (const line of lines) {
      const w = sink.line(line);
      if (w) await w;
    }
    await sink.close();
    const stillAPipe = statSync(fifo).isFIFO();
    if (!stillAPipe) reader.kill();
    expect(stillAPipe).toBe(true);
    expect(await received).toBe(lines.map((l) => `${l}\n`).join(''));
    expect(await readdir(dir)).toEqual(['out.vcf']);
  });
});

describe('TextSink backpressure', () => {
  /** A stream that takes one small write per event-loop turn, so it is full almost always. */
  const slowStream = (): { stream: Writable; received: Buffer[] } => {
    const received: Buffer[] = [];
    const stream = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, done) {
        received.push(chunk);
        setImmediate(done);
      },
    });
    return { stream, received };
  };

  it('many puts without waiting share one drain wait: no listener warning, bytes in order', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const { stream, received } = slowStream();
      const sink = new TextSink(stream);
      // 40 lines of ~1 MiB (each fills the buffer, so each flushes) plus large encoded chunks
      // between them, none awaited: 80 writes while the stream is full
      const waits: Array<Promise<void> | undefined> = [];
      const expected: string[] = [];
      for (let k = 0; k < 40; k++) {
        const text = `${k}:${String.fromCharCode(65 + (k % 26)).repeat(1 << 20)}`;
        expected.push(`${text}\n`);
        waits.push(sink.line(text));
        const encoded = `chunk ${k} ${'z'.repeat(300_000)}\n`;
        expected.push(encoded);
        waits.push(sink.chunk(Buffer.from(encoded, 'latin1')));
      }
      const pending = waits.filter((w) => w !== undefined);
      expect(pending.length).toBeGreaterThan(20);
      // one shared promise while the stream is full, not one per write
      expect(new Set(pending).size).toBeLessThan(pending.length);
      expect(stream.listenerCount('drain')).toBeLessThanOrEqual(1);
      await Promise.all(pending);
      await sink.close();
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
      expect(Buffer.concat(received).toString('latin1')).toBe(expected.join(''));
    } finally {
      process.off('warning', onWarning);
    }
  });
});
