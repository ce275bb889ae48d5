/**
 * AWS Signature Version 4, the server side: parse what a client sent (Authorization header,
 * presigned query string, or an S3 browser POST policy), rebuild the canonical request the
 * way the AWS SDK v3 signer builds it, and compare signatures in constant time.
 *
 * Canonicalisation rules that matter here:
 * - canonical URI: S3 signs the path exactly as sent (already percent-encoded once by the
 *   client); every other service signs the path encoded a second time, segment by segment.
 * - canonical query: every parameter decoded then re-encoded with RFC 3986 (`!'()*` too),
 *   sorted by name then value; presigned requests leave `X-Amz-Signature` out.
 * - canonical headers: the names listed in SignedHeaders, lower-cased, values trimmed with
 *   inner runs of whitespace folded to one space.
 * - payload hash: `x-amz-content-sha256` when sent (S3 always sends it: a hex SHA-256,
 *   `UNSIGNED-PAYLOAD` or one of the `STREAMING-*` markers), `UNSIGNED-PAYLOAD` for a
 *   presigned S3 URL, otherwise the SHA-256 of the body.
 *
 * A failure is returned as a neutral code (the S3 code names); the edge turns it into the
 * error shape of the API that was called.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export type SigV4FailureCode =
  | 'InvalidAccessKeyId'
  | 'SignatureDoesNotMatch'
  | 'AccessDenied'
  | 'AuthorizationHeaderMalformed'
  | 'AuthorizationQueryParametersError'
  | 'RequestTimeTooSkewed'
  | 'XAmzContentSHA256Mismatch'
  | 'MissingSecurityHeader';

export interface SigV4Failure {
  ok: false;
  code: SigV4FailureCode;
  message: string;
  /** Service name of the credential scope when it could be read, to choose the error shape. */
  service: string | null;
}

export interface SigV4Success {
  ok: true;
  accessKeyId: string;
  service: string;
  region: string;
  /** `yyyymmdd/region/service/aws4_request` */
  scope: string;
  amzDate: string;
  signature: string;
  signingKey: Buffer;
  /** The payload hash that was signed (hex or a marker such as `STREAMING-UNSIGNED-PAYLOAD-TRAILER`). */
  payloadHash: string;
  presigned: boolean;
}

export type SigV4Result = SigV4Success | SigV4Failure;

export interface SignedRequest {
  method: string;
  /** Raw path and query string as received. */
  url: string;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  body: Buffer;
}

/** How far a header-signed request's X-Amz-Date may be from the server clock (AWS: 15 minutes). */
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
/** Longest validity AWS accepts for a presigned URL: 7 days. */
const MAX_PRESIGN_EXPIRES_S = 604_800;

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

export function deriveSigningKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = hmac(`AWS4${secret}`, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, service);
  return hmac(kService, 'aws4_request');
}

/** RFC 3986 percent-encoding as SigV4 wants it (encodeURIComponent plus `!'()*`). */
export function uriEscape(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Splits a raw query string into decoded [name, value] pairs, in order. */
export function parseQuery(rawQuery: string): Array<[string, string]> {
  if (rawQuery === '') return [];
  return rawQuery
    .split('&')
    .filter((p) => p !== '')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq === -1
        ? [safeDecode(pair), '']
        : [safeDecode(pair.slice(0, eq)), safeDecode(pair.slice(eq + 1))];
    });
}

export function splitUrl(url: string): { path: string; rawQuery: string } {
  const q = url.indexOf('?');
  return q === -1 ? { path: url, rawQuery: '' } : { path: url.slice(0, q), rawQuery: url.slice(q + 1) };
}

function canonicalUri(path: string, service: string): string {
  if (service === 's3') return path === '' ? '/' : path;
  // Other services: normalise dot segments, then encode each segment once more.
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  const normalised = out.join('/') || '/';
  return normalised
    .split('/')
    .map((seg) => uriEscape(seg))
    .join('/');
}

function canonicalQuery(pairs: Array<[string, string]>): string {
  return pairs
    .map(([k, v]) => [uriEscape(k), uriEscape(v)] as const)
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) : a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function canonicalHeaderValue(value: string | undefined): string {
  return (value ?? '').trim().replace(/\s+/g, ' ');
}

export function buildCanonicalRequest(args: {
  method: string;
  path: string;
  queryPairs: Array<[string, string]>;
  headers: Record<string, string | undefined>;
  signedHeaders: string[];
  payloadHash: string;
  service: string;
}): string {
  const headerLines = args.signedHeaders
    .map((h) => `${h}:${canonicalHeaderValue(args.headers[h])}\n`)
    .join('');
  return [
    args.method,
    canonicalUri(args.path, args.service),
    canonicalQuery(args.queryPairs),
    headerLines,
    args.signedHeaders.join(';'),
    args.payloadHash,
  ].join('\n');
}

export function stringToSign(amzDate: string, scope: string, canonicalRequest: string): string {
  return ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
}

function sameHex(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  scope: string;
}

function parseCredential(value: string): CredentialScope | null {
  const parts = value.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request') return null;
  const [accessKeyId, date, region, service] = parts as [string, string, string, string];
  if (!/^\d{8}$/.test(date)) return null;
  return { accessKeyId, date, region, service, scope: parts.slice(1).join('/') };
}

/** `20130524T000000Z` -> epoch ms, or NaN. */
export function parseAmzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return Number.NaN;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

/** Service name from a request's Authorization header or X-Amz-Credential query, without verifying. */
export function peekSigningScope(req: SignedRequest): { service: string; region: string } | null {
  const auth = req.headers.authorization;
  let credential: string | undefined;
  if (auth?.startsWith('AWS4-HMAC-SHA256')) {
    credential = /Credential=([^,\s]+)/.exec(auth)?.[1];
  } else {
    const { rawQuery } = splitUrl(req.url);
    credential = parseQuery(rawQuery).find(([k]) => k === 'X-Amz-Credential')?.[1];
  }
  if (!credential) return null;
  const scope = parseCredential(credential);
  return scope ? { service: scope.service, region: scope.region } : null;
}

export function isSigned(req: SignedRequest): boolean {
  if (req.headers.authorization !== undefined) return true;
  const { rawQuery } = splitUrl(req.url);
  return parseQuery(rawQuery).some(([k]) => k === 'X-Amz-Signature' || k === 'X-Amz-Credential');
}

/**
 * Verifies a header-signed or presigned request against the known credentials.
 * `now` is injectable for tests.
 */
export function verifyRequest(req: SignedRequest, credentials: Credentials[], now = Date.now()): SigV4Result {
  const auth = req.headers.authorization;
  if (auth !== undefined) return verifyHeaderAuth(req, auth, credentials, now);
  return verifyPresigned(req, credentials, now);
}

function findSecret(credentials: Credentials[], accessKeyId: string): string | null {
  return credentials.find((c) => c.accessKeyId === accessKeyId)?.secretAccessKey ?? null;
}

const fail = (code: SigV4FailureCode, message: string, service: string | null): SigV4Failure => ({
  ok: false,
  code,
  message,
  service,
});

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your key and signing method.';
const UNKNOWN_KEY = 'The AWS Access Key Id you provided does not exist in our records.';

function verifyHeaderAuth(
  req: SignedRequest,
  auth: string,
  credentials: Credentials[],
  now: number,
): SigV4Result {
  if (!auth.startsWith('AWS4-HMAC-SHA256 ')) {
    return fail(
      'AuthorizationHeaderMalformed',
      'Only the AWS4-HMAC-SHA256 authorization scheme is supported.',
      null,
    );
  }
  const fields = new Map<string, string>();
  for (const part of auth.slice('AWS4-HMAC-SHA256 '.length).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const scope = parseCredential(fields.get('Credential') ?? '');
  const signedHeadersField = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!scope || !signedHeadersField || !signature) {
    return fail(
      'AuthorizationHeaderMalformed',
      'The authorization header is malformed; it needs Credential=<key>/<date>/<region>/<service>/aws4_request, SignedHeaders and Signature.',
      scope?.service ?? null,
    );
  }
  const amzDate = req.headers['x-amz-date'] ?? '';
  const time = parseAmzDate(amzDate);
  if (Number.isNaN(time)) {
    return fail(
      'AccessDenied',
      'AWS authentication requires a valid X-Amz-Date header (yyyymmddThhmmssZ).',
      scope.service,
    );
  }
  if (!amzDate.startsWith(scope.date)) {
    return fail(
      'AuthorizationHeaderMalformed',
      `The credential date ${scope.date} does not match X-Amz-Date ${amzDate}.`,
      scope.service,
    );
  }
  if (Math.abs(now - time) > MAX_CLOCK_SKEW_MS) {
    return fail(
      'RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.',
      scope.service,
    );
  }
  const secret = findSecret(credentials, scope.accessKeyId);
  if (secret === null) return fail('InvalidAccessKeyId', UNKNOWN_KEY, scope.service);

  const signedHeaders = signedHeadersField.split(';');
  if (!signedHeaders.includes('host')) {
    return fail('AuthorizationHeaderMalformed', 'SignedHeaders must include host.', scope.service);
  }
  const declaredPayloadHash = req.headers['x-amz-content-sha256'];
  if (scope.service === 's3' && declaredPayloadHash === undefined) {
    return fail(
      'MissingSecurityHeader',
      'Missing required header for this request: x-amz-content-sha256',
      scope.service,
    );
  }
  const payloadHash = declaredPayloadHash ?? sha256Hex(req.body);
  if (/^[0-9a-f]{64}$/.test(payloadHash) && payloadHash !== sha256Hex(req.body)) {
    return fail(
      'XAmzContentSHA256Mismatch',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
      scope.service,
    );
  }

  const { path, rawQuery } = splitUrl(req.url);
  const canonical = buildCanonicalRequest({
    method: req.method,
    path,
    queryPairs: parseQuery(rawQuery),
    headers: req.headers,
    signedHeaders,
    payloadHash,
    service: scope.service,
  });
  const signingKey = deriveSigningKey(secret, scope.date, scope.region, scope.service);
  const expected = createHmac('sha256', signingKey)
    .update(stringToSign(amzDate, scope.scope, canonical))
    .digest('hex');
  if (!sameHex(expected, signature)) return fail('SignatureDoesNotMatch', SIGNATURE_MISMATCH, scope.service);
  return {
    ok: true,
    accessKeyId: scope.accessKeyId,
    service: scope.service,
    region: scope.region,
    scope: scope.scope,
    amzDate,
    signature,
    signingKey,
    payloadHash,
    presigned: false,
  };
}

function verifyPresigned(req: SignedRequest, credentials: Credentials[], now: number): SigV4Result {
  const { path, rawQuery } = splitUrl(req.url);
  const pairs = parseQuery(rawQuery);
  const q = new Map(pairs);
  const scope = parseCredential(q.get('X-Amz-Credential') ?? '');
  const service = scope?.service ?? null;
  const algorithm = q.get('X-Amz-Algorithm');
  const amzDate = q.get('X-Amz-Date') ?? '';
  const expiresRaw = q.get('X-Amz-Expires');
  const signedHeadersField = q.get('X-Amz-SignedHeaders');
  const signature = q.get('X-Amz-Signature');
  if (
    algorithm !== 'AWS4-HMAC-SHA256' ||
    !scope ||
    !signedHeadersField ||
    !signature ||
    expiresRaw === undefined
  ) {
    return fail(
      'AuthorizationQueryParametersError',
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
      service,
    );
  }
  const time = parseAmzDate(amzDate);
  const expires = Number(expiresRaw);
  if (Number.isNaN(time) || !amzDate.startsWith(scope.date)) {
    return fail(
      'AuthorizationQueryParametersError',
      'X-Amz-Date must be yyyymmddThhmmssZ on the credential date.',
      service,
    );
  }
  if (!Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGN_EXPIRES_S) {
    return fail(
      'AuthorizationQueryParametersError',
      'X-Amz-Expires must be a whole number of seconds between 1 and 604800 (7 days).',
      service,
    );
  }
  const secret = findSecret(credentials, scope.accessKeyId);
  if (secret === null) return fail('InvalidAccessKeyId', UNKNOWN_KEY, service);

  const signedHeaders = signedHeadersField.split(';');
  const payloadHash =
    q.get('X-Amz-Content-Sha256') ?? (scope.service === 's3' ? 'UNSIGNED-PAYLOAD' : sha256Hex(req.body));
  const canonical = buildCanonicalRequest({
    method: req.method,
    path,
    queryPairs: pairs.filter(([k]) => k !== 'X-Amz-Signature'),
    headers: req.headers,
    signedHeaders,
    payloadHash,
    service: scope.service,
  });
  const signingKey = deriveSigningKey(secret, scope.date, scope.region, scope.service);
  const expected = createHmac('sha256', signingKey)
    .update(stringToSign(amzDate, scope.scope, canonical))
    .digest('hex');
  if (!sameHex(expected, signature)) return fail('SignatureDoesNotMatch', SIGNATURE_MISMATCH, service);
  // Expiry is checked after the signature, as S3 does: a tampered URL says so even when old.
  if (now > time + expires * 1000) return fail('AccessDenied', 'Request has expired', service);
  if (time - now > MAX_CLOCK_SKEW_MS) return fail('AccessDenied', 'Request is not valid yet', service);
  return {
    ok: true,
    accessKeyId: scope.accessKeyId,
    service: scope.service,
    region: scope.region,
    scope: scope.scope,
    amzDate,
    signature,
    signingKey,
    payloadHash,
    presigned: true,
  };
}

/**
 * S3 browser POST (SigV4): the signature is HMAC(signingKey, base64 policy document).
 * Returns the failure or the verified access key id; the policy conditions are checked by S3.
 */
export function verifyPostPolicySignature(
  fields: { policy: string; credential: string; algorithm: string; date: string; signature: string },
  credentials: Credentials[],
): { ok: true; accessKeyId: string } | SigV4Failure {
  if (fields.algorithm !== 'AWS4-HMAC-SHA256') {
    return fail(
      'AccessDenied',
      'Invalid according to Policy: x-amz-algorithm must be AWS4-HMAC-SHA256',
      's3',
    );
  }
  const scope = parseCredential(fields.credential);
  if (!scope) return fail('AccessDenied', 'Invalid according to Policy: malformed x-amz-credential', 's3');
  if (!fields.date.startsWith(scope.date)) {
    return fail(
      'AccessDenied',
      'Invalid according to Policy: x-amz-date does not match the credential date',
      's3',
    );
  }
  const secret = findSecret(credentials, scope.accessKeyId);
  if (secret === null) return fail('InvalidAccessKeyId', UNKNOWN_KEY, 's3');
  const signingKey = deriveSigningKey(secret, scope.date, scope.region, scope.service);
  const expected = createHmac('sha256', signingKey).update(fields.policy, 'utf8').digest('hex');
  if (!sameHex(expected, fields.signature)) return fail('SignatureDoesNotMatch', SIGNATURE_MISMATCH, 's3');
  return { ok: true, accessKeyId: scope.accessKeyId };
}

/** Signature of one `aws-chunked` chunk in a STREAMING-AWS4-HMAC-SHA256-PAYLOAD upload. */
export function chunkSignature(auth: SigV4Success, previousSignature: string, chunk: Buffer): string {
  const toSign = [
    'AWS4-HMAC-SHA256-PAYLOAD',
    auth.amzDate,
    auth.scope,
    previousSignature,
    sha256Hex(''),
    sha256Hex(chunk),
  ].join('\n');
  return createHmac('sha256', auth.signingKey).update(toSign).digest('hex');
}

export { sameHex as signaturesEqual };
