/**
 * Test helpers: every test file starts its own devcloud on port 0 with a temp data dir and a
 * random secret, and builds real SDK v3 clients pointed at it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { eventually } from '@gas/service-kit/testing';
import { type Devcloud, type DevcloudOptions, startDevcloud } from '../src/index.ts';

/** Re-exported for this folder's tests (one copy: @gas/service-kit/testing). */
export { eventually };

export const silentLog = { info() {}, warn() {}, error() {} };

export interface TestCloud {
  cloud: Devcloud;
  dataDir: string;
  secret: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Starts a second devcloud on the same data dir after close() (restart tests). */
  restart(): Promise<Devcloud>;
  dispose(): Promise<void>;
}

export async function startTestCloud(extra: Partial<DevcloudOptions> = {}): Promise<TestCloud> {
  const dataDir = await mkdtemp(join(tmpdir(), 'devcloud-test-'));
  const credentials = {
    accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(20).toString('base64'),
  };
  const opts: DevcloudOptions = {
    dataDir,
    port: 0,
    tlsPort: 0,
    credentials: [credentials],
    log: silentLog,
    s3RestoreDelayMs: 300,
    ...extra,
  };
  const state: TestCloud = {
    cloud: await startDevcloud(opts),
    dataDir,
    secret: credentials.secretAccessKey,
    credentials,
    async restart() {
      await state.cloud.close();
      state.cloud = await startDevcloud(opts);
      return state.cloud;
    },
    async dispose() {
      await state.cloud.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return state;
}

export function clientConfig(cloud: Devcloud, credentials: { accessKeyId: string; secretAccessKey: string }) {
  return { endpoint: cloud.url, region: cloud.region, credentials };
}

export function s3Client(
  cloud: Devcloud,
  credentials: { accessKeyId: string; secretAccessKey: string },
): S3Client {
  return new S3Client({ ...clientConfig(cloud, credentials), forcePathStyle: true });
}

export function sqsClient(
  cloud: Devcloud,
  credentials: { accessKeyId: string; secretAccessKey: string },
): SQSClient {
  return new SQSClient(clientConfig(cloud, credentials));
}

export function snsClient(
  cloud: Devcloud,
  credentials: { accessKeyId: string; secretAccessKey: string },
): SNSClient {
  return new SNSClient(clientConfig(cloud, credentials));
}

/**
 * Sends a SigV4-signed request for any service name (what an SDK or CLI for that service sends),
 * for protocols no SDK v3 client speaks any more (SQS query) or services devcloud lacks.
 */
export async function signedFetch(
  cloud: Devcloud,
  credentials: { accessKeyId: string; secretAccessKey: string },
  req: { service: string; path?: string; body: string; headers: Record<string, string> },
): Promise<Response> {
  const { createHmac } = await import('node:crypto');
  const { buildCanonicalRequest, deriveSigningKey, sha256Hex, stringToSign } = await import(
    '../src/sigv4/sigv4.ts'
  );
  const path = req.path ?? '/';
  const url = new URL(`${cloud.url}${path}`);
  const amzDate = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const date = amzDate.slice(0, 8);
  const all: Record<string, string> = { ...req.headers, host: url.host, 'x-amz-date': amzDate };
  const signedHeaders = Object.keys(all).sort();
  const canonical = buildCanonicalRequest({
    method: 'POST',
    path,
    queryPairs: [],
    headers: all,
    signedHeaders,
    payloadHash: sha256Hex(req.body),
    service: req.service,
  });
  const scope = `${date}/${cloud.region}/${req.service}/aws4_request`;
  const signature = createHmac(
    'sha256',
    deriveSigningKey(credentials.secretAccessKey, date, cloud.region, req.service),
  )
    .update(stringToSign(amzDate, scope, canonical))
    .digest('hex');
  const { host: _host, ...sent } = all;
  return fetch(url, {
    method: 'POST',
    body: req.body,
    headers: {
      ...sent,
      authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`,
    },
  });
}
