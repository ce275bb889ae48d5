/**
 * The test-cloud entry point: how it chooses (real probes: a missing socket, a closed port, a
 * tiny fake Docker Engine API on a unix socket that answers /_ping, a server that is not
 * Docker), the one-sentence refusal when LocalStack is forced without Docker, the devcloud path
 * end to end (provisioned names, SDK calls, the mailbox), and LocalStack's mailbox format read
 * from a server that answers /_aws/ses as LocalStack documents it. No container is started here:
 * these machines have no Docker engine (see tools/devcloud/README.md, "Tests on LocalStack").
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chooseTestCloud,
  dockerEndpointCandidates,
  LOCALSTACK_SERVICES,
  localStackEnvironment,
  localStackMailbox,
  startTestCloud,
  TestCloudConfigError,
} from '../src/test-cloud/index.ts';

let dir: string;
/** A tiny Docker Engine API on a unix socket: answers GET /_ping with OK, as dockerd does. */
let fakeDocker: http.Server;
let fakeDockerSocket: string;
let pings = 0;
/** Every request the fake engine got, `METHOD /path`. */
const seen: string[] = [];
/** Something else listening on a socket: answers 404 (not a Docker engine). */
let notDocker: http.Server;
let notDockerSocket: string;
let closedPort: number;

function listenOnSocket(server: http.Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gas-test-cloud-test-'));
  fakeDockerSocket = join(dir, 'docker.sock');
  fakeDocker = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.method === 'GET' && req.url === '/_ping') {
      pings++;
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'api-version': '1.47' }).end('OK');
    } else {
      res.writeHead(404).end('{"message":"page not found"}');
    }
  });
  await listenOnSocket(fakeDocker, fakeDockerSocket);
  notDockerSocket = join(dir, 'other.sock');
  notDocker = http.createServer((_req, res) => res.writeHead(404).end('nothing here'));
  await listenOnSocket(notDocker, notDockerSocket);
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});

afterAll(async () => {
  await new Promise((resolve) => fakeDocker?.close(resolve));
  await new Promise((resolve) => notDocker?.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('choosing the cloud', () => {
  it('auto: devcloud when DOCKER_HOST names a socket that does not exist', async () => {
    const missing = `unix://${join(dir, 'missing.sock')}`;
    const decision = await chooseTestCloud({ env: { DOCKER_HOST: missing } });
    expect(decision.backend).toBe('devcloud');
    expect(decision.reason).toContain(`no Docker engine answered at ${missing} (ENOENT)`);
  });

  it('auto: devcloud when DOCKER_HOST is a closed TCP port', async () => {
    const decision = await chooseTestCloud({ env: { DOCKER_HOST: `tcp://127.0.0.1:${closedPort}` } });
    expect(decision).toMatchObject({ backend: 'devcloud', dockerEndpoint: null });
    expect(decision.reason).toContain('ECONNREFUSED');
  });

  it('auto: devcloud when the socket answers but is not a Docker engine', async () => {
    const decision = await chooseTestCloud({ env: { DOCKER_HOST: `unix://${notDockerSocket}` } });
    expect(decision.backend).toBe('devcloud');
    expect(decision.reason).toContain('not a Docker engine');
  });

  it('auto: LocalStack when an engine answers /_ping on DOCKER_HOST (decision only, no container)', async () => {
    const before = pings;
    const endpoint = `unix://${fakeDockerSocket}`;
    const decision = await chooseTestCloud({ env: { DOCKER_HOST: endpoint } });
    expect(decision).toEqual({
      backend: 'localstack',
      reason: `GAS_TEST_CLOUD=auto and a Docker engine answered at ${endpoint}`,
      dockerEndpoint: endpoint,
    });
    expect(pings).toBe(before + 1);
  });

  it('auto: the first answering engine among the usual places wins, in testcontainers’ order', async () => {
    const decision = await chooseTestCloud({
      env: {},
      dockerEndpoints: [`unix://${join(dir, 'missing.sock')}`, `unix://${fakeDockerSocket}`],
    });
    expect(decision.dockerEndpoint).toBe(`unix://${fakeDockerSocket}`);
    expect(dockerEndpointCandidates({ XDG_RUNTIME_DIR: '/run/user/1234' }).slice(0, 2)).toEqual([
      'unix:///var/run/docker.sock',
      'unix:///run/user/1234/docker.sock',
    ]);
    expect(dockerEndpointCandidates({ DOCKER_HOST: 'tcp://10.0.0.1:2375' })).toEqual(['tcp://10.0.0.1:2375']);
  });

  it('a test needing what LocalStack lacks runs on devcloud, with the reason, even when LocalStack is forced', async () => {
    const env = { DOCKER_HOST: `unix://${fakeDockerSocket}`, GAS_TEST_CLOUD: 'localstack' };
    const decision = await chooseTestCloud({ env, needs: ['sesMailbox', 'snsWebhooks', 'glacierVault'] });
    expect(decision.backend).toBe('devcloud');
    expect(decision.reason).toMatch(/^this test needs what LocalStack does not provide: snsWebhooks \(/);
    expect(decision.reason).toContain(
      'glacierVault (the Glacier vault API is not in the LocalStack community image)',
    );
    expect(decision.reason).not.toContain('sesMailbox');
    // The mailbox alone LocalStack provides (/_aws/ses).
    expect((await chooseTestCloud({ env, needs: ['sesMailbox'] })).backend).toBe('localstack');
  });

  it('GAS_TEST_CLOUD=devcloud asks no Docker engine', async () => {
    const before = pings;
    const decision = await chooseTestCloud({
      env: { GAS_TEST_CLOUD: 'devcloud', DOCKER_HOST: `unix://${fakeDockerSocket}` },
    });
    expect(decision).toEqual({
      backend: 'devcloud',
      reason: 'GAS_TEST_CLOUD=devcloud',
      dockerEndpoint: null,
    });
    expect(pings).toBe(before);
  });

  it('LocalStack chosen: testcontainers talks to the engine that answered, and a failed start names it', async () => {
    const before = seen.length;
    const endpoint = `unix://${fakeDockerSocket}`;
    const saved = process.env.DOCKER_HOST;
    delete process.env.DOCKER_HOST;
    try {
      // The fake engine answers /_ping only, so testcontainers' first real call (GET /info) fails.
      await expect(
        startTestCloud({ uploadOrigins: ['https://gas.test'], env: { DOCKER_HOST: endpoint } }),
      ).rejects.toThrow(
        `LocalStack (localstack/localstack:4.13.1) did not start on the Docker engine at ${endpoint}: `,
      );
      expect(process.env.DOCKER_HOST).toBe(endpoint);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
    expect(seen.slice(before)).toContain('GET /info');
  });

  it('GAS_TEST_CLOUD=localstack without an engine fails with one sentence that says how to fix it', async () => {
    const endpoint = `tcp://127.0.0.1:${closedPort}`;
    const error = await startTestCloud({
      uploadOrigins: ['https://gas.test'],
      env: { GAS_TEST_CLOUD: 'localstack', DOCKER_HOST: endpoint },
    }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(TestCloudConfigError);
    const { message, stack } = error as Error;
    expect(message).toBe(
      `GAS_TEST_CLOUD=localstack needs a Docker engine, and none answered at ${endpoint} (ECONNREFUSED): start Docker (or point DOCKER_HOST at a running engine), or unset GAS_TEST_CLOUD to run the tests on devcloud.`,
    );
    expect(stack).toBe(`TestCloudConfigError: ${message}`);
  });

  it('an unknown GAS_TEST_CLOUD is one sentence too', async () => {
    await expect(chooseTestCloud({ env: { GAS_TEST_CLOUD: 'docker' } })).rejects.toThrow(
      'GAS_TEST_CLOUD=docker is not one of auto, devcloud, localstack; unset it to let the tests choose (LocalStack when Docker answers, devcloud otherwise).',
    );
  });
});

describe('startTestCloud on devcloud (auto, no engine)', () => {
  it('provisions the plan’s names and serves the SDK, the mailbox and the local CA; dispose removes it all', async () => {
    const cloud = await startTestCloud({
      needs: ['sesMailbox'],
      uploadOrigins: ['https://gas.test:4433'],
      env: { DOCKER_HOST: `tcp://127.0.0.1:${closedPort}` },
    });
    try {
      expect(cloud.backend).toBe('devcloud');
      expect(cloud.reason).toContain('no Docker engine answered');
      expect(cloud.aws).toEqual({
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL: cloud.url,
        AWS_ACCESS_KEY_ID: cloud.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: cloud.credentials.secretAccessKey,
      });
      expect(cloud.provisioned.topicArns.jobRequests).toBe(
        'arn:aws:sns:us-east-1:000000000000:gas-job-requests',
      );
      expect(cloud.provisioned.queueUrls.annotatorJobRequests).toBe(
        `${cloud.url}/000000000000/gas-annotator-job-requests`,
      );
      expect(cloud.provisioned.buckets).toEqual(cloud.plan.buckets);
      expect(cloud.provisioned.resultsVault).toBeNull();

      await cloud.clients.s3.send(
        new PutObjectCommand({ Bucket: cloud.provisioned.buckets.inputs, Key: 'k', Body: 'v' }),
      );
      const got = await cloud.clients.s3.send(
        new GetObjectCommand({ Bucket: cloud.provisioned.buckets.inputs, Key: 'k' }),
      );
      expect(await got.Body!.transformToString()).toBe('v');

      const queueUrl = cloud.provisioned.queueUrls.notifierJobCompleted;
      await cloud.clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'hello' }));
      const received = await cloud.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }),
      );
      expect(received.Messages?.[0]?.Body).toBe('hello');

      await cloud.clients.sesv2.send(
        new SendEmailCommand({
          FromEmailAddress: 'gas@example.org',
          Destination: { ToAddresses: ['ada@example.org'] },
          Content: { Simple: { Subject: { Data: 'Your job' }, Body: { Text: { Data: 'done' } } } },
        }),
      );
      const mail = await cloud.mailbox('ada@example.org');
      expect(mail.map((m) => [m.from, m.to, m.subject, m.text?.trim()])).toEqual([
        ['gas@example.org', ['ada@example.org'], 'Your job', 'done'],
      ]);

      const cert = await cloud.issueServerCertificate('web', ['localhost']);
      expect((await stat(cert.certPath)).isFile()).toBe(true);
      expect(cloud.ca.certPath.startsWith(cloud.devcloud!.dataDir)).toBe(true);
    } finally {
      await cloud.dispose();
    }
    await expect(stat(cloud.devcloud!.dataDir)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(fetch(cloud.url)).rejects.toThrow();
  });

  it('mailbox() is refused, in one sentence, to a test that did not declare sesMailbox', async () => {
    const cloud = await startTestCloud({
      uploadOrigins: ['https://gas.test'],
      env: { GAS_TEST_CLOUD: 'devcloud' },
    });
    try {
      await expect(cloud.mailbox()).rejects.toThrow(
        "mailbox() reads sent e-mail only for tests that declare needs: ['sesMailbox'].",
      );
    } finally {
      await cloud.dispose();
    }
  });
});

describe('LocalStack settings and its mailbox format (no container)', () => {
  it('the container gets compose’s services and names the published port in the URLs it hands out', () => {
    expect(localStackEnvironment('localhost:49170', {})).toEqual({
      SERVICES: 's3,dynamodb,sns,sqs,ses',
      LOCALSTACK_HOST: 'localhost:49170',
      SQS_ENDPOINT_STRATEGY: 'path',
      S3_SKIP_SIGNATURE_VALIDATION: '0',
    });
    expect(
      localStackEnvironment('localhost:1', { LOCALSTACK_AUTH_TOKEN: 'ls-token' }).LOCALSTACK_AUTH_TOKEN,
    ).toBe('ls-token');
    expect([...LOCALSTACK_SERVICES].sort()).toEqual(['dynamodb', 's3', 'ses', 'sns', 'sqs']);
  });

  it('reads /_aws/ses (simple and raw messages) into the devcloud mailbox shape, filtered by recipient', async () => {
    const raw = [
      'From: GAS <gas@example.org>',
      'To: bob@example.org',
      'Subject: Raw one',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'raw body',
      '',
    ].join('\r\n');
    const server = http.createServer((req, res) => {
      if (req.url !== '/_aws/ses') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          messages: [
            {
              Id: 'm-1',
              Region: 'us-east-1',
              Source: 'gas@example.org',
              Destination: { ToAddresses: ['Ada@example.org'] },
              Subject: 'Your job',
              Body: { text_part: 'done', html_part: '<p>done</p>' },
              Timestamp: '2026-11-22T04:00:00',
            },
            {
              Id: 'm-2',
              Region: 'us-east-1',
              Source: 'gas@example.org',
              RawData: raw,
              Timestamp: '2026-11-22T04:01:00',
            },
          ],
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      expect(await localStackMailbox(endpoint, 'ada@example.org')).toEqual([
        {
          id: 'm-1',
          from: 'gas@example.org',
          to: ['Ada@example.org'],
          subject: 'Your job',
          text: 'done',
          html: '<p>done</p>',
        },
      ]);
      const all = await localStackMailbox(endpoint);
      expect(all.map((m) => [m.id, m.from, m.to, m.subject, m.text?.trim()])).toEqual([
        ['m-1', 'gas@example.org', ['Ada@example.org'], 'Your job', 'done'],
        ['m-2', 'gas@example.org', ['bob@example.org'], 'Raw one', 'raw body'],
      ]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
