/**
 * The whole pipeline on real data (chr21 gene models and FASTA): outputs annotated, unsorted
 * input annotated exactly as sorted input, contig names reconciled, bad lines and bad records
 * reported with their line while the good ones around them are annotated, and whole-input
 * failures (assembly mismatch, no contig in the FASTA) stopped with a sentence that names the
 * cause, leaving no output file behind.
 */
import { execFileSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeneModels } from '../src/genes/index.ts';
import { RunLog } from '../src/output/log.ts';
import { AnnotationAbortedError, annotateVcf, geneModelSource } from '../src/pipeline.ts';
import type { Reference } from '../src/reference/index.ts';
import { AssemblyMismatchError, InputError } from '../src/vcf/problems.ts';
import { readCsq } from './fixtures/io/csq.ts';
import { chr21Engine, inputs, tempDir } from './fixtures/io/shared.ts';

let genes: GeneModels;
let reference: Reference;
const temp = await tempDir();
beforeAll(async () => {
  ({ genes, reference } = await chr21Engine());
});
afterAll(() => temp.remove());

let n = 0;
const out = (ext = '.vcf') => path.join(temp.dir, `out-${++n}${ext}`);
async function input(lines: string[]): Promise<string> {
  const p = path.join(temp.dir, `in-${++n}.vcf`);
  await writeFile(p, `${lines.join('\n')}\n`);
  return p;
}
const HEADER = ['##fileformat=VCFv4.2', '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO'];

/** Real bases of the chr21 FASTA (1-based closed). */
async function bases(start: number, end: number): Promise<string> {
  await reference.ensure('21', start, end);
  return reference.slice('21', start, end);
}

describe('annotateVcf on real data', () => {
  it('vep-test.chr21.vcf: every record annotated; rs142513484 as VEP has it; summary counts', async () => {
    const o = out();
    const { summary, log } = await annotateVcf({
      input: inputs('vep-test.chr21.vcf'),
      output: o,
      genes,
      reference,
    });
    expect(summary.records).toMatchObject({
      read: 132,
      annotated: 132,
      notAnnotated: 0,
      malformed: 0,
      alleles: 132,
    });
    expect(summary.problems.total).toBe(0);
    expect(summary.sorted).toBe(true);
    expect(summary.counts.byChromosome).toEqual({ '21': 132 });
    expect(summary.tstv.transitions + summary.tstv.transversions).toBe(132);
    expect(summary.counts.byVariantClass).toEqual({ SNV: 132 });
    expect(summary.refMismatches.total).toBe(0);
    expect(summary.refMismatches.checked).toBe(132);
    const pairs = Object.values(summary.counts.byImpact).reduce((a, b) => a + b, 0);
    expect(pairs).toBe(summary.records.alleleTranscriptPairs);
    const { records } = readCsq(await readFile(o, 'latin1'));
    expect(records).toHaveLength(132);
    expect(records.every((r) => r.csq.length > 0)).toBe(true);
    const rs = records.find((r) => r.id === 'rs142513484')!;
    const byFeature = Object.fromEntries(rs.csq.map((c) => [c.Feature, c]));
    expect(byFeature.ENST00000352957).toMatchObject({
      Allele: 'T',
      Consequence: 'missense_variant',
      CDS_position: '991',
      Protein_position: '331',
      Amino_acids: 'A/T',
      Codons: 'Gca/Aca',
      ALLELE_NUM: '1',
    });
    expect(byFeature.ENST00000307301!.Consequence).toBe('3_prime_UTR_variant');
    expect(byFeature.ENST00000567517).toMatchObject({
      Consequence: 'upstream_gene_variant',
      DISTANCE: '2407',
    });
    expect(log.lines.some((l) => l.includes('annotated 132 records'))).toBe(true);
    // the summary's counts are the output's, recounted from the CSQ entries
    const recount = (key: 'Consequence' | 'IMPACT' | 'BIOTYPE') => {
      const m: Record<string, number> = {};
      for (const r of records)
        for (const c of r.csq)
          for (const v of key === 'Consequence' ? c.Consequence!.split('&') : [c[key]!])
            if (v !== '') m[v] = (m[v] ?? 0) + 1;
      return m;
    };
    expect(summary.counts.byConsequence).toEqual(recount('Consequence'));
    expect(summary.counts.byImpact).toEqual(recount('IMPACT'));
    expect(summary.counts.byBiotype).toEqual(recount('BIOTYPE'));
    expect(Object.values(summary.counts.byMostSevereConsequence).reduce((a, b) => a + b, 0)).toBe(132);
  });

  it('the output is the input plus CSQ: with CSQ and GAS_NOTE cut out, every data line is the input line', async () => {
    for (const name of ['vep-test.chr21.vcf', 'vep-test-not-ordered.vcf']) {
      const o = out('.vcf.gz');
      await annotateVcf({ input: inputs(name), output: o, genes, reference });
      // bcftools decompresses; the cut is a plain text edit of the INFO column
      const annotated = execFileSync('bcftools', ['view', '-H', o], {
        encoding: 'latin1',
        stdio: ['ignore', 'pipe', 'ignore'],
      })
        .split('\n')
        .filter((l) => l !== '');
      const cut = annotated.map((l) => {
        const cols = l.split('\t');
        const info = cols[7]!.split(';').filter((e) => !e.startsWith('CSQ=') && !e.startsWith('GAS_NOTE='));
        cols[7] = info.length > 0 ? info.join(';') : '.';
        return cols.join('\t');
      });
      const original = (await readFile(inputs(name), 'latin1'))
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#'));
      expect(cut).toEqual(original);
    }
  });

  it('unsorted input is annotated exactly as the same records sorted, and the log says it was unsorted', async () => {
    const text = await readFile(inputs('vep-test-not-ordered.vcf'), 'utf8');
    const lines = text.trimEnd().split('\n');
    const data = lines.filter((l) => !l.startsWith('#'));
    const sortedPath = await input([
      ...lines.filter((l) => l.startsWith('#')),
      ...[...data].sort((a, b) => {
        const [ca, pa] = a.split('\t');
        const [cb, pb] = b.split('\t');
        return ca === cb ? Number(pa) - Number(pb) : ca! < cb! ? -1 : 1;
      }),
    ]);
    const o1 = out();
    const o2 = out();
    const unsorted = await annotateVcf({
      input: inputs('vep-test-not-ordered.vcf'),
      output: o1,
      genes,
      reference,
    });
    const sorted = await annotateVcf({ input: sortedPath, output: o2, genes, reference });
    expect(unsorted.summary.sorted).toBe(false);
    expect(unsorted.summary.firstUnsortedLine).toBe(6);
    expect(unsorted.summary.warnings[0]).toBe(
      'the input is not sorted (line 6: 1:230710048 comes after 1:230710054); every record is still annotated correctly and the output keeps the input order. To index the output with tabix, sort it first: bcftools sort -Oz -o sorted.vcf.gz input.vcf',
    );
    expect(unsorted.log.lines.some((l) => l.includes('WARN: the input is not sorted'))).toBe(true);
    expect(sorted.summary.sorted).toBe(true);
    const csqById = async (p: string) =>
      Object.fromEntries(readCsq(await readFile(p, 'utf8')).records.map((r) => [r.id, r.info]));
    const a = await csqById(o1);
    const b = await csqById(o2);
    expect(Object.keys(a)).toHaveLength(77);
    expect(a).toEqual(b);
    // contigs 1 and 22 are not in the chr21 FASTA: reported per contig, records kept without CSQ
    expect(unsorted.summary.unknownContigs).toEqual({
      '1': { records: 7, firstLine: 3 },
      '22': { records: 29, firstLine: 51 },
    });
    expect(unsorted.summary.records.annotated).toBe(41);
    expect(a.rs699).toBe('GAS_NOTE=unknown_contig');
  });

  it('contig names are reconciled: chr21 and NC_000021.9 annotate like 21', async () => {
    const rows = ['25585733\trs142513484\tC\tT', '25587701\trs187353664\tT\tC'];
    const results: string[][] = [];
    for (const name of ['21', 'chr21', 'NC_000021.9']) {
      const o = out();
      const { summary } = await annotateVcf({
        input: await input([...HEADER, ...rows.map((r) => `${name}\t${r}\t.\t.\t.`)]),
        output: o,
        genes,
        reference,
      });
      expect(summary.records.annotated).toBe(2);
      results.push(readCsq(await readFile(o, 'utf8')).records.map((r) => r.info));
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  it('multi-allelic indels: one CSQ entry per allele x transcript with ALLELE_NUM and the VEP Allele', async () => {
    // 21:25585733 is in MRPL39 (minus strand); REF from the FASTA
    const ref = await bases(25585730, 25585732);
    const o = out();
    const { summary } = await annotateVcf({
      input: await input([...HEADER, `21\t25585730\tmulti\t${ref}\t${ref[0]},${ref}A,<DEL>\t.\t.\t.`]),
      output: o,
      genes,
      reference,
    });
    expect(summary.records.allelesPredicted).toBe(2);
    expect(summary.records.allelesPassedThrough).toBe(1);
    expect(summary.indelLengths).toEqual({ '-2': 1, '1': 1 });
    const [r] = readCsq(await readFile(o, 'utf8')).records;
    expect(new Set(r!.csq.map((c) => `${c.ALLELE_NUM}:${c.Allele}`))).toEqual(
      new Set(['1:-', `2:${ref.slice(1)}A`]),
    );
    expect(r!.info).toContain('GAS_NOTE=symbolic_allele');
  });

  it('bad lines and bad records are reported with their line; the good records around them are annotated', async () => {
    const good1 = '21\t25585733\trs142513484\tC\tT\t.\t.\t.';
    const good2 = '21\t25587701\trs187353664\tT\tC\t.\t.\t.';
    const good3 = '21\t25587758\trs116645811\tG\tA\t.\t.\t.';
    const o = out();
    const { summary } = await annotateVcf({
      input: await input([
        ...HEADER, // lines 1-2
        good1, // 3
        '21\t25x87701\t.\tT\tC\t.\t.\t.', // 4 bad POS
        '21\t25587701\t.\tT\tC\t.\t.\tDP=5;;X=1', // 5 broken INFO
        good2, // 6
        '21\t25587758\tmismatch\tC\tA\t.\t.\t.', // 7 REF is G in the FASTA
        'chrUn_KI270302v1\t100\t.\tA\tG\t.\t.\t.', // 8 not in the FASTA
        '21\t46709990\t.\tA\tG\t.\t.\t.', // 9 beyond the end of chr21
        '21\t25587800\t.\tA\tAT,\t.\t.\t.', // 10 empty ALT
        good3, // 11
      ]),
      output: o,
      genes,
      reference,
    });
    expect(summary.problems.list.map((p) => `${p.line} ${p.kind}: ${p.message}`)).toEqual([
      '4 malformed_line: POS "25x87701" is not a whole number',
      '5 malformed_line: INFO "DP=5;;X=1" has an empty entry (";;" or a leading ";")',
      '10 malformed_line: an ALT allele is empty (two commas in a row, or a trailing comma)',
      '7 ref_mismatch: REF C does not match the reference FASTA, which has G at 21:25587758; record not annotated',
      '8 unknown_contig: contig "chrUn_KI270302v1" is not in the reference FASTA (which has 21) under this or a synonym name; record not annotated',
      '9 position_beyond_contig: 21:46709990 (REF 1 bp) lies beyond the end of contig 21 (46709983 bp in the FASTA); record not annotated',
    ]);
    expect(summary.problems.byReason).toEqual({
      malformed_line: 3,
      ref_mismatch: 1,
      unknown_contig: 1,
      position_beyond_contig: 1,
    });
    expect(summary.refMismatches.list).toEqual([
      { line: 7, chrom: '21', pos: 25587758, ref: 'C', reference: 'G' },
    ]);
    expect(summary.records).toMatchObject({ read: 6, annotated: 3, notAnnotated: 3, malformed: 3 });
    const { records } = readCsq(await readFile(o, 'utf8'));
    expect(records.map((r) => [r.id, r.csq.length > 0, /GAS_NOTE=(\w+)/.exec(r.info)?.[1] ?? null])).toEqual([
      ['rs142513484', true, null],
      ['rs187353664', true, null],
      ['mismatch', false, 'ref_mismatch'],
      ['.', false, 'unknown_contig'],
      ['.', false, 'beyond_contig_end'],
      ['rs116645811', true, null],
    ]);
  });

  it('under the stop policy the first bad record is one error and no output is left', async () => {
    const o = out();
    const err = (await annotateVcf({
      input: await input([...HEADER, '21\t25585733\t.\tC\tT\t.\t.\t.', 'chrZ\t1\t.\tA\tG\t.\t.\t.']),
      output: o,
      genes,
      reference,
      onError: 'stop',
    }).catch((e: unknown) => e)) as InputError;
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toBe(
      'line 4: contig "chrZ" is not in the reference FASTA (which has 21) under this or a synonym name; record not annotated',
    );
    await expect(readFile(o)).rejects.toThrow(/ENOENT/);
  });

  it('most REFs disagreeing with the FASTA is an assembly mismatch that names the likely cause', async () => {
    const real = await bases(25_000_000, 25_000_000 + 3000);
    const lines = [
      ...HEADER.slice(0, 1),
      '##reference=GRCh37',
      '##contig=<ID=21,length=48129895>',
      HEADER[1]!,
    ];
    for (let i = 0; i < 1200; i++) {
      const pos = 25_000_000 + i * 2;
      const b = real[i * 2]!;
      // two records in three get a wrong REF
      const refBase =
        i % 3 === 0 ? b : (({ A: 'C', C: 'G', G: 'T', T: 'A' } as Record<string, string>)[b] ?? 'A');
      lines.push(`21\t${pos}\t.\t${refBase}\t${refBase === 'A' ? 'G' : 'A'}\t.\t.\t.`);
    }
    const o = out('.vcf.gz');
    const err = (await annotateVcf({ input: await input(lines), output: o, genes, reference }).catch(
      (e: unknown) => e,
    )) as AssemblyMismatchError;
    expect(err).toBeInstanceOf(AssemblyMismatchError);
    expect(err.message).toMatch(
      /^assembly mismatch: 66[67] of the first 1000 records checked have a REF that differs from the reference FASTA \(first at line 6: REF . but the FASTA has . at 21:25000002\)\. The input is probably on another assembly than the FASTA \(its header names "GRCh37" while the reference is GRCh38; 21 is 48129895 bp in the VCF header, as in GRCh37, but 46709983 bp in the FASTA\); lift it over or annotate it with the matching reference\.$/,
    );
    await expect(readFile(o)).rejects.toThrow(/ENOENT/);
  });

  it('a GRCh37 file whose contig is not in the FASTA: one error naming the contig and the assembly', async () => {
    const err = (await annotateVcf({
      input: inputs('1kg-phase1.grch37.chr1-head.1092-samples.vcf.gz'),
      output: out(),
      genes,
      reference,
    }).catch((e: unknown) => e)) as InputError;
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toBe(
      'none of the 970 records is on a contig of the reference FASTA: the input\'s contigs are "1" (970 records, first at line 31); the FASTA has 21; the input\'s header names GRCh37. Check that the input and the reference are the same assembly and species',
    );
  });

  it('a header without records: a warning, a valid output with the header only', async () => {
    const o = out();
    const { summary } = await annotateVcf({ input: await input(HEADER), output: o, genes, reference });
    expect(summary.records.read).toBe(0);
    expect(summary.warnings).toEqual(['the file has a header but no data records (2 lines)']);
    const text = await readFile(o, 'utf8');
    expect(text.trimEnd().split('\n').pop()).toBe(HEADER[1]);
  });

  it('an abort signal stops the run between batches and removes the output', async () => {
    const o = out('.vcf.gz');
    const stop = new AbortController();
    const genesSource = geneModelSource(genes);
    let annotated = 0;
    const err = await annotateVcf({
      input: inputs('synthetic-100k.chr21.vcf.gz'),
      output: o,
      genes,
      reference,
      signal: stop.signal,
      sources: [
        {
          regionNeeded: (a) => genesSource.regionNeeded(a),
          annotate: (a, ref) => {
            if (++annotated === 10) stop.abort(new Error('job cancelled'));
            return genesSource.annotate(a, ref);
          },
        },
      ],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnnotationAbortedError);
    expect((err as Error).message).toBe(
      'annotation stopped before the end (job cancelled); no output was written',
    );
    expect(annotated).toBeLessThan(100_000);
    await expect(readFile(o)).rejects.toThrow(/ENOENT/);
    expect((await readdir(temp.dir)).filter((f) => f.includes('.partial-'))).toEqual([]);
  });

  it('reads from a stream and writes to a stream (the annotator service streams S3 objects)', async () => {
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c));
    const log: string[] = [];
    const { summary } = await annotateVcf({
      input: Readable.from([await readFile(inputs('vep-test.chr21.vcf'))]),
      inputName: 'upload.vcf',
      output: sink,
      format: 'tsv',
      genes,
      reference,
      log: new RunLog((l) => log.push(l)),
    });
    const rows = Buffer.concat(chunks).toString('utf8').trimEnd().split('\n');
    expect(rows.length - 1).toBe(summary.records.alleleTranscriptPairs);
    expect(summary.input.name).toBe('upload.vcf');
    expect(log[0]).toMatch(/reading upload\.vcf \(error policy: skip\)$/);
  });
});
