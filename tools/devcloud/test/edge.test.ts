/**
 * The edge: one endpoint for every API, routed by the SigV4 service name; HTTPS with the
 * local CA; refusals in each protocol's shape; health and unsigned public routes.
 */
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import { CreateBucketCommand, ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Client, signedFetch, sqsClient, startTestCloud, type TestCloud } from './helpers.ts';

let t: TestCloud;

beforeAll(async () => {
  t = await startTestCloud({ maxBodyBytes: 64 * 1024 });
});
afterAll(async () => {
  await t.dispose();
});

/** A SigV4-signed POST to the edge for any service name. */
function signed(service: string, body: string, headers: Record<string, string>) {
  return signedFetch(t.cloud, t.credentials, { service, body, headers });
}

describe('edge routing', () => {
  it('routes by the signed service name: a correctly signed call for an API devcloud does not emulate is refused by name', async () => {
    const res = await signed('kinesis', '{}', {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'Kinesis_20131202.ListStreams',
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("devcloud does not emulate the 'kinesis' API");
  });

  it('hands a JSON-protocol API the request when signed for it, and refuses the same body signed for a different service scope with a bad signature', async () => {
    const ok = await signed('sqs', '{}', {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'AmazonSQS.ListQueues',
    });
    expect(ok.status).toBe(200);
    const forged = await fetch(`${t.cloud.url}/`, {
      method: 'POST',
      body: '{}',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AmazonSQS.ListQueues',
        'x-amz-date': new Date()
          .toISOString()
          .replace(/[-:]/g, '')
          .replace(/\.\d{3}/, ''),
        authorization: `AWS4-HMAC-SHA256 Credential=${t.credentials.accessKeyId}/${new Date().toISOString().slice(0, 10).replace(/-/g, '')}/${t.cloud.region}/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
      },
    });
    expect(forged.status).toBe(403);
    expect(JSON.parse(await forged.text())).toMatchObject({
      __type: 'com.amazon.coral.service#InvalidSignatureException',
    });
  });

  it('refuses unsigned API calls', async () => {
    const res = await fetch(`${t.cloud.url}/`, {
      method: 'POST',
      body: 'Action=ListTopics',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(403);
  });

  it('answers the health check and routes the unsigned mailbox pages to SES', async () => {
    const health = await fetch(`${t.cloud.url}/_devcloud/health`);
    expect(await health.json()).toEqual({ status: 'ok' });
    const mailbox = await fetch(t.cloud.mailboxUrl);
    expect(mailbox.status).toBe(200);
  });

  it('refuses a body larger than the configured limit with a sentence that says so', async () => {
    const s3 = s3Client(t.cloud, t.credentials);
    await s3.send(new CreateBucketCommand({ Bucket: 'limits' }));
    await expect(
      s3.send(new PutObjectCommand({ Bucket: 'limits', Key: 'big', Body: Buffer.alloc(100 * 1024) })),
    ).rejects.toMatchObject({ name: 'EntityTooLarge' });
    s3.destroy();
  });
});

describe('edge over HTTPS with the local CA', () => {
  it('serves the same APIs on the HTTPS port to a client that trusts <dataDir>/tls/ca.pem', async () => {
    const caPem = await readFile(t.cloud.ca.certPath, 'utf8');
    expect(t.cloud.ca.certPath).toBe(join(t.dataDir, 'tls', 'ca.pem'));
    const trusting = new S3Client({
      endpoint: t.cloud.httpsUrl,
      region: t.cloud.region,
      credentials: t.credentials,
      forcePathStyle: true,
      requestHandler: { httpsAgent: new https.Agent({ ca: caPem }) },
    });
    const list = await trusting.send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((b) => b.Name)).toContain('limits');
    trusting.destroy();
    const untrusting = new S3Client({
      endpoint: t.cloud.httpsUrl,
      region: t.cloud.region,
      credentials: t.credentials,
      forcePathStyle: true,
      maxAttempts: 1,
    });
    await expect(untrusting.send(new ListBucketsCommand({}))).rejects.toThrow(/certificate/i);
    untrusting.destroy();
  });

  it('keeps the CA across restarts (certificates are made once per data dir)', async () => {
    const before = t.cloud.ca.certPem;
    const serverCertBefore = await readFile(join(t.dataDir, 'tls', 'devcloud-tls.pem'), 'utf8');
    const cloud = await t.restart();
    expect(cloud.ca.certPem).toBe(before);
    // The server certificate (localhost, 127.0.0.1, ::1) is reused too, not reissued at each start.
    expect(await readFile(join(t.dataDir, 'tls', 'devcloud-tls.pem'), 'utf8')).toBe(serverCertBefore);
    const sqs = sqsClient(cloud, t.credentials);
    await sqs.send(new ListQueuesCommand({}));
    sqs.destroy();
  });
});

describe('the stand-ins beside the edge', () => {
  it('starts the Stripe stand-in and the OIDC provider when asked, with state under the data dir, and stops them on close', async () => {
    const { gasDemoSeed } = await import('../src/stripe/index.ts');
    const withAll = await startTestCloud({
      stripe: { seed: gasDemoSeed() },
      oidc: {
        clients: [
          {
            client_id: 'web',
            client_secret: 'web-secret',
            redirect_uris: ['https://localhost:4433/auth/callback'],
          },
        ],
        tls: true,
      },
    });
    const { stripe, oidc } = withAll.cloud;
    expect(stripe).not.toBeNull();
    expect(oidc).not.toBeNull();
    const prices = await fetch(`${stripe!.url}/v1/prices`, {
      headers: { authorization: `Bearer ${stripe!.secretKey}` },
    });
    expect(prices.status).toBe(200);
    // tls: true serves the provider over https with devcloud's certificate, trusted through the local CA.
    expect(oidc!.issuer).toMatch(/^https:\/\/localhost:\d+$/);
    const discovery = await new Promise<string>((resolve, reject) => {
      https
        .get(`${oidc!.issuer}/.well-known/openid-configuration`, { ca: withAll.cloud.ca.certPem }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString('utf8');
          });
          res.on('end', () => resolve(body));
        })
        .on('error', reject);
    });
    expect((JSON.parse(discovery) as { issuer: string }).issuer).toBe(oidc!.issuer);
    const { existsSync } = await import('node:fs');
    expect(existsSync(join(withAll.dataDir, 'stripe'))).toBe(true);
    expect(existsSync(join(withAll.dataDir, 'oidc'))).toBe(true);
    await withAll.cloud.close();
    await expect(fetch(`${stripe!.url}/v1/prices`)).rejects.toThrow();
    await expect(
      fetch(`${oidc!.issuer.replace('https:', 'http:')}/.well-known/openid-configuration`),
    ).rejects.toThrow();
    await withAll.dispose();
  });
});

describe('data dir lock', () => {
  it('refuses a second devcloud on a data dir in use, and takes over the lock of a crashed one', async () => {
    const { startDevcloud } = await import('../src/index.ts');
    const { silentLog } = await import('./helpers.ts');
    await expect(startDevcloud({ dataDir: t.dataDir, port: 0, tlsPort: 0, log: silentLog })).rejects.toThrow(
      /in use by another devcloud/,
    );
    const { spawnSync } = await import('node:child_process');
    const { writeFile } = await import('node:fs/promises');
    const other = await startTestCloud();
    await other.cloud.close();
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(join(other.dataDir, 'devcloud.lock'), `${dead}:stale`);
    const revived = await other.restart();
    expect(revived.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await other.dispose();
  });
});
