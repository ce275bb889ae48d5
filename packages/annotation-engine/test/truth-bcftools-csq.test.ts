/**
 * Agreement with bcftools csq's own test cases (truth/bcftools-csq/, per case a local FASTA
 * without .fai in some cases, an Ensembl-style GFF3 and VCFs), on every record of the suite that
 * has a per-variant expectation, written by the suite or computed live (below).
 *
 * Written expectations per record: the per-variant (`-l`) output `<name>.txt-l`; else `INFO/EXP`
 * (haplotype mode, equal to `-l` for a record that does not combine with others) together with
 * the lines of `<name>.txt` when present (bcftools' suite lists two outputs for some records,
 * e.g. `synonymous&start_lost` and `start_retained` for a deletion that can be realigned out of
 * the ATG; either counts).
 *
 * Live expectations: Debian bcftools `csq -l` (1.16), run by the test on the record (one
 * `bcftools norm` and one `bcftools csq -l` process per VCF; the ID column carries the record's
 * line through both), for four kinds of record, each tallied and printed apart:
 * - Normalised records. bcftools csq requires `bcftools norm`-ed input (it does not realign),
 *   so our engine is given every record left-aligned and trimmed. Some of the suite's records
 *   are not normalised (several say "can be normalized", "should not be called"), and for those
 *   the suite's expectation describes bcftools on the RAW record, a variant written at another
 *   place than the one our engine is given: e.g. a C deleted from an intronic C-run but written
 *   with a REF that starts in the exon, for which bcftools prints nothing raw and `intron`
 *   normalised (its own splice-acceptor-donor1 case expects `intron` for the normalised record).
 *   So the records `bcftools norm -f <fasta>` changes are called raw and normalised side by side,
 *   and bcftools' answer on the normalised record REPLACES the suite's expectation (no "either":
 *   the engine is given the normalised record). The raw answer is the check that the Debian
 *   bcftools stands for the suite's bcftools on that record: where it does not reproduce the
 *   suite's expectation (the suite's bcftools is newer, e.g. its bt2212 fix for a complex event),
 *   the suite's expectation is kept (and counted as written) and the record is printed. The test
 *   also checks that the allele our engine is given is bcftools norm's record (same position and
 *   alleles after trimming).
 * - Haplotype-only records: the suite's only expectation describes a compound haplotype (`@POS`
 *   pointers, `a+b` DNA changes), not the record alone. The per-variant expectation is csq -l on
 *   the (normalised) record. The check: Debian bcftools in haplotype mode (no -l) on the raw VCF,
 *   run as the suite runs it (INFO/BCSQ, or `%TBCSQ` per sample for a VCF with samples and no
 *   EXP), must give the suite's haplotype answer for the record (same consequence|gene|transcript
 *   entries and `@` pointers; aa/dna strings aside, their format changed between versions), else
 *   the record is left out and printed.
 * - The top-level cases, whose outputs are not per record: `csq.2.vcf` with `csq.2.gff` (48
 *   transcripts at one site): `csq.2.out` and `csq.3.out` are FORMAT/BCSQ translated per
 *   haplotype (`%TBCSQ`), cut to the first --ncsq consequences (15, the default, for csq.2.out;
 *   a larger --ncsq for csq.3.out), without positions. `csq.nchr.vcf`, `csq.ychr.vcf` and
 *   `csq.yychr.vcf` (contig `1`, `chr1`, `Chromosome1`; the same gtrV model and sequence spelt
 *   three ways): `csq.chr.out` and `csq.yychr.out` are `%EXP`/`%BCSQ` lines without positions,
 *   from the suite's contig-spelling runs (by their names presumably with --unify-chr-names,
 *   bcftools >= 1.22; the Debian 1.16 has no such option), so the run is not known exactly. Our engine is
 *   given csq.nchr.vcf against the `chr1` FASTA and GFF and csq.ychr.vcf against the `1` ones
 *   (its contig-name reconciliation; Debian bcftools is given the trio spelt as in the VCF), and
 *   csq.yychr.vcf against its own (`Chromosome` is no built-in synonym). Their expectation is csq
 *   -l; the check: every consequence|gene|transcript those outputs name must be among Debian
 *   bcftools' answers for the VCF (else the test fails).
 * Written: `csq.vcf` with `csq.gff3` (INFO/EXP; `csq.1.out` is that run's haplotype output, the
 * suite's test.pl `test_csq(in=>'csq', out=>'csq.1.out', cmd=>'-f csq.fa -g csq.gff3')`, read
 * like a `.txt`), and `csq.vcf` again with `csq.chr.gff3` (the same model with `chr` contigs, a
 * rerun of the same records, tallied apart too).
 * Left out, counted: records for which the suite writes no expectation at all in the case
 * directories (no EXP, no `.txt`/`.txt-l` line): their `.cmd.out` outputs come from `.cmd`
 * command lines that are not in the truth folder (filters, other GFFs, options unknown), and
 * some are only crash regressions (e.g. ENST00000428061/failed-assert).
 *
 * Comparison per record and transcript, after mapping bcftools' short names to SO terms and
 * projecting our terms onto bcftools' vocabulary (see `projectOurs`): the record agrees when
 * every transcript bcftools names (or, for an entry without transcript id, every transcript of
 * that gene) has the same term set. The rate is printed over all records, over the suite's
 * written expectations alone, over the VCFs with a per-variant output file (`.txt-l`: the issue's
 * "per-variant expectations"; the INFO/EXPL it also names is declared in 37 of the suite's VCF
 * headers but no record carries one), and per
 * source; each has a floor at the rate reached. Every
 * disagreement must be listed, with its reason, in fixtures/science/bcftools-csq-differences.tsv,
 * and a listed difference that no longer occurs fails the test too (so the list stays true).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGeneModels } from '../src/genes/index.ts';
import type { TranscriptConsequence } from '../src/model.ts';
import { openReference } from '../src/reference/index.ts';
import {
  alleleToPredict,
  bcftoolsTerms,
  DATA,
  predictRecord,
  projectOurs,
  readSimpleVcf,
} from './fixtures/science/truth-helpers.ts';

const ROOT = `${DATA}truth/bcftools-csq/`;
const DIFF_FILE = new URL('./fixtures/science/bcftools-csq-differences.tsv', import.meta.url).pathname;

/** One bcftools csq run of the suite: a VCF with the FASTA and GFF our engine is given. */
interface Run {
  vcf: string;
  fasta: string;
  gff: string;
  /** How the run is named in keys: the VCF's name, with the GFF's when the VCF is run twice. */
  label: string;
  /**
   * FASTA and GFF the Debian bcftools is given for live expectations, when they are not the
   * engine's: bcftools 1.16 has no --unify-chr-names, so a VCF whose contig names differ from the
   * reference's is run against the same sequence and model spelt as in the VCF.
   */
  bcftools?: { fasta: string; gff: string };
  /** Further haplotype-mode output of this run (`%POS %REF %ALT %EXP`/`%BCSQ` lines, like `.txt`). */
  haplotypeLines?: string[];
  /**
   * Outputs of the suite for this run that are not per record (FORMAT/BCSQ lists cut by --ncsq,
   * or `%EXP`/`%BCSQ` lines without position): every consequence|gene|transcript they name must
   * be among Debian bcftools csq -l's answers for the VCF (the check that it stands for the
   * suite's bcftools here).
   */
  checkedAgainst?: string[];
  /** The records of another run again, with the model spelt otherwise (tallied apart as well). */
  rerun?: true;
}

interface Case {
  name: string;
  runs: Run[];
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const d of readdirSync(ROOT, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    const dir = join(ROOT, d.name);
    const files = readdirSync(dir);
    const fasta = files.find((f) => f.endsWith('.fa'));
    const caseGff = files.includes(`${d.name}.gff`)
      ? `${d.name}.gff`
      : files.find((f) => f.endsWith('.gff') && f !== 'short.gff');
    if (fasta === undefined || caseGff === undefined) continue;
    const runs = files
      .filter((f) => f.endsWith('.vcf'))
      .map((f) => {
        const own = `${f.slice(0, -4)}.gff`;
        return {
          vcf: join(dir, f),
          fasta: join(dir, fasta),
          gff: join(dir, files.includes(own) ? own : caseGff),
          label: f,
        };
      });
    out.push({ name: d.name, runs });
  }
  // The top-level cases (see the header comment for what each output is and how it is used).
  const top = (f: string) => join(ROOT, f);
  out.push({
    name: 'csq',
    runs: [
      {
        vcf: top('csq.vcf'),
        fasta: top('csq.fa'),
        gff: top('csq.gff3'),
        label: 'csq.vcf',
        haplotypeLines: [top('csq.1.out')],
      },
      {
        vcf: top('csq.vcf'),
        fasta: top('csq.fa'),
        gff: top('csq.chr.gff3'),
        label: 'csq.vcf+csq.chr.gff3',
        haplotypeLines: [top('csq.1.out')],
        rerun: true,
      },
      {
        vcf: top('csq.2.vcf'),
        fasta: top('csq.fa'),
        gff: top('csq.2.gff'),
        label: 'csq.2.vcf',
        checkedAgainst: [top('csq.2.out'), top('csq.3.out')],
      },
      {
        vcf: top('csq.nchr.vcf'),
        fasta: top('csq.ychr.fa'),
        gff: top('csq.ychr.gff'),
        label: 'csq.nchr.vcf',
        bcftools: { fasta: top('csq.nchr.fa'), gff: top('csq.nchr.gff') },
        checkedAgainst: [top('csq.chr.out')],
      },
      {
        vcf: top('csq.ychr.vcf'),
        fasta: top('csq.nchr.fa'),
        gff: top('csq.nchr.gff'),
        label: 'csq.ychr.vcf',
        bcftools: { fasta: top('csq.ychr.fa'), gff: top('csq.ychr.gff') },
        checkedAgainst: [top('csq.chr.out')],
      },
      {
        vcf: top('csq.yychr.vcf'),
        fasta: top('csq.yychr.fa'),
        gff: top('csq.yychr.gff'),
        label: 'csq.yychr.vcf',
        checkedAgainst: [top('csq.yychr.out')],
      },
    ],
  });
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

const COMPOUND_CHANGE = /\|(\d+[A-Z]+>[A-Z]+(?:\+\d+[A-Z]+>[A-Z]+)+)/g;

/** What the suite writes for the records of one run (see the header comment). */
interface Written {
  /** Per-variant expectations per "pos ref alt" (alternatives, any may fit). */
  exp: Map<string, string[]>;
  /** Positions any expectation combines into a haplotype ("31177C>T+31178G>T"). */
  compound: Set<number>;
  /** Every haplotype-mode answer the suite writes per "pos ref alt" (all columns). */
  haplotype: Map<string, Set<string>>;
}

/** The suite's expectations for the records of one run, from the sources named in the header comment. */
function expectations(run: Run, records: ReturnType<typeof readSimpleVcf>['records']): Written {
  const exp = new Map<string, string[]>();
  const haplotype = new Map<string, Set<string>>();
  const add = (key: string, bcsq: string, replace: boolean) => {
    const list = exp.get(key);
    if (list === undefined || replace) exp.set(key, [bcsq]);
    else if (!list.includes(bcsq)) list.push(bcsq);
  };
  const addHaplotype = (key: string, bcsq: string) => {
    const set = haplotype.get(key) ?? new Set<string>();
    set.add(bcsq);
    haplotype.set(key, set);
  };
  const compound = new Set<number>();
  const noteCompound = (bcsq: string) => {
    for (const m of bcsq.matchAll(COMPOUND_CHANGE)) {
      for (const part of (m[1] as string).split('+')) compound.add(Number.parseInt(part, 10));
    }
  };
  const stem = run.vcf.slice(0, -'.vcf'.length);
  const fromLines = (file: string, perVariant: boolean) => {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const c = line.split('\t');
      if (c.length < 4 || c[3] === '') continue;
      const key = `${c[0]} ${c[1]} ${c[2]}`;
      // .txt-l: the later line (the -l one) wins; .txt: every line is an accepted alternative
      if (perVariant) add(key, c[3] as string, file.endsWith('.txt-l'));
      else for (const h of c.slice(3)) if (h !== '') addHaplotype(key, h);
    }
  };
  const txt = [`${stem}.txt`, ...(run.haplotypeLines ?? [])].filter((f) => existsSync(f));
  for (const f of txt) fromLines(f, false);
  if (existsSync(`${stem}.txt-l`)) fromLines(`${stem}.txt-l`, true);
  else if (records.some((r) => r.info.has('EXP'))) {
    for (const r of records) {
      const e = r.info.get('EXP');
      if (e !== undefined) {
        const key = `${r.pos} ${r.ref} ${r.alts.join(',')}`;
        add(key, e, false);
        addHaplotype(key, e);
        noteCompound(e);
      }
    }
    for (const f of txt) fromLines(f, true);
  } else if (txt.length > 0) {
    for (const f of txt) fromLines(f, true);
    for (const list of exp.values()) for (const e of list) noteCompound(e);
  }
  return { exp, compound, haplotype };
}

interface Difference {
  key: string;
  expected: string;
  ours: string;
}

/**
 * SO terms per feature of one BCSQ value (`t:<transcript>`, or `g:<gene>` for an entry without
 * transcript id); bcftools may split one transcript's terms over several entries: merged.
 */
function expectedTerms(bcsq: string): Map<string, Set<string>> {
  const wanted = new Map<string, Set<string>>();
  for (const entry of bcsq === '.' || bcsq === '' ? [] : bcsq.split(',')) {
    const [csq, gene, transcript] = entry.split('|') as [string, string, string];
    const k = transcript ? `t:${transcript}` : `g:${gene}`;
    const set = wanted.get(k) ?? new Set<string>();
    for (const term of bcftoolsTerms(csq)) set.add(term);
    wanted.set(k, set);
  }
  return wanted;
}

/** One BCSQ value as text that is equal for equal terms per feature (order, dna/aa changes aside). */
function termsText(bcsq: string): string {
  return [...expectedTerms(bcsq)]
    .map(([k, set]) => `${k}=${[...set].sort().join('&')}`)
    .sort()
    .join(',');
}

/** Differences between one bcftools BCSQ expectation and our predictions for the record. */
function compareRecord(key: string, expected: string, ours: readonly TranscriptConsequence[]): Difference[] {
  const out: Difference[] = [];
  const named = new Set<string>();
  for (const [k, set] of expectedTerms(expected)) {
    const id = k.slice(2);
    const mine = ours.filter((o) =>
      k.startsWith('t:') ? o.transcript?.id === id : o.transcript !== null && o.transcript.geneSymbol === id,
    );
    for (const m of mine) named.add(m.transcript?.id as string);
    const want = [...set].sort().join('&');
    const got = [...new Set(mine.flatMap((m) => projectOurs(m.consequences)))].sort().join('&') || '(none)';
    if (want !== got) out.push({ key: `${key} ${id}`, expected: want, ours: got });
  }
  // Transcripts we call but bcftools does not name must have nothing bcftools would report.
  for (const o of ours) {
    if (o.transcript === null || named.has(o.transcript.id)) continue;
    const extra = projectOurs(o.consequences);
    if (extra.length > 0)
      out.push({ key: `${key} ${o.transcript.id}`, expected: '(none)', ours: extra.join('&') });
  }
  return out;
}

/** bcftools csq -l's answer for one record (Debian bcftools, live), and norm's form of the record. */
interface LiveAnswer {
  /** bcftools norm's record: VCF POS (1-based), REF, ALTs. */
  pos: number;
  ref: string;
  alts: string[];
  /** Whether bcftools norm changes the record. */
  changed: boolean;
  /** BCSQ of `bcftools csq -l` on the raw record (only when norm changes it) and on norm's; '.' = none. */
  raw: string | null;
  normalised: string;
}

function runBcftools(args: string[], input: string, what: string): string {
  try {
    return execFileSync('bcftools', args, { input, encoding: 'utf8', stdio: 'pipe', maxBuffer: 1 << 26 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`bcftools ${args[0]} failed on ${what}: ${err.stderr?.trim() || err.message}`);
  }
}

/** The VCF's lines with the ID column replaced by `L<line>`, so a record is found again after bcftools. */
function taggedVcf(vcf: string): { lines: string[]; tagged: string } {
  const lines = readFileSync(vcf, 'utf8').split(/\r?\n/);
  const tagged = lines
    .map((l, i) => {
      if (l === '' || l.startsWith('#')) return l;
      const c = l.split('\t');
      c[2] = `L${i + 1}`;
      return c.join('\t');
    })
    .join('\n');
  return { lines, tagged };
}

/**
 * Debian bcftools csq -l's answers for the records of one VCF that need a live expectation
 * (keyed by their line in the VCF): every record `bcftools norm -f <fasta>` changes (raw and
 * normalised) and the records in `wanted` (the normalised form, which is the raw one when norm
 * leaves it). One norm and (when anything is wanted) one csq process per VCF: the ID column
 * carries the line number through norm, which may reorder records, and csq is given only those
 * records, sorted (in -l mode every record is called on its own). `-c w`: a REF that does not
 * match the FASTA (some cases run off the end of their sequence) is left as it is, with a warning.
 */
function liveAnswers(vcf: string, fasta: string, gff: string, wanted: Set<number>): Map<number, LiveAnswer> {
  const { lines, tagged } = taggedVcf(vcf);
  const normed = runBcftools(['norm', '-c', 'w', '-f', fasta, '-'], tagged, vcf).split('\n');
  const header = normed.filter((l) => l.startsWith('##'));
  const asked: { line: number; chrom: string; raw: string[]; norm: string[]; changed: boolean }[] = [];
  for (const l of normed) {
    if (l === '' || l.startsWith('#')) continue;
    const c = l.split('\t');
    const line = Number((c[2] as string).slice(1));
    const raw = (lines[line - 1] as string).split('\t');
    const changed = !(
      Number(raw[1]) === Number(c[1]) &&
      raw[3]?.toUpperCase() === c[3]?.toUpperCase() &&
      raw[4]?.toUpperCase() === c[4]?.toUpperCase()
    );
    if (changed || wanted.has(line))
      asked.push({ line, chrom: c[0] as string, raw: raw.slice(1, 5), norm: c.slice(1, 5), changed });
  }
  const out = new Map<number, LiveAnswer>();
  if (asked.length === 0) return out;
  // the forms asked for, sorted as csq requires (contigs in the VCF's order)
  const contigOrder = [...new Set(asked.map((r) => r.chrom))];
  const rows = asked.flatMap((r) => [
    ...(r.changed
      ? [
          {
            chrom: r.chrom,
            pos: Number(r.raw[0]),
            text: [r.chrom, r.raw[0], `R${r.line}`, ...r.raw.slice(2)],
          },
        ]
      : []),
    { chrom: r.chrom, pos: Number(r.norm[0]), text: [r.chrom, r.norm[0], `N${r.line}`, ...r.norm.slice(2)] },
  ]);
  rows.sort((a, b) => contigOrder.indexOf(a.chrom) - contigOrder.indexOf(b.chrom) || a.pos - b.pos);
  const input = [
    ...header,
    '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO',
    ...rows.map((r) => `${r.text.join('\t')}\t.\t.\t.`),
  ].join('\n');
  const called = new Map<string, string>();
  for (const l of runBcftools(['csq', '-l', '-f', fasta, '-g', gff, '-'], `${input}\n`, vcf).split('\n')) {
    if (l === '' || l.startsWith('#')) continue;
    const c = l.split('\t');
    const bcsq = /(?:^|;)BCSQ=([^;]*)/.exec(c[7] ?? '');
    called.set(c[2] as string, bcsq === null ? '.' : (bcsq[1] as string));
  }
  for (const r of asked) {
    const raw = r.changed ? called.get(`R${r.line}`) : null;
    const normalised = called.get(`N${r.line}`);
    if (raw === undefined || normalised === undefined)
      throw new Error(`bcftools csq -l dropped line ${r.line} of ${vcf}`);
    out.set(r.line, {
      pos: Number(r.norm[0]),
      ref: (r.norm[2] as string).toUpperCase(),
      alts: (r.norm[3] as string).split(','),
      changed: r.changed,
      raw,
      normalised,
    });
  }
  return out;
}

/**
 * One haplotype-mode BCSQ value as text equal for equal answers: entries sorted, each reduced to
 * consequence|gene|transcript or its `@POS` pointer (the aa and dna change strings are left out:
 * their format differs between bcftools versions, e.g. `..` abbreviations).
 */
function haplotypeText(bcsq: string): string {
  return bcsq
    .split(',')
    .map((e) => (e.startsWith('@') || e === '.' ? e : e.split('|').slice(0, 3).join('|')))
    .sort()
    .join(',');
}

/**
 * Debian bcftools csq's haplotype-mode answers (no -l) on the raw VCF, run as the suite runs it:
 * INFO/BCSQ, or per sample FORMAT/BCSQ translated (`%TBCSQ`, both haplotypes) for a VCF with
 * samples and no INFO/EXP. Per "pos ref alt", every answer.
 */
function haplotypeAnswers(
  vcf: string,
  fasta: string,
  gff: string,
  perSample: boolean,
): Map<string, Set<string>> {
  const annotated = runBcftools(['csq', '-f', fasta, '-g', gff, vcf], '', vcf);
  const format = perSample ? '[%POS\\t%REF\\t%ALT\\t%TBCSQ\\n]' : '%POS\\t%REF\\t%ALT\\t%BCSQ\\n';
  const out = new Map<string, Set<string>>();
  for (const l of runBcftools(['query', '-f', format, '-'], annotated, vcf).split('\n')) {
    const c = l.split('\t');
    if (c.length < 4) continue;
    const key = `${c[0]} ${c[1]} ${c[2]}`;
    const set = out.get(key) ?? new Set<string>();
    for (const h of c.slice(3)) if (h !== '') set.add(h);
    out.set(key, set);
  }
  return out;
}

/** Where a record's expectation comes from (see the header comment). */
type Source = 'written' | 'normalised' | 'haplotypeOnly' | 'unwritten';

/** What compareAll found; see the header comment for the live paths. */
interface Comparison {
  /** Records compared and agreeing, per source of the expectation. */
  records: Record<Source, number>;
  agreeing: Record<Source, number>;
  /** ... of which in a rerun of another run's records (`Run.rerun`). */
  rerunRecords: Record<Source, number>;
  rerunAgreeing: Record<Source, number>;
  differences: (Difference & { source: Source })[];
  /** Records norm changes whose live answer has other terms than the suite's for the raw record. */
  fromNormalisedChanged: string[];
  /** Records norm changes but where Debian bcftools on the raw record is not the suite's answer. */
  keptSuite: string[];
  /** Haplotype-only records left out: Debian bcftools does not reproduce the suite's haplotype answer. */
  haplotypeGap: string[];
  /** Records the suite writes no expectation for, outside the top-level cases: left out. */
  unwrittenLeftOut: string[];
  /** Consequences named by the suite's outputs that are not per record, checked. */
  outputChecked: number;
  /** Suite outputs of a run naming a consequence Debian bcftools csq -l does not give (must be none). */
  outputGap: string[];
  /** Records where the allele our engine is given is not bcftools norm's (must be none). */
  alleleMismatches: string[];
  /**
   * Records of the VCFs that have a per-variant output file (`.txt-l`), compared and agreeing:
   * the one kind of per-variant expectation the suite writes (INFO/EXPL is declared in VCF
   * headers but never given).
   */
  perVariantFile: { records: number; agreeing: number };
}

async function compareAll(): Promise<Comparison> {
  const zero = (): Record<Source, number> => ({ written: 0, normalised: 0, haplotypeOnly: 0, unwritten: 0 });
  const out: Comparison = {
    records: zero(),
    agreeing: zero(),
    rerunRecords: zero(),
    rerunAgreeing: zero(),
    differences: [],
    fromNormalisedChanged: [],
    keptSuite: [],
    haplotypeGap: [],
    unwrittenLeftOut: [],
    outputChecked: 0,
    outputGap: [],
    alleleMismatches: [],
    perVariantFile: { records: 0, agreeing: 0 },
  };
  // bcftools needs a .fai beside the FASTA; the shared data is read-only and some cases have none
  const tmp = mkdtempSync(join(tmpdir(), 'gas-bcftools-csq-truth-'));
  const withFai = (fasta: string) => {
    if (existsSync(`${fasta}.fai`)) return fasta;
    const copy = join(tmp, basename(fasta));
    if (!existsSync(copy)) copyFileSync(fasta, copy);
    return copy;
  };
  try {
    for (const c of cases()) {
      for (const run of c.runs) {
        const ref = await openReference(run.fasta);
        const contigs = [...ref.contigLengths.keys()];
        const spell = (name: string) =>
          contigs.includes(name)
            ? name
            : contigs.includes(`chr${name}`)
              ? `chr${name}`
              : contigs.includes(name.replace(/^chr/, ''))
                ? name.replace(/^chr/, '')
                : name;
        const bcftoolsFasta = withFai(run.bcftools?.fasta ?? run.fasta);
        const bcftoolsGff = run.bcftools?.gff ?? run.gff;
        const genes = await loadGeneModels(run.gff, { contigName: spell });
        const { header, records: recs } = readSimpleVcf(run.vcf);
        const written = expectations(run, recs);
        const hasPerVariantFile = existsSync(`${run.vcf.slice(0, -'.vcf'.length)}.txt-l`);
        const keyOf = (r: (typeof recs)[number]) => `${r.pos} ${r.ref} ${r.alts.join(',')}`;
        const sourceOf = (r: (typeof recs)[number]): Source => {
          const w = written.exp.get(keyOf(r));
          if (w === undefined) return 'unwritten';
          if (w.some((x) => x.split(',').some((e) => e.startsWith('@'))) || written.compound.has(r.pos))
            return 'haplotypeOnly';
          return 'written';
        };
        const sites = recs.filter((r) => {
          if (r.alts.every((a) => a === '.')) return false;
          // a record the suite writes nothing for, in a case whose only other outputs come from
          // command lines not in the truth folder: left out, counted (header comment)
          if (sourceOf(r) === 'unwritten' && run.checkedAgainst === undefined) {
            out.unwrittenLeftOut.push(`${c.name}/${run.label}:${r.pos} ${r.ref}>${r.alts.join(',')}`);
            return false;
          }
          return true;
        });
        const wanted = new Set(sites.filter((r) => sourceOf(r) !== 'written').map((r) => r.line));
        const live = liveAnswers(run.vcf, bcftoolsFasta, bcftoolsGff, wanted);
        // the suite's outputs that are not per record: every answer they name is Debian's too
        if (run.checkedAgainst !== undefined) {
          const debian = new Set<string>();
          for (const a of live.values())
            for (const e of a.normalised.split(',')) debian.add(e.split('|').slice(0, 3).join('|'));
          for (const f of run.checkedAgainst)
            for (const l of readFileSync(f, 'utf8').split('\n'))
              for (const e of l === '' || l === '.' ? [] : l.split(',')) {
                out.outputChecked++;
                if (!debian.has(e.split('|').slice(0, 3).join('|')))
                  out.outputGap.push(
                    `${basename(f)}: ${e} (Debian bcftools csq -l on ${basename(run.vcf)}: ${[...debian].join(',')})`,
                  );
              }
        }
        const haplotypeOnly = sites.filter((r) => sourceOf(r) === 'haplotypeOnly');
        const debianHaplotype =
          haplotypeOnly.length === 0
            ? new Map<string, Set<string>>()
            : haplotypeAnswers(
                run.vcf,
                bcftoolsFasta,
                bcftoolsGff,
                header.some((h) => h.startsWith('#CHROM') && h.split('\t').length > 9) &&
                  !recs.some((r) => r.info.has('EXP')),
              );
        for (const r of sites) {
          const key = `${c.name}/${run.label}:${r.pos} ${r.ref}>${r.alts.join(',')}`;
          const source = sourceOf(r);
          let alternatives = written.exp.get(keyOf(r)) ?? [];
          const answer = live.get(r.line);
          let used: Source = source;
          if (source === 'written') {
            if (answer !== undefined) {
              // norm changes the record (header comment, normalised records)
              const suite = alternatives;
              if (suite.some((x) => termsText(x) === termsText(answer.raw ?? '.'))) {
                alternatives = [answer.normalised];
                used = 'normalised';
                if (!suite.some((x) => termsText(x) === termsText(answer.normalised)))
                  out.fromNormalisedChanged.push(`${key}: ${suite.join(' | ')} -> ${answer.normalised}`);
              } else {
                out.keptSuite.push(`${key}: suite ${suite.join(' | ')}; Debian bcftools raw ${answer.raw}`);
              }
            }
          } else {
            if (answer === undefined) throw new Error(`no live answer for ${key}`);
            if (source === 'haplotypeOnly') {
              const suite = new Set([...(written.haplotype.get(keyOf(r)) ?? [])].map(haplotypeText));
              const debian = [...(debianHaplotype.get(keyOf(r)) ?? [])].map(haplotypeText);
              if (debian.length === 0 || debian.some((d) => !suite.has(d))) {
                out.haplotypeGap.push(
                  `${key}: suite ${[...suite].join(' | ')}; Debian bcftools ${debian.join(' | ')}`,
                );
                continue;
              }
            }
            alternatives = [answer.normalised];
          }
          out.records[used]++;
          if (run.rerun) out.rerunRecords[used]++;
          if (hasPerVariantFile) out.perVariantFile.records++;
          const rec = { ...r, chrom: spell(r.chrom) };
          if (answer?.changed === true) {
            const normRec = { ...rec, pos: answer.pos, ref: answer.ref, alts: answer.alts };
            for (let i = 0; i < r.alts.length; i++) {
              const mine = await alleleToPredict(rec, r.alts[i] as string, i + 1, ref, { leftAlign: true });
              const theirs = await alleleToPredict(normRec, answer.alts[i] as string, i + 1, ref);
              const show = (a: typeof mine) => `${a.start}-${a.end} ${a.ref || '-'}>${a.alt || '-'}`;
              if (show(mine) !== show(theirs))
                out.alleleMismatches.push(`${key}: ours ${show(mine)}, bcftools norm ${show(theirs)}`);
            }
          }
          const ours: TranscriptConsequence[] = [];
          for (let i = 0; i < r.alts.length; i++) {
            ours.push(
              ...(await predictRecord(rec, r.alts[i] as string, i + 1, genes, ref, { leftAlign: true })),
            );
          }
          // the alternative that fits best (fewest differing transcripts)
          let best: Difference[] | null = null;
          for (const expected of alternatives) {
            const d = compareRecord(key, expected, ours);
            if (best === null || d.length < best.length) best = d;
          }
          if (best === null || best.length === 0) {
            out.agreeing[used]++;
            if (hasPerVariantFile) out.perVariantFile.agreeing++;
            if (run.rerun) out.rerunAgreeing[used]++;
          } else out.differences.push(...best.map((d) => ({ ...d, source: used })));
        }
        await ref.close();
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}

function listedDifferences(): Map<string, { expected: string; ours: string; reason: string }> {
  const out = new Map<string, { expected: string; ours: string; reason: string }>();
  for (const line of readFileSync(DIFF_FILE, 'utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const [key, expected, ours, reason] = line.split('\t') as [string, string, string, string];
    out.set(key, { expected, ours, reason });
  }
  return out;
}

describe('bcftools csq test cases (per-variant mode)', () => {
  it('agrees on every record of the suite and every difference is listed with its reason', async () => {
    const cmp = await compareAll();
    const { differences } = cmp;
    const rate = (sources: Source[], withRerun = true) => {
      const sum = (t: Record<Source, number>, r: Record<Source, number>) =>
        sources.reduce((a, s) => a + t[s] - (withRerun ? 0 : r[s]), 0);
      const n = sum(cmp.records, cmp.rerunRecords);
      const k = sum(cmp.agreeing, cmp.rerunAgreeing);
      return { n, k, text: `${((100 * k) / n).toFixed(2)}% (${k}/${n})` };
    };
    const allSources: Source[] = ['written', 'normalised', 'haplotypeOnly', 'unwritten'];
    const all = rate(allSources);
    const writtenOnly = rate(['written']);
    const asBefore = rate(['written', 'normalised'], false);
    const rerunN = allSources.reduce((a, s) => a + cmp.rerunRecords[s], 0);
    const rerunK = allSources.reduce((a, s) => a + cmp.rerunAgreeing[s], 0);
    console.log(
      [
        `bcftools-csq truth: ${all.text} of all records agree (written + live expectations)`,
        `  the suite's written expectation:                                    ${writtenOnly.text}`,
        `  live bcftools csq -l on the normalised record (norm changes it):    ${rate(['normalised']).text}`,
        `  live bcftools csq -l, the suite's expectation is haplotype-only:    ${rate(['haplotypeOnly']).text}`,
        `  live bcftools csq -l, the suite's outputs are not per record:       ${rate(['unwritten']).text}`,
        `  of all, the rerun of csq.vcf against csq.chr.gff3 (same records):    ${rerunK}/${rerunN}`,
        `  written + normalised, without the rerun (the set the test had before): ${asBefore.text}`,
        `  all, without the rerun: ${rate(allSources, false).text}`,
        `  the VCFs with a per-variant output file (.txt-l; written or normalised): ${((100 * cmp.perVariantFile.agreeing) / cmp.perVariantFile.records).toFixed(2)}% (${cmp.perVariantFile.agreeing}/${cmp.perVariantFile.records})`,
        `${cmp.unwrittenLeftOut.length} records left out: the suite writes no expectation for them (header comment)`,
        `${cmp.outputChecked} consequences of the suite's outputs that are not per record checked against Debian bcftools csq -l, ${cmp.outputGap.length} missing`,
      ].join('\n'),
    );
    console.log(
      `${cmp.fromNormalisedChanged.length} of the normalised records' live answers have other terms than the suite's raw-record expectation:\n${cmp.fromNormalisedChanged.join('\n')}`,
    );
    if (cmp.keptSuite.length > 0)
      console.log(
        `normalised by bcftools norm, but the suite's expectation kept (Debian bcftools does not reproduce it on the raw record):\n${cmp.keptSuite.join('\n')}`,
      );
    console.log(
      `${cmp.haplotypeGap.length} haplotype-only records left out (Debian bcftools does not reproduce the suite's haplotype answer)${cmp.haplotypeGap.map((g) => `\n${g}`).join('')}`,
    );
    expect(cmp.alleleMismatches).toEqual([]);
    expect(cmp.outputGap).toEqual([]);
    const listed = listedDifferences();
    const unlisted = differences.filter((d) => {
      const l = listed.get(d.key);
      return l === undefined || l.expected !== d.expected || l.ours !== d.ours;
    });
    const seen = new Set(differences.map((d) => d.key));
    const fixed = [...listed.keys()].filter((k) => !seen.has(k));
    if (unlisted.length > 0) {
      console.log(
        `differences not listed in ${DIFF_FILE}:\n${unlisted.map((d) => `${d.key}\t${d.expected}\t${d.ours}\t(${d.source})`).join('\n')}`,
      );
    }
    if (fixed.length > 0)
      console.log(`listed differences that no longer occur (remove them):\n${fixed.join('\n')}`);
    expect(all.n).toBeGreaterThanOrEqual(169);
    // The issue asks for 95% of the records with per-variant expectations, naming INFO/EXPL and
    // .txt-l; 37 VCF headers declare INFO/EXPL but no record carries one, so those are the
    // records of the VCFs with a .txt-l file: 55/56 (98.2%; the one left is frame3, listed). 15
    // of the 56 are records bcftools norm changes, compared with bcftools on the normalised
    // record as the header says; for 5 of them that answer has other terms than the suite's line
    // for the raw record (printed above). Wider sets, each a floor too: 103/109 (94.5%) when
    // INFO/EXP and .txt (haplotype mode, equal to -l for a record that combines with no other)
    // count as per-variant, 154/169 (91.1%) over every record including the live bcftools
    // answers, 101/108 (93.5%) on the set the test had before the haplotype-only records and the
    // top-level cases were added. Each difference left is a case where Ensembl
    // VEP's rule (named in its reason, read from VEP's source) gives our answer and not
    // bcftools': matching bcftools there would make the engine less VEP-like. The floors are the
    // rates reached: they may rise, never fall.
    expect(all.k / all.n).toBeGreaterThanOrEqual(154 / 169);
    expect(cmp.perVariantFile.records).toBeGreaterThanOrEqual(56);
    expect(cmp.perVariantFile.agreeing / cmp.perVariantFile.records).toBeGreaterThanOrEqual(55 / 56);
    expect(writtenOnly.k / writtenOnly.n).toBeGreaterThanOrEqual(103 / 109);
    expect(asBefore.k / asBefore.n).toBeGreaterThanOrEqual(101 / 108);
    expect(unlisted).toEqual([]);
    expect(fixed).toEqual([]);
  });
});
