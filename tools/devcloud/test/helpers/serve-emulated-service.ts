/**
 * Mounts one EmulatedService on a plain HTTP server on 127.0.0.1:0, the way the devcloud edge
 * hands requests over (buffered body, lower-cased headers, the signing name and access key id
 * read from the SigV4 Authorization header). It does NOT verify signatures: the edge's own tests
 * cover that; these tests are about the emulated APIs behind it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { DevcloudContext, EdgeRequest, EmulatedService } from '../../src/edge/types.ts';

export interface PublishedToSns {
  topicArn: string;
  message: string;
  subject?: string;
}

export function testContext(dataDir: string, published: PublishedToSns[] = []): DevcloudContext {
  return {
    dataDir,
    region: 'us-east-1',
    accountId: '000000000000',
    edgeUrl: 'http://127.0.0.1:0',
    async publishToSns(topicArn, message, subject) {
      published.push({ topicArn, message, subject });
    },
    log: { info() {}, warn() {}, error() {} },
  };
}

export async function serveEmulatedService(
  service: EmulatedService,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const scope = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(
      headers.authorization ?? '',
    );
    const edgeRequest: EdgeRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers,
      body: Buffer.concat(chunks),
      service: scope?.[3] ?? service.signingNames[0]!,
      region: scope?.[2] ?? 'us-east-1',
      accessKeyId: scope?.[1] ?? null,
    };
    try {
      const answer = await service.handle(edgeRequest);
      res.writeHead(answer.status, answer.headers);
      if (answer.body instanceof Readable) answer.body.pipe(res);
      else res.end(answer.body);
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await service.close?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
