/**
 * The engine's shared data model: what the readers produce and the predictor consumes.
 *
 * Coordinates are GENOMIC, 1-BASED, CLOSED everywhere in this file (as in VCF and GFF3),
 * unless a name says otherwise. An insertion between positions p and p+1 is written
 * start = p+1, end = p (end = start - 1), the way Ensembl VEP writes it.
 *
 * Stages (see pipeline.ts):
 *   VCF reader -> VcfRecord -> normaliser -> AlleleToAnnotate[] -> predictor (+ gene models,
 *   reference) -> TranscriptConsequence[] -> writers (VCF CSQ, TSV, JSON summary)
 */

export type Strand = 1 | -1;

/** One exon of a transcript, genomic 1-based closed. */
export interface Exon {
  start: number;
  end: number;
}

/** A transcript as read from GFF3/GTF, ready for consequence prediction. */
export interface Transcript {
  /** Stable id without version, e.g. ENST00000352957 (RefSeq: NM_003124). */
  id: string;
  /** Version, e.g. "5", or null when the source gives none. */
  version: string | null;
  /** Contig name as spelled by the reference FASTA (after synonym mapping). */
  chrom: string;
  start: number;
  end: number;
  strand: Strand;
  /** Sequence Ontology / Ensembl biotype: protein_coding, nonsense_mediated_decay, lncRNA, ... */
  biotype: string;
  geneId: string;
  geneSymbol: string | null;
  geneBiotype: string | null;
  /** Sorted by genomic start, ascending, whatever the strand. */
  exons: Exon[];
  /** CDS span (genomic, 1-based closed, stop codon included when annotated), or null if non-coding. */
  cdsStart: number | null;
  cdsEnd: number | null;
  /** GFF phase of the first coding base in transcript orientation (0 when complete). */
  cdsStartPhase: number;
  /** Incomplete ends flagged by the source (cds_start_NF, cds_end_NF, mRNA_start_NF, mRNA_end_NF). */
  flags: string[];
  /** Source tags useful in output: canonical, MANE, tsl, etc. */
  attributes: Record<string, string>;
  /** Versioned protein id for HGVSp (e.g. ENSP00000284967.1), or null/absent when non-coding. */
  proteinId?: string | null;
}

/** A VCF data line after column parsing (INFO and samples left raw until asked for). */
export interface VcfRecord {
  /** 1-based line number in the input file (header lines counted). */
  line: number;
  chrom: string;
  pos: number;
  id: string;
  ref: string;
  alts: string[];
  qual: string;
  filter: string;
  info: string;
  /** FORMAT and sample columns, unparsed, joined by tabs ('' when sites-only). */
  rest: string;
}

/** One ALT of a record, trimmed to its minimal representation, as VEP does before predicting. */
export interface AlleleToAnnotate {
  /** The contig name in the reference's spelling. */
  chrom: string;
  /** Minimal representation: shared leading (then trailing) bases removed; empty string for none. */
  start: number;
  end: number;
  ref: string;
  alt: string;
  /** The value VEP prints in CSQ `Allele`: the trimmed alt, '-' for a deletion. */
  allele: string;
  /** 1-based index of this ALT in the VCF record (CSQ `ALLELE_NUM`). */
  alleleNum: number;
  /** Symbolic or star alleles are passed through, not predicted; the note says why. */
  symbolic: string | null;
  /**
   * Values from known-variant sources (known/index.ts), CSQ field name -> value, e.g.
   * `Existing_variation`, `CLNSIG`; absent when no source knows the allele.
   */
  known?: Record<string, string>;
}

export type Impact = 'HIGH' | 'MODERATE' | 'LOW' | 'MODIFIER';

/** What one allele does to one transcript (or to nothing: intergenic). */
export interface TranscriptConsequence {
  allele: AlleleToAnnotate;
  /** null for intergenic_variant. */
  transcript: Transcript | null;
  /** SO terms, most severe first. */
  consequences: string[];
  impact: Impact;
  /** "3/10" style, or null. */
  exon: string | null;
  intron: string | null;
  hgvsc: string | null;
  hgvsp: string | null;
  /** VEP-style positions: "991", "990-991", "?-12". */
  cdnaPosition: string | null;
  cdsPosition: string | null;
  proteinPosition: string | null;
  /** "A/T" or "A" (synonymous). */
  aminoAcids: string | null;
  /** "Gca/Aca". */
  codons: string | null;
  /** Distance to the transcript for upstream/downstream variants. */
  distance: number | null;
}

/** Reference bases, synchronous: the pipeline loads a region before the predictor asks for it. */
export interface ReferenceSequence {
  /** Upper-case bases of chrom from start to end, 1-based closed ('N' beyond the contig). */
  slice(chrom: string, start: number, end: number): string;
}

/** Transcripts near a query, and the widened queries [a, b] that have the same answer. */
export interface NearbyTranscripts {
  /** In ascending start order, as `overlapping` gives them. */
  transcripts: Transcript[];
  aFrom: number;
  aTo: number;
  bFrom: number;
  bTo: number;
  /** Lowest start and highest end of `transcripts` (0 and 0 when there is none). */
  spanStart: number;
  spanEnd: number;
}

/** Transcripts overlapping a region, with the 5 kb up/downstream flank already taken into account. */
export interface TranscriptIndex {
  /** Every transcript whose span, widened by `flank` bases each side, overlaps [start, end]. */
  overlapping(chrom: string, start: number, end: number, flank: number): Transcript[];
  /**
   * The same answer, with the range of widened queries that share it (see
   * genes/interval-index.ts), so that consecutive positions need no new search.
   */
  nearby(chrom: string, start: number, end: number, flank: number): NearbyTranscripts;
}
