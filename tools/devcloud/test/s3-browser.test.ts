import {
  CreateBucketCommand,
  GetBucketCorsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketCorsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createPresignedPost, type PresignedPost } from '@aws-sdk/s3-presigned-post';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Client, startTestCloud, type TestCloud } from './helpers.ts';

let t: TestCloud;
let s3: S3Client;
const ORIGIN = 'https://localhost:4433';

beforeAll(async () => {
  t = await startTestCloud();
  s3 = s3Client(t.cloud, t.credentials);
  await s3.send(new CreateBucketCommand({ Bucket: 'inputs' }));
  await s3.send(
    new PutBucketCorsCommand({
      Bucket: 'inputs',
      CORSConfiguration: {
        CORSRules: [
          {
            AllowedOrigins: [ORIGIN],
            AllowedMethods: ['POST', 'GET'],
            AllowedHeaders: ['*'],
            ExposeHeaders: ['ETag'],
            MaxAgeSeconds: 600,
          },
        ],
      },
    }),
  );
});
afterAll(async () => {
  s3.destroy();
  await t.dispose();
});

/** A policy like the web service's: key under the user's prefix, size range, redirect back. */
function presign(
  opts: {
    maxBytes?: number;
    minBytes?: number;
    client?: S3Client;
    redirect?: boolean;
    expires?: number;
  } = {},
): Promise<PresignedPost> {
  const fields: Record<string, string> = { 'Content-Type': 'text/plain' };
  const conditions: Array<unknown> = [
    ['starts-with', '$key', 'uploads/alice/'],
    ['content-length-range', opts.minBytes ?? 1, opts.maxBytes ?? 1000],
    ['eq', '$Content-Type', 'text/plain'],
  ];
  if (opts.redirect !== false) {
    fields.success_action_redirect = 'https://localhost:4433/annotate/job';
    conditions.push({ success_action_redirect: 'https://localhost:4433/annotate/job' });
  } else {
    fields.success_action_status = '201';
    conditions.push({ success_action_status: '201' });
  }
  return createPresignedPost(opts.client ?? s3, {
    Bucket: 'inputs',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: S3's literal ${filename} key placeholder
    Key: 'uploads/alice/job-1~${filename}',
    Conditions: conditions as never,
    Fields: fields,
    Expires: opts.expires ?? 300,
  });
}

function post(
  p: PresignedPost,
  file: Buffer | string,
  override: Record<string, string> = {},
  filename = 'sample.vcf',
  headers: Record<string, string> = {},
) {
  const form = new FormData();
  for (const [k, v] of Object.entries({ ...p.fields, ...override })) form.append(k, v);
  form.append('file', new Blob([typeof file === 'string' ? file : new Uint8Array(file)]), filename);
  return fetch(p.url, { method: 'POST', body: form, redirect: 'manual', headers });
}

describe('S3 browser POST uploads', () => {
  it('accepts an upload within the policy and redirects with bucket, key and etag', async () => {
    const p = await presign();
    const res = await post(p, '##fileformat=VCFv4.2\n', {}, 'sample.vcf', { origin: ORIGIN });
    expect(res.status).toBe(303);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const location = new URL(res.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe('https://localhost:4433/annotate/job');
    expect(location.searchParams.get('bucket')).toBe('inputs');
    expect(location.searchParams.get('key')).toBe('uploads/alice/job-1~sample.vcf');
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: 'inputs', Key: 'uploads/alice/job-1~sample.vcf' }),
    );
    expect(location.searchParams.get('etag')).toBe(head.ETag);
    expect(head.ContentType).toBe('text/plain');
    const got = await s3.send(
      new GetObjectCommand({ Bucket: 'inputs', Key: 'uploads/alice/job-1~sample.vcf' }),
    );
    expect(await got.Body?.transformToString()).toBe('##fileformat=VCFv4.2\n');
  });

  it('answers success_action_status 201 with a PostResponse document', async () => {
    const p = await presign({ redirect: false });
    const res = await post(p, 'abc', {}, 'status.vcf');
    expect(res.status).toBe(201);
    const body = await res.text();
    expect(body).toContain('<Key>uploads/alice/job-1~status.vcf</Key>');
    expect(body).toContain('<Bucket>inputs</Bucket>');
  });

  it('refuses a file over the content-length-range with EntityTooLarge', async () => {
    const p = await presign({ maxBytes: 10 });
    const res = await post(p, 'x'.repeat(11), {}, 'big.vcf');
    expect(res.status).toBe(400);
    const body = await res.text();
    expect(body).toContain('<Code>EntityTooLarge</Code>');
    expect(body).toContain('<MaxSizeAllowed>10</MaxSizeAllowed>');
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: 'inputs', Key: 'uploads/alice/job-1~big.vcf' })),
    ).rejects.toThrow();
  });

  it('refuses a file under the content-length-range with EntityTooSmall', async () => {
    const p = await presign({ minBytes: 5 });
    const res = await post(p, 'abc', {}, 'small.vcf');
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<Code>EntityTooSmall</Code>');
  });

  it('refuses a key outside the allowed prefix with AccessDenied "Invalid according to Policy"', async () => {
    const p = await presign();
    const res = await post(p, 'abc', { key: 'uploads/bob/stolen.vcf' });
    expect(res.status).toBe(403);
    const body = await res.text();
    expect(body).toContain('<Code>AccessDenied</Code>');
    expect(body).toContain(
      'Invalid according to Policy: Policy Condition failed: [&quot;starts-with&quot;,&quot;$key&quot;,&quot;uploads/alice/&quot;]',
    );
  });

  it('refuses a field the policy does not cover, and a changed eq field', async () => {
    const p = await presign();
    const extra = await post(p, 'abc', { 'x-amz-meta-sneaky': 'yes' });
    expect(extra.status).toBe(403);
    expect(await extra.text()).toContain('Extra input fields: x-amz-meta-sneaky');
    const changedType = await post(p, 'abc', { 'Content-Type': 'text/html' });
    expect(changedType.status).toBe(403);
    expect(await changedType.text()).toContain('Policy Condition failed');
  });

  it('refuses an expired policy', async () => {
    const lateClient = new S3Client({
      endpoint: t.cloud.url,
      region: t.cloud.region,
      credentials: t.credentials,
      forcePathStyle: true,
      systemClockOffset: -3_600_000,
    });
    const p = await presign({ client: lateClient, expires: 60 });
    lateClient.destroy();
    const res = await post(p, 'abc');
    expect(res.status).toBe(403);
    const body = await res.text();
    expect(body).toContain('<Code>AccessDenied</Code>');
    expect(body).toContain('Invalid according to Policy: Policy expired.');
  });

  it('refuses a bad signature and a policy edited after signing with SignatureDoesNotMatch', async () => {
    const p = await presign({ maxBytes: 10 });
    const badSig = await post(p, 'abc', { 'X-Amz-Signature': '0'.repeat(64) });
    expect(badSig.status).toBe(403);
    expect(await badSig.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    const policy = JSON.parse(Buffer.from(p.fields.Policy ?? '', 'base64').toString('utf8')) as {
      conditions: unknown[];
    };
    policy.conditions = policy.conditions.map((c) =>
      Array.isArray(c) && c[0] === 'content-length-range' ? ['content-length-range', 1, 10_000_000] : c,
    );
    const edited = await post(p, 'x'.repeat(50), {
      Policy: Buffer.from(JSON.stringify(policy)).toString('base64'),
    });
    expect(edited.status).toBe(403);
    expect(await edited.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    const wrongSecret = s3Client(t.cloud, {
      accessKeyId: t.credentials.accessKeyId,
      secretAccessKey: 'guessed',
    });
    const forged = await presign({ client: wrongSecret });
    wrongSecret.destroy();
    const res = await post(forged, 'abc');
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });
});

describe('S3 CORS', () => {
  it('stores the bucket CORS rules and returns them', async () => {
    const cors = await s3.send(new GetBucketCorsCommand({ Bucket: 'inputs' }));
    expect(cors.CORSRules?.[0]?.AllowedOrigins).toEqual([ORIGIN]);
    expect(cors.CORSRules?.[0]?.MaxAgeSeconds).toBe(600);
  });

  it('answers a preflight from an allowed origin with the rule, and refuses other origins and methods', async () => {
    const ok = await fetch(`${t.cloud.url}/inputs`, {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(ok.headers.get('access-control-allow-methods')).toBe('POST, GET');
    expect(ok.headers.get('access-control-allow-headers')).toBe('content-type');
    expect(ok.headers.get('access-control-max-age')).toBe('600');
    const otherOrigin = await fetch(`${t.cloud.url}/inputs`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(otherOrigin.status).toBe(403);
    expect(otherOrigin.headers.get('access-control-allow-origin')).toBeNull();
    const otherMethod = await fetch(`${t.cloud.url}/inputs/x`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'DELETE' },
    });
    expect(otherMethod.status).toBe(403);
  });

  it('refuses a preflight on a bucket without CORS', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'no-cors' }));
    const res = await fetch(`${t.cloud.url}/no-cors`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'GET' },
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('CORS is not enabled for this bucket');
  });
});
