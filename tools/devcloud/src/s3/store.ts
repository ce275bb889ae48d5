/**
 * S3's on-disk store. Layout under `<dataDir>/s3/`:
 *
 *   buckets/<bucket>/bucket.json              name, creation date, sub-resources (cors, notification, ...)
 *   buckets/<bucket>/objects/<sha256(key)>.data   the object's bytes
 *   buckets/<bucket>/objects/<sha256(key)>.json   its metadata (key, size, ETag, headers, storage class, restore)
 *   buckets/<bucket>/uploads/<uploadId>/upload.json + part-<n>.data   multipart uploads in progress
 *
 * File names are hashes so that any key (slashes, dots, unicode) is safe on disk. All metadata
 * is also held in memory (loaded at start) so listing is a sort, not a directory walk. Data is
 * written to a temp file and renamed before its metadata, so a crash never shows a torn object.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

export type StorageClass =
  | 'STANDARD'
  | 'GLACIER'
  | 'DEEP_ARCHIVE'
  | 'STANDARD_IA'
  | 'ONEZONE_IA'
  | 'INTELLIGENT_TIERING'
  | 'GLACIER_IR'
  | 'REDUCED_REDUNDANCY';
export const STORAGE_CLASSES: readonly StorageClass[] = [
  'STANDARD',
  'GLACIER',
  'DEEP_ARCHIVE',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER_IR',
  'REDUCED_REDUNDANCY',
];
/** Classes whose objects must be restored before GetObject. */
export const ARCHIVED_CLASSES: readonly StorageClass[] = ['GLACIER', 'DEEP_ARCHIVE'];

export interface RestoreState {
  /** True while the restore runs. */
  ongoing: boolean;
  /** Epoch ms when the running restore completes. */
  completesAt: number;
  /** Epoch ms when the restored copy expires (set when complete). */
  expiresAt: number | null;
  days: number;
}

export interface ObjectMeta {
  key: string;
  size: number;
  /** Quoted, as S3 sends it: `"<md5>"` or `"<md5>-<parts>"`. */
  etag: string;
  lastModified: number;
  /** Standard headers stored with the object (content-type, content-encoding, cache-control, ...). */
  headers: Record<string, string>;
  /** `x-amz-meta-*` without the prefix, lower-cased names. */
  userMetadata: Record<string, string>;
  storageClass: StorageClass;
  restore: RestoreState | null;
  /** Whole-object checksums the client sent (`crc32` -> base64 value), echoed on GetObject. */
  checksums: Record<string, string>;
  partsCount: number | null;
  /** Object tags (absent in metadata written before tags were kept). */
  tags?: Record<string, string>;
}

export interface BucketMeta {
  name: string;
  createdAt: number;
  region: string;
  /** Sub-resource configurations as the XML body received (`cors`, `notification`, `tagging`, ...). */
  subresources: Record<string, string>;
}

export interface UploadPart {
  partNumber: number;
  etag: string;
  size: number;
  lastModified: number;
}

export interface MultipartUpload {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: number;
  headers: Record<string, string>;
  userMetadata: Record<string, string>;
  storageClass: StorageClass;
  parts: Record<string, UploadPart>;
  tags?: Record<string, string>;
}

interface BucketState {
  meta: BucketMeta;
  objects: Map<string, ObjectMeta>;
  uploads: Map<string, MultipartUpload>;
}

/** Reads a metadata file; a corrupt one stops the start with a sentence naming it. */
function readJson<T>(path: string): T {
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(
      `devcloud S3 metadata file ${path} is not valid JSON (${(err as Error).message}); move it away (and its .data file) to drop that object.`,
    );
  }
}

const keyFile = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

async function writeAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

export class S3Store {
  readonly root: string;
  readonly #buckets = new Map<string, BucketState>();

  constructor(dataDir: string) {
    this.root = join(dataDir, 's3', 'buckets');
    this.#load();
  }

  #load(): void {
    if (!existsSync(this.root)) return;
    for (const name of readdirSync(this.root)) {
      const dir = join(this.root, name);
      const metaPath = join(dir, 'bucket.json');
      if (!existsSync(metaPath)) continue;
      const state: BucketState = {
        meta: readJson<BucketMeta>(metaPath),
        objects: new Map(),
        uploads: new Map(),
      };
      const objectsDir = join(dir, 'objects');
      if (existsSync(objectsDir)) {
        for (const file of readdirSync(objectsDir)) {
          if (!file.endsWith('.json')) continue;
          const meta = readJson<ObjectMeta>(join(objectsDir, file));
          state.objects.set(meta.key, meta);
        }
      }
      const uploadsDir = join(dir, 'uploads');
      if (existsSync(uploadsDir)) {
        for (const id of readdirSync(uploadsDir)) {
          const p = join(uploadsDir, id, 'upload.json');
          if (existsSync(p)) state.uploads.set(id, readJson<MultipartUpload>(p));
        }
      }
      this.#buckets.set(name, state);
    }
  }

  #bucketDir(bucket: string): string {
    return join(this.root, bucket);
  }

  #objectPaths(bucket: string, key: string): { data: string; meta: string } {
    const base = join(this.#bucketDir(bucket), 'objects', keyFile(key));
    return { data: `${base}.data`, meta: `${base}.json` };
  }

  listBuckets(): BucketMeta[] {
    return [...this.#buckets.values()].map((b) => b.meta).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  getBucket(name: string): BucketMeta | undefined {
    return this.#buckets.get(name)?.meta;
  }

  async createBucket(name: string, region: string): Promise<BucketMeta> {
    const meta: BucketMeta = { name, createdAt: Date.now(), region, subresources: {} };
    await mkdir(join(this.#bucketDir(name), 'objects'), { recursive: true });
    await writeAtomic(join(this.#bucketDir(name), 'bucket.json'), JSON.stringify(meta));
    this.#buckets.set(name, { meta, objects: new Map(), uploads: new Map() });
    return meta;
  }

  async saveBucket(meta: BucketMeta): Promise<void> {
    await writeAtomic(join(this.#bucketDir(meta.name), 'bucket.json'), JSON.stringify(meta));
  }

  isEmpty(name: string): boolean {
    return (this.#buckets.get(name)?.objects.size ?? 0) === 0;
  }

  async deleteBucket(name: string): Promise<void> {
    this.#buckets.delete(name);
    await rm(this.#bucketDir(name), { recursive: true, force: true });
  }

  getObject(bucket: string, key: string): ObjectMeta | undefined {
    return this.#buckets.get(bucket)?.objects.get(key);
  }

  /** Keys of a bucket in S3 order (UTF-8 binary order). */
  sortedKeys(bucket: string): string[] {
    const keys = [...(this.#buckets.get(bucket)?.objects.keys() ?? [])];
    return keys.sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  }

  allObjects(): Array<{ bucket: string; meta: ObjectMeta }> {
    const out: Array<{ bucket: string; meta: ObjectMeta }> = [];
    for (const [bucket, state] of this.#buckets)
      for (const meta of state.objects.values()) out.push({ bucket, meta });
    return out;
  }

  async putObject(bucket: string, meta: ObjectMeta, data: Buffer | null): Promise<void> {
    const state = this.#buckets.get(bucket);
    if (!state) throw new Error(`bucket ${bucket} vanished`);
    const paths = this.#objectPaths(bucket, meta.key);
    await mkdir(join(this.#bucketDir(bucket), 'objects'), { recursive: true });
    if (data !== null) await writeAtomic(paths.data, data);
    await writeAtomic(paths.meta, JSON.stringify(meta));
    state.objects.set(meta.key, meta);
  }

  /** Rewrites only the metadata (restore state, storage class change without new bytes). */
  async saveObjectMeta(bucket: string, meta: ObjectMeta): Promise<void> {
    await this.putObject(bucket, meta, null);
  }

  async readObject(bucket: string, key: string): Promise<Buffer> {
    return readFile(this.#objectPaths(bucket, key).data);
  }

  /** Byte range, both ends inclusive (HTTP Range semantics). */
  streamObject(bucket: string, key: string, range?: { start: number; end: number }): Readable {
    return createReadStream(
      this.#objectPaths(bucket, key).data,
      range ? { start: range.start, end: range.end } : {},
    );
  }

  async deleteObject(bucket: string, key: string): Promise<boolean> {
    const state = this.#buckets.get(bucket);
    if (!state?.objects.has(key)) return false;
    const paths = this.#objectPaths(bucket, key);
    await rm(paths.meta, { force: true });
    await rm(paths.data, { force: true });
    state.objects.delete(key);
    return true;
  }

  // ---- multipart uploads -------------------------------------------------------------

  #uploadDir(bucket: string, uploadId: string): string {
    return join(this.#bucketDir(bucket), 'uploads', uploadId);
  }

  getUpload(bucket: string, uploadId: string): MultipartUpload | undefined {
    return this.#buckets.get(bucket)?.uploads.get(uploadId);
  }

  listUploads(bucket: string): MultipartUpload[] {
    return [...(this.#buckets.get(bucket)?.uploads.values() ?? [])];
  }

  async createUpload(upload: MultipartUpload): Promise<void> {
    const dir = this.#uploadDir(upload.bucket, upload.uploadId);
    await mkdir(dir, { recursive: true });
    await writeAtomic(join(dir, 'upload.json'), JSON.stringify(upload));
    this.#buckets.get(upload.bucket)?.uploads.set(upload.uploadId, upload);
  }

  async putPart(upload: MultipartUpload, part: UploadPart, data: Buffer): Promise<void> {
    const dir = this.#uploadDir(upload.bucket, upload.uploadId);
    await writeAtomic(join(dir, `part-${part.partNumber}.data`), data);
    upload.parts[String(part.partNumber)] = part;
    await writeAtomic(join(dir, 'upload.json'), JSON.stringify(upload));
  }

  async readPart(upload: MultipartUpload, partNumber: number): Promise<Buffer> {
    return readFile(join(this.#uploadDir(upload.bucket, upload.uploadId), `part-${partNumber}.data`));
  }

  async removeUpload(upload: MultipartUpload): Promise<void> {
    this.#buckets.get(upload.bucket)?.uploads.delete(upload.uploadId);
    await rm(this.#uploadDir(upload.bucket, upload.uploadId), { recursive: true, force: true });
  }
}
