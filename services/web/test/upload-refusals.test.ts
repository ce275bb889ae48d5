/**
 * What web refuses before any byte is uploaded (issue #10, bad input): `GET /annotate/presign`
 * judges the chosen file by its name and size only (the content is the engine's business, see
 * services/annotator/test/bad-input-corpus.test.ts). Complements jobs.test.ts, which covers the
 * Free limit, a .txt name, the S3 policy and the submit-time refusals: here an empty file,
 * names that look like VCFs but are not (other compressions, BCF) and the accepted spellings.
 * Every refusal is a 4xx with a sentence.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebClient } from './helpers/clients.ts';
import { buildTestApp, startTestStack, type TestStack } from './helpers/stack.ts';

let stack: TestStack;
let app: FastifyInstance;
let frances: WebClient;

beforeAll(async () => {
  stack = await startTestStack();
  ({ app } = await buildTestApp(stack));
  frances = new WebClient(app);
  await frances.signIn('free@example.org');
}, 60_000);

afterAll(async () => {
  await app?.close();
  await stack?.close();
});

const presign = (client: WebClient, fileName: string, size: number) =>
  client.get(`/annotate/presign?file_name=${encodeURIComponent(fileName)}&size=${size}`);

describe('the upload is refused before it starts', () => {
  it('an empty file: 400 with a sentence', async () => {
    const response = await presign(frances, 'variants.vcf', 0);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ message: 'The file is empty.' });
  });

  it('names that are not a VCF or VCF.gz: 400 naming the file and what is accepted', async () => {
    for (const name of [
      'variants.bcf',
      'variants.vcf.zip',
      'variants.vcf.bz2',
      'variants.vcf.xz',
      'variants.txt.gz',
      'vcf',
      'variants.vcf.gz.part',
    ]) {
      const response = await presign(frances, name, 1000);
      expect(response.statusCode, name).toBe(400);
      expect(response.json().message, name).toBe(`"${name}" is not a VCF: choose a .vcf or .vcf.gz file.`);
    }
  });

  it('the spellings of VCF that are accepted: presigned fields for that exact name', async () => {
    for (const name of ['variants.VCF', 'variants.vcf.GZ', 'variants.vcf.bgz']) {
      const response = await presign(frances, name, 1000);
      expect(response.statusCode, name).toBe(200);
      expect(response.json().fields.key, name).toMatch(new RegExp(`~${name.replaceAll('.', '\\.')}$`));
    }
  });
});
