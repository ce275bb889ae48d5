import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetBucketWebsiteCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
  type S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Client, startTestCloud, type TestCloud } from './helpers.ts';

let t: TestCloud;
let s3: S3Client;

beforeAll(async () => {
  t = await startTestCloud();
  s3 = s3Client(t.cloud, t.credentials);
  await s3.send(new CreateBucketCommand({ Bucket: 'things' }));
});
afterAll(async () => {
  s3.destroy();
  await t.dispose();
});

async function errorOf(p: Promise<unknown>): Promise<S3ServiceException> {
  try {
    await p;
  } catch (err) {
    return err as S3ServiceException;
  }
  throw new Error('expected the call to fail');
}

describe('S3 buckets', () => {
  it('creates, heads, lists and deletes buckets, refusing a non-empty delete', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'scratch-bucket' }));
    await s3.send(new HeadBucketCommand({ Bucket: 'scratch-bucket' }));
    const list = await s3.send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((b) => b.Name)).toEqual(expect.arrayContaining(['things', 'scratch-bucket']));
    await s3.send(new PutObjectCommand({ Bucket: 'scratch-bucket', Key: 'x', Body: 'x' }));
    const notEmpty = await errorOf(s3.send(new DeleteBucketCommand({ Bucket: 'scratch-bucket' })));
    expect(notEmpty.name).toBe('BucketNotEmpty');
    await s3.send(new DeleteObjectCommand({ Bucket: 'scratch-bucket', Key: 'x' }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'scratch-bucket' }));
    const gone = await errorOf(s3.send(new HeadBucketCommand({ Bucket: 'scratch-bucket' })));
    expect(gone.$metadata.httpStatusCode).toBe(404);
    const bad = await errorOf(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })));
    expect(bad.name).toBe('InvalidBucketName');
  });
});

describe('S3 objects', () => {
  it('puts and gets an object with metadata, content type and ETag', async () => {
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'things',
        Key: 'dir/hello world.txt',
        Body: 'hello, devcloud',
        ContentType: 'text/plain',
        Metadata: { owner: 'alice' },
      }),
    );
    expect(put.ETag).toBe(`"${createHash('md5').update('hello, devcloud').digest('hex')}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'things', Key: 'dir/hello world.txt' }));
    expect(await got.Body?.transformToString()).toBe('hello, devcloud');
    expect(got.ContentType).toBe('text/plain');
    expect(got.Metadata).toEqual({ owner: 'alice' });
    expect(got.ETag).toBe(put.ETag);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'things', Key: 'dir/hello world.txt' }));
    expect(head.ContentLength).toBe(15);
    expect(head.StorageClass).toBeUndefined();
  });

  it('stores the decoded bytes of an aws-chunked streaming upload, not the chunk framing', async () => {
    const payload = Buffer.alloc(200_000, 'acgt');
    await s3.send(
      new PutObjectCommand({
        Bucket: 'things',
        Key: 'streamed.bin',
        Body: Readable.from([payload.subarray(0, 70_000), payload.subarray(70_000)]),
        ContentLength: payload.length,
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: 'things', Key: 'streamed.bin' }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    expect(bytes.length).toBe(payload.length);
    expect(bytes.equals(payload)).toBe(true);
  });

  it('signs and stores keys with spaces, unicode and reserved characters (SDK calls and presigned URLs)', async () => {
    const key = "odd/ünïcode (1) + a=b&c'~!*;,$@.vcf";
    await s3.send(new PutObjectCommand({ Bucket: 'things', Key: key, Body: 'odd' }));
    expect(
      await (await s3.send(new GetObjectCommand({ Bucket: 'things', Key: key }))).Body?.transformToString(),
    ).toBe('odd');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'things', Prefix: 'odd/' }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual([key]);
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'things', Key: key }), {
      expiresIn: 60,
    });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('odd');
  });

  it('answers a Range GET with 206 and the exact bytes; an unsatisfiable range with InvalidRange', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'things', Key: 'digits', Body: '0123456789' }));
    const part = await s3.send(new GetObjectCommand({ Bucket: 'things', Key: 'digits', Range: 'bytes=2-5' }));
    expect(part.$metadata.httpStatusCode).toBe(206);
    expect(part.ContentRange).toBe('bytes 2-5/10');
    expect(await part.Body?.transformToString()).toBe('2345');
    const suffix = await s3.send(
      new GetObjectCommand({ Bucket: 'things', Key: 'digits', Range: 'bytes=-3' }),
    );
    expect(await suffix.Body?.transformToString()).toBe('789');
    const err = await errorOf(
      s3.send(new GetObjectCommand({ Bucket: 'things', Key: 'digits', Range: 'bytes=50-60' })),
    );
    expect(err.name).toBe('InvalidRange');
  });

  it('answers NoSuchKey for a missing object and deletes idempotently', async () => {
    const err = await errorOf(s3.send(new GetObjectCommand({ Bucket: 'things', Key: 'nope' })));
    expect(err.name).toBe('NoSuchKey');
    await s3.send(new DeleteObjectCommand({ Bucket: 'things', Key: 'nope' }));
    const headErr = await errorOf(s3.send(new HeadObjectCommand({ Bucket: 'things', Key: 'nope' })));
    expect(headErr.$metadata.httpStatusCode).toBe(404);
  });

  it('copies objects (metadata COPY and REPLACE) and refuses a no-op self copy', async () => {
    await s3.send(
      new PutObjectCommand({
        Bucket: 'things',
        Key: 'src.txt',
        Body: 'copy me',
        ContentType: 'text/plain',
        Metadata: { a: '1' },
      }),
    );
    await s3.send(new CopyObjectCommand({ Bucket: 'things', Key: 'copy.txt', CopySource: 'things/src.txt' }));
    const copy = await s3.send(new HeadObjectCommand({ Bucket: 'things', Key: 'copy.txt' }));
    expect(copy.Metadata).toEqual({ a: '1' });
    expect(copy.ContentType).toBe('text/plain');
    await s3.send(
      new CopyObjectCommand({
        Bucket: 'things',
        Key: 'copy2.txt',
        CopySource: 'things/src.txt',
        MetadataDirective: 'REPLACE',
        Metadata: { b: '2' },
      }),
    );
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'things', Key: 'copy2.txt' }))).Metadata).toEqual({
      b: '2',
    });
    const selfCopy = await errorOf(
      s3.send(new CopyObjectCommand({ Bucket: 'things', Key: 'src.txt', CopySource: 'things/src.txt' })),
    );
    expect(selfCopy.name).toBe('InvalidRequest');
  });

  it('lists with prefix, delimiter and continuation tokens', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'listing' }));
    const keys = ['a/1', 'a/2', 'a/b/3', 'c', 'd/4', 'e'];
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: 'listing', Key, Body: Key }));
    const top = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/' }));
    expect(top.Contents?.map((c) => c.Key)).toEqual(['c', 'e']);
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/', 'd/']);
    const underA = await s3.send(
      new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'a/', Delimiter: '/' }),
    );
    expect(underA.Contents?.map((c) => c.Key)).toEqual(['a/1', 'a/2']);
    expect(underA.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/b/']);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: 'listing', MaxKeys: 4, ContinuationToken: token }),
      );
      seen.push(...(page.Contents ?? []).map((c) => c.Key ?? ''));
      token = page.NextContinuationToken;
      pages++;
      if (page.IsTruncated) expect(token).toBeTruthy();
    } while (token);
    expect(pages).toBe(2);
    expect(seen).toEqual(keys);
  });

  it('deletes several objects in one DeleteObjects call', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'things', Key: 'batch/1', Body: '1' }));
    await s3.send(new PutObjectCommand({ Bucket: 'things', Key: 'batch/2', Body: '2' }));
    const out = await s3.send(
      new DeleteObjectsCommand({
        Bucket: 'things',
        Delete: { Objects: [{ Key: 'batch/1' }, { Key: 'batch/2' }] },
      }),
    );
    expect(out.Deleted?.map((d) => d.Key).sort()).toEqual(['batch/1', 'batch/2']);
    const left = await s3.send(new ListObjectsV2Command({ Bucket: 'things', Prefix: 'batch/' }));
    expect(left.KeyCount).toBe(0);
  });
});

describe('S3 tags, ACLs and what is not emulated', () => {
  it('keeps object tags from PutObject, PutObjectTagging and CopyObject', async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: 'things', Key: 'tagged', Body: 't', Tagging: 'tier=free&job=j1' }),
    );
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'things', Key: 'tagged' }))).TagCount).toBe(2);
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: 'things', Key: 'tagged' }));
    expect(Object.fromEntries((tags.TagSet ?? []).map((t) => [t.Key, t.Value]))).toEqual({
      tier: 'free',
      job: 'j1',
    });
    await s3.send(
      new PutObjectTaggingCommand({
        Bucket: 'things',
        Key: 'tagged',
        Tagging: { TagSet: [{ Key: 'tier', Value: 'premium' }] },
      }),
    );
    await s3.send(
      new CopyObjectCommand({ Bucket: 'things', Key: 'tagged-copy', CopySource: 'things/tagged' }),
    );
    const copied = await s3.send(new GetObjectTaggingCommand({ Bucket: 'things', Key: 'tagged-copy' }));
    expect(copied.TagSet).toEqual([{ Key: 'tier', Value: 'premium' }]);
  });

  it('refuses ACLs (buckets are BucketOwnerEnforced) and names sub-resources it does not emulate', async () => {
    const acl = await errorOf(
      s3.send(new PutObjectCommand({ Bucket: 'things', Key: 'public', Body: 'x', ACL: 'public-read' })),
    );
    expect(acl.name).toBe('AccessControlListNotSupported');
    await s3.send(
      new PutObjectCommand({
        Bucket: 'things',
        Key: 'owner-acl',
        Body: 'x',
        ACL: 'bucket-owner-full-control',
      }),
    );
    const website = await errorOf(s3.send(new GetBucketWebsiteCommand({ Bucket: 'things' })));
    expect(website.name).toBe('NotImplemented');
    expect(website.message).toContain('?website');
    const location = await s3.send(new GetBucketLocationCommand({ Bucket: 'things' }));
    expect(location.LocationConstraint ?? '').toBe('');
  });
});

describe('S3 multipart upload', () => {
  it('uploads parts and completes with the multipart ETag; aborting removes the upload', async () => {
    const part1 = Buffer.alloc(5 * 1024 * 1024, 'a');
    const part2 = Buffer.from('tail');
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({
        Bucket: 'things',
        Key: 'big.bin',
        ContentType: 'application/octet-stream',
        Metadata: { job: '42' },
      }),
    );
    const p1 = await s3.send(
      new UploadPartCommand({ Bucket: 'things', Key: 'big.bin', UploadId, PartNumber: 1, Body: part1 }),
    );
    const p2 = await s3.send(
      new UploadPartCommand({ Bucket: 'things', Key: 'big.bin', UploadId, PartNumber: 2, Body: part2 }),
    );
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'things',
        Key: 'big.bin',
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.ETag },
            { PartNumber: 2, ETag: p2.ETag },
          ],
        },
      }),
    );
    expect(done.ETag).toMatch(/^"[0-9a-f]{32}-2"$/);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'things', Key: 'big.bin' }));
    expect(head.ContentLength).toBe(part1.length + part2.length);
    expect(head.Metadata).toEqual({ job: '42' });
    const tail = await s3.send(
      new GetObjectCommand({ Bucket: 'things', Key: 'big.bin', Range: `bytes=${part1.length}-` }),
    );
    expect(await tail.Body?.transformToString()).toBe('tail');

    const second = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'things', Key: 'aborted.bin' }));
    await s3.send(
      new AbortMultipartUploadCommand({ Bucket: 'things', Key: 'aborted.bin', UploadId: second.UploadId }),
    );
    const err = await errorOf(
      s3.send(
        new UploadPartCommand({
          Bucket: 'things',
          Key: 'aborted.bin',
          UploadId: second.UploadId,
          PartNumber: 1,
          Body: 'x',
        }),
      ),
    );
    expect(err.name).toBe('NoSuchUpload');
  });

  it('refuses a completion whose non-last part is under 5 MiB, or whose ETag does not match', async () => {
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'things', Key: 'small-parts.bin' }),
    );
    const p1 = await s3.send(
      new UploadPartCommand({
        Bucket: 'things',
        Key: 'small-parts.bin',
        UploadId,
        PartNumber: 1,
        Body: 'tiny',
      }),
    );
    const p2 = await s3.send(
      new UploadPartCommand({
        Bucket: 'things',
        Key: 'small-parts.bin',
        UploadId,
        PartNumber: 2,
        Body: 'tiny',
      }),
    );
    const small = await errorOf(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'things',
          Key: 'small-parts.bin',
          UploadId,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: p1.ETag },
              { PartNumber: 2, ETag: p2.ETag },
            ],
          },
        }),
      ),
    );
    expect(small.name).toBe('EntityTooSmall');
    const wrong = await errorOf(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'things',
          Key: 'small-parts.bin',
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }] },
        }),
      ),
    );
    expect(wrong.name).toBe('InvalidPart');
  });
});

describe('S3 presigned URLs', () => {
  it('serves a presigned GET and accepts a presigned PUT', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'things', Key: 'report.tsv', Body: 'a\tb\n' }));
    const getUrl = await getSignedUrl(
      s3,
      new GetObjectCommand({
        Bucket: 'things',
        Key: 'report.tsv',
        ResponseContentDisposition: 'attachment; filename="r.tsv"',
      }),
      { expiresIn: 60 },
    );
    const res = await fetch(getUrl);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('a\tb\n');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="r.tsv"');

    const putUrl = await getSignedUrl(
      s3,
      new PutObjectCommand({ Bucket: 'things', Key: 'uploaded via url.txt' }),
      { expiresIn: 60 },
    );
    const put = await fetch(putUrl, { method: 'PUT', body: 'sent by a browser' });
    expect(put.status).toBe(200);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'things', Key: 'uploaded via url.txt' }));
    expect(await got.Body?.transformToString()).toBe('sent by a browser');
  });

  it('accepts a presigned multipart upload (parts PUT by the browser, completed by the server)', async () => {
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'things', Key: 'browser-big.vcf' }),
    );
    const parts = [Buffer.alloc(5 * 1024 * 1024, 'x'), Buffer.from('end')];
    const etags: string[] = [];
    for (const [i, body] of parts.entries()) {
      const url = await getSignedUrl(
        s3,
        new UploadPartCommand({ Bucket: 'things', Key: 'browser-big.vcf', UploadId, PartNumber: i + 1 }),
        { expiresIn: 300 },
      );
      const res = await fetch(url, { method: 'PUT', body: new Uint8Array(body) });
      expect(res.status).toBe(200);
      etags.push(res.headers.get('etag') ?? '');
    }
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'things',
        Key: 'browser-big.vcf',
        UploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'things', Key: 'browser-big.vcf' }));
    expect(head.ContentLength).toBe(5 * 1024 * 1024 + 3);
  });

  it('refuses a tampered presigned URL with 403 SignatureDoesNotMatch', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'things', Key: 'secret-a', Body: 'a' }));
    await s3.send(new PutObjectCommand({ Bucket: 'things', Key: 'secret-b', Body: 'b' }));
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'things', Key: 'secret-a' }), {
      expiresIn: 60,
    });
    const tampered = url.replace('/secret-a?', '/secret-b?');
    const res = await fetch(tampered);
    expect(res.status).toBe(403);
    const body = await res.text();
    expect(body).toContain('<Code>SignatureDoesNotMatch</Code>');
    const longer = url.replace(/X-Amz-Expires=60/, 'X-Amz-Expires=600');
    const res2 = await fetch(longer);
    expect(res2.status).toBe(403);
    expect(await res2.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('refuses an expired presigned URL with 403 AccessDenied "Request has expired"', async () => {
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'things', Key: 'digits' }), {
      expiresIn: 60,
      signingDate: new Date(Date.now() - 3_600_000),
    });
    const res = await fetch(url);
    expect(res.status).toBe(403);
    const body = await res.text();
    expect(body).toContain('<Code>AccessDenied</Code>');
    expect(body).toContain('Request has expired');
  });

  it('refuses an unsigned request with AccessDenied', async () => {
    const res = await fetch(`${t.cloud.url}/things/digits`);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>AccessDenied</Code>');
  });
});

describe('S3 authentication', () => {
  it('refuses a wrong secret (SignatureDoesNotMatch) and an unknown key (InvalidAccessKeyId)', async () => {
    const wrongSecret = s3Client(t.cloud, {
      accessKeyId: t.credentials.accessKeyId,
      secretAccessKey: 'not-the-secret',
    });
    const err = await errorOf(wrongSecret.send(new ListBucketsCommand({})));
    expect(err.name).toBe('SignatureDoesNotMatch');
    expect(err.$metadata.httpStatusCode).toBe(403);
    const unknownKey = s3Client(t.cloud, { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: t.secret });
    const err2 = await errorOf(
      unknownKey.send(new PutObjectCommand({ Bucket: 'things', Key: 'intruder', Body: 'x' })),
    );
    expect(err2.name).toBe('InvalidAccessKeyId');
    wrongSecret.destroy();
    unknownKey.destroy();
    const stillMissing = await errorOf(s3.send(new HeadObjectCommand({ Bucket: 'things', Key: 'intruder' })));
    expect(stillMissing.$metadata.httpStatusCode).toBe(404);
  });
});

describe('S3 persistence', () => {
  it('keeps buckets, objects and metadata across a restart on the same data dir', async () => {
    await s3.send(
      new PutObjectCommand({
        Bucket: 'things',
        Key: 'durable.txt',
        Body: 'still here',
        Metadata: { k: 'v' },
      }),
    );
    const cloud = await t.restart();
    s3.destroy();
    s3 = s3Client(cloud, t.credentials);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'things', Key: 'durable.txt' }));
    expect(await got.Body?.transformToString()).toBe('still here');
    expect(got.Metadata).toEqual({ k: 'v' });
  });
});
