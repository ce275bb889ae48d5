/**
 * Known-variant sources (src/known/) on real data:
 * - dbSNP-derived VEP cache variants (known/vep84_*) on inputs/vep-test.chr21.vcf through the
 *   whole pipeline: the rsIDs in Existing_variation and the 1000 Genomes AFs equal Ensembl VEP
 *   115's (`--check_existing --af_1kg`, release-84 cache) for every allele x transcript entry;
 *   VEP's cache also holds COSMIC/HGMD ids, which the public known file does not carry, so the
 *   comparison keeps VEP's rsIDs.
 * - matching is by allele after trimming: a different ALT at a known position is not matched,
 *   an indel written with extra shared bases is.
 * - streaming: the source reads tabix windows, not the whole file.
 * - the real ClinVar subset: CLNSIG and CLNREVSTAT of ClinVar records come back for alleles
 *   built from them (input contig `chr17`, ClinVar's `17`), ClinVar ids kept out of
 *   Existing_variation with ID=ClinVar_ID.
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GeneModels, loadGeneModels } from '../src/genes/index.ts';
import { KnownSourceError, KnownVariantSource, parseKnownSpec } from '../src/known/index.ts';
import { allelesOf } from '../src/normalise/alleles.ts';
import { annotateVcf, geneModelSource } from '../src/pipeline.ts';
import { openReference, type Reference } from '../src/reference/index.ts';
import { readCsq } from './fixtures/io/csq.ts';
import { tempDir } from './fixtures/io/shared.ts';

const DATA = new URL('../../../../shared/data/', import.meta.url).pathname;
const DBSNP = `${DATA}known/vep84_chr21_25-26Mb_known.vcf.gz`;
const CLINVAR = `${DATA}known/clinvar_20260226_GRCh38_genepanel_subset.vcf.gz`;
const AF_FIELDS = ['AF', 'AFR_AF', 'AMR_AF', 'EAS_AF', 'EUR_AF', 'SAS_AF'];

let genes: GeneModels;
let reference: Reference;
let temp: { dir: string; remove: () => Promise<void>; path: (name: string) => string };

beforeAll(async () => {
  const t = await tempDir('gas-known-');
  temp = { ...t, path: (name: string) => path.join(t.dir, name) };
  genes = await loadGeneModels(`${DATA}reference/grch38-chr21/ensembl84.chr21.gff3.gz`);
  reference = await openReference(`${DATA}reference/grch38-chr21/chr21.fa.gz`);
});
afterAll(async () => {
  await reference.close();
  await temp.remove();
});

async function annotateWithDbsnp(input: string, out: string) {
  const known = await KnownVariantSource.open(
    parseKnownSpec(`${DBSNP}:AF_AF=AF,AFR_AF,AMR_AF,EAS_AF,EUR_AF,SAS_AF,CLIN_SIG`),
    reference.contigLengths.keys(),
  );
  await annotateVcf({
    input,
    output: out,
    genes,
    reference,
    sources: [geneModelSource(genes), known.asAnnotationSource()],
  });
  return { known, vcf: readCsq(await readFile(out, 'utf8')) };
}

describe('known variants from the dbSNP-derived VEP cache file', () => {
  it('Existing_variation rsIDs and 1000 Genomes AFs equal VEP 115 for every allele x transcript', async () => {
    const { known, vcf } = await annotateWithDbsnp(
      `${DATA}inputs/vep-test.chr21.vcf`,
      temp.path('vep-test.known.vcf'),
    );
    const truth = readCsq(await readFile(`${DATA}truth/vep115/vep115_cache84_test.vcf`, 'utf8'));
    // the header declares the fields, after the fixed VEP prefix
    expect(vcf.fields.slice(-7)).toEqual([...AF_FIELDS, 'CLIN_SIG']);
    expect(vcf.fields[17]).toBe('Existing_variation');
    let entries = 0;
    let withAf = 0;
    expect(vcf.records.length).toBe(truth.records.length);
    for (const t of truth.records) {
      const o = vcf.records.find((r) => r.pos === t.pos && r.chrom === t.chrom)!;
      for (const te of t.csq) {
        const oe = o.csq.find((e) => e.Feature === te.Feature && e.Allele === te.Allele);
        if (!oe) continue; // transcript coverage is part 1's test
        entries++;
        const vepRs = te.Existing_variation!.split('&').filter((id) => id.startsWith('rs'));
        expect(oe.Existing_variation!.split('&'), `${t.id} ${te.Feature}`).toEqual(vepRs);
        for (const f of AF_FIELDS) {
          expect(oe[f], `${t.id} ${te.Feature} ${f}`).toBe(te[f]);
          if (te[f] !== '') withAf++;
        }
        expect(oe.CLIN_SIG).toBe(te.CLIN_SIG);
      }
    }
    expect(entries).toBeGreaterThan(300);
    expect(withAf).toBeGreaterThan(1000);
    // streamed in windows: the 132 records span 0.4 Mb (five aligned 100 kb windows); far fewer
    // than the file's 115,489 records are read
    expect(known.windowsRead).toBeLessThanOrEqual(5);
    expect(known.recordsRead).toBeLessThan(70_000);
    expect(known.allelesMatched).toBe(132);
  });

  it('matches by allele after trimming, not by position', async () => {
    // rs574523538 C>T at 25000001; rs983383573 CAT>C at 25000424; rs189842435 A>G,T at 25000025
    const ref = (start: number, end: number) => reference.slice('21', start, end);
    await reference.ensure('21', 25000000, 25000500);
    const lines = [
      `21\t25000001\tsame\tC\tT\t.\t.\t.`,
      `21\t25000001\tother_alt\tC\tG\t.\t.\t.`,
      // the deletion with one more shared base on the left: still CAT>C once trimmed
      `21\t25000423\tpadded_del\t${ref(25000423, 25000426)}\t${ref(25000423, 25000424)}\t.\t.\t.`,
      `21\t25000025\tmulti\tA\tT,C\t.\t.\t.`,
    ];
    expect(ref(25000424, 25000426)).toBe('CAT');
    const input = temp.path('alleles.vcf');
    await writeFile(
      input,
      `##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n${lines.join('\n')}\n`,
    );
    const { vcf } = await annotateWithDbsnp(input, temp.path('alleles.out.vcf'));
    const ev = (id: string, alleleNum: string) =>
      vcf.records.find((r) => r.id === id)!.csq.find((e) => e.ALLELE_NUM === alleleNum)!.Existing_variation;
    expect(ev('same', '1')).toBe('rs574523538');
    expect(ev('other_alt', '1')).toBe('');
    expect(ev('padded_del', '1')).toBe('rs983383573');
    expect(ev('multi', '1')).toBe('rs189842435');
    expect(ev('multi', '2')).toBe('');
    // the AF of rs574523538's T (EUR_AF=0.001)
    expect(vcf.records[0]!.csq[0]!.EUR_AF).toBe('0.001');
  });

  it('unsorted access within a few windows reads each window once', async () => {
    const known = await KnownVariantSource.open(parseKnownSpec(DBSNP), ['21']);
    const order = [25_950_000, 25_050_000, 25_550_000, 25_050_100, 25_950_100, 25_550_100, 25_050_200];
    for (const pos of order) await known.prepare('21', pos, pos + 1);
    expect(known.windowsRead).toBe(3);
    expect(known.prepare('21', 25_050_300, 25_050_301)).toBeUndefined();
    const read = known.prepare('21', 25_250_000, 25_250_001);
    expect(read).toBeInstanceOf(Promise);
    await read;
    expect(known.windowsRead).toBe(4);
  });

  it('the TSV and JSON outputs carry the same fields', async () => {
    const known = await KnownVariantSource.open(parseKnownSpec(`${DBSNP}:EUR_AF`), ['21']);
    const tsv = temp.path('k.tsv');
    await annotateVcf({
      input: `${DATA}inputs/vep-test.chr21.vcf`,
      output: tsv,
      genes,
      reference,
      sources: [geneModelSource(genes), known.asAnnotationSource()],
    });
    const rows = (await readFile(tsv, 'utf8')).trimEnd().split('\n');
    const head = rows[0]!.split('\t');
    const row = rows.find((r) => r.includes('ENST00000352957') && r.startsWith('21\t25585733'))!.split('\t');
    expect(row[head.indexOf('Existing_variation')]).toBe('rs142513484');
    expect(row[head.indexOf('EUR_AF')]).toBe('0');
    const json = temp.path('k.jsonl');
    await annotateVcf({
      input: `${DATA}inputs/vep-test.chr21.vcf`,
      output: json,
      genes,
      reference,
      sources: [geneModelSource(genes), known.asAnnotationSource()],
    });
    const first = JSON.parse((await readFile(json, 'utf8')).split('\n')[0]!);
    expect(JSON.stringify(first)).toContain('"Existing_variation":"rs');
  });

  it('refuses unusable sources with a sentence naming the problem', async () => {
    await expect(KnownVariantSource.open(parseKnownSpec(`${DBSNP}:NOPE`), ['21'])).rejects.toThrow(
      /declares no INFO field NOPE; its fields are RS, VID, CLIN_SIG/,
    );
    await expect(KnownVariantSource.open(parseKnownSpec('/nonexistent/x.vcf.gz'), ['21'])).rejects.toThrow(
      /does not exist/,
    );
    const plain = temp.path('noindex.vcf.gz');
    execFileSync('sh', ['-c', `zcat ${DBSNP} | head -50 | bgzip > ${plain}`]);
    await expect(KnownVariantSource.open(parseKnownSpec(plain), ['21'])).rejects.toThrow(/tabix -p vcf/);
    expect(() => parseKnownSpec('a.vcf.gz:AF,')).toThrow(KnownSourceError);
    expect(parseKnownSpec('dir/a.vcf.gz:AF_AF=AF,CLNSIG')).toEqual({
      path: 'dir/a.vcf.gz',
      fields: [
        { key: 'AF_AF', name: 'AF' },
        { key: 'CLNSIG', name: 'CLNSIG' },
      ],
    });
    expect(parseKnownSpec('dir/a.vcf.gz')).toEqual({ path: 'dir/a.vcf.gz', fields: [] });
  });
});

describe('known variants from the real ClinVar subset', () => {
  it('CLNSIG and CLNREVSTAT for alleles of ClinVar records, contig names through synonyms', async () => {
    const clinvar = await KnownVariantSource.open(
      parseKnownSpec(`${CLINVAR}:CLNSIG,CLNREVSTAT,ID=ClinVar_ID`),
      ['chr17', 'chr13'],
    );
    expect(clinvar.contigs.sort()).toEqual(['chr13', 'chr17']);
    // TP53 region: the first 40 records of the file there, read with tabix by the CLI tool
    const lines = execFileSync('tabix', [CLINVAR, '17:7668800-7670000'], { encoding: 'utf8' })
      .trimEnd()
      .split('\n')
      .slice(0, 40);
    expect(lines.length).toBe(40);
    let checked = 0;
    for (const [i, line] of lines.entries()) {
      const [, pos, id, ref, alt, , , info] = line.split('\t');
      if (alt === '.' || alt!.startsWith('<')) continue;
      const clnsig = /(?:^|;)CLNSIG=([^;]+)/.exec(info!)?.[1] ?? '';
      const revstat = /(?:^|;)CLNREVSTAT=([^;]+)/.exec(info!)?.[1] ?? '';
      const record = {
        line: i + 1,
        chrom: 'chr17',
        pos: Number(pos),
        id: '.',
        ref: ref!,
        alts: [alt!],
        qual: '.',
        filter: '.',
        info: '.',
        rest: '',
      };
      const [allele] = allelesOf(record, 'chr17');
      await clinvar.prepare('chr17', record.pos, record.pos + ref!.length);
      clinvar.match(allele!);
      expect(allele!.known?.CLNSIG, line).toBe(clnsig);
      expect(allele!.known?.CLNREVSTAT).toBe(revstat);
      expect(allele!.known?.ClinVar_ID).toContain(id);
      expect(allele!.known?.Existing_variation).toBeUndefined();
      checked++;
    }
    expect(checked).toBeGreaterThan(30);
    // a base ClinVar does not list at a listed position: no match
    const [novel] = allelesOf(
      {
        line: 1,
        chrom: 'chr17',
        pos: 7669038,
        id: '.',
        ref: 'AAC',
        alts: ['AACAC'],
        qual: '.',
        filter: '.',
        info: '.',
        rest: '',
      },
      'chr17',
    );
    await clinvar.prepare('chr17', 7669038, 7669041);
    clinvar.match(novel!);
    expect(novel!.known).toBeUndefined();
    expect(clinvar.csqFields().map((f) => f.name)).toEqual(['ClinVar_ID', 'CLNSIG', 'CLNREVSTAT']);
  });
});
