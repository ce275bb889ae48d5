/**
 * Gene model parsing: snapshots of small real slices (Ensembl GFF3 with a multi-parent
 * transcript, RefSeq GFF3 with mRNA/ncRNA/primary_transcript, Ensembl GTF), the GTF and GFF3
 * of the same release agreeing transcript by transcript, bad input named with its line, and
 * the interval index against a brute-force scan.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { GeneModelError, loadGeneModels, TranscriptIntervalIndex } from '../src/genes/index.ts';
import type { Transcript } from '../src/model.ts';
import { DATA } from './fixtures/science/truth-helpers.ts';

const FIX = new URL('./fixtures/science/', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'gas-genes-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A compact, stable view of a transcript for snapshots. */
function view(t: Transcript) {
  return {
    id: t.version === null ? t.id : `${t.id}.${t.version}`,
    gene: `${t.geneId} ${t.geneSymbol ?? '-'} ${t.geneBiotype ?? '-'}`,
    biotype: t.biotype,
    where: `${t.chrom}:${t.start}-${t.end}:${t.strand}`,
    exons: t.exons.map((e) => `${e.start}-${e.end}`).join(','),
    cds: t.cdsStart === null ? null : `${t.cdsStart}-${t.cdsEnd} phase ${t.cdsStartPhase}`,
    protein: t.proteinId ?? null,
    flags: t.flags,
  };
}

describe('GFF3 and GTF parsers', () => {
  it('Ensembl GFF3: MRPL39 with the two-parent ENST00000419219 / ENST00000419219_1', async () => {
    const m = await loadGeneModels(`${FIX}ensembl-mrpl39.gff3`);
    expect(m.format).toBe('gff3');
    expect(m.transcripts.map(view)).toMatchSnapshot();
    const a = m.transcripts.find((t) => t.id === 'ENST00000419219');
    const b = m.transcripts.find((t) => t.id === 'ENST00000419219_1');
    expect(a?.exons).toEqual(b?.exons);
    expect(a?.exons.length).toBe(8);
  });

  it('RefSeq GFF3: accessions from Name/transcript_id, GeneID, biotypes from the feature type', async () => {
    const m = await loadGeneModels(`${FIX}refseq-mrpl39-mir155.gff3`, {
      contigName: (n) => (n === 'NC_000021.9' ? '21' : n),
    });
    expect(m.transcripts.map(view)).toMatchSnapshot();
    const nm = m.transcripts.find((t) => t.id === 'NM_017446');
    expect(nm?.version).toBe('3');
    expect(nm?.chrom).toBe('21');
    expect(nm?.proteinId).toBe('NP_059142.2');
  });

  it('Ensembl GTF: versions, stop codons and multi-transcript rows', async () => {
    const m = await loadGeneModels(`${FIX}ensembl-mrpl39.gtf`);
    expect(m.format).toBe('gtf');
    expect(m.transcripts.map(view)).toMatchSnapshot();
  });

  it('GTF and GFF3 of the same release give the same transcripts (24-27 Mb)', async () => {
    const gtf = await loadGeneModels(`${DATA}reference/grch38-chr21/ensembl84.chr21_24-27Mb.gtf.gz`);
    const gff = await loadGeneModels(`${DATA}reference/grch38-chr21/ensembl84.chr21.gff3.gz`);
    const byId = new Map(gff.transcripts.map((t) => [t.id, t]));
    expect(gtf.transcripts.length).toBe(103);
    for (const t of gtf.transcripts) {
      const g = byId.get(t.id);
      expect(g, t.id).toBeDefined();
      const pick = (x: Transcript) => ({
        version: x.version,
        strand: x.strand,
        exons: x.exons,
        cdsStart: x.cdsStart,
        cdsEnd: x.cdsEnd,
        biotype: x.biotype,
        geneId: x.geneId,
        geneSymbol: x.geneSymbol,
      });
      expect(pick(t), t.id).toEqual(pick(g as Transcript));
    }
  });

  it('reads the whole Ensembl chr21 GFF3 (gzip): transcripts, NMD and non-coding biotypes', async () => {
    const m = await loadGeneModels(`${DATA}reference/grch38-chr21/ensembl84.chr21.gff3.gz`);
    expect(m.transcripts.length).toBe(2414);
    const biotypes = new Set(m.transcripts.map((t) => t.biotype));
    for (const b of [
      'protein_coding',
      'nonsense_mediated_decay',
      'lincRNA',
      'miRNA',
      'processed_pseudogene',
    ]) {
      expect(biotypes.has(b), b).toBe(true);
    }
    expect(m.transcripts.filter((t) => t.cdsStart !== null).length).toBeGreaterThan(700);
  });

  it('names the file and line of bad input', async () => {
    const bad = join(tmp, 'bad.gff3');
    writeFileSync(
      bad,
      '##gff-version 3\n21\tx\texon\t10\t20\t.\t+\t.\tParent=transcript:T1\n21\tx\texon\t30\n',
    );
    await expect(loadGeneModels(bad)).rejects.toThrow(
      /bad\.gff3 line 3: expected 9 tab-separated columns, found 4/,
    );
    const badPos = join(tmp, 'badpos.gff3');
    writeFileSync(badPos, '21\tx\texon\tten\t20\t.\t+\t.\tParent=transcript:T1\n');
    await expect(loadGeneModels(badPos)).rejects.toThrow(/line 1: start 'ten' is not an integer/);
    const orphan = join(tmp, 'orphan.gff3');
    writeFileSync(orphan, '21\tx\tCDS\t10\t20\t.\t+\t0\tID=cds1\n');
    await expect(loadGeneModels(orphan)).rejects.toThrow(/line 1: CDS without a Parent attribute/);
    const empty = join(tmp, 'empty.gff3');
    writeFileSync(empty, '##gff-version 3\n');
    await expect(loadGeneModels(empty)).rejects.toThrow(/no transcripts found/);
    await expect(loadGeneModels(join(tmp, 'missing.gff3'))).rejects.toThrow(GeneModelError);
  });

  it('says a truncated gzip file is truncated', async () => {
    const whole = gzipSync(readFileSync(`${FIX}ensembl-mrpl39.gff3`));
    const cut = join(tmp, 'cut.gff3.gz');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    await expect(loadGeneModels(cut)).rejects.toThrow(/truncated/);
  });
});

describe('transcript interval index', () => {
  it('answers like a brute-force scan, flank included', async () => {
    const m = await loadGeneModels(`${DATA}reference/grch38-chr21/ensembl84.chr21.gff3.gz`);
    const index = new TranscriptIntervalIndex(m.transcripts);
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let i = 0; i < 300; i++) {
      const start = 5_000_000 + Math.floor(rand() * 41_000_000);
      const end = start + Math.floor(rand() * 3) - 1; // includes insertions (end = start - 1)
      const flank = i % 2 === 0 ? 5000 : 0;
      const lo = Math.min(start, end) - flank;
      const hi = Math.max(start, end) + flank;
      const expected = m.transcripts
        .filter((t) => t.end >= lo && t.start <= hi)
        .map((t) => t.id)
        .sort();
      const got = index
        .overlapping('21', start, end, flank)
        .map((t) => t.id)
        .sort();
      expect(got).toEqual(expected);
    }
    expect(index.overlapping('22', 1, 100, 5000)).toEqual([]);
  });

  it('nearby: the same answer, and its range holds exactly: same inside, different just outside', async () => {
    const m = await loadGeneModels(`${DATA}reference/grch38-chr21/ensembl84.chr21.gff3.gz`);
    const index = new TranscriptIntervalIndex(m.transcripts);
    const brute = (a: number, b: number) =>
      m.transcripts
        .filter((t) => t.end >= a && t.start <= b)
        .map((t) => t.id)
        .sort()
        .join(',');
    let seed = 11;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    let bounded = 0;
    for (let i = 0; i < 300; i++) {
      // half in the chr21 gene-dense block, half anywhere on the contig
      const start =
        i % 2 ? 24_990_000 + Math.floor(rand() * 1_000_000) : 5_000_000 + Math.floor(rand() * 41_000_000);
      const end = start + Math.floor(rand() * 4) - 1;
      const flank = 5000;
      const near = index.nearby('21', start, end, flank);
      const a = Math.min(start, end) - flank;
      const b = Math.max(start, end) + flank;
      const ids = near.transcripts.map((t) => t.id);
      expect(ids).toEqual(index.overlapping('21', start, end, flank).map((t) => t.id));
      const answer = [...ids].sort().join(',');
      expect(near.aFrom <= a && a <= near.aTo && near.bFrom <= b && b <= near.bTo).toBe(true);
      // every corner of the range gives the same answer; one step past a finite bound does not
      const finite = (v: number, fallback: number) => (Number.isFinite(v) ? v : fallback);
      const aLo = finite(near.aFrom, a - 50_000);
      const aHi = Math.min(finite(near.aTo, b), b);
      const bLo = Math.max(finite(near.bFrom, a), aLo);
      const bHi = finite(near.bTo, b + 50_000);
      for (const [qa, qb] of [
        [aLo, bLo],
        [aLo, bHi],
        [aHi, Math.max(bLo, aHi)],
        [aHi, bHi],
      ] as const) {
        expect(brute(qa, qb), `[${qa}, ${qb}] inside the range of [${a}, ${b}]`).toBe(answer);
      }
      if (Number.isFinite(near.aFrom)) expect(brute(near.aFrom - 1, b)).not.toBe(answer);
      if (Number.isFinite(near.aTo) && near.aTo + 1 <= b) expect(brute(near.aTo + 1, b)).not.toBe(answer);
      if (Number.isFinite(near.bFrom) && near.bFrom - 1 >= a)
        expect(brute(a, near.bFrom - 1)).not.toBe(answer);
      if (Number.isFinite(near.bTo)) expect(brute(a, near.bTo + 1)).not.toBe(answer);
      if (ids.length > 0) {
        expect(near.spanStart).toBe(Math.min(...near.transcripts.map((t) => t.start)));
        expect(near.spanEnd).toBe(Math.max(...near.transcripts.map((t) => t.end)));
        bounded++;
      }
    }
    expect(bounded).toBeGreaterThan(100);
    expect(index.nearby('22', 1, 100, 5000).transcripts).toEqual([]);
  });
});
