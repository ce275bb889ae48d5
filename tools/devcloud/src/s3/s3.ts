/**
 * The S3 REST API, path-style only (`<endpoint>/<bucket>/<key>`: clients set forcePathStyle, as
 * with LocalStack).
 *
 * Routing is by method, by whether the path names a bucket or an object, and by the
 * sub-resource in the query (`?uploads`, `?uploadId=`, `?restore`, `?cors`, `?notification`,
 * `?delete`, `?list-type=2`, ...). Other bucket sub-resources that GAS's provisioning sets
 * (public access block, ownership controls, tagging, versioning, lifecycle, encryption) are
 * stored as sent and returned as sent.
 *
 * Authorisation: the edge has verified SigV4 (header or presigned) when `accessKeyId` is set.
 * Unsigned requests reach S3 only as browser POST uploads (policy checked here), CORS
 * preflights, or anonymous requests, which are refused (buckets here are never public).
 *
 * Cold storage: objects in GLACIER/DEEP_ARCHIVE answer GetObject with 403 InvalidObjectState
 * until RestoreObject completes; the restore takes `restoreDelayMs` (persisted, so it also
 * completes after a restart), then emits `s3:ObjectRestore:Completed`; the restored copy
 * expires after the requested Days.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { s3Error } from '../edge/errors.ts';
import type { DevcloudContext, EdgeRequest, EdgeResponse, EmulatedService } from '../edge/types.ts';
import { type FaultInjector, s3OperationOf } from '../faults/faults.ts';
import { type Credentials, parseQuery, splitUrl, verifyPostPolicySignature } from '../sigv4/sigv4.ts';
import { actualRequestHeaders, type CorsRule, parseCorsConfiguration, preflight } from './cors.ts';
import {
  type NotificationTarget,
  parseNotificationConfiguration,
  s3EventMessage,
  TEST_EVENT_SUBJECT,
} from './notifications.ts';
import { checkPolicy, decodePolicy, FormError, parseMultipartForm } from './post-upload.ts';
import {
  ARCHIVED_CLASSES,
  type BucketMeta,
  type MultipartUpload,
  type ObjectMeta,
  S3Store,
  STORAGE_CLASSES,
  type StorageClass,
} from './store.ts';
import { asArray, el, MalformedXmlError, parseXml, text, xmlDoc } from './xml.ts';

export interface S3Options {
  credentials: Credentials[];
  /** Test-only fault injection (faults/faults.ts). */
  faults?: FaultInjector;
  /** How long a RestoreObject takes, in milliseconds. */
  restoreDelayMs: number;
}

const STORED_HEADERS = [
  'content-type',
  'content-encoding',
  'content-disposition',
  'content-language',
  'cache-control',
  'expires',
];
const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'];
/** Sub-resources kept verbatim: PUT stores the body, GET returns it, DELETE removes it. */
const OPAQUE_SUBRESOURCES: Record<string, string> = {
  publicAccessBlock: 'NoSuchPublicAccessBlockConfiguration',
  ownershipControls: 'OwnershipControlsNotFoundError',
  tagging: 'NoSuchTagSet',
  versioning: '',
  lifecycle: 'NoSuchLifecycleConfiguration',
  encryption: 'ServerSideEncryptionConfigurationNotFoundError',
  policy: 'NoSuchBucketPolicy',
};
/** Sub-resources devcloud does not emulate: answered 501 NotImplemented, never mistaken for a listing. */
const UNSUPPORTED_BUCKET_SUBRESOURCES = [
  'acl',
  'versions',
  'website',
  'logging',
  'replication',
  'object-lock',
  'accelerate',
  'requestPayment',
  'analytics',
  'inventory',
  'metrics',
  'intelligent-tiering',
  'policyStatus',
  'metadataTable',
];
const UNSUPPORTED_OBJECT_SUBRESOURCES = [
  'select',
  'legal-hold',
  'retention',
  'torrent',
  'attributes',
  'versionId',
];
const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;

const httpDate = (ms: number): string => new Date(ms).toUTCString();
const isoDate = (ms: number): string => new Date(ms).toISOString();
const md5 = (data: Buffer): Buffer => createHash('md5').update(data).digest();

function validBucketName(name: string): boolean {
  return (
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name)
  );
}

function decodeKey(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function pickHeaders(headers: Record<string, string | undefined>): {
  stored: Record<string, string>;
  user: Record<string, string>;
} {
  const stored: Record<string, string> = {};
  const user: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (STORED_HEADERS.includes(name)) stored[name] = value;
    else if (name.startsWith('x-amz-meta-')) user[name.slice('x-amz-meta-'.length)] = value;
  }
  if (!stored['content-type']) stored['content-type'] = 'binary/octet-stream';
  return { stored, user };
}

interface Target {
  bucket: string | null;
  key: string | null;
  query: Map<string, string>;
}

function parseTarget(url: string): Target {
  const { path, rawQuery } = splitUrl(url);
  const query = new Map(parseQuery(rawQuery));
  const trimmed = path.replace(/^\/+/, '');
  if (trimmed === '') return { bucket: null, key: null, query };
  const slash = trimmed.indexOf('/');
  if (slash === -1) return { bucket: decodeKey(trimmed), key: null, query };
  const key = decodeKey(trimmed.slice(slash + 1));
  return { bucket: decodeKey(trimmed.slice(0, slash)), key: key === '' ? null : key, query };
}

export class S3Service implements EmulatedService {
  readonly signingNames = ['s3'];
  readonly store: S3Store;
  readonly #ctx: DevcloudContext;
  readonly #opts: S3Options;
  readonly #restoreTimers = new Set<NodeJS.Timeout>();

  constructor(ctx: DevcloudContext, opts: S3Options) {
    this.#ctx = ctx;
    this.#opts = opts;
    this.store = new S3Store(ctx.dataDir);
    // Restores that were running when devcloud stopped complete now (or when due).
    for (const { bucket, meta } of this.store.allObjects()) {
      if (meta.restore?.ongoing)
        this.#scheduleRestore(bucket, meta.key, meta.restore.completesAt - Date.now());
    }
  }

  async close(): Promise<void> {
    for (const t of this.#restoreTimers) clearTimeout(t);
    this.#restoreTimers.clear();
  }

  async handle(req: EdgeRequest): Promise<EdgeResponse> {
    let res: EdgeResponse;
    try {
      res = this.#injectedFault(req) ?? (await this.#route(req));
    } catch (err) {
      if (err instanceof MalformedXmlError) res = s3Error(400, 'MalformedXML', err.message);
      else throw err;
    }
    // CORS headers on actual responses (the browser reads them on POST uploads and downloads).
    const origin = req.headers.origin;
    const bucket = parseTarget(req.url).bucket;
    if (origin && bucket && req.method !== 'OPTIONS') {
      const cors = actualRequestHeaders(this.#corsRules(bucket), origin, req.method);
      res = { ...res, headers: { ...cors, ...(res.headers ?? {}) } };
    }
    return res;
  }

  /** A test's fault rule for this request (faults/faults.ts): answered instead of doing it. */
  #injectedFault(req: EdgeRequest): EdgeResponse | undefined {
    if (!this.#opts.faults || req.method === 'OPTIONS') return undefined;
    const t = parseTarget(req.url);
    const operation = s3OperationOf(req.method, t.key, t.query, req.headers);
    const fault = this.#opts.faults.s3Error({ operation, bucket: t.bucket, key: t.key });
    if (!fault) return undefined;
    this.#ctx.log.warn({ operation, bucket: t.bucket, key: t.key, ...fault }, 's3: injected fault');
    return s3Error(
      fault.status,
      fault.code,
      'We encountered an internal error. Please try again. (devcloud: injected fault)',
    );
  }

  #corsRules(bucket: string): CorsRule[] | null {
    const xml = this.store.getBucket(bucket)?.subresources.cors;
    return xml ? parseCorsConfiguration(Buffer.from(xml)) : null;
  }

  async #route(req: EdgeRequest): Promise<EdgeResponse> {
    const t = parseTarget(req.url);
    const { method } = req;
    if (method === 'OPTIONS') {
      if (!t.bucket || !this.store.getBucket(t.bucket))
        return s3Error(404, 'NoSuchBucket', 'The specified bucket does not exist');
      return preflight(this.#corsRules(t.bucket), req.headers);
    }
    const isFormPost =
      method === 'POST' &&
      t.bucket !== null &&
      t.key === null &&
      (req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data');
    if (isFormPost && t.bucket) return this.#postUpload(req, t.bucket);
    if (req.accessKeyId === null) return s3Error(403, 'AccessDenied', 'Access Denied');

    if (t.bucket === null) {
      if (method === 'GET') return this.#listBuckets();
      return s3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    }
    if (method === 'PUT' && t.key === null && t.query.size === 0) return this.#createBucket(req, t.bucket);
    const bucket = this.store.getBucket(t.bucket);
    if (!bucket)
      return s3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: t.bucket });
    if (t.key === null) return this.#bucketOperation(req, bucket, t.query);
    return this.#objectOperation(req, bucket, t.key, t.query);
  }

  // ---- buckets ------------------------------------------------------------------------

  #listBuckets(): EdgeResponse {
    const buckets = this.store
      .listBuckets()
      .map(
        (b) =>
          `<Bucket>${el('Name', b.name)}${el('CreationDate', isoDate(b.createdAt))}${el('BucketRegion', b.region)}</Bucket>`,
      )
      .join('');
    const owner = `<Owner>${el('ID', this.#ctx.accountId)}${el('DisplayName', 'devcloud')}</Owner>`;
    return xmlResponse(200, xmlDoc('ListAllMyBucketsResult', `${owner}<Buckets>${buckets}</Buckets>`));
  }

  async #createBucket(req: EdgeRequest, name: string): Promise<EdgeResponse> {
    if (!validBucketName(name)) {
      return s3Error(
        400,
        'InvalidBucketName',
        'The specified bucket is not valid: 3-63 characters, lower-case letters, digits, dots and hyphens.',
        { BucketName: name },
      );
    }
    const doc = parseXml(req.body);
    const constraint = text(
      (doc.CreateBucketConfiguration as Record<string, unknown> | undefined)?.LocationConstraint,
    );
    const region = constraint ?? 'us-east-1';
    if (this.store.getBucket(name)) {
      // us-east-1 answers 200 for a bucket you already own; other regions 409.
      if (req.region === 'us-east-1') return { status: 200, headers: { location: `/${name}` } };
      return s3Error(
        409,
        'BucketAlreadyOwnedByYou',
        'Your previous request to create the named bucket succeeded and you already own it.',
        { BucketName: name },
      );
    }
    await this.store.createBucket(name, region);
    return { status: 200, headers: { location: `/${name}` } };
  }

  async #bucketOperation(
    req: EdgeRequest,
    bucket: BucketMeta,
    query: Map<string, string>,
  ): Promise<EdgeResponse> {
    const { method } = req;
    if (query.has('cors')) return this.#cors(req, bucket);
    if (query.has('notification')) return this.#notification(req, bucket);
    if (query.has('location') && method === 'GET') {
      const loc = bucket.region === 'us-east-1' ? '' : bucket.region;
      return xmlResponse(200, xmlDoc('LocationConstraint', loc));
    }
    if (query.has('delete') && method === 'POST') return this.#deleteObjects(req, bucket);
    if (query.has('uploads') && method === 'GET') return this.#listUploads(bucket);
    for (const [sub, missingCode] of Object.entries(OPAQUE_SUBRESOURCES)) {
      if (!query.has(sub)) continue;
      if (method === 'PUT') {
        parseXml(req.body);
        bucket.subresources[sub] = req.body.toString('utf8');
        await this.store.saveBucket(bucket);
        return { status: 200 };
      }
      if (method === 'DELETE') {
        delete bucket.subresources[sub];
        await this.store.saveBucket(bucket);
        return { status: 204 };
      }
      const stored = bucket.subresources[sub];
      if (stored !== undefined) return xmlResponse(200, stored);
      if (sub === 'versioning') return xmlResponse(200, xmlDoc('VersioningConfiguration', ''));
      return s3Error(404, missingCode, `The ${sub} configuration does not exist`, {
        BucketName: bucket.name,
      });
    }
    const unsupported = [...query.keys()].find((k) => UNSUPPORTED_BUCKET_SUBRESOURCES.includes(k));
    if (unsupported) {
      if (unsupported === 'acl' && method === 'GET') {
        return xmlResponse(
          200,
          xmlDoc(
            'AccessControlPolicy',
            `<Owner>${el('ID', this.#ctx.accountId)}</Owner><AccessControlList></AccessControlList>`,
          ),
        );
      }
      if (unsupported === 'acl') return aclNotSupported();
      return notImplemented(`?${unsupported} on buckets`);
    }
    switch (method) {
      case 'HEAD':
        return { status: 200, headers: { 'x-amz-bucket-region': bucket.region } };
      case 'DELETE':
        if (!this.store.isEmpty(bucket.name)) {
          return s3Error(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty', {
            BucketName: bucket.name,
          });
        }
        await this.store.deleteBucket(bucket.name);
        return { status: 204 };
      case 'GET':
        return this.#listObjects(bucket, query);
      default:
        return s3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    }
  }

  async #cors(req: EdgeRequest, bucket: BucketMeta): Promise<EdgeResponse> {
    if (req.method === 'PUT') {
      parseCorsConfiguration(req.body); // validates
      bucket.subresources.cors = req.body.toString('utf8');
      await this.store.saveBucket(bucket);
      return { status: 200 };
    }
    if (req.method === 'DELETE') {
      delete bucket.subresources.cors;
      await this.store.saveBucket(bucket);
      return { status: 204 };
    }
    const xml = bucket.subresources.cors;
    if (!xml)
      return s3Error(404, 'NoSuchCORSConfiguration', 'The CORS configuration does not exist', {
        BucketName: bucket.name,
      });
    return xmlResponse(200, xml);
  }

  async #notification(req: EdgeRequest, bucket: BucketMeta): Promise<EdgeResponse> {
    if (req.method === 'PUT') {
      const targets = parseNotificationConfiguration(req.body);
      // S3 validates each destination by sending it a test event.
      for (const topicArn of new Set(targets.map((t) => t.topicArn))) {
        try {
          await this.#ctx.publishToSns(
            topicArn,
            JSON.stringify({
              Service: 'Amazon S3',
              Event: 's3:TestEvent',
              Time: isoDate(Date.now()),
              Bucket: bucket.name,
              RequestId: randomUUID(),
              HostId: 'devcloud',
            }),
            TEST_EVENT_SUBJECT,
          );
        } catch (err) {
          return s3Error(
            400,
            'InvalidArgument',
            `Unable to validate the following destination configurations: ${topicArn} (${(err as Error).message})`,
            {
              ArgumentName: topicArn,
              ArgumentValue: 'Topic does not exist or cannot be published to',
            },
          );
        }
      }
      bucket.subresources.notification = req.body.toString('utf8');
      await this.store.saveBucket(bucket);
      return { status: 200 };
    }
    return xmlResponse(200, bucket.subresources.notification ?? xmlDoc('NotificationConfiguration', ''));
  }

  #notificationTargets(bucket: string): NotificationTarget[] {
    const xml = this.store.getBucket(bucket)?.subresources.notification;
    return xml ? parseNotificationConfiguration(Buffer.from(xml)) : [];
  }

  /** Sends an S3 event to every matching topic; delivery failures are logged, never fail the request. */
  async #emit(
    bucket: string,
    eventName: string,
    meta: ObjectMeta,
    req: { accessKeyId: string | null },
  ): Promise<void> {
    const targets = this.#notificationTargets(bucket).filter((t) => t.matches(eventName, meta.key));
    for (const target of targets) {
      const message = s3EventMessage({
        eventName,
        region: this.#ctx.region,
        bucket,
        configurationId: target.id,
        principalId: req.accessKeyId ?? 'anonymous',
        object: meta,
      });
      try {
        await this.#ctx.publishToSns(target.topicArn, message, 'Amazon S3 Notification');
      } catch (err) {
        this.#ctx.log.warn(
          { err, bucket, key: meta.key, topicArn: target.topicArn },
          's3: event notification could not be published',
        );
      }
    }
  }

  #listObjects(bucket: BucketMeta, query: Map<string, string>): EdgeResponse {
    const v2 = query.get('list-type') === '2';
    const prefix = query.get('prefix') ?? '';
    const delimiter = query.get('delimiter') ?? '';
    const maxKeysRaw = query.get('max-keys') ?? '1000';
    const maxKeys = Number(maxKeysRaw);
    if (!Number.isInteger(maxKeys) || maxKeys < 0)
      return s3Error(400, 'InvalidArgument', 'max-keys must be a non-negative integer', {
        ArgumentName: 'max-keys',
        ArgumentValue: maxKeysRaw,
      });
    const urlEncode = query.get('encoding-type') === 'url';
    const enc = (s: string): string => (urlEncode ? encodeURIComponent(s).replace(/%2F/g, '/') : s);
    let after = '';
    if (v2) {
      const token = query.get('continuation-token');
      if (token !== undefined) {
        const decoded = Buffer.from(token, 'base64url').toString('utf8');
        if (!decoded.startsWith('devcloud:'))
          return s3Error(400, 'InvalidArgument', 'The continuation token provided is incorrect', {
            ArgumentName: 'continuation-token',
          });
        after = decoded.slice('devcloud:'.length);
      } else after = query.get('start-after') ?? '';
    } else after = query.get('marker') ?? '';

    const contents: ObjectMeta[] = [];
    const prefixes: string[] = [];
    let truncated = false;
    let last = '';
    for (const key of this.store.sortedKeys(bucket.name)) {
      if (!key.startsWith(prefix)) continue;
      if (
        after !== '' &&
        (key <= after || (after.endsWith(delimiter) && delimiter !== '' && key.startsWith(after)))
      )
        continue;
      let commonPrefix: string | null = null;
      if (delimiter !== '') {
        const idx = key.indexOf(delimiter, prefix.length);
        if (idx !== -1) commonPrefix = key.slice(0, idx + delimiter.length);
      }
      if (commonPrefix !== null && prefixes[prefixes.length - 1] === commonPrefix) continue;
      if (contents.length + prefixes.length >= maxKeys) {
        truncated = true;
        break;
      }
      if (commonPrefix !== null) {
        prefixes.push(commonPrefix);
        last = commonPrefix;
      } else {
        const meta = this.store.getObject(bucket.name, key);
        if (meta) contents.push(meta);
        last = key;
      }
    }
    const items = contents
      .map(
        (m) =>
          `<Contents>${el('Key', enc(m.key))}${el('LastModified', isoDate(m.lastModified))}${el('ETag', m.etag)}${el('Size', m.size)}${el('StorageClass', m.storageClass)}${
            m.restore && !m.restore.ongoing && m.restore.expiresAt
              ? `<RestoreStatus><IsRestoreInProgress>false</IsRestoreInProgress>${el('RestoreExpiryDate', isoDate(m.restore.expiresAt))}</RestoreStatus>`
              : ''
          }</Contents>`,
      )
      .join('');
    const common = prefixes.map((p) => `<CommonPrefixes>${el('Prefix', enc(p))}</CommonPrefixes>`).join('');
    let inner = `${el('Name', bucket.name)}${el('Prefix', enc(prefix))}${delimiter ? el('Delimiter', enc(delimiter)) : ''}${el('MaxKeys', maxKeys)}${urlEncode ? el('EncodingType', 'url') : ''}${el('IsTruncated', truncated)}`;
    if (v2) {
      inner += el('KeyCount', contents.length + prefixes.length);
      if (query.has('continuation-token')) inner += el('ContinuationToken', query.get('continuation-token'));
      if (query.has('start-after')) inner += el('StartAfter', enc(query.get('start-after') ?? ''));
      if (truncated)
        inner += el('NextContinuationToken', Buffer.from(`devcloud:${last}`).toString('base64url'));
    } else {
      inner += el('Marker', enc(after));
      if (truncated && delimiter) inner += el('NextMarker', enc(last));
    }
    return xmlResponse(200, xmlDoc('ListBucketResult', inner + items + common));
  }

  async #deleteObjects(req: EdgeRequest, bucket: BucketMeta): Promise<EdgeResponse> {
    const contentMd5 = req.headers['content-md5'];
    const hasChecksum = CHECKSUM_ALGORITHMS.some((a) => req.headers[`x-amz-checksum-${a}`] !== undefined);
    if (!contentMd5 && !hasChecksum) {
      return s3Error(
        400,
        'InvalidRequest',
        'Missing required header for this request: Content-MD5 or x-amz-checksum-*',
      );
    }
    const bad = this.#checkIntegrity(req);
    if (bad) return bad;
    const doc = parseXml(req.body);
    const del = doc.Delete as Record<string, unknown> | undefined;
    if (!del)
      throw new MalformedXmlError('The XML you provided was not well-formed: expected a Delete element.');
    const quiet = text(del.Quiet) === 'true';
    const objects = asArray(del.Object as Record<string, unknown>[] | undefined);
    if (objects.length > 1000)
      return s3Error(400, 'MalformedXML', 'A DeleteObjects request may name at most 1000 keys.');
    let out = '';
    for (const o of objects) {
      const key = text(o.Key) ?? '';
      const meta = this.store.getObject(bucket.name, key);
      await this.store.deleteObject(bucket.name, key);
      if (meta) await this.#emit(bucket.name, 'ObjectRemoved:Delete', meta, req);
      if (!quiet) out += `<Deleted>${el('Key', key)}</Deleted>`;
    }
    return xmlResponse(200, xmlDoc('DeleteResult', out));
  }

  #listUploads(bucket: BucketMeta): EdgeResponse {
    const uploads = this.store
      .listUploads(bucket.name)
      .map(
        (u) =>
          `<Upload>${el('Key', u.key)}${el('UploadId', u.uploadId)}${el('Initiated', isoDate(u.initiated))}${el('StorageClass', u.storageClass)}</Upload>`,
      )
      .join('');
    return xmlResponse(
      200,
      xmlDoc(
        'ListMultipartUploadsResult',
        `${el('Bucket', bucket.name)}${el('IsTruncated', false)}${uploads}`,
      ),
    );
  }

  // ---- objects ------------------------------------------------------------------------

  async #objectOperation(
    req: EdgeRequest,
    bucket: BucketMeta,
    key: string,
    query: Map<string, string>,
  ): Promise<EdgeResponse> {
    const { method } = req;
    if (Buffer.byteLength(key, 'utf8') > 1024)
      return s3Error(400, 'KeyTooLongError', 'Your key is too long (over 1024 bytes).');
    if (query.has('uploads') && method === 'POST') return this.#createUpload(req, bucket, key);
    const uploadId = query.get('uploadId');
    if (uploadId !== undefined) {
      const upload = this.store.getUpload(bucket.name, uploadId);
      if (!upload || upload.key !== key) {
        return s3Error(
          404,
          'NoSuchUpload',
          'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
          { UploadId: uploadId },
        );
      }
      if (method === 'PUT') return this.#uploadPart(req, upload, query.get('partNumber'));
      if (method === 'POST') return this.#completeUpload(req, bucket, upload);
      if (method === 'DELETE') {
        await this.store.removeUpload(upload);
        return { status: 204 };
      }
      if (method === 'GET') return this.#listParts(upload);
    }
    if (query.has('restore') && method === 'POST') return this.#restore(req, bucket, key);
    if (query.has('acl')) {
      if (!this.store.getObject(bucket.name, key)) return noSuchKey(key);
      if (method === 'PUT') return aclNotSupported();
      return xmlResponse(
        200,
        xmlDoc(
          'AccessControlPolicy',
          `<Owner>${el('ID', this.#ctx.accountId)}</Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">${el('ID', this.#ctx.accountId)}</Grantee>${el('Permission', 'FULL_CONTROL')}</Grant></AccessControlList>`,
        ),
      );
    }
    if (query.has('tagging')) return this.#objectTagging(req, bucket, key);
    const unsupported = [...query.keys()].find((k) => UNSUPPORTED_OBJECT_SUBRESOURCES.includes(k));
    if (unsupported) return notImplemented(`?${unsupported} on objects`);
    switch (method) {
      case 'PUT':
        if (req.headers['x-amz-copy-source'] !== undefined) return this.#copyObject(req, bucket, key);
        return this.#putObject(req, bucket, key);
      case 'GET':
      case 'HEAD':
        return this.#getObject(req, bucket, key, query);
      case 'DELETE': {
        const meta = this.store.getObject(bucket.name, key);
        await this.store.deleteObject(bucket.name, key);
        if (meta) await this.#emit(bucket.name, 'ObjectRemoved:Delete', meta, req);
        return { status: 204 };
      }
      default:
        return s3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    }
  }

  async #objectTagging(req: EdgeRequest, bucket: BucketMeta, key: string): Promise<EdgeResponse> {
    const meta = this.store.getObject(bucket.name, key);
    if (!meta) return noSuchKey(key);
    if (req.method === 'PUT') {
      const doc = parseXml(req.body);
      const tagSet = ((doc.Tagging as Record<string, unknown> | undefined)?.TagSet ?? {}) as Record<
        string,
        unknown
      >;
      const tags: Record<string, string> = {};
      for (const tag of asArray(tagSet.Tag as Record<string, unknown>[] | undefined))
        tags[text(tag.Key) ?? ''] = text(tag.Value) ?? '';
      const valid = validTags(tags);
      if ('status' in valid) return valid as EdgeResponse;
      meta.tags = valid;
      await this.store.saveObjectMeta(bucket.name, meta);
      return { status: 200 };
    }
    if (req.method === 'DELETE') {
      meta.tags = {};
      await this.store.saveObjectMeta(bucket.name, meta);
      return { status: 204 };
    }
    const tags = Object.entries(meta.tags ?? {})
      .map(([k, v]) => `<Tag>${el('Key', k)}${el('Value', v)}</Tag>`)
      .join('');
    return xmlResponse(200, xmlDoc('Tagging', `<TagSet>${tags}</TagSet>`));
  }

  /** Content-MD5 and x-amz-checksum-crc32 are verified; other checksum algorithms are stored as sent. */
  #checkIntegrity(req: EdgeRequest): EdgeResponse | null {
    const contentMd5 = req.headers['content-md5'];
    if (contentMd5 !== undefined && md5(req.body).toString('base64') !== contentMd5) {
      return s3Error(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
    }
    const sentCrc = req.headers['x-amz-checksum-crc32'];
    if (sentCrc !== undefined) {
      const computed = Buffer.alloc(4);
      computed.writeUInt32BE(crc32(req.body) >>> 0);
      if (computed.toString('base64') !== sentCrc) {
        return s3Error(400, 'BadDigest', 'The CRC32 you specified did not match the calculated checksum.');
      }
    }
    return null;
  }

  #storageClassFrom(req: EdgeRequest): StorageClass | EdgeResponse {
    const sc = req.headers['x-amz-storage-class'] ?? 'STANDARD';
    if (!STORAGE_CLASSES.includes(sc as StorageClass))
      return s3Error(400, 'InvalidStorageClass', `The storage class you specified is not valid: ${sc}`);
    return sc as StorageClass;
  }

  async #putObject(req: EdgeRequest, bucket: BucketMeta, key: string): Promise<EdgeResponse> {
    const bad = this.#checkIntegrity(req) ?? refuseAclHeader(req);
    if (bad) return bad;
    const tags = tagsFromHeader(req.headers['x-amz-tagging']);
    if ('status' in tags) return tags as EdgeResponse;
    const storageClass = this.#storageClassFrom(req);
    if (typeof storageClass !== 'string') return storageClass;
    const existing = this.store.getObject(bucket.name, key);
    if (req.headers['if-none-match'] === '*' && existing) {
      return s3Error(
        412,
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
        { Condition: 'If-None-Match' },
      );
    }
    const ifMatch = req.headers['if-match'];
    if (ifMatch !== undefined && (!existing || existing.etag !== ifMatch)) {
      if (!existing) return noSuchKey(key);
      return s3Error(
        412,
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
        { Condition: 'If-Match' },
      );
    }
    const { stored, user } = pickHeaders(req.headers);
    const checksums: Record<string, string> = {};
    for (const a of CHECKSUM_ALGORITHMS) {
      const v = req.headers[`x-amz-checksum-${a}`];
      if (v !== undefined) checksums[a] = v;
    }
    const meta: ObjectMeta = {
      key,
      size: req.body.length,
      etag: `"${md5(req.body).toString('hex')}"`,
      lastModified: Date.now(),
      headers: stored,
      userMetadata: user,
      storageClass,
      restore: null,
      checksums,
      partsCount: null,
      tags: tags as Record<string, string>,
    };
    await this.store.putObject(bucket.name, meta, req.body);
    await this.#emit(bucket.name, 'ObjectCreated:Put', meta, req);
    const headers: Record<string, string> = { etag: meta.etag };
    for (const [a, v] of Object.entries(checksums)) headers[`x-amz-checksum-${a}`] = v;
    return { status: 200, headers };
  }

  #readableState(meta: ObjectMeta): 'readable' | 'archived' {
    if (!ARCHIVED_CLASSES.includes(meta.storageClass)) return 'readable';
    const r = meta.restore;
    if (r && !r.ongoing && r.expiresAt !== null && r.expiresAt > Date.now()) return 'readable';
    return 'archived';
  }

  #objectHeaders(meta: ObjectMeta): Record<string, string> {
    const h: Record<string, string> = {
      etag: meta.etag,
      'last-modified': httpDate(meta.lastModified),
      'accept-ranges': 'bytes',
      ...meta.headers,
    };
    for (const [k, v] of Object.entries(meta.userMetadata)) h[`x-amz-meta-${k}`] = v;
    const tagCount = Object.keys(meta.tags ?? {}).length;
    if (tagCount > 0) h['x-amz-tagging-count'] = String(tagCount);
    if (meta.storageClass !== 'STANDARD') h['x-amz-storage-class'] = meta.storageClass;
    const r = meta.restore;
    if (r) {
      if (r.ongoing) h['x-amz-restore'] = 'ongoing-request="true"';
      else if (r.expiresAt !== null && r.expiresAt > Date.now())
        h['x-amz-restore'] = `ongoing-request="false", expiry-date="${httpDate(r.expiresAt)}"`;
    }
    if (meta.partsCount !== null) h['x-amz-mp-parts-count'] = String(meta.partsCount);
    return h;
  }

  async #getObject(
    req: EdgeRequest,
    bucket: BucketMeta,
    key: string,
    query: Map<string, string>,
  ): Promise<EdgeResponse> {
    const meta = this.store.getObject(bucket.name, key);
    if (!meta)
      return req.method === 'HEAD'
        ? { status: 404, headers: { 'x-amz-error-code': 'NoSuchKey' } }
        : noSuchKey(key);
    const headers = this.#objectHeaders(meta);
    // Conditional requests.
    const ifMatch = req.headers['if-match'];
    const ifNoneMatch = req.headers['if-none-match'];
    if (
      ifMatch !== undefined &&
      ifMatch !== '*' &&
      !ifMatch
        .split(',')
        .map((s) => s.trim())
        .includes(meta.etag)
    ) {
      return s3Error(
        412,
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
        { Condition: 'If-Match' },
      );
    }
    if (
      ifNoneMatch !== undefined &&
      (ifNoneMatch === '*' ||
        ifNoneMatch
          .split(',')
          .map((s) => s.trim())
          .includes(meta.etag))
    ) {
      return { status: 304, headers: { etag: meta.etag, 'last-modified': headers['last-modified'] ?? '' } };
    }
    if (req.method === 'HEAD') {
      return { status: 200, headers: { ...headers, 'content-length': String(meta.size) } };
    }
    if (this.#readableState(meta) === 'archived') {
      return s3Error(403, 'InvalidObjectState', "The operation is not valid for the object's storage class", {
        StorageClass: meta.storageClass,
      });
    }
    // Response header overrides (presigned download links use these).
    for (const name of [
      'content-type',
      'content-language',
      'expires',
      'cache-control',
      'content-disposition',
      'content-encoding',
    ]) {
      const v = query.get(`response-${name}`);
      if (v !== undefined) headers[name] = v;
    }
    const range = req.headers.range;
    if (range !== undefined) {
      const parsed = parseRange(range, meta.size);
      if (parsed === 'invalid') {
        return s3Error(416, 'InvalidRange', 'The requested range is not satisfiable', {
          RangeRequested: range,
          ActualObjectSize: String(meta.size),
        });
      }
      if (parsed !== null) {
        return {
          status: 206,
          headers: {
            ...headers,
            'content-length': String(parsed.end - parsed.start + 1),
            'content-range': `bytes ${parsed.start}-${parsed.end}/${meta.size}`,
          },
          body: meta.size === 0 ? Buffer.alloc(0) : this.store.streamObject(bucket.name, key, parsed),
        };
      }
    }
    if (req.headers['x-amz-checksum-mode'] === 'ENABLED') {
      for (const [a, v] of Object.entries(meta.checksums)) headers[`x-amz-checksum-${a}`] = v;
      if (Object.keys(meta.checksums).length > 0) headers['x-amz-checksum-type'] = 'FULL_OBJECT';
    }
    headers['content-length'] = String(meta.size);
    return {
      status: 200,
      headers,
      body: meta.size === 0 ? Buffer.alloc(0) : this.store.streamObject(bucket.name, key),
    };
  }

  #copySource(req: EdgeRequest): { bucket: string; key: string } | EdgeResponse {
    const raw = req.headers['x-amz-copy-source'] ?? '';
    const noVersion = raw.split('?')[0] ?? '';
    const decoded = decodeKey(noVersion).replace(/^\//, '');
    const slash = decoded.indexOf('/');
    if (slash <= 0 || slash === decoded.length - 1) {
      return s3Error(
        400,
        'InvalidArgument',
        'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
        { ArgumentName: 'x-amz-copy-source', ArgumentValue: raw },
      );
    }
    return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1) };
  }

  async #copyObject(req: EdgeRequest, bucket: BucketMeta, key: string): Promise<EdgeResponse> {
    const src = this.#copySource(req);
    if (!('bucket' in src)) return src;
    if (!this.store.getBucket(src.bucket))
      return s3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: src.bucket });
    const source = this.store.getObject(src.bucket, src.key);
    if (!source) return noSuchKey(src.key);
    if (this.#readableState(source) === 'archived') {
      return s3Error(
        403,
        'InvalidObjectState',
        "Operation is not valid for the source object's storage class",
        { StorageClass: source.storageClass },
      );
    }
    const storageClass = this.#storageClassFrom(req);
    if (typeof storageClass !== 'string') return storageClass;
    const replace = req.headers['x-amz-metadata-directive'] === 'REPLACE';
    const sameObject = src.bucket === bucket.name && src.key === key;
    const classGiven = req.headers['x-amz-storage-class'] !== undefined;
    if (sameObject && !replace && (!classGiven || storageClass === source.storageClass) && !source.restore) {
      return s3Error(
        400,
        'InvalidRequest',
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      );
    }
    const ifMatch = req.headers['x-amz-copy-source-if-match'];
    if (ifMatch !== undefined && ifMatch !== source.etag) {
      return s3Error(
        412,
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
        { Condition: 'x-amz-copy-source-If-Match' },
      );
    }
    const aclRefusal = refuseAclHeader(req);
    if (aclRefusal) return aclRefusal;
    const replaceTags = req.headers['x-amz-tagging-directive'] === 'REPLACE';
    const newTags = replaceTags ? tagsFromHeader(req.headers['x-amz-tagging']) : { ...(source.tags ?? {}) };
    if ('status' in newTags) return newTags as EdgeResponse;
    const data = await this.store.readObject(src.bucket, src.key);
    const picked = replace
      ? pickHeaders(req.headers)
      : { stored: { ...source.headers }, user: { ...source.userMetadata } };
    const meta: ObjectMeta = {
      key,
      size: data.length,
      etag: source.partsCount !== null && sameObject ? source.etag : `"${md5(data).toString('hex')}"`,
      lastModified: Date.now(),
      headers: picked.stored,
      userMetadata: picked.user,
      storageClass,
      restore: null,
      checksums: { ...source.checksums },
      partsCount: sameObject ? source.partsCount : null,
      tags: newTags as Record<string, string>,
    };
    await this.store.putObject(bucket.name, meta, data);
    await this.#emit(bucket.name, 'ObjectCreated:Copy', meta, req);
    return xmlResponse(
      200,
      xmlDoc('CopyObjectResult', `${el('ETag', meta.etag)}${el('LastModified', isoDate(meta.lastModified))}`),
    );
  }

  // ---- restore (cold storage) -----------------------------------------------------------

  async #restore(req: EdgeRequest, bucket: BucketMeta, key: string): Promise<EdgeResponse> {
    const meta = this.store.getObject(bucket.name, key);
    if (!meta) return noSuchKey(key);
    if (!ARCHIVED_CLASSES.includes(meta.storageClass)) {
      return s3Error(
        403,
        'InvalidObjectState',
        "Restore is not allowed for the object's current storage class",
        { StorageClass: meta.storageClass },
      );
    }
    const doc = parseXml(req.body);
    const request = (doc.RestoreRequest ?? {}) as Record<string, unknown>;
    const daysText = text(request.Days);
    const days = daysText === undefined ? 1 : Number(daysText);
    if (!Number.isInteger(days) || days < 1) {
      return s3Error(400, 'InvalidArgument', 'Days must be a positive whole number of days.', {
        ArgumentName: 'Days',
        ArgumentValue: daysText ?? '',
      });
    }
    const tier =
      text((request.GlacierJobParameters as Record<string, unknown> | undefined)?.Tier) ?? 'Standard';
    if (!['Standard', 'Bulk', 'Expedited'].includes(tier)) {
      return s3Error(400, 'MalformedXML', `Tier must be Standard, Bulk or Expedited, not ${tier}.`);
    }
    if (meta.restore?.ongoing) {
      return s3Error(409, 'RestoreAlreadyInProgress', 'Object restore is already in progress');
    }
    if (meta.restore && meta.restore.expiresAt !== null && meta.restore.expiresAt > Date.now()) {
      // Already restored: S3 extends the expiry and answers 200.
      meta.restore.expiresAt = Date.now() + days * 86_400_000;
      meta.restore.days = days;
      await this.store.saveObjectMeta(bucket.name, meta);
      return { status: 200 };
    }
    meta.restore = {
      ongoing: true,
      completesAt: Date.now() + this.#opts.restoreDelayMs,
      expiresAt: null,
      days,
    };
    await this.store.saveObjectMeta(bucket.name, meta);
    await this.#emit(bucket.name, 'ObjectRestore:Post', meta, req);
    this.#scheduleRestore(bucket.name, key, this.#opts.restoreDelayMs);
    return { status: 202 };
  }

  #scheduleRestore(bucket: string, key: string, delayMs: number): void {
    const timer = setTimeout(
      () => {
        this.#restoreTimers.delete(timer);
        this.#completeRestore(bucket, key).catch((err: unknown) =>
          this.#ctx.log.error({ err, bucket, key }, 's3: restore completion failed'),
        );
      },
      Math.max(0, delayMs),
    );
    this.#restoreTimers.add(timer);
  }

  async #completeRestore(bucket: string, key: string): Promise<void> {
    const meta = this.store.getObject(bucket, key);
    if (!meta?.restore?.ongoing) return;
    meta.restore = {
      ...meta.restore,
      ongoing: false,
      expiresAt: Date.now() + meta.restore.days * 86_400_000,
    };
    await this.store.saveObjectMeta(bucket, meta);
    this.#ctx.log.info({ bucket, key }, 's3: restore completed');
    await this.#emit(bucket, 'ObjectRestore:Completed', meta, { accessKeyId: 'AmazonCustomer:devcloud' });
  }

  // ---- multipart upload -----------------------------------------------------------------

  async #createUpload(req: EdgeRequest, bucket: BucketMeta, key: string): Promise<EdgeResponse> {
    const storageClass = this.#storageClassFrom(req);
    if (typeof storageClass !== 'string') return storageClass;
    const aclRefusal = refuseAclHeader(req);
    if (aclRefusal) return aclRefusal;
    const tags = tagsFromHeader(req.headers['x-amz-tagging']);
    if ('status' in tags) return tags as EdgeResponse;
    const { stored, user } = pickHeaders(req.headers);
    const upload: MultipartUpload = {
      tags: tags as Record<string, string>,
      uploadId: randomBytes(24).toString('base64url'),
      bucket: bucket.name,
      key,
      initiated: Date.now(),
      headers: stored,
      userMetadata: user,
      storageClass,
      parts: {},
    };
    await this.store.createUpload(upload);
    return xmlResponse(
      200,
      xmlDoc(
        'InitiateMultipartUploadResult',
        `${el('Bucket', bucket.name)}${el('Key', key)}${el('UploadId', upload.uploadId)}`,
      ),
    );
  }

  async #uploadPart(
    req: EdgeRequest,
    upload: MultipartUpload,
    partNumberRaw: string | undefined,
  ): Promise<EdgeResponse> {
    const partNumber = Number(partNumberRaw);
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PARTS) {
      return s3Error(
        400,
        'InvalidArgument',
        'Part number must be an integer between 1 and 10000, inclusive',
        { ArgumentName: 'partNumber', ArgumentValue: partNumberRaw ?? '' },
      );
    }
    let data = req.body;
    if (req.headers['x-amz-copy-source'] !== undefined) {
      const src = this.#copySource(req);
      if (!('bucket' in src)) return src;
      const source = this.store.getObject(src.bucket, src.key);
      if (!source) return noSuchKey(src.key);
      data = await this.store.readObject(src.bucket, src.key);
      const range = req.headers['x-amz-copy-source-range'];
      if (range) {
        const r = parseRange(range, data.length);
        if (r === 'invalid' || r === null)
          return s3Error(
            400,
            'InvalidArgument',
            'The x-amz-copy-source-range value must be of the form bytes=first-last',
            { ArgumentName: 'x-amz-copy-source-range' },
          );
        data = data.subarray(r.start, r.end + 1);
      }
    } else {
      const bad = this.#checkIntegrity(req);
      if (bad) return bad;
    }
    const etag = `"${md5(data).toString('hex')}"`;
    await this.store.putPart(upload, { partNumber, etag, size: data.length, lastModified: Date.now() }, data);
    if (req.headers['x-amz-copy-source'] !== undefined) {
      return xmlResponse(
        200,
        xmlDoc('CopyPartResult', `${el('ETag', etag)}${el('LastModified', isoDate(Date.now()))}`),
      );
    }
    const headers: Record<string, string> = { etag };
    for (const a of CHECKSUM_ALGORITHMS) {
      const v = req.headers[`x-amz-checksum-${a}`];
      if (v !== undefined) headers[`x-amz-checksum-${a}`] = v;
    }
    return { status: 200, headers };
  }

  #listParts(upload: MultipartUpload): EdgeResponse {
    const parts = Object.values(upload.parts)
      .sort((a, b) => a.partNumber - b.partNumber)
      .map(
        (p) =>
          `<Part>${el('PartNumber', p.partNumber)}${el('LastModified', isoDate(p.lastModified))}${el('ETag', p.etag)}${el('Size', p.size)}</Part>`,
      )
      .join('');
    return xmlResponse(
      200,
      xmlDoc(
        'ListPartsResult',
        `${el('Bucket', upload.bucket)}${el('Key', upload.key)}${el('UploadId', upload.uploadId)}${el('StorageClass', upload.storageClass)}${el('IsTruncated', false)}${parts}`,
      ),
    );
  }

  async #completeUpload(
    req: EdgeRequest,
    bucket: BucketMeta,
    upload: MultipartUpload,
  ): Promise<EdgeResponse> {
    const doc = parseXml(req.body);
    const complete = doc.CompleteMultipartUpload as Record<string, unknown> | undefined;
    const requested = asArray((complete?.Part ?? []) as Record<string, unknown>[]).map((p) => ({
      partNumber: Number(text(p.PartNumber)),
      etag: text(p.ETag) ?? '',
    }));
    if (requested.length === 0) {
      return s3Error(
        400,
        'MalformedXML',
        'The XML you provided was not well-formed or did not validate against our published schema: CompleteMultipartUpload needs at least one Part.',
      );
    }
    const buffers: Buffer[] = [];
    const md5s: Buffer[] = [];
    let previous = 0;
    for (const [i, p] of requested.entries()) {
      if (p.partNumber <= previous)
        return s3Error(
          400,
          'InvalidPartOrder',
          'The list of parts was not in ascending order. Parts must be ordered by part number.',
        );
      previous = p.partNumber;
      const stored = upload.parts[String(p.partNumber)];
      const normalise = (e: string): string => e.replace(/^"|"$/g, '');
      if (!stored || normalise(stored.etag) !== normalise(p.etag)) {
        return s3Error(
          400,
          'InvalidPart',
          "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not have matched the part's entity tag.",
          {
            PartNumber: String(p.partNumber),
            ETag: p.etag,
          },
        );
      }
      if (i < requested.length - 1 && stored.size < MIN_PART_SIZE) {
        return s3Error(
          400,
          'EntityTooSmall',
          'Your proposed upload is smaller than the minimum allowed object size (5 MiB for every part but the last).',
          {
            ProposedSize: String(stored.size),
            MinSizeAllowed: String(MIN_PART_SIZE),
            PartNumber: String(p.partNumber),
          },
        );
      }
      const data = await this.store.readPart(upload, p.partNumber);
      buffers.push(data);
      md5s.push(Buffer.from(normalise(stored.etag), 'hex'));
    }
    const data = Buffer.concat(buffers);
    const meta: ObjectMeta = {
      key: upload.key,
      size: data.length,
      etag: `"${md5(Buffer.concat(md5s)).toString('hex')}-${requested.length}"`,
      lastModified: Date.now(),
      headers: upload.headers,
      userMetadata: upload.userMetadata,
      storageClass: upload.storageClass,
      restore: null,
      checksums: {},
      partsCount: requested.length,
      tags: upload.tags ?? {},
    };
    await this.store.putObject(bucket.name, meta, data);
    await this.store.removeUpload(upload);
    await this.#emit(bucket.name, 'ObjectCreated:CompleteMultipartUpload', meta, req);
    const location = `${this.#ctx.edgeUrl}/${bucket.name}/${encodeURIComponent(upload.key).replace(/%2F/g, '/')}`;
    return xmlResponse(
      200,
      xmlDoc(
        'CompleteMultipartUploadResult',
        `${el('Location', location)}${el('Bucket', bucket.name)}${el('Key', upload.key)}${el('ETag', meta.etag)}`,
      ),
    );
  }

  // ---- browser POST upload --------------------------------------------------------------

  async #postUpload(req: EdgeRequest, bucketName: string): Promise<EdgeResponse> {
    const bucket = this.store.getBucket(bucketName);
    if (!bucket)
      return s3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucketName });
    let form: ReturnType<typeof parseMultipartForm>;
    try {
      form = parseMultipartForm(req.headers['content-type'] ?? '', req.body);
    } catch (err) {
      if (err instanceof FormError)
        return s3Error(
          400,
          'MalformedPOSTRequest',
          `The body of your POST request is not well-formed multipart/form-data: ${err.message}`,
        );
      throw err;
    }
    const f = form.fields;
    if (!form.file)
      return s3Error(400, 'InvalidArgument', 'POST requires exactly one file upload per request.', {
        ArgumentName: 'file',
        ArgumentValue: '0',
      });
    const keyTemplate = f.get('key');
    if (keyTemplate === undefined || keyTemplate === '') {
      return s3Error(
        400,
        'InvalidArgument',
        "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
        { ArgumentName: 'key', ArgumentValue: '' },
      );
    }
    const policyB64 = f.get('policy');
    if (policyB64 === undefined)
      return s3Error(
        403,
        'AccessDenied',
        'Access Denied (an anonymous POST needs a signed policy; buckets here are never public-write).',
      );
    const signature = verifyPostPolicySignature(
      {
        policy: policyB64,
        algorithm: f.get('x-amz-algorithm') ?? '',
        credential: f.get('x-amz-credential') ?? '',
        date: f.get('x-amz-date') ?? '',
        signature: f.get('x-amz-signature') ?? '',
      },
      this.#opts.credentials,
    );
    if (!signature.ok) return s3Error(403, signature.code, signature.message);
    const policy = decodePolicy(policyB64);
    if ('status' in policy) return policy;
    // biome-ignore lint/suspicious/noTemplateCurlyInString: S3's literal ${filename} key placeholder
    const key = keyTemplate.replace('${filename}', form.file.filename);
    const values = new Map(f);
    values.set('bucket', bucketName);
    values.set('key', key);
    const violation = checkPolicy(policy, values, form.file.data.length);
    if (violation) return violation;

    const storageClass = (f.get('x-amz-storage-class') ?? 'STANDARD') as StorageClass;
    if (!STORAGE_CLASSES.includes(storageClass))
      return s3Error(
        400,
        'InvalidStorageClass',
        `The storage class you specified is not valid: ${storageClass}`,
      );
    const headers: Record<string, string> = {};
    const userMetadata: Record<string, string> = {};
    for (const [name, value] of f) {
      if (STORED_HEADERS.includes(name)) headers[name] = value;
      else if (name.startsWith('x-amz-meta-')) userMetadata[name.slice('x-amz-meta-'.length)] = value;
    }
    headers['content-type'] ??= form.file.contentType ?? 'binary/octet-stream';
    const meta: ObjectMeta = {
      key,
      size: form.file.data.length,
      etag: `"${md5(form.file.data).toString('hex')}"`,
      lastModified: Date.now(),
      headers,
      userMetadata,
      storageClass,
      restore: null,
      checksums: {},
      partsCount: null,
    };
    await this.store.putObject(bucketName, meta, form.file.data);
    await this.#emit(bucketName, 'ObjectCreated:Post', meta, { accessKeyId: signature.accessKeyId });

    const location = `${this.#ctx.edgeUrl}/${bucketName}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
    const redirect = f.get('success_action_redirect') ?? f.get('redirect');
    if (redirect) {
      let target: URL | null = null;
      try {
        target = new URL(redirect);
      } catch {
        target = null;
      }
      if (target) {
        target.searchParams.set('bucket', bucketName);
        target.searchParams.set('key', key);
        target.searchParams.set('etag', meta.etag);
        return { status: 303, headers: { location: target.toString(), etag: meta.etag } };
      }
    }
    const status = f.get('success_action_status');
    if (status === '201') {
      return xmlResponse(
        201,
        xmlDoc(
          'PostResponse',
          `${el('Location', location)}${el('Bucket', bucketName)}${el('Key', key)}${el('ETag', meta.etag)}`,
        ),
        { etag: meta.etag, location },
      );
    }
    return { status: status === '200' ? 200 : 204, headers: { etag: meta.etag, location } };
  }
}

function xmlResponse(status: number, body: string, headers: Record<string, string> = {}): EdgeResponse {
  return { status, headers: { 'content-type': 'application/xml', ...headers }, body };
}

function notImplemented(what: string): EdgeResponse {
  return s3Error(501, 'NotImplemented', `devcloud S3 does not implement ${what}.`);
}

/** A canned ACL header other than bucket-owner-full-control is refused, as on BucketOwnerEnforced buckets. */
function refuseAclHeader(req: EdgeRequest): EdgeResponse | null {
  const acl = req.headers['x-amz-acl'];
  const grants = Object.keys(req.headers).some((h) => h.startsWith('x-amz-grant-'));
  if (!grants && (acl === undefined || acl === 'bucket-owner-full-control')) return null;
  return aclNotSupported();
}

/** Buckets here have ObjectOwnership BucketOwnerEnforced (the S3 default): ACLs are refused. */
function aclNotSupported(): EdgeResponse {
  return s3Error(400, 'AccessControlListNotSupported', 'The bucket does not allow ACLs');
}

/** `x-amz-tagging: a=1&b=2` -> tags, or an error response. */
function tagsFromHeader(header: string | undefined): Record<string, string> | EdgeResponse {
  const tags: Record<string, string> = {};
  if (header === undefined || header === '') return tags;
  for (const [k, v] of new URLSearchParams(header)) tags[k] = v;
  return validTags(tags);
}

function validTags(tags: Record<string, string>): Record<string, string> | EdgeResponse {
  const entries = Object.entries(tags);
  if (entries.length > 10) return s3Error(400, 'BadRequest', 'Object tags cannot be greater than 10');
  for (const [k, v] of entries) {
    if (k.length === 0 || k.length > 128 || v.length > 256)
      return s3Error(
        400,
        'InvalidTag',
        `The tag ${JSON.stringify(k)} has an invalid key or value length (key 1-128, value 0-256 characters).`,
      );
  }
  return tags;
}

function noSuchKey(key: string): EdgeResponse {
  return s3Error(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key });
}

/** HTTP Range on an object of `size` bytes -> inclusive byte range, null (ignore) or 'invalid' (416). */
function parseRange(header: string, size: number): { start: number; end: number } | null | 'invalid' {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null;
  const [, a, b] = m;
  if (a === '' && b === '') return null;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0) return 'invalid';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(a);
  if (start >= size) return 'invalid';
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (end < start) return null;
  return { start, end };
}

export function createS3Service(ctx: DevcloudContext, opts: S3Options): S3Service {
  return new S3Service(ctx, opts);
}
