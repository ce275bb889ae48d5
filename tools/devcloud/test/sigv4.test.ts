/**
 * SigV4 verification against the worked examples in AWS's S3 SigV4 documentation (same keys,
 * date and requests), plus the refusals the edge relies on.
 */
import { describe, expect, it } from 'vitest';
import { decodeAwsChunked } from '../src/sigv4/aws-chunked.ts';
import {
  chunkSignature,
  parseAmzDate,
  type SigV4Success,
  sha256Hex,
  verifyPostPolicySignature,
  verifyRequest,
} from '../src/sigv4/sigv4.ts';

const docsCredentials = [
  { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
];
const docsNow = parseAmzDate('20130524T000000Z');
const EMPTY_SHA = sha256Hex('');

describe('header-signed requests (AWS documentation example: GET Object)', () => {
  const request = {
    method: 'GET',
    url: '/test.txt',
    body: Buffer.alloc(0),
    headers: {
      host: 'examplebucket.s3.amazonaws.com',
      range: 'bytes=0-9',
      'x-amz-content-sha256': EMPTY_SHA,
      'x-amz-date': '20130524T000000Z',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    },
  };

  it('accepts the documented signature', () => {
    const verdict = verifyRequest(request, docsCredentials, docsNow);
    expect(verdict).toMatchObject({
      ok: true,
      service: 's3',
      region: 'us-east-1',
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    });
  });

  it('refuses the same request with a changed signed header, a wrong secret, an unknown key, or a stale date', () => {
    expect(
      verifyRequest(
        { ...request, headers: { ...request.headers, range: 'bytes=0-99' } },
        docsCredentials,
        docsNow,
      ),
    ).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
    expect(verifyRequest({ ...request, url: '/other.txt' }, docsCredentials, docsNow)).toMatchObject({
      ok: false,
      code: 'SignatureDoesNotMatch',
    });
    expect(
      verifyRequest(request, [{ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'guess' }], docsNow),
    ).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
    expect(
      verifyRequest(request, [{ accessKeyId: 'AKIAOTHER', secretAccessKey: 'x' }], docsNow),
    ).toMatchObject({ ok: false, code: 'InvalidAccessKeyId' });
    expect(verifyRequest(request, docsCredentials, docsNow + 3_600_000)).toMatchObject({
      ok: false,
      code: 'RequestTimeTooSkewed',
    });
  });

  it('refuses a body that does not match x-amz-content-sha256', () => {
    expect(
      verifyRequest({ ...request, body: Buffer.from('smuggled') }, docsCredentials, docsNow),
    ).toMatchObject({ ok: false, code: 'XAmzContentSHA256Mismatch' });
  });
});

describe('presigned URLs (AWS documentation example)', () => {
  const url =
    '/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
  const request = {
    method: 'GET',
    url,
    body: Buffer.alloc(0),
    headers: { host: 'examplebucket.s3.amazonaws.com' },
  };

  it('accepts the documented URL within its 86400 s validity', () => {
    expect(verifyRequest(request, docsCredentials, docsNow + 3_600_000)).toMatchObject({
      ok: true,
      presigned: true,
    });
  });

  it('refuses it once expired (AccessDenied) and when tampered (SignatureDoesNotMatch)', () => {
    expect(verifyRequest(request, docsCredentials, docsNow + 86_401_000)).toMatchObject({
      ok: false,
      code: 'AccessDenied',
      message: 'Request has expired',
    });
    expect(
      verifyRequest(
        { ...request, url: url.replace('X-Amz-Expires=86400', 'X-Amz-Expires=604800') },
        docsCredentials,
        docsNow,
      ),
    ).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
    expect(
      verifyRequest({ ...request, url: url.replace('/test.txt', '/secret.txt') }, docsCredentials, docsNow),
    ).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
  });
});

describe('aws-chunked streaming upload (AWS documentation example: 66560 bytes in 64 KiB chunks)', () => {
  const seed = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
  const request = {
    method: 'PUT',
    url: '/examplebucket/chunkObject.txt',
    body: Buffer.alloc(0),
    headers: {
      host: 's3.amazonaws.com',
      'x-amz-date': '20130524T000000Z',
      'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': '66560',
      'content-length': '66824',
      'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      authorization: `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=${seed}`,
    },
  };

  it('verifies the seed signature and the documented chunk signatures, and decodes the data', () => {
    const verdict = verifyRequest(request, docsCredentials, docsNow);
    expect(verdict.ok).toBe(true);
    const auth = verdict as SigV4Success;
    const data = Buffer.alloc(66_560, 'a');
    const chunks = [data.subarray(0, 65_536), data.subarray(65_536), Buffer.alloc(0)];
    const signatures: string[] = [];
    let previous = seed;
    for (const c of chunks) {
      previous = chunkSignature(auth, previous, c);
      signatures.push(previous);
    }
    expect(signatures).toEqual([
      'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
      '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
      'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
    ]);
    const body = Buffer.concat(
      chunks.flatMap((c, i) => [
        Buffer.from(`${c.length.toString(16)};chunk-signature=${signatures[i]}\r\n`),
        c,
        Buffer.from('\r\n'),
      ]),
    );
    expect(body.length).toBe(66_824);
    expect(decodeAwsChunked(body, auth).data.equals(data)).toBe(true);
    const tampered = Buffer.from(body);
    tampered[100] = 'b'.charCodeAt(0);
    expect(() => decodeAwsChunked(tampered, auth)).toThrow(/chunk signature/);
  });
});

describe('POST policy signatures', () => {
  it('accepts a policy signed with the signing key and refuses one signed with another secret', async () => {
    const { deriveSigningKey } = await import('../src/sigv4/sigv4.ts');
    const { createHmac } = await import('node:crypto');
    const policy = Buffer.from(
      JSON.stringify({ expiration: '2030-01-01T00:00:00Z', conditions: [] }),
    ).toString('base64');
    const sign = (secret: string) =>
      createHmac('sha256', deriveSigningKey(secret, '20130524', 'us-east-1', 's3'))
        .update(policy)
        .digest('hex');
    const fields = {
      policy,
      credential: 'AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request',
      algorithm: 'AWS4-HMAC-SHA256',
      date: '20130524T000000Z',
    };
    expect(
      verifyPostPolicySignature(
        { ...fields, signature: sign(docsCredentials[0]!.secretAccessKey) },
        docsCredentials,
      ),
    ).toEqual({ ok: true, accessKeyId: 'AKIAIOSFODNN7EXAMPLE' });
    expect(verifyPostPolicySignature({ ...fields, signature: sign('other') }, docsCredentials)).toMatchObject(
      { ok: false, code: 'SignatureDoesNotMatch' },
    );
  });
});
