/**
 * Hand-built hard cases: a small contig `fx` (fixtures/science/hard-cases/hard.fa, 420 bp) with
 *
 *   PLUS1 / TXP.1 (+ strand): exons 11-40, 101-150, 201-260; CDS 21-232 (ATG at 21-23,
 *     TAA at 230-232); protein MKLAGSAEEEFRQKTWYIVPDNHCMSGLKKARL*
 *   MINUS1 / TXM.2 and TXM_1.1 (- strand, exons and CDS shared through `Parent=a,b`; TXM_1 is
 *     nonsense_mediated_decay): exons 371-420 and 301-340; CDS 410-315; protein
 *     MADLTGRFQENAWLEANSVEY*
 *
 * Every expectation below was worked out by hand from the sequence (codon tables in the
 * comments) and follows VEP's conventions: 3'-shifted HGVS in transcript orientation, dup over
 * ins, `p.=`-style synonymous, fsTer/extTer counting, exon/intron "n/total".
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { predictConsequences, regionNeeded } from '../src/annotate.ts';
import { type GeneModels, loadGeneModels } from '../src/genes/index.ts';
import type { TranscriptConsequence } from '../src/model.ts';
import { allelesOf } from '../src/normalise/alleles.ts';
import { openReference, type Reference } from '../src/reference/index.ts';

const DIR = new URL('./fixtures/science/hard-cases/', import.meta.url).pathname;
let genes: GeneModels;
let ref: Reference;

beforeAll(async () => {
  genes = await loadGeneModels(`${DIR}hard.gff3`);
  ref = await openReference(`${DIR}hard.fa`); // plain FASTA without .fai: indexed in memory
});

async function predict(pos: number, refBases: string, alt: string): Promise<TranscriptConsequence[]> {
  const record = {
    line: 1,
    chrom: 'fx',
    pos,
    id: '.',
    ref: refBases,
    alts: [alt],
    qual: '.',
    filter: '.',
    info: '.',
    rest: '',
  };
  const allele = allelesOf(record, 'fx')[0];
  if (allele === undefined) throw new Error('no allele');
  const region = regionNeeded(allele, genes);
  await ref.ensure(region.chrom, region.start, region.end);
  return predictConsequences(allele, genes, ref);
}

type Expected = Partial<Omit<TranscriptConsequence, 'allele' | 'transcript'>>;

async function expectOn(
  pos: number,
  refBases: string,
  alt: string,
  transcript: string,
  expected: Expected,
): Promise<void> {
  const all = await predict(pos, refBases, alt);
  const c = all.find((x) => x.transcript?.id === transcript);
  expect(c, `no prediction for ${transcript}`).toBeDefined();
  const { allele: _a, transcript: _t, ...fields } = c as TranscriptConsequence;
  expect(fields).toMatchObject(expected);
}

describe('hard cases (hand-worked expectations)', () => {
  it('frameshift near the stop that reads through it: no new stop in the transcript', async () => {
    // codon 33 TTG (227-229) then TAA; deleting a T of TT: c.98del after 3' shifting, L33 -> C
    await expectOn(226, 'AT', 'A', 'TXP', {
      consequences: ['frameshift_variant'],
      impact: 'HIGH',
      hgvsc: 'TXP.1:c.98del',
      hgvsp: 'PRP.1:p.Leu33CysfsTer?',
      cdsPosition: '97',
      proteinPosition: '33',
      aminoAcids: 'L/X',
      codons: 'Ttg/tg',
      exon: '3/3',
    });
  });

  it("frameshift in the last sense codon on the minus strand: the new stop is in the 3' UTR", async () => {
    // tx codons ... GAA TAC TAG | UTR GGCCTAACTT...; deleting T of TAC (k61, g320): ACT AGG GCC TAA
    await expectOn(319, 'TA', 'T', 'TXM', {
      consequences: ['frameshift_variant'],
      hgvsc: 'TXM.2:c.61del',
      hgvsp: 'PRM.1:p.Tyr21ThrfsTer4',
      proteinPosition: '21',
      cdnaPosition: '71',
      exon: '2/2',
    });
  });

  it('deletion across an exon boundary: two exon bases and the donor site', async () => {
    // 149-153 = CT|GTG: last two bases of exon 2, then intron 2's GT and one more base
    await expectOn(148, 'ACTGTG', 'A', 'TXP', {
      consequences: ['splice_donor_variant', 'coding_sequence_variant', 'intron_variant'],
      impact: 'HIGH',
      hgvsc: 'TXP.1:c.69_70+3del',
      hgvsp: null,
      exon: '2/3',
      intron: '2/2',
      cdnaPosition: '79-?',
      cdsPosition: '69-?',
    });
  });

  it('insertion between the G and the T of a donor site', async () => {
    await expectOn(151, 'G', 'GC', 'TXP', {
      consequences: ['splice_donor_variant'],
      hgvsc: 'TXP.1:c.70+1_70+2insC',
      intron: '2/2',
      hgvsp: null,
    });
  });

  it("insertion right after an exon's last base lands in the mRNA", async () => {
    // after g150 (T, c.70): the donor GT still follows, so the C is exonic: frameshift + splice region
    const all = await predict(150, 'T', 'TC');
    const c = all.find((x) => x.transcript?.id === 'TXP');
    expect(c?.consequences).toEqual(['frameshift_variant', 'splice_region_variant']);
    expect(c?.hgvsc).toBe('TXP.1:c.70_70+1insC');
  });

  it('start codon loss', async () => {
    await expectOn(22, 'T', 'C', 'TXP', {
      consequences: ['start_lost'],
      impact: 'HIGH',
      hgvsc: 'TXP.1:c.2T>C',
      hgvsp: 'PRP.1:p.Met1?',
      codons: 'aTg/aCg',
      aminoAcids: 'M/T',
      cdnaPosition: '12',
      cdsPosition: '2',
      proteinPosition: '1',
      exon: '1/3',
    });
  });

  it('start codon to a stop: start_lost and stop_gained, each VEP predicate on its own', async () => {
    // ATG (g21-23) -> TAG: VEP's start_lost (translation_start 1, M gone) and stop_gained (a stop
    // in the new peptide, none in the old) both hold; neither excludes the other
    await expectOn(21, 'AT', 'TA', 'TXP', {
      consequences: ['stop_gained', 'start_lost'],
      impact: 'HIGH',
      codons: 'ATg/TAg',
      aminoAcids: 'M/*',
    });
  });

  it('deletion across the start codon from outside the transcript: no start_lost (VEP)', async () => {
    // g4-25 deleted: 7 bases before the transcript (11), the 5' UTR (11-20), the ATG and c.4-5.
    // VEP judges the start codon only when both ends of the allele map to cDNA
    // (_overlaps_start_codon); this one starts outside, so the CDS part is coding_sequence_variant
    // (coding_unknown), as bcftools csq says for its EDUMMY0002 boundaries case.
    await expectOn(3, 'GACCTAGCCTTCGCTGCCATGAA', 'G', 'TXP', {
      consequences: ['coding_sequence_variant', '5_prime_UTR_variant'],
      impact: 'MODIFIER',
      cdnaPosition: '?-15',
      cdsPosition: '?-5',
      exon: '1/3',
    });
    // g14-25 deleted, both ends in exon 1 (cDNA 4-15): the ATG is gone, start_lost; VEP's
    // coding_unknown adds no coding_sequence_variant beside start_lost
    await expectOn(13, 'TCGCTGCCATGAA', 'T', 'TXP', {
      consequences: ['start_lost', '5_prime_UTR_variant'],
      impact: 'HIGH',
      hgvsc: 'TXP.1:c.-7_5del',
      cdnaPosition: '4-15',
      cdsPosition: '?-5',
      exon: '1/3',
    });
  });

  it('minus-strand missense: complemented bases, codons and HGVS in transcript orientation', async () => {
    // tx codon 4 CTT (k10-12 = g401-399); g401 G>T is tx C>A: ATT (Ile)
    await expectOn(401, 'G', 'T', 'TXM', {
      consequences: ['missense_variant'],
      impact: 'MODERATE',
      hgvsc: 'TXM.2:c.10C>A',
      hgvsp: 'PRM.1:p.Leu4Ile',
      codons: 'Ctt/Att',
      aminoAcids: 'L/I',
      cdnaPosition: '20',
      cdsPosition: '10',
      proteinPosition: '4',
      exon: '1/2',
    });
  });

  it("minus-strand deletion in a run is shifted 3' in transcript orientation (genomic left)", async () => {
    // g396-397 GG = tx k15-14 CC (codon 5 ACC); VCF places the deletion at g397 (k14)
    await expectOn(396, 'GG', 'G', 'TXM', {
      consequences: ['frameshift_variant'],
      hgvsc: 'TXM.2:c.15del',
      hgvsp: 'PRM.1:p.Gly6ValfsTer19',
      cdsPosition: '14',
      proteinPosition: '5',
    });
  });

  it('minus-strand insertion repeating the base before it is a dup', async () => {
    // tx codon 9 CAA (k25-27); an extra A after k27 (g384|g383) duplicates c.27
    await expectOn(383, 'C', 'CT', 'TXM', {
      consequences: ['frameshift_variant'],
      hgvsc: 'TXM.2:c.27dup',
      hgvsp: 'PRM.1:p.Glu10ArgfsTer11',
      proteinPosition: '9-10',
      codons: '-/A',
    });
  });

  it('multi-parent exons and CDS give both transcripts the same prediction (plus NMD on the NMD one)', async () => {
    const all = await predict(401, 'G', 'T');
    const a = all.find((x) => x.transcript?.id === 'TXM');
    const b = all.find((x) => x.transcript?.id === 'TXM_1');
    expect(b?.consequences).toEqual(['missense_variant', 'NMD_transcript_variant']);
    expect(b?.hgvsc).toBe('TXM_1.1:c.10C>A');
    expect(b?.hgvsp).toBe(a?.hgvsp);
    expect(b?.transcript?.exons).toEqual(a?.transcript?.exons);
  });

  it('in-frame deletion in a run of codons is named at the C-terminal copy', async () => {
    // codons 8-10 GAA GAA GAG (EEE); deleting g105-107 (codon 9)
    await expectOn(104, 'AGAA', 'A', 'TXP', {
      consequences: ['inframe_deletion'],
      impact: 'MODERATE',
      hgvsc: 'TXP.1:c.27_29del',
      hgvsp: 'PRP.1:p.Glu10del',
      codons: 'GAA/-',
      aminoAcids: 'E/-',
      proteinPosition: '9',
      cdsPosition: '25-27',
    });
  });

  it('in-frame insertion repeating the codon before it is a dup at DNA and protein level', async () => {
    // codons 29-30 AAA AAA (KK, g215-220), then GCG
    await expectOn(220, 'A', 'AAAA', 'TXP', {
      consequences: ['inframe_insertion'],
      hgvsc: 'TXP.1:c.88_90dup',
      hgvsp: 'PRP.1:p.Lys30dup',
      codons: '-/AAA',
      aminoAcids: '-/K',
      proteinPosition: '30-31',
    });
  });

  it('in-frame insertion inside a codon: insertion when the peptide is kept, else protein_altering', async () => {
    // codon 4 GCT (g30-32). TTT after the G: GTT TCT (Val Ser) replaces Ala
    await expectOn(30, 'G', 'GTTT', 'TXP', {
      consequences: ['protein_altering_variant'],
      impact: 'MODERATE',
      hgvsc: 'TXP.1:c.10_11insTTT',
      hgvsp: 'PRP.1:p.Ala4delinsValSer',
      aminoAcids: 'A/VS',
      codons: 'gct/gTTTct',
    });
    // AAA after GC: GCA AAT (Ala Asn): the Ala is kept, an Asn follows
    await expectOn(31, 'C', 'CAAA', 'TXP', {
      consequences: ['inframe_insertion'],
      hgvsc: 'TXP.1:c.11_12insAAA',
      hgvsp: 'PRP.1:p.Ala4_Gly5insAsn',
      aminoAcids: 'A/AN',
    });
  });

  it('in-frame deletion across two codons: inframe_deletion by the codons (VEP), even when no peptide is kept', async () => {
    // codons 2-3 AAA CTG (KL, g24-29); deleting g25-27 (AAC) leaves ATG (M): VEP compares the
    // codons aAACtg/atg, not the peptides KL/M, so it is inframe_deletion, not protein_altering
    await expectOn(24, 'AAAC', 'A', 'TXP', {
      consequences: ['inframe_deletion'],
      impact: 'MODERATE',
      hgvsc: 'TXP.1:c.5_7del',
      hgvsp: 'PRP.1:p.Lys2_Leu3delinsMet',
      codons: 'aAACtg/atg',
      aminoAcids: 'KL/M',
      proteinPosition: '2-3',
    });
    // codon 33 TTG and the stop TAA (g227-232); deleting g228-230 leaves TAA: the stop is in
    // its place, but the old peptide (L*) does not start with one, so not stop_retained (VEP)
    await expectOn(227, 'TTGT', 'T', 'TXP', {
      consequences: ['inframe_deletion'],
      codons: 'tTGTaa/taa',
      aminoAcids: 'L*/*',
    });
  });

  it('an insertion inside a codon that makes a stop: stop_gained and protein_altering_variant (VEP)', async () => {
    // codon 9 GAA (g105-107); ATT after its G: GAT TAA, E -> D*
    await expectOn(105, 'G', 'GATT', 'TXP', {
      consequences: ['stop_gained', 'protein_altering_variant'],
      impact: 'HIGH',
      codons: 'gaa/gATTaa',
      aminoAcids: 'E/D*',
    });
  });

  it('an inserted stop codon is nonsense at the next position', async () => {
    // TAA between codons 4 (GCT, ends g32) and 5 (GGA)
    await expectOn(32, 'T', 'TTAA', 'TXP', {
      consequences: ['stop_gained', 'inframe_insertion'],
      hgvsc: 'TXP.1:c.12_13insTAA',
      hgvsp: 'PRP.1:p.Gly5Ter',
      aminoAcids: '-/*',
    });
  });

  it('two-base substitution over two codons, and an in-frame deletion of the stop codon', async () => {
    // g29-30 GG>AA: codon 3 CTG>CTA (Leu, kept), codon 4 GCT>ACT (Ala>Thr)
    await expectOn(29, 'GG', 'AA', 'TXP', {
      consequences: ['missense_variant'],
      hgvsc: 'TXP.1:c.9_10delinsAA',
      hgvsp: 'PRP.1:p.Ala4Thr',
      aminoAcids: 'LA/LT',
      codons: 'ctGGct/ctAAct',
      proteinPosition: '3-4',
      cdsPosition: '9-10',
    });
    // deleting TAA (g230-232): the 3' UTR is read on, CAG TGG TAG
    await expectOn(229, 'GTAA', 'G', 'TXP', {
      consequences: ['stop_lost', 'inframe_deletion'],
      hgvsc: 'TXP.1:c.100_102del',
      hgvsp: 'PRP.1:p.Ter34GlnextTer2',
      aminoAcids: '*/-',
    });
  });

  it('stop gained, stop lost with extension, synonymous', async () => {
    await expectOn(117, 'C', 'T', 'TXP', {
      consequences: ['stop_gained'],
      hgvsc: 'TXP.1:c.37C>T',
      hgvsp: 'PRP.1:p.Gln13Ter',
      aminoAcids: 'Q/*',
      codons: 'Cag/Tag',
    });
    // TAA -> TAC; reading on: TAC CAG TGG TAG
    await expectOn(232, 'A', 'C', 'TXP', {
      consequences: ['stop_lost'],
      hgvsc: 'TXP.1:c.102A>C',
      hgvsp: 'PRP.1:p.Ter34TyrextTer3',
    });
    await expectOn(29, 'G', 'C', 'TXP', {
      consequences: ['synonymous_variant'],
      impact: 'LOW',
      hgvsc: 'TXP.1:c.9G>C',
      hgvsp: 'PRP.1:p.Leu3=',
      aminoAcids: 'L',
      codons: 'ctG/ctC',
    });
  });

  it('UTR, intron and splice-region positions', async () => {
    await expectOn(15, 'G', 'A', 'TXP', {
      consequences: ['5_prime_UTR_variant'],
      hgvsc: 'TXP.1:c.-6G>A',
      cdnaPosition: '5',
    });
    await expectOn(240, 'A', 'G', 'TXP', { consequences: ['3_prime_UTR_variant'], hgvsc: 'TXP.1:c.*8A>G' });
    await expectOn(60, 'C', 'G', 'TXP', {
      consequences: ['intron_variant'],
      hgvsc: 'TXP.1:c.20+20C>G',
      intron: '1/2',
    });
    await expectOn(155, 'G', 'T', 'TXP', {
      consequences: ['splice_donor_5th_base_variant', 'intron_variant'],
    });
    await expectOn(154, 'A', 'T', 'TXP', { consequences: ['splice_donor_region_variant', 'intron_variant'] });
    await expectOn(190, 'C', 'A', 'TXP', {
      consequences: ['splice_polypyrimidine_tract_variant', 'intron_variant'],
    });
    await expectOn(195, 'C', 'A', 'TXP', {
      consequences: ['splice_region_variant', 'splice_polypyrimidine_tract_variant', 'intron_variant'],
      hgvsc: 'TXP.1:c.71-6C>A',
    });
  });

  it('up- and downstream distances by strand, and intergenic far away', async () => {
    await expectOn(5, 'C', 'T', 'TXP', { consequences: ['upstream_gene_variant'], distance: 6, hgvsc: null });
    await expectOn(270, 'G', 'A', 'TXP', { consequences: ['downstream_gene_variant'], distance: 10 });
    await expectOn(270, 'G', 'A', 'TXM', { consequences: ['downstream_gene_variant'], distance: 31 });
  });
});
