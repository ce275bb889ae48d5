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
import { type Devcloud, type DevcloudOptions, startDevcloud } from '../src/index.ts';

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

/** Polls `check` until it returns a value (not a timing assertion: the bound only stops a hung test). */
export async function eventually<T>(
  check: () => Promise<T | undefined | null>,
  what: string,
  limitMs = 20_000,
): Promise<T> {
  const until = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null) return value;
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
