/**
 * The edge: one HTTP(S) request handler in front of every emulated API, like LocalStack's
 * port 4566. For each request it
 *   1. buffers the body (devcloud is a test double; bodies are bounded by `maxBodyBytes`),
 *   2. picks the API: the service name of the SigV4 credential scope when the request is
 *      signed (Authorization header or X-Amz-Credential query); otherwise by route: the SES
 *      mailbox pages under `/_devcloud/mailbox`, SNS's unsigned confirm/unsubscribe links and
 *      signing certificate, and S3 for everything else (browser POST uploads with a policy,
 *      CORS preflights; S3 refuses other anonymous requests itself); the test-only fault
 *      control under `/_devcloud/faults` is answered before any of that (faults/faults.ts),
 *   3. verifies the signature against the configured credentials and answers a failure in the
 *      error shape of that API,
 *   4. decodes `aws-chunked` streaming bodies (verifying chunk signatures) so no API ever sees
 *      chunk framing, and
 *   5. hands an EdgeRequest to the API and writes its EdgeResponse.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { FAULTS_PREFIX, type FaultInjector, handleFaultsRequest } from '../faults/faults.ts';
import { ChunkedBodyError, decodeAwsChunked, isAwsChunked } from '../sigv4/aws-chunked.ts';
import {
  type Credentials,
  isSigned,
  parseQuery,
  peekSigningScope,
  splitUrl,
  verifyRequest,
} from '../sigv4/sigv4.ts';
import { authError, jsonError, newRequestId, queryError, SNS_XMLNS, s3Error } from './errors.ts';
import type { DevcloudContext, EdgeRequest, EdgeResponse, EmulatedService } from './types.ts';

export interface EdgeOptions {
  credentials: Credentials[];
  /** Looked up on every request, so APIs can be registered after the listener is bound. */
  services: () => EmulatedService[];
  defaultRegion: string;
  log: DevcloudContext['log'];
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Test-only fault injection, controlled on `/_devcloud/faults` (faults/faults.ts). */
  faults: FaultInjector;
}

export const MAILBOX_PREFIX = '/_devcloud/mailbox';
export const SNS_PUBLIC_PREFIX = '/_devcloud/sns/';

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function lowerHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

/** Which API an unsigned request is for. */
function routeUnsigned(method: string, url: string): string {
  const { path, rawQuery } = splitUrl(url);
  if (path === MAILBOX_PREFIX || path.startsWith(`${MAILBOX_PREFIX}/`)) return 'ses';
  if (path.startsWith(SNS_PUBLIC_PREFIX)) return 'sns';
  if (method === 'GET' && path === '/') {
    const action = parseQuery(rawQuery).find(([k]) => k === 'Action')?.[1];
    if (action === 'ConfirmSubscription' || action === 'Unsubscribe') return 'sns';
  }
  return 's3';
}

function serviceUnavailable(service: string): EdgeResponse {
  const message = `devcloud does not emulate the '${service}' API (or it is not started).`;
  if (service === 'sns' || service === 'ses' || service === 'email')
    return queryError(400, 'InvalidAction', message, SNS_XMLNS);
  if (service === 's3') return s3Error(501, 'NotImplemented', message);
  return jsonError(400, 'com.amazon.coral.service#UnknownOperationException', message);
}

export function createEdgeHandler(opts: EdgeOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const findService = (name: string): EmulatedService | undefined =>
    opts.services().find((s) => s.signingNames.includes(name));

  async function route(req: IncomingMessage, signal: AbortSignal): Promise<EdgeResponse> {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const headers = lowerHeaders(req);
    const raw = await readBody(req, opts.maxBodyBytes);
    const signedProbe = { method, url, headers, body: Buffer.alloc(0) };
    const scope = peekSigningScope(signedProbe);
    if (raw === 'too-large') {
      return s3Error(
        400,
        'EntityTooLarge',
        `devcloud buffers request bodies up to ${opts.maxBodyBytes} bytes; this one is larger.`,
      );
    }
    const { path } = splitUrl(url);
    if (method === 'GET' && path === '/_devcloud/health') {
      return { status: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"ok"}' };
    }
    if (path === FAULTS_PREFIX || path.startsWith(`${FAULTS_PREFIX}/`)) {
      return handleFaultsRequest(opts.faults, method, path, raw);
    }
    let body = raw;
    let service: string;
    let region = opts.defaultRegion;
    let accessKeyId: string | null = null;
    // A CORS preflight is never signed by the browser, even to a presigned URL (its query carries
    // the signature of the PUT): S3 answers it from the bucket's CORS rules, before any auth.
    if (method !== 'OPTIONS' && isSigned(signedProbe)) {
      const verdict = verifyRequest({ method, url, headers, body }, opts.credentials);
      if (!verdict.ok) {
        opts.log.warn(
          { method, url: url.split('?')[0], code: verdict.code, service: verdict.service ?? scope?.service },
          'edge: request refused',
        );
        return authError(verdict.service ?? scope?.service ?? null, verdict.code, verdict.message);
      }
      service = verdict.service;
      region = verdict.region;
      accessKeyId = verdict.accessKeyId;
      if (isAwsChunked(headers)) {
        try {
          const decoded = decodeAwsChunked(body, verdict);
          body = decoded.data;
          Object.assign(headers, decoded.trailers);
          const encodings = (headers['content-encoding'] ?? '')
            .split(',')
            .map((e) => e.trim())
            .filter((e) => e !== '' && e !== 'aws-chunked');
          if (encodings.length > 0) headers['content-encoding'] = encodings.join(',');
          else delete headers['content-encoding'];
          const declared = headers['x-amz-decoded-content-length'];
          if (declared !== undefined && Number(declared) !== body.length) {
            return authError(
              service,
              'IncompleteBody',
              `x-amz-decoded-content-length is ${declared} but the chunks hold ${body.length} bytes.`,
            );
          }
          headers['content-length'] = String(body.length);
        } catch (err) {
          if (err instanceof ChunkedBodyError) return authError(service, err.code, err.message);
          throw err;
        }
      }
    } else {
      service = routeUnsigned(method, url);
    }
    const api = findService(service);
    if (!api) return serviceUnavailable(service);
    const edgeRequest: EdgeRequest = {
      method,
      url,
      headers,
      body,
      service,
      region,
      accessKeyId,
      signal,
    };
    return api.handle(edgeRequest);
  }

  return (req, res) => {
    const gone = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    route(req, gone.signal)
      .catch((err: unknown) => {
        opts.log.error({ err, method: req.method, url: req.url?.split('?')[0] }, 'edge: emulated API failed');
        return s3Error(500, 'InternalError', 'devcloud failed to handle this request; see its log.');
      })
      .then((out) => writeResponse(req, res, out))
      .catch((err: unknown) => {
        opts.log.error({ err }, 'edge: could not write the response');
        res.destroy();
      });
  };
}

function writeResponse(req: IncomingMessage, res: ServerResponse, out: EdgeResponse): void {
  const headers: Record<string, string> = { ...(out.headers ?? {}) };
  const lower = new Set(Object.keys(headers).map((h) => h.toLowerCase()));
  if (!lower.has('x-amz-request-id') && !lower.has('x-amzn-requestid'))
    headers['x-amzn-requestid'] = newRequestId();
  const body = out.body;
  if (body instanceof Readable) {
    res.writeHead(out.status, headers);
    if (req.method === 'HEAD') {
      body.destroy();
      res.end();
      return;
    }
    body.on('error', () => res.destroy());
    body.pipe(res);
    return;
  }
  const buf =
    body === undefined ? Buffer.alloc(0) : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (!lower.has('content-length')) headers['content-length'] = String(buf.length);
  res.writeHead(out.status, headers);
  res.end(req.method === 'HEAD' ? undefined : buf);
}
