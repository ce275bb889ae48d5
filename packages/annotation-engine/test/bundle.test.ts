/**
 * Reference bundles (src/bundle/): the repo's grch38-chr21 manifest over ../shared/data opens
 * with every checksum verified; a changed file, a missing file and a malformed manifest are
 * refused with a sentence naming the file; null checksums are recorded and can be written back;
 * the prebuilt gene-model index gives exactly the transcripts of the GFF3; the CLI annotates
 * with `--bundle` alone and records the bundle, the known sources and their sums in the output.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGeneIndex, loadGeneModelsCached, writeGeneIndex } from '../src/bundle/gene-index.ts';
import { BundleError, type BundleManifest, openBundle, writeBundleChecksums } from '../src/bundle/index.ts';
import { loadGeneModels } from '../src/genes/index.ts';
import { readCsq } from './fixtures/io/csq.ts';
import { inputs, packageRoot, runCli, sharedData, tempDir } from './fixtures/io/shared.ts';

const BUNDLE = path.join(packageRoot, 'bundles/grch38-chr21');
let temp: { dir: string; remove: () => Promise<void> };
beforeAll(async () => {
  temp = await tempDir('gas-bundle-');
});
afterAll(() => temp.remove());

/** A copy of the repo manifest in a temp folder, root made absolute, with `change` applied. */
async function copyManifest(name: string, change: (m: BundleManifest) => void): Promise<string> {
  const m = JSON.parse(await readFile(path.join(BUNDLE, 'manifest.json'), 'utf8')) as BundleManifest;
  m.root = sharedData;
  change(m);
  const dir = path.join(temp.dir, name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(m, null, 2));
  return dir;
}

describe('reference bundles', () => {
  it('the repo bundle resolves to ../shared/data and every checksum is verified', async () => {
    const b = await openBundle(BUNDLE);
    expect(b.manifest.name).toBe('grch38-chr21');
    expect(b.fasta.path).toBe(path.join(sharedData, 'reference/grch38-chr21/chr21.fa.gz'));
    const files = [b.fasta, b.geneModels, b.synonyms!, ...b.known];
    expect(files.map((f) => f.checksum)).toEqual(Array(5).fill('verified'));
    const sum = execFileSync('sha256sum', [b.geneModels.path], { encoding: 'utf8' }).split(' ')[0];
    expect(b.geneModels.sha256).toBe(sum);
    expect(b.known.map((k) => k.fields)).toEqual([
      'AF_AF=AF,AFR_AF,AMR_AF,EAS_AF,EUR_AF,SAS_AF,gnomADe_AF,CLIN_SIG',
      'CLNSIG,CLNREVSTAT,ID=ClinVar_ID',
    ]);
    expect(b.provenance).toMatch(
      /^name=grch38-chr21 version=\S+ assembly=GRCh38 manifest_sha256=[0-9a-f]{64}$/,
    );
  });

  it('refuses a file whose checksum changed, a missing file and a malformed manifest', async () => {
    const changed = await copyManifest('changed', (m) => {
      m.geneModels.sha256 = '0'.repeat(64);
    });
    await expect(openBundle(changed)).rejects.toThrow(
      /the gene model file reference\/grch38-chr21\/ensembl84\.chr21\.gff3\.gz has SHA-256 [0-9a-f]{64}, but the manifest says 0{64}/,
    );
    const missing = await copyManifest('missing', (m) => {
      m.known![0]!.path = 'known/nope.vcf.gz';
    });
    await expect(openBundle(missing)).rejects.toThrow(
      /the known-variant file known\/nope\.vcf\.gz is not at/,
    );
    const malformed = await copyManifest('malformed', (m) => {
      delete (m as Partial<BundleManifest>).fasta;
    });
    await expect(openBundle(malformed)).rejects.toThrow(BundleError);
    await expect(openBundle(malformed)).rejects.toThrow(/manifest\.json .*fasta/);
    await expect(openBundle(path.join(temp.dir, 'none'))).rejects.toThrow(/no manifest\.json/);
  });

  it('records null checksums and writes them back into the manifest', async () => {
    const dir = await copyManifest('record', (m) => {
      m.fasta.sha256 = null;
    });
    const b = await openBundle(dir);
    expect(b.fasta.checksum).toBe('recorded');
    expect(b.fasta.sha256).toMatch(/^[0-9a-f]{64}$/);
    const m = await writeBundleChecksums(dir);
    expect(m.fasta.sha256).toBe(b.fasta.sha256);
    expect((await openBundle(dir)).fasta.checksum).toBe('verified');
  });

  it('the prebuilt gene-model index holds exactly the GFF3 transcripts', async () => {
    const b = await openBundle(BUNDLE);
    const genes = await loadGeneModels(b.geneModels.path);
    const file = path.join(temp.dir, 'genes.idx.json.gz');
    await writeGeneIndex(genes, file, b.geneModels.sha256);
    const loaded = await loadGeneIndex(file, b.geneModels.sha256);
    expect(loaded.transcripts).toEqual(genes.transcripts);
    expect(loaded.overlapping('21', 25585733, 25585733, 5000).map((t) => t.id)).toEqual(
      genes.overlapping('21', 25585733, 25585733, 5000).map((t) => t.id),
    );
    await expect(loadGeneIndex(file, 'f'.repeat(64))).rejects.toThrow(
      /built from a different gene model file/,
    );
  });

  it('the gene-model cache: parsed once, then loaded from the index; another key is another file', async () => {
    const b = await openBundle(BUNDLE, { skipChecksums: true });
    const options = {
      cacheDir: path.join(temp.dir, 'gene-cache'),
      sha256: b.geneModels.sha256,
      contigName: (n: string) => n,
      keyParts: ['21'],
    };
    const first = await loadGeneModelsCached(b.geneModels.path, options);
    expect(first.fromCache).toBe(false);
    expect(first.cacheFile).toMatch(/gene-cache\/[0-9a-f]{32}\.json\.gz$/);
    const second = await loadGeneModelsCached(b.geneModels.path, options);
    expect(second.fromCache).toBe(true);
    expect(second.genes.transcripts).toEqual(first.genes.transcripts);
    expect(second.genes.file).toBe(b.geneModels.path);
    const other = await loadGeneModelsCached(b.geneModels.path, { ...options, keyParts: ['21', 'chr21'] });
    expect(other.fromCache).toBe(false);
    expect(other.cacheFile).not.toBe(first.cacheFile);
  });

  it('gas-annotate: an unusable --known file or a bad bundle is one line on stderr, exit 1', async () => {
    const run = (args: string[]) => runCli(path.join(temp.dir, 'cli-dist'), args);
    const base = ['-i', inputs('vep-test.chr21.vcf'), '-o', path.join(temp.dir, 'x.vcf')];
    const missingField = await run([
      '--bundle',
      BUNDLE,
      ...base,
      '--known',
      `${path.join(sharedData, 'known/vep84_chr21_25-26Mb_known.vcf.gz')}:NOPE`,
    ]);
    expect(missingField.code).toBe(1);
    expect(missingField.stderr).toMatch(
      /^gas-annotate: known-variant file .* declares no INFO field NOPE; [^\n]*\n$/,
    );
    const changed = await copyManifest('cli-changed', (m) => {
      m.fasta.sha256 = 'a'.repeat(64);
    });
    const bad = await run(['--bundle', changed, ...base]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^gas-annotate: bundle grch38-chr21: the FASTA .* but the manifest says a{64}; [^\n]*\n$/,
    );
    const both = await run(['--bundle', BUNDLE, '--fasta', 'x.fa', ...base]);
    expect(both.code).toBe(2);
    expect(both.stderr).toBe(
      'gas-annotate: give either --bundle or --fasta and --gff, not both; see --help\n',
    );
  }, 120_000);

  it('gas-annotate --bundle --also: known sources from the manifest, bundle and sums in the provenance header', async () => {
    const out = path.join(temp.dir, 'b.vcf');
    const r = await runCli(path.join(temp.dir, 'cli-dist'), [
      '--bundle',
      BUNDLE,
      '-i',
      inputs('vep-test.chr21.vcf'),
      '-o',
      out,
      '--also',
      `${out}.tsv`,
    ]);
    expect(r.stderr).toMatch(/^gas-annotate: annotated 132 of 132 records/);
    expect(r.code).toBe(0);
    const { meta, records, fields } = readCsq(await readFile(out, 'utf8'));
    const b = await openBundle(BUNDLE, { skipChecksums: true });
    expect(meta).toContain(
      `##GAS_bundle=name=grch38-chr21 version=${b.manifest.version} assembly=GRCh38 manifest_sha256=${b.provenance.split('manifest_sha256=')[1]}`,
    );
    expect(meta).toContain(
      `##GAS_knownVariants=vep84_chr21_25-26Mb_known.vcf.gz format=vcf sha256=${b.manifest.known![0]!.sha256}`,
    );
    expect(meta).toContain(
      `##GAS_knownVariants=clinvar_20260226_GRCh38_genepanel_subset.vcf.gz format=vcf sha256=${b.manifest.known![1]!.sha256}`,
    );
    expect(fields.slice(-4)).toEqual(['CLIN_SIG', 'ClinVar_ID', 'CLNSIG', 'CLNREVSTAT']);
    // the TSV written in the same pass has the same fields
    const tsvHead = (await readFile(`${out}.tsv`, 'utf8')).split('\n')[0]!.split('\t');
    expect(tsvHead.slice(5, -1)).toEqual(fields);
    const rs = records.find((x) => x.id === 'rs142513484')!;
    expect(rs.csq.every((e) => e.Existing_variation === 'rs142513484' && e.AF === '0.0010')).toBe(true);
  }, 120_000);
});
