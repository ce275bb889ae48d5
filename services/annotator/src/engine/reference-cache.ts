/**
 * The reference bundle cache: container images do not carry the reference (FASTA, its
 * indexes, gene models, synonyms); at boot the annotator mirrors every object under
 * REFERENCE_BUNDLE_URI (`s3://bucket/prefix/`) into REFERENCE_CACHE_DIR on local disk, and
 * the engine workers then read REFERENCE_FASTA/GFF3/SYNONYMS, which point into that folder (or,
 * when the prefix holds an engine bundle with `root: "."`, REFERENCE_BUNDLE_DIR names that folder).
 *
 * - The prefix is mirrored as it is (key minus prefix = path under the cache dir); the bundle
 *   format (a manifest, checksums) is the engine's business, not this module's.
 * - Each object is streamed to a temp file beside its final path and renamed into place only
 *   once every byte arrived, so a killed download never leaves a truncated file under a name
 *   the engine reads.
 * - A restart downloads nothing that is already there: the marker file `CACHE_MARKER` records
 *   the ETag and size of each cached object (written after each rename); an object is skipped
 *   when the listing shows the same ETag and size and the file on disk has that size.
 * - A key that would land outside the cache dir (`..`, absolute) is refused, never written.
 * - Files in the cache dir that are no longer in the bundle are left alone (the folder may be
 *   shared or misconfigured; deleting there is not this module's call).
 * - An empty or missing prefix is an error with a sentence naming the URI: the service cannot
 *   annotate anything without its reference.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';

/** Name of the marker file (inside the cache dir) that records the cached objects. */
export const CACHE_MARKER = '.gas-reference-cache.json';

/** `s3://bucket/prefix/` as accepted by the config schema (prefix may be empty). */
export const S3_URI_PATTERN = '^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/(.*)$';

export type BundleLocation = { bucket: string; prefix: string };

type CachedObject = { etag: string; size: number };
type Marker = { uri: string; objects: Record<string, CachedObject> };

export type SyncResult = {
  /** Paths (relative to the cache dir) downloaded this time. */
  downloaded: string[];
  /** Paths whose cached copy matched the bundle (ETag and size) and were kept. */
  unchanged: string[];
  bytesDownloaded: number;
};

export class ReferenceBundleError extends Error {
  override readonly name = 'ReferenceBundleError';
}

export function parseBundleUri(uri: string): BundleLocation {
  const match = new RegExp(S3_URI_PATTERN).exec(uri);
  if (!match) throw new ReferenceBundleError(`the reference bundle URI ${uri} is not s3://bucket/prefix/`);
  const bucket = uri.slice('s3://'.length, uri.indexOf('/', 's3://'.length));
  return { bucket, prefix: match[1] ?? '' };
}

/** The file a key lands in, or an error when it would land outside the cache dir. */
function cachePathOf(cacheDir: string, relativeKey: string): string {
  const target = resolve(cacheDir, relativeKey);
  const inside = relative(cacheDir, target);
  if (
    relativeKey.length === 0 ||
    isAbsolute(relativeKey) ||
    inside.length === 0 ||
    inside === '..' ||
    inside.startsWith(`..${sep}`) ||
    isAbsolute(inside) ||
    relativeKey.split('/').includes('..')
  )
    throw new ReferenceBundleError(
      `the reference bundle holds an object whose key would be written outside the cache folder: ${relativeKey}`,
    );
  if (relativeKey === CACHE_MARKER)
    throw new ReferenceBundleError(
      `the reference bundle holds an object named like the cache marker: ${relativeKey}`,
    );
  return target;
}

async function readMarker(path: string, uri: string): Promise<Marker> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<Marker>;
    if (parsed.uri === uri && parsed.objects && typeof parsed.objects === 'object')
      return { uri, objects: parsed.objects };
  } catch {
    // No marker yet, or an unreadable one: everything is downloaded again.
  }
  return { uri, objects: {} };
}

async function writeMarker(path: string, marker: Marker): Promise<void> {
  const temp = `${path}.${randomUUID()}.tmp`;
  await writeFile(temp, `${JSON.stringify(marker, null, 2)}\n`);
  await rename(temp, path);
}

async function sizeOnDisk(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

function describeS3Error(error: unknown, location: BundleLocation): string {
  const name = (error as { name?: string }).name ?? 'Error';
  if (name === 'NoSuchBucket') return `the bucket ${location.bucket} does not exist`;
  if (name === 'AccessDenied' || name === 'Forbidden')
    return `access to s3://${location.bucket}/${location.prefix} is denied (the task role needs s3:ListBucket and s3:GetObject)`;
  return `${name}: ${(error as Error).message}`;
}

/**
 * Mirrors every object under `uri` into `cacheDir` (see the module comment). Rejects with a
 * ReferenceBundleError naming the URI when the prefix is empty or cannot be read.
 */
export async function syncReferenceBundle(options: {
  s3: S3Client;
  uri: string;
  cacheDir: string;
  signal?: AbortSignal;
}): Promise<SyncResult> {
  const { s3, uri, signal } = options;
  const cacheDir = resolve(options.cacheDir);
  const location = parseBundleUri(uri);
  const listed: Array<{ key: string; relativeKey: string; etag: string; size: number }> = [];
  try {
    for await (const page of paginateListObjectsV2(
      { client: s3 },
      { Bucket: location.bucket, Prefix: location.prefix },
      { abortSignal: signal },
    )) {
      for (const object of page.Contents ?? []) {
        if (!object.Key || object.Key.endsWith('/')) continue; // folder placeholders hold no data
        listed.push({
          key: object.Key,
          relativeKey: object.Key.slice(location.prefix.length),
          etag: object.ETag ?? '',
          size: object.Size ?? 0,
        });
      }
    }
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ReferenceBundleError(
      `the reference bundle ${uri} cannot be listed: ${describeS3Error(error, location)}`,
      { cause: error },
    );
  }
  if (listed.length === 0)
    throw new ReferenceBundleError(
      `the reference bundle ${uri} holds no objects: upload the reference files under that prefix or fix REFERENCE_BUNDLE_URI`,
    );
  const targets = listed.map((object) => ({ ...object, path: cachePathOf(cacheDir, object.relativeKey) }));

  await mkdir(cacheDir, { recursive: true });
  const markerPath = join(cacheDir, CACHE_MARKER);
  const marker = await readMarker(markerPath, uri);
  const result: SyncResult = { downloaded: [], unchanged: [], bytesDownloaded: 0 };
  for (const object of targets) {
    const cached = marker.objects[object.relativeKey];
    if (
      cached &&
      cached.etag === object.etag &&
      cached.size === object.size &&
      (await sizeOnDisk(object.path)) === object.size
    ) {
      result.unchanged.push(object.relativeKey);
      continue;
    }
    await mkdir(dirname(object.path), { recursive: true });
    const temp = `${object.path}.${randomUUID()}.part`;
    try {
      const out = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: object.key }), {
        abortSignal: signal,
      });
      if (!out.Body) throw new Error('the object has no body');
      await pipeline(out.Body as Readable, createWriteStream(temp, { flags: 'wx' }), { signal });
      const written = await sizeOnDisk(temp);
      const expected = out.ContentLength ?? object.size;
      if (written !== expected)
        throw new Error(`received ${written} bytes of ${expected} (the download was cut short)`);
      await rename(temp, object.path);
      marker.objects[object.relativeKey] = { etag: out.ETag ?? object.etag, size: expected };
      await writeMarker(markerPath, marker);
      result.downloaded.push(object.relativeKey);
      result.bytesDownloaded += expected;
    } catch (error) {
      await rm(temp, { force: true });
      if (signal?.aborted) throw error;
      throw new ReferenceBundleError(
        `the reference file s3://${location.bucket}/${object.key} cannot be downloaded: ${describeS3Error(error, location)}`,
        { cause: error },
      );
    }
  }
  return result;
}
