/**
 * The reference bundle is read from S3 at start (devcloud, real SDK): the chr21 files are
 * uploaded under a prefix of the reference bucket, the annotator boots with
 * REFERENCE_BUNDLE_URI and a temp cache dir, becomes ready, annotates a job, and the cached
 * files are byte-identical to the originals (/readyz names the download until then). A second boot downloads nothing; a changed
 * object is downloaded again alone; an empty prefix stops the service with a sentence; a key
 * that would escape the cache dir is refused.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { loadConfig } from '@gas/service-kit';
import { spawnServer } from '@gas/service-kit/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { AnnotatorConfig, annotatorCrossCheck } from '../src/config.ts';
import { CACHE_MARKER, syncReferenceBundle } from '../src/engine/reference-cache.ts';
import {
  eventually,
  type PipelineCloud,
  referenceDir,
  sharedData,
  startPipelineCloud,
} from './support/pipeline-cloud.ts';

const bundleFiles = [
  'chr21.fa.gz',
  'chr21.fa.gz.fai',
  'chr21.fa.gz.gzi',
  'chr_synonyms.txt',
  'ensembl84.chr21.gff3.gz',
].sort();

let t: PipelineCloud;
let cacheDir: string;
let bucket: string;
const prefix = `bundles/test-${randomUUID()}/`;

beforeAll(async () => {
  t = await startPipelineCloud();
  bucket = t.provisioned.buckets.reference;
  cacheDir = await mkdtemp(join(tmpdir(), 'gas-reference-cache-'));
  for (const name of bundleFiles)
    await t.clients.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${prefix}${name}`,
        Body: readFileSync(join(referenceDir, name)),
      }),
    );
}, 120_000);

afterAll(async () => {
  await t?.dispose();
  if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
});

/** The annotator's reference keys as deployed: the bundle URI and paths into the cache dir. */
const bundleEnv = (uri: string, dir = cacheDir) => ({
  REFERENCE_BUNDLE_URI: uri,
  REFERENCE_CACHE_DIR: dir,
  REFERENCE_FASTA: join(dir, 'chr21.fa.gz'),
  REFERENCE_GFF3: join(dir, 'ensembl84.chr21.gff3.gz'),
  REFERENCE_SYNONYMS: join(dir, 'chr_synonyms.txt'),
});

async function readyz(app: FastifyInstance) {
  const response = await app.inject('/readyz');
  return {
    status: response.statusCode,
    body: response.json() as { failed?: string[]; checks: Array<{ name: string; error?: string }> },
  };
}

/** An S3 client that counts the GetObject calls it sends. */
function countingS3(): { s3: S3Client; getObjects: () => number } {
  let count = 0;
  const s3 = new S3Client({
    region: t.aws.AWS_REGION,
    endpoint: t.aws.AWS_ENDPOINT_URL,
    forcePathStyle: true,
    credentials: { accessKeyId: t.aws.AWS_ACCESS_KEY_ID, secretAccessKey: t.aws.AWS_SECRET_ACCESS_KEY },
  });
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'GetObjectCommand') count++;
      return next(args);
    },
    { step: 'initialize', name: 'countGetObject' },
  );
  return { s3, getObjects: () => count };
}

describe('reference bundle from S3', () => {
  const uri = () => `s3://${bucket}/${prefix}`;

  it('first boot: mirrors the prefix, becomes ready, annotates; the cached files are byte-identical', async () => {
    const annotator = await t.startAnnotator(bundleEnv(uri()));
    const result = await annotator.jobRequests.referenceBundle;
    expect(result?.downloaded.sort()).toEqual(bundleFiles);
    expect(result?.unchanged).toEqual([]);
    for (const name of bundleFiles)
      expect(
        (await readFile(join(cacheDir, name))).equals(readFileSync(join(referenceDir, name))),
        name,
      ).toBe(true);
    // No temp file is left beside the cached ones.
    expect((await readdir(cacheDir)).sort()).toEqual([CACHE_MARKER, ...bundleFiles].sort());
    const marker = JSON.parse(await readFile(join(cacheDir, CACHE_MARKER), 'utf8'));
    expect(Object.keys(marker.objects).sort()).toEqual(bundleFiles);

    await eventually(async () => (await readyz(annotator)).status === 200, 'the annotator to be ready');
    const job = await t.submitJob({
      body: readFileSync(join(sharedData, 'inputs/vep-test.chr21.vcf')),
      fileName: 'small.vcf',
    });
    expect((await t.finished(job.jobId)).status).toBe('COMPLETED');
    await annotator.close();
  }, 300_000);

  it('/readyz names the reference download until it is done', async () => {
    // Built, not yet started: the mirror starts when the app is ready (listen).
    const app = await buildApp(
      loadConfig(AnnotatorConfig, t.annotatorEnv(bundleEnv(uri())), annotatorCrossCheck),
    );
    const readiness = await app.readiness.run();
    expect(readiness.checks.find((c) => c.name === 'engine:reference')).toMatchObject({
      ok: false,
      error: `downloading the reference bundle from ${uri()} into ${cacheDir}`,
    });
    await app.close();
    expect(await app.jobRequests.referenceBundle).toBeUndefined();
  });

  it('second boot: nothing is downloaded again (the files are not rewritten)', async () => {
    const before = await Promise.all(
      bundleFiles.map(async (name) => (await stat(join(cacheDir, name))).mtimeMs),
    );
    const annotator = await t.startAnnotator(bundleEnv(uri()));
    const result = await annotator.jobRequests.referenceBundle;
    expect(result?.downloaded).toEqual([]);
    expect(result?.unchanged.sort()).toEqual(bundleFiles);
    const after = await Promise.all(
      bundleFiles.map(async (name) => (await stat(join(cacheDir, name))).mtimeMs),
    );
    expect(after).toEqual(before);
    await eventually(async () => (await readyz(annotator)).status === 200, 'the annotator to be ready');
    await annotator.close();

    // The same, counted at the SDK: not one GetObject.
    const { s3, getObjects } = countingS3();
    const again = await syncReferenceBundle({ s3, uri: uri(), cacheDir });
    expect(again.downloaded).toEqual([]);
    expect(getObjects()).toBe(0);
    s3.destroy();
  }, 300_000);

  it('an object changed in S3 is downloaded again, alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gas-reference-cache-'));
    const changedPrefix = `bundles/changed-${randomUUID()}/`;
    const put = (key: string, body: string) =>
      t.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${changedPrefix}${key}`, Body: body }));
    await put('a.txt', 'first');
    await put('sub/b.txt', 'unchanged');
    const { s3, getObjects } = countingS3();
    const changedUri = `s3://${bucket}/${changedPrefix}`;
    expect((await syncReferenceBundle({ s3, uri: changedUri, cacheDir: dir })).downloaded.sort()).toEqual([
      'a.txt',
      'sub/b.txt',
    ]);
    await put('a.txt', 'second version');
    const result = await syncReferenceBundle({ s3, uri: changedUri, cacheDir: dir });
    expect(result.downloaded).toEqual(['a.txt']);
    expect(result.unchanged).toEqual(['sub/b.txt']);
    expect(getObjects()).toBe(3);
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('second version');
    expect(await readFile(join(dir, 'sub/b.txt'), 'utf8')).toBe('unchanged');
    s3.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it('an empty prefix: /readyz names the reference and the sentence; nothing is cached', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gas-reference-cache-'));
    const emptyUri = `s3://${bucket}/bundles/empty-${randomUUID()}/`;
    const annotator = await t.startAnnotator(bundleEnv(emptyUri, dir));
    await expect(annotator.jobRequests.referenceBundle).rejects.toThrow(
      `the reference bundle ${emptyUri} holds no objects`,
    );
    const { status, body } = await readyz(annotator);
    expect(status).toBe(503);
    expect(body.failed).toEqual(['engine:reference']);
    expect(body.checks.find((c) => c.name === 'engine:reference')?.error).toContain(
      `the reference bundle ${emptyUri} holds no objects`,
    );
    expect(existsSync(join(dir, CACHE_MARKER))).toBe(false);
    await annotator.close();
    await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it('an empty prefix stops the server process: exit 1, one sentence naming the URI', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gas-reference-cache-'));
    const emptyUri = `s3://${bucket}/bundles/none-${randomUUID()}/`;
    const serviceDir = fileURLToPath(new URL('..', import.meta.url));
    const server = spawnServer('src/server.ts', t.annotatorEnv(bundleEnv(emptyUri, dir)), serviceDir);
    expect((await server.exited).code).toBe(1);
    // (On Node 20 the SDK prints a Node version notice first; the images run Node 22.)
    const stderr = server.stderr();
    const lines = stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toBe(
      `Cannot start: the reference bundle ${emptyUri} holds no objects: upload the reference files under that prefix or fix REFERENCE_BUNDLE_URI.`,
    );
    expect(stderr.match(/Cannot start/g)).toHaveLength(1);
    expect(stderr).not.toMatch(/\n\s+at /);
    await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it('refuses a key that would be written outside the cache dir', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gas-reference-cache-'));
    const cache = join(dir, 'cache');
    const evilPrefix = `bundles/evil-${randomUUID()}/`;
    await t.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: `${evilPrefix}../../escaped.txt`, Body: 'outside' }),
    );
    const { s3 } = countingS3();
    await expect(
      syncReferenceBundle({ s3, uri: `s3://${bucket}/${evilPrefix}`, cacheDir: cache }),
    ).rejects.toThrow('would be written outside the cache folder: ../../escaped.txt');
    expect(existsSync(join(dir, 'escaped.txt'))).toBe(false);
    expect(existsSync(join(cache, '..', '..', 'escaped.txt'))).toBe(false);
    s3.destroy();
    await rm(dir, { recursive: true, force: true });
  });
});
