/**
 * LocalStack for the tests, through testcontainers: the same pinned image and settings as the
 * `localstack` service in docker-compose.yml (a deploy-checks test compares them), one
 * container per test file, removed on dispose.
 *
 * The container's port 4566 is published on a host port chosen here (free on this machine; with
 * a remote engine it is a guess that rarely fails), and LOCALSTACK_HOST names the engine's host
 * and that port, so every URL LocalStack hands out (queue URLs, SNS SigningCertURL) points at
 * the published port, as the compose stack's do at localhost.localstack.cloud:4566.
 *
 * testcontainers is imported only here and only when LocalStack was chosen: a machine without
 * Docker never loads it.
 */
import { createServer } from 'node:net';
import { simpleParser } from 'mailparser';
import type { MailboxMessage } from '../ses/mailbox.ts';

/** The one pinned LocalStack image (docker-compose.yml must name the same one). */
export const LOCALSTACK_IMAGE = 'localstack/localstack:4.13.1';

/** The APIs GAS calls that LocalStack serves (compose's SERVICES). */
export const LOCALSTACK_SERVICES = ['s3', 'dynamodb', 'sns', 'sqs', 'ses'] as const;

export const LOCALSTACK_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
export const LOCALSTACK_ACCOUNT_ID = '000000000000';

/**
 * The container's environment: compose's settings, with LOCALSTACK_HOST on the published port.
 * S3_SKIP_SIGNATURE_VALIDATION=0 makes LocalStack check presigned URL signatures, as devcloud
 * and AWS do. LOCALSTACK_AUTH_TOKEN is passed through when set (images from March 2026 on need it).
 */
export function localStackEnvironment(hostAndPort: string, env: NodeJS.ProcessEnv = process.env) {
  return {
    SERVICES: LOCALSTACK_SERVICES.join(','),
    LOCALSTACK_HOST: hostAndPort,
    SQS_ENDPOINT_STRATEGY: 'path',
    S3_SKIP_SIGNATURE_VALIDATION: '0',
    ...(env.LOCALSTACK_AUTH_TOKEN ? { LOCALSTACK_AUTH_TOKEN: env.LOCALSTACK_AUTH_TOKEN } : {}),
  };
}

export interface RunningLocalStack {
  /** The AWS endpoint, e.g. http://localhost:49170 */
  url: string;
  /** `host:port` in the SigningCertURLs this LocalStack hands out. */
  snsCertHost: string;
  stop(): Promise<void>;
}

/** Starts the pinned LocalStack on the Docker engine at `dockerEndpoint` and waits until it is ready. */
export async function startLocalStack(dockerEndpoint: string): Promise<RunningLocalStack> {
  // testcontainers reads DOCKER_HOST once, on first use: make it the engine that answered the probe.
  process.env.DOCKER_HOST ??= dockerEndpoint;
  const { getContainerRuntimeClient } = await import('testcontainers');
  const { LocalstackContainer } = await import('@testcontainers/localstack');
  // The engine's host as testcontainers reaches it: localhost for a local socket.
  const host = (await getContainerRuntimeClient()).info.containerRuntime.host;
  const port = await freeTcpPort();
  const hostAndPort = `${host}:${port}`;
  const container = await new LocalstackContainer(LOCALSTACK_IMAGE)
    .withEnvironment(localStackEnvironment(hostAndPort))
    .withExposedPorts({ container: 4566, host: port })
    .start();
  return {
    url: `http://${hostAndPort}`,
    snsCertHost: hostAndPort,
    async stop() {
      await container.stop();
    },
  };
}

/** A sent e-mail as a test reads it from either cloud: the fields devcloud's mailbox and LocalStack's /_aws/ses share. */
export type SentEmail = Pick<MailboxMessage, 'id' | 'from' | 'to' | 'subject' | 'text' | 'html'>;

/** One entry of LocalStack's `GET /_aws/ses` (`{ messages: [...] }`). */
interface LocalStackSentEmail {
  Id: string;
  Source?: string;
  Destination?: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] };
  Subject?: string;
  Body?: { text_part?: string | null; html_part?: string | null };
  /** SendRawEmail / SES v2 Raw content: the MIME message. */
  RawData?: string;
}

/** Every e-mail LocalStack's SES accepted, optionally only those to `to`, oldest first. */
export async function localStackMailbox(endpoint: string, to?: string): Promise<SentEmail[]> {
  const response = await fetch(new URL('/_aws/ses', endpoint));
  if (!response.ok) throw new Error(`LocalStack's /_aws/ses answered ${response.status}`);
  const { messages } = (await response.json()) as { messages: LocalStackSentEmail[] };
  const out: SentEmail[] = [];
  for (const m of messages) {
    const message = m.RawData ? await fromRaw(m.Id, m.RawData) : fromSimple(m);
    if (!to || message.to.some((address) => address.toLowerCase() === to.toLowerCase())) out.push(message);
  }
  return out;
}

function fromSimple(m: LocalStackSentEmail): SentEmail {
  const d = m.Destination ?? {};
  return {
    id: m.Id,
    from: m.Source ?? '',
    to: [...(d.ToAddresses ?? []), ...(d.CcAddresses ?? []), ...(d.BccAddresses ?? [])],
    subject: m.Subject ?? '',
    text: m.Body?.text_part ?? null,
    html: m.Body?.html_part ?? null,
  };
}

async function fromRaw(id: string, raw: string): Promise<SentEmail> {
  const parsed = await simpleParser(raw);
  const addresses = (field: typeof parsed.to) =>
    (Array.isArray(field) ? field : field ? [field] : []).flatMap((a) =>
      a.value.map((v) => v.address ?? '').filter(Boolean),
    );
  return {
    id,
    from: addresses(parsed.from)[0] ?? '',
    to: [...addresses(parsed.to), ...addresses(parsed.cc)],
    subject: parsed.subject ?? '',
    text: parsed.text ?? null,
    html: typeof parsed.html === 'string' ? parsed.html : null,
  };
}

async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
