/**
 * The annotator on an engine reference bundle (REFERENCE_BUNDLE_DIR), as the local stack runs
 * it: a real job's results carry the known-variant fields (rsIDs in Existing_variation, allele
 * frequencies, the ClinVar columns) with the values Ensembl VEP 115 gives for the same input,
 * and their headers and job record name the bundle. Plus the configuration rules between the
 * bundle and the single-file keys.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ConfigError, loadConfig } from '@gas/service-kit';
import { offlineExampleEnv } from '@gas/service-kit/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnnotatorConfig, annotatorCrossCheck } from '../src/config.ts';
import { eventually, type PipelineCloud, sharedData, startPipelineCloud } from './support/pipeline-cloud.ts';

const bundleDir = fileURLToPath(
  new URL('../../../packages/annotation-engine/bundles/grch38-chr21', import.meta.url),
);
const vepTest = readFileSync(join(sharedData, 'inputs/vep-test.chr21.vcf'), 'utf8');

/** VEP 115's CSQ values per `POS Feature`, by field name (the truth file for vep-test). */
function vepTruth(): Map<string, Record<string, string>> {
  const text = readFileSync(join(sharedData, 'truth/vep115/vep115_cache84_test.vcf'), 'utf8');
  const format = text.match(/ID=CSQ,.*Format: ([^"]+)"/)![1]!.split('|');
  const byKey = new Map<string, Record<string, string>>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cols = line.split('\t');
    const csq = cols[7]!
      .split(';')
      .find((kv) => kv.startsWith('CSQ='))!
      .slice(4);
    for (const entry of csq.split(',')) {
      const values = entry.split('|');
      const row = Object.fromEntries(format.map((name, i) => [name, values[i] ?? '']));
      byKey.set(`${cols[1]} ${row.Feature}`, row);
    }
  }
  return byKey;
}

let t: PipelineCloud;
let work: string;
/** The annotator on the repo's bundle, read in place (as the local stack runs it). */
let local: FastifyInstance;

beforeAll(async () => {
  t = await startPipelineCloud();
  local = await t.startAnnotator({
    REFERENCE_BUNDLE_DIR: bundleDir,
    REFERENCE_BUNDLE_ROOT: sharedData,
    REFERENCE_FASTA: undefined,
    REFERENCE_GFF3: undefined,
    REFERENCE_SYNONYMS: undefined,
  });
  work = await mkdtemp(join(tmpdir(), 'gas-bundle-test-'));
}, 120_000);

afterAll(async () => {
  await t?.dispose();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the annotator on a reference bundle', { timeout: 180_000 }, () => {
  it("a job's results carry the rsIDs and allele frequencies VEP gives, the ClinVar columns, and name the bundle", async () => {
    const { jobId } = await t.submitJob({ body: vepTest, fileName: 'vep-test.chr21.vcf' });
    const record = await t.finished(jobId);
    expect(record.status).toBe('COMPLETED');
    expect(record.reference_versions?.bundle).toMatch(/^name=grch38-chr21 version=\S+ assembly=GRCh38 /);
    expect(Object.keys(record.reference_versions ?? {})).toEqual(
      expect.arrayContaining([
        'known:vep84_chr21_25-26Mb_known.vcf.gz',
        'known:clinvar_20260226_GRCh38_genepanel_subset.vcf.gz',
      ]),
    );

    // The VCF as bcftools reads it: the bundle in the header, the known-variant fields in CSQ.
    const vcfPath = join(work, 'annotated.vcf.gz');
    writeFileSync(vcfPath, await t.resultBytes(record.result_keys!.annotated_vcf_key));
    const header = execFileSync('bcftools', ['view', '-h', vcfPath], { encoding: 'utf8' });
    expect(header).toMatch(/^##GAS_bundle=name=grch38-chr21 /m);
    expect(header).toMatch(/Format: Allele\|[^"]*\|Existing_variation\|[^"]*\|AF\|[^"]*\|CLNSIG\|CLNREVSTAT/);

    // Every allele x transcript VEP annotated: the same Existing_variation and AF.
    const tsv = (await t.resultBytes(record.result_keys!.tsv_key)).toString('utf8').trim().split('\n');
    const columns = tsv[0]!.split('\t');
    const col = (name: string) => {
      const i = columns.indexOf(name);
      expect(i, name).toBeGreaterThanOrEqual(0);
      return i;
    };
    const [pos, feature, existing, af] = [col('POS'), col('Feature'), col('Existing_variation'), col('AF')];
    const truth = vepTruth();
    let compared = 0;
    let withRsId = 0;
    for (const line of tsv.slice(1)) {
      const cells = line.split('\t');
      const vep = truth.get(`${cells[pos]} ${cells[feature]}`);
      if (vep === undefined) continue;
      compared++;
      // VEP's cache also lists COSMIC ids (COSM...), which the bundle's files do not hold: the rsIDs
      const rsIds = (ids: string) => ids.split('&').filter((id) => id.startsWith('rs'));
      expect(rsIds(cells[existing]!), `rsIDs at ${cells[pos]} ${cells[feature]}`).toEqual(
        rsIds(vep.Existing_variation!),
      );
      expect(cells[af], `AF at ${cells[pos]} ${cells[feature]}`).toBe(vep.AF);
      if (cells[existing]!.startsWith('rs')) withRsId++;
    }
    expect(compared).toBeGreaterThan(500);
    expect(withRsId).toBeGreaterThan(500);
  });
});

describe('a bundle whose file changed', { timeout: 120_000 }, () => {
  it('keeps the annotator not ready, and /readyz names the file and both checksums', async () => {
    const manifest = JSON.parse(readFileSync(join(bundleDir, 'manifest.json'), 'utf8'));
    const wrong = '0'.repeat(64);
    const actual = manifest.known[0].sha256 as string;
    manifest.known[0].sha256 = wrong;
    manifest.root = sharedData;
    const dir = join(work, 'changed-bundle');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    const broken = await t.startAnnotator({
      REFERENCE_BUNDLE_DIR: dir,
      REFERENCE_FASTA: undefined,
      REFERENCE_GFF3: undefined,
      REFERENCE_SYNONYMS: undefined,
    });
    const ready = await eventually(async () => {
      const res = await broken.inject('/readyz');
      const body = JSON.stringify(res.json());
      return res.statusCode === 503 && body.includes('SHA-256') ? body : undefined;
    }, 'the bundle check on /readyz');
    await broken.close();
    expect(ready).toContain(manifest.known[0].path);
    expect(ready).toContain(`has SHA-256 ${actual}, but the manifest says ${wrong}`);
  });
});

describe('a bundle mirrored from S3, as deployed', { timeout: 300_000 }, () => {
  it('the manifest (root ".") and its files under a prefix: mirrored, verified, and the results carry rsIDs', async () => {
    await local.close(); // only the annotator under test drains the queue now
    const manifest = JSON.parse(readFileSync(join(bundleDir, 'manifest.json'), 'utf8'));
    manifest.root = '.';
    const bucket = t.provisioned.buckets.reference;
    const prefix = `bundles/deployed-${randomUUID()}/`;
    const put = (key: string, body: Buffer | string) =>
      t.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${key}`, Body: body }));
    await put('manifest.json', JSON.stringify(manifest, null, 2));
    // every file the manifest names, with its indexes (.fai, .gzi, .tbi) beside it
    const entries = [manifest.fasta, manifest.geneModels, manifest.synonyms, ...manifest.known];
    for (const { path } of entries as Array<{ path: string }>) {
      const folder = dirname(path);
      for (const name of readdirSync(join(sharedData, folder)))
        if (name.startsWith(basename(path)))
          await put(`${folder}/${name}`, readFileSync(join(sharedData, folder, name)));
    }
    const cacheDir = await mkdtemp(join(tmpdir(), 'gas-bundle-cache-'));
    const deployed = await t.startAnnotator({
      REFERENCE_BUNDLE_URI: `s3://${bucket}/${prefix}`,
      REFERENCE_CACHE_DIR: cacheDir,
      REFERENCE_BUNDLE_DIR: cacheDir,
      REFERENCE_FASTA: undefined,
      REFERENCE_GFF3: undefined,
      REFERENCE_SYNONYMS: undefined,
    });
    try {
      await eventually(
        async () => ((await deployed.inject('/readyz')).statusCode === 200 ? true : undefined),
        'the annotator on the mirrored bundle to be ready',
        120_000,
      );
      const { jobId } = await t.submitJob({ body: vepTest, fileName: 'vep-test.chr21.vcf' });
      const record = await t.finished(jobId);
      expect(record.status).toBe('COMPLETED');
      expect(record.reference_versions?.bundle).toMatch(/^name=grch38-chr21 /);
      const tsv = (await t.resultBytes(record.result_keys!.tsv_key)).toString('utf8').trim().split('\n');
      const columns = tsv[0]!.split('\t');
      const row = tsv
        .map((line) => line.split('\t'))
        .find((c) => c[2] === 'rs142513484' && c.includes('ENST00000352957'));
      expect(row?.[columns.indexOf('Existing_variation')]).toBe('rs142513484');
    } finally {
      await deployed.close();
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});

describe('reference configuration', () => {
  // the documented example: the reference by files
  const env = offlineExampleEnv(fileURLToPath(new URL('../.env.example', import.meta.url)));
  const problemsOf = (overrides: Record<string, string | undefined>): string[] => {
    try {
      loadConfig(AnnotatorConfig, { ...env, ...overrides }, annotatorCrossCheck);
      return [];
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return [(error as Error).message];
    }
  };

  it('needs a bundle or both files, and refuses a bundle beside the files it replaces', () => {
    expect(problemsOf({})).toEqual([]);
    expect(problemsOf({ REFERENCE_FASTA: undefined }).join('\n')).toMatch(
      /REFERENCE_FASTA.*unless REFERENCE_BUNDLE_DIR/,
    );
    expect(problemsOf({ REFERENCE_BUNDLE_DIR: bundleDir }).join('\n')).toMatch(
      /REFERENCE_BUNDLE_DIR.*leave REFERENCE_FASTA and REFERENCE_GFF3 unset/,
    );
    expect(
      problemsOf({ REFERENCE_BUNDLE_DIR: bundleDir, REFERENCE_FASTA: undefined, REFERENCE_GFF3: undefined }),
    ).toEqual([]);
    expect(problemsOf({ REFERENCE_BUNDLE_ROOT: sharedData }).join('\n')).toMatch(
      /REFERENCE_BUNDLE_ROOT.*needs REFERENCE_BUNDLE_DIR/,
    );
  });
});
