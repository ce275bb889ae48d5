/**
 * GFF3 and GTF lines into `Transcript`s. No I/O: callers feed lines (`line()`), then `finish()`.
 *
 * How features are linked:
 * - GFF3: every feature with an `ID` is remembered (genes, transcripts of any type: mRNA,
 *   transcript, lnc_RNA, NMD_transcript_variant, ncRNA, ...). "Parts" (exon, CDS, UTRs,
 *   start/stop codons) are attached to EVERY id listed in their `Parent` (comma separated), so
 *   an exon shared by `transcript:A,transcript:B` belongs to both. A transcript is any feature
 *   that has at least one part; its gene is its own first Parent. When a part's parent is a
 *   gene (RefSeq pseudogenes), the gene itself is the transcript. Files need not be sorted:
 *   everything is linked in `finish()`.
 * - GTF: parts are grouped by `transcript_id`; `transcript`/`gene` rows only add attributes.
 *
 * Ids: Ensembl's `transcript:`/`gene:`/`CDS:` and RefSeq's `rna-`/`gene-`/`cds-` prefixes are
 * removed; `transcript_id`/`gene_id` attributes win over `ID`. Versions come from `version`
 * (Ensembl GFF3), `transcript_version` (GTF) or an accession suffix (`NM_000484.3`).
 * Proteins: `protein_id` or the CDS `ID`; with no version given, '1' (what VEP prints for GFF input).
 *
 * CDS span: min..max of CDS rows plus `stop_codon` rows (GTF leaves the stop out of CDS;
 * Ensembl GFF3 includes it). Exons: exon rows, or the union of CDS/UTR rows when a transcript
 * has no exon rows.
 *
 * Coordinates: GENOMIC, 1-BASED, CLOSED, as in the files.
 */
import type { Exon, Strand, Transcript } from '../model.ts';

export class GeneModelError extends Error {
  override name = 'GeneModelError';
}

const PART_TYPES = new Set([
  'exon',
  'CDS',
  'five_prime_UTR',
  'three_prime_UTR',
  'five_prime_utr',
  'three_prime_utr',
  'UTR',
  'start_codon',
  'stop_codon',
  'noncoding_exon',
]);

/** Feature types never treated as transcripts or genes. */
const IGNORED_TYPES = new Set([
  'region',
  'chromosome',
  'match',
  'cDNA_match',
  'biological_region',
  'supercontig',
  'contig',
]);

interface Feature {
  type: string;
  chrom: string;
  start: number;
  end: number;
  strand: Strand;
  attrs: Record<string, string>;
  parents: string[];
}

/** An exon/CDS/UTR/codon row, reduced to what linking needs (whole-genome files have millions). */
interface Part {
  type: string;
  start: number;
  end: number;
  phase: number;
  /** CDS rows: protein id as written (protein_id, else the CDS ID without prefix). */
  protein: string | null;
  proteinVersion: string | null;
  /** RefSeq exon rows carry the transcript accession. */
  transcriptId: string | null;
}

function makePart(
  type: string,
  start: number,
  end: number,
  phaseText: string,
  attrs: Record<string, string>,
): Part {
  const cds = type === 'CDS';
  return {
    type,
    start,
    end,
    phase: phaseText === '.' ? 0 : Number(phaseText),
    protein: cds ? (attrs.protein_id ?? (attrs.ID !== undefined ? stripPrefix(attrs.ID) : null)) : null,
    proteinVersion: cds ? (attrs.protein_version ?? null) : null,
    transcriptId: attrs.transcript_id ?? null,
  };
}

interface TranscriptParts {
  chrom: string;
  strand: Strand;
  parts: Part[];
  /** GTF: attributes of the first row that named this transcript. */
  gtfAttrs: Record<string, string> | null;
}

export class GeneModelParser {
  private readonly format: 'gff3' | 'gtf';
  private readonly file: string;
  private readonly contigName: (name: string) => string;
  private lineNo = 0;
  private readonly features = new Map<string, Feature>();
  private readonly partsByParent = new Map<string, TranscriptParts>();
  /** Keeps first-seen order of transcripts for stable output. */
  private readonly order: string[] = [];
  private readonly gtfGenes = new Map<string, Record<string, string>>();
  private readonly gtfTranscripts = new Map<string, Record<string, string>>();

  constructor(format: 'gff3' | 'gtf', file: string, contigName?: (name: string) => string) {
    this.format = format;
    this.file = file;
    this.contigName = contigName ?? ((n) => n);
  }

  private fail(message: string): never {
    throw new GeneModelError(`${this.file} line ${this.lineNo}: ${message}`);
  }

  /** Feeds one line; returns false when the rest of the file is not feature lines (##FASTA). */
  line(text: string): boolean {
    this.lineNo++;
    if (text.length === 0) return true;
    if (text.charCodeAt(0) === 35 /* # */) return !text.startsWith('##FASTA');
    const cols = text.endsWith('\r') ? text.slice(0, -1).split('\t') : text.split('\t');
    if (cols.length === 1 && cols[0]?.trim() === '') return true;
    // Unescaped tabs inside column 9 (free-text descriptions in some files): keep them as spaces.
    if (cols.length > 9) cols.splice(8, cols.length - 8, cols.slice(8).join(' '));
    if (cols.length !== 9) {
      this.fail(
        `expected 9 tab-separated columns, found ${cols.length} (is this a ${this.format.toUpperCase()} file?)`,
      );
    }
    const [seqid, , type, startText, endText, , strandText, phaseText, attrText] = cols as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (IGNORED_TYPES.has(type)) return true;
    let start = Number(startText);
    const end = Number(endText);
    if (!Number.isInteger(start)) this.fail(`start '${startText}' is not an integer`);
    if (!Number.isInteger(end) || end < start)
      this.fail(`end '${endText}' is not an integer >= start ${start}`);
    if (start < 1) {
      // Exons and CDS must lie on the contig; a gene row reaching past the contig start (seen in
      // trimmed test files) only labels transcripts, so it is clipped.
      if (PART_TYPES.has(type)) this.fail(`${type} start '${startText}' is not a positive integer`);
      start = 1;
    }
    const strand: Strand = strandText === '-' ? -1 : 1;
    const attrs = this.format === 'gff3' ? this.gff3Attributes(attrText) : this.gtfAttributes(attrText);
    const chrom = this.contigName(seqid);
    if (this.format === 'gff3') this.gff3Feature(type, chrom, start, end, strand, phaseText, attrs);
    else this.gtfFeature(type, chrom, start, end, strand, phaseText, attrs);
    return true;
  }

  private gff3Attributes(text: string): Record<string, string> {
    const attrs: Record<string, string> = {};
    if (text === '.' || text === '') return attrs;
    for (const pair of text.split(';')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      if (eq <= 0) this.fail(`attribute '${pair}' is not key=value (GFF3 column 9)`);
      const key = pair.slice(0, eq).trim();
      const raw = pair.slice(eq + 1);
      attrs[key] = raw.includes('%') ? safeDecode(raw) : raw;
    }
    return attrs;
  }

  private gtfAttributes(text: string): Record<string, string> {
    const attrs: Record<string, string> = {};
    const re = /\s*([^\s;]+)\s+(?:"([^"]*)"|([^;\s]+))\s*;?/y;
    let pos = 0;
    while (pos < text.length) {
      // stray separators (`;;`, trailing spaces) carry nothing
      const c = text.charCodeAt(pos);
      if (c === 59 /* ; */ || c === 32 || c === 9) {
        pos++;
        continue;
      }
      re.lastIndex = pos;
      const m = re.exec(text);
      if (m === null) {
        if (text.slice(pos).trim() === '') break;
        this.fail(`attribute text '${text.slice(pos, pos + 40)}' is not 'key "value";' (GTF column 9)`);
      }
      const key = m[1] as string;
      const value = m[2] ?? m[3] ?? '';
      // Repeated keys (tag "basic"; tag "CCDS") are joined with commas.
      attrs[key] = attrs[key] === undefined ? value : `${attrs[key]},${value}`;
      pos = re.lastIndex;
    }
    return attrs;
  }

  private gff3Feature(
    type: string,
    chrom: string,
    start: number,
    end: number,
    strand: Strand,
    phaseText: string,
    attrs: Record<string, string>,
  ): void {
    const parents = attrs.Parent ? attrs.Parent.split(',') : [];
    if (PART_TYPES.has(type)) {
      if (parents.length === 0) this.fail(`${type} without a Parent attribute`);
      const part = makePart(type, start, end, phaseText, attrs);
      for (const parent of parents) this.addPart(parent, chrom, strand, part, null);
      return;
    }
    const id = attrs.ID;
    if (id === undefined) return;
    const existing = this.features.get(id);
    if (existing !== undefined) {
      existing.start = Math.min(existing.start, start);
      existing.end = Math.max(existing.end, end);
      return;
    }
    this.features.set(id, { type, chrom, start, end, strand, attrs, parents });
  }

  private gtfFeature(
    type: string,
    chrom: string,
    start: number,
    end: number,
    strand: Strand,
    phaseText: string,
    attrs: Record<string, string>,
  ): void {
    const transcriptId = attrs.transcript_id;
    if (type === 'gene') {
      if (attrs.gene_id !== undefined) this.gtfGenes.set(attrs.gene_id, attrs);
      return;
    }
    if (transcriptId === undefined || transcriptId === '') {
      this.fail(`${type} row without a transcript_id attribute`);
    }
    // Converted files may list several transcripts in one row (`"A,B"`), as GFF3 Parent does.
    const ids = transcriptId.includes(',') ? transcriptId.split(',') : [transcriptId];
    if (type === 'transcript') {
      for (const id of ids) this.gtfTranscripts.set(id, attrs);
      return;
    }
    if (!PART_TYPES.has(type)) return;
    const part = makePart(type, start, end, phaseText, attrs);
    for (const id of ids) this.addPart(id, chrom, strand, part, attrs);
  }

  private addPart(
    parent: string,
    chrom: string,
    strand: Strand,
    part: Part,
    gtfAttrs: Record<string, string> | null,
  ): void {
    let tp = this.partsByParent.get(parent);
    if (tp === undefined) {
      tp = { chrom, strand, parts: [], gtfAttrs };
      this.partsByParent.set(parent, tp);
      this.order.push(parent);
    }
    tp.parts.push(part);
  }

  /** Links everything read so far into transcripts. */
  finish(): Transcript[] {
    if (this.format === 'gff3') this.addPartlessTranscripts();
    const out: Transcript[] = [];
    for (const key of this.order) {
      const tp = this.partsByParent.get(key) as TranscriptParts;
      const t = this.format === 'gff3' ? this.gff3Transcript(key, tp) : this.gtfTranscript(key, tp);
      if (t !== null) out.push(t);
    }
    if (out.length === 0) {
      throw new GeneModelError(
        `${this.file}: no transcripts found (no exon or CDS rows linked to a parent); is this a ${this.format.toUpperCase()} gene model file?`,
      );
    }
    return out;
  }

  /**
   * A transcript row under a gene but without any exon/CDS row (seen for small ncRNAs in trimmed
   * files) is a single-exon transcript spanning the row.
   */
  private addPartlessTranscripts(): void {
    for (const [id, f] of this.features) {
      if (this.partsByParent.has(id) || !isTranscriptType(f.type) || f.parents.length === 0) continue;
      const parent = this.features.get(f.parents[0] as string);
      if (parent === undefined || !isGeneType(parent.type)) continue;
      this.addPart(
        id,
        f.chrom,
        f.strand,
        {
          type: 'exon',
          start: f.start,
          end: f.end,
          phase: 0,
          protein: null,
          proteinVersion: null,
          transcriptId: null,
        },
        null,
      );
    }
  }

  private gff3Transcript(key: string, tp: TranscriptParts): Transcript | null {
    const feature = this.features.get(key);
    let gene: Feature | undefined;
    if (feature !== undefined) {
      const geneKey = feature.parents[0];
      if (geneKey !== undefined) gene = this.features.get(geneKey);
      // Exons hung directly on a gene: the gene is its own transcript.
      if (gene === undefined && isGeneType(feature.type)) gene = feature;
    }
    const a = feature?.attrs ?? {};
    const g = gene?.attrs ?? {};
    // RefSeq puts transcript_id on the exon rows only, and names the mRNA row by accession.
    const rawId =
      a.transcript_id ??
      tp.parts.find((p) => p.transcriptId !== null)?.transcriptId ??
      (a.gbkey !== undefined ? a.Name : undefined) ??
      stripPrefix(a.ID ?? key);
    const { id, version } = splitVersion(rawId, a.version ?? null);
    const geneRawId = g.gene_id ?? dbxrefGeneId(g.Dbxref) ?? stripPrefix(g.ID ?? a.gene_id ?? a.gene ?? key);
    const hasCds = tp.parts.some((p) => p.type === 'CDS');
    const biotype =
      a.biotype ??
      a.transcript_biotype ??
      a.transcript_type ??
      refseqBiotype(feature?.type ?? 'transcript', a, hasCds) ??
      g.biotype ??
      g.gene_biotype ??
      (hasCds ? 'protein_coding' : 'transcript');
    const geneSymbol = g.Name ?? g.gene_name ?? g.gene ?? a.gene ?? null;
    const geneBiotype = g.biotype ?? g.gene_biotype ?? g.gene_type ?? null;
    return this.build(tp, feature, {
      id,
      version,
      biotype,
      geneId: geneRawId,
      geneSymbol,
      geneBiotype,
      attrs: a,
    });
  }

  private gtfTranscript(key: string, tp: TranscriptParts): Transcript | null {
    const a: Record<string, string> = {
      ...(tp.gtfAttrs ?? {}),
      ...(this.gtfTranscripts.get(key) ?? {}),
      transcript_id: key,
    };
    const geneId = a.gene_id ?? key;
    const g = this.gtfGenes.get(geneId) ?? {};
    const { id, version } = splitVersion(key, a.transcript_version ?? null);
    const hasCds = tp.parts.some((p) => p.type === 'CDS');
    const biotype =
      a.transcript_biotype ??
      a.transcript_type ??
      a.gene_biotype ??
      (hasCds ? 'protein_coding' : 'transcript');
    return this.build(tp, undefined, {
      id,
      version,
      biotype,
      geneId: splitVersion(geneId, null).id,
      geneSymbol: g.gene_name ?? a.gene_name ?? null,
      geneBiotype: g.gene_biotype ?? g.gene_type ?? a.gene_biotype ?? a.gene_type ?? null,
      attrs: a,
    });
  }

  private build(
    tp: TranscriptParts,
    feature: Feature | undefined,
    info: {
      id: string;
      version: string | null;
      biotype: string;
      geneId: string;
      geneSymbol: string | null;
      geneBiotype: string | null;
      attrs: Record<string, string>;
    },
  ): Transcript | null {
    const exonRows: Exon[] = [];
    const otherRows: Exon[] = [];
    let cdsStart = Number.POSITIVE_INFINITY;
    let cdsEnd = 0;
    let firstCds: Part | null = null;
    let proteinId: string | null = null;
    let proteinVersion: string | null = null;
    for (const p of tp.parts) {
      if (p.type === 'exon' || p.type === 'noncoding_exon') exonRows.push({ start: p.start, end: p.end });
      else otherRows.push({ start: p.start, end: p.end });
      if (p.type === 'CDS' || p.type === 'stop_codon') {
        cdsStart = Math.min(cdsStart, p.start);
        cdsEnd = Math.max(cdsEnd, p.end);
      }
      if (p.type === 'CDS') {
        if (firstCds === null || (tp.strand === 1 ? p.start < firstCds.start : p.end > firstCds.end))
          firstCds = p;
        if (proteinId === null) {
          const raw = p.protein;
          if (raw !== null) {
            const split = splitVersion(raw, p.proteinVersion);
            proteinId = split.id;
            proteinVersion = split.version;
          }
        }
      }
    }
    const exons = mergeIntervals(exonRows.length > 0 ? exonRows : otherRows);
    if (exons.length === 0) return null;
    const coding = cdsEnd > 0;
    const first = exons[0] as Exon;
    const last = exons[exons.length - 1] as Exon;
    const flags: string[] = [];
    const tags = `${info.attrs.tag ?? ''}`.split(',');
    for (const f of ['cds_start_NF', 'cds_end_NF', 'mRNA_start_NF', 'mRNA_end_NF']) {
      if (tags.includes(f)) flags.push(f);
    }
    const phase = firstCds?.phase ?? 0;
    if (coding && phase > 0 && !flags.includes('cds_start_NF')) flags.push('cds_start_NF');
    const attributes: Record<string, string> = {};
    for (const k of ['tag', 'transcript_support_level', 'ccdsid', 'Name', 'transcript_name']) {
      const v = info.attrs[k];
      if (v !== undefined) attributes[k] = v;
    }
    return {
      id: info.id,
      version: info.version,
      chrom: tp.chrom,
      start: Math.min(first.start, feature?.start ?? first.start),
      end: Math.max(last.end, feature?.end ?? last.end),
      strand: tp.strand,
      biotype: info.biotype,
      geneId: info.geneId,
      geneSymbol: info.geneSymbol,
      geneBiotype: info.geneBiotype,
      exons,
      cdsStart: coding ? cdsStart : null,
      cdsEnd: coding ? cdsEnd : null,
      cdsStartPhase: coding ? phase : 0,
      flags,
      attributes,
      proteinId: proteinId === null ? null : `${proteinId}.${proteinVersion ?? '1'}`,
    };
  }
}

/** Feature types that name a transcript (mRNA, lnc_RNA, lincRNA, processed_transcript, ...). */
function isTranscriptType(type: string): boolean {
  return /(RNA|transcript)$/i.test(type) || type === 'NMD_transcript_variant';
}

function isGeneType(type: string): boolean {
  return type === 'gene' || type.endsWith('_gene') || type === 'pseudogene';
}

function safeDecode(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

const PREFIXES = ['transcript:', 'gene:', 'CDS:', 'rna-', 'gene-', 'cds-', 'id-'];

function stripPrefix(id: string): string {
  for (const p of PREFIXES) if (id.startsWith(p)) return id.slice(p.length);
  return id;
}

/** `NM_000484.3` -> { NM_000484, 3 }; Ensembl ids come unversioned with a separate version. */
function splitVersion(raw: string, version: string | null): { id: string; version: string | null } {
  if (version !== null && version !== '') {
    const suffix = `.${version}`;
    return { id: raw.endsWith(suffix) ? raw.slice(0, -suffix.length) : raw, version };
  }
  const m = /^(.+)\.(\d+)$/.exec(raw);
  if (m !== null) return { id: m[1] as string, version: m[2] as string };
  return { id: raw, version: null };
}

function dbxrefGeneId(dbxref: string | undefined): string | undefined {
  if (dbxref === undefined) return undefined;
  const m = /GeneID:(\d+)/.exec(dbxref);
  return m?.[1];
}

/** RefSeq GFF3 transcript types into Ensembl-style biotypes; undefined when not RefSeq-like. */
function refseqBiotype(type: string, a: Record<string, string>, hasCds: boolean): string | undefined {
  if (a.gbkey === undefined) return undefined;
  if (type === 'mRNA') return hasCds ? 'protein_coding' : 'mRNA';
  if (type === 'ncRNA') return a.ncrna_class ?? 'ncRNA';
  if (type === 'lnc_RNA') return 'lncRNA';
  if (type === 'primary_transcript') return 'miRNA_primary_transcript';
  if (isGeneType(type)) return a.gene_biotype;
  return type;
}

function mergeIntervals(rows: Exon[]): Exon[] {
  if (rows.length === 0) return rows;
  rows.sort((x, y) => x.start - y.start || x.end - y.end);
  const out: Exon[] = [{ ...(rows[0] as Exon) }];
  for (let i = 1; i < rows.length; i++) {
    const r = rows[i] as Exon;
    const last = out[out.length - 1] as Exon;
    if (r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}
