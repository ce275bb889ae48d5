/**
 * startDevcloud(): one process with every emulated API behind the edge.
 *
 * Two listeners share one handler: plain HTTP (default 127.0.0.1:4566, the endpoint services
 * are configured with, as with LocalStack) and HTTPS (default 127.0.0.1:4567) with a
 * certificate from devcloud's local CA. SNS hands out `https://localhost:<tlsPort>/...` links
 * (SigningCertURL, SubscribeURL, UnsubscribeURL), so a service that verifies SNS messages
 * allows the host `localhost` and trusts `<dataDir>/tls/ca.pem`.
 *
 * Start order: bind both listeners (their URLs go into every API's context), make or load the
 * CA and certificates, then create the APIs. Close order: stop accepting, let every API flush
 * its state, close connections.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { DynamoDbService } from './dynamodb/dynamodb.ts';
import { createEdgeHandler, MAILBOX_PREFIX } from './edge/edge.ts';
import type { DevcloudContext, EmulatedService } from './edge/types.ts';
import { FaultInjector } from './faults/faults.ts';
import { createGlacierService } from './glacier/index.ts';
import {
  type IdentityProviderOptions,
  type RunningIdentityProvider,
  startIdentityProvider,
} from './oidc/index.ts';
import { createS3Service } from './s3/s3.ts';
import { createSesService } from './ses/index.ts';
import type { Credentials } from './sigv4/sigv4.ts';
import { createSnsService, DEFAULT_DELIVERY_RETRY, type DeliveryRetryPolicy } from './sns/sns.ts';
import { createSqsService } from './sqs/sqs.ts';
import { type RunningStripeStandIn, type StripeStandInOptions, startStripeStandIn } from './stripe/index.ts';
import {
  DEFAULT_TLS_HOSTS,
  ensureLocalCa,
  type IssuedCertificate,
  issueCertificate,
  type LocalCa,
} from './tls/local-ca.ts';

export type DevcloudLogger = DevcloudContext['log'];

export interface DevcloudOptions {
  /** State folder (S3 objects, queues, topics, DynamoDB, mailbox, vaults, CA). Created if missing. */
  dataDir: string;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** HTTP edge port (default 4566; 0 = any free port). */
  port?: number;
  /** HTTPS edge port (default 4567; 0 = any free port). */
  tlsPort?: number;
  /** Host name put into https URLs devcloud hands out (default `localhost`). */
  publicHost?: string;
  region?: string;
  accountId?: string;
  /** Accepted access keys (default: the LocalStack-style `test` / `test`). */
  credentials?: Credentials[];
  /** How long S3 RestoreObject takes (default 3000 ms). */
  s3RestoreDelayMs?: number;
  /** How long a Glacier retrieval job takes (default 3000 ms). */
  glacierJobDelayMs?: number;
  /** SNS HTTP(S) delivery retries (default 6 attempts, 1 s doubling to 20 s). */
  snsDeliveryRetry?: Partial<DeliveryRetryPolicy>;
  /** Extra CAs trusted for SNS HTTPS deliveries (devcloud's own CA is always trusted). */
  trustedCaPems?: string[];
  /** Extra names on the HTTPS certificate (localhost, 127.0.0.1 and ::1 are always there). */
  tlsHosts?: string[];
  /** Largest request body accepted (default 1 GiB; bodies are buffered). */
  maxBodyBytes?: number;
  log?: DevcloudLogger;
  /**
   * Start the Stripe stand-in (its own server, state in `<dataDir>/stripe`); off when absent.
   * `tls: true` serves it over https with devcloud's own certificate (from the local CA).
   */
  stripe?: Omit<StripeStandInOptions, 'dataDir' | 'host' | 'tls'> & {
    tls?: StripeStandInOptions['tls'] | true;
  };
  /** Start the OIDC identity provider (its own server, state in `<dataDir>/oidc`); off when absent. `tls: true` as for stripe. */
  oidc?: Omit<IdentityProviderOptions, 'dataDir' | 'host' | 'tls'> & {
    tls?: IdentityProviderOptions['tls'] | true;
  };
}

export interface Devcloud {
  /** HTTP edge, the AWS endpoint for every SDK client, e.g. http://127.0.0.1:4566 */
  url: string;
  /** HTTPS edge (same APIs), e.g. https://localhost:4567 */
  httpsUrl: string;
  region: string;
  accountId: string;
  credentials: Credentials;
  dataDir: string;
  /** The local CA: PEM and file path (`<dataDir>/tls/ca.pem`), for services to trust. */
  ca: LocalCa;
  /**
   * `host:port` of SigningCertURL / SubscribeURL / UnsubscribeURL (e.g. `localhost:4567`): the
   * value a verifier's allowed-hosts list needs (service-kit compares host and port exactly).
   */
  snsCertHost: string;
  signingCertUrl: string;
  mailboxUrl: string;
  /** The Stripe stand-in, when `stripe` options were given. */
  stripe: RunningStripeStandIn | null;
  /** The OIDC identity provider, when `oidc` options were given. */
  oidc: RunningIdentityProvider | null;
  /** Test-only fault injection (also on the edge at `/_devcloud/faults`); see faults/faults.ts. */
  faults: FaultInjector;
  /** Issues (or reuses) a server certificate from the local CA, e.g. for the web service's TLS. */
  issueServerCertificate(name: string, hosts: string[]): Promise<IssuedCertificate>;
  close(): Promise<void>;
}

export const DEFAULT_CREDENTIALS: Credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** Writes JSON lines to stderr (info only with DEVCLOUD_VERBOSE-style opt-in by the caller). */
export function jsonLineLogger(name: string, verbose: boolean): DevcloudLogger {
  const write = (level: string, obj: object, msg?: string): void => {
    const record: Record<string, unknown> = { level, time: new Date().toISOString(), name, msg };
    for (const [k, v] of Object.entries(obj))
      record[k] = v instanceof Error ? { message: v.message, stack: v.stack } : v;
    process.stderr.write(`${JSON.stringify(record)}\n`);
  };
  return {
    info: (obj, msg) => {
      if (verbose) write('info', obj, msg);
    },
    warn: (obj, msg) => write('warn', obj, msg),
    error: (obj, msg) => write('error', obj, msg),
  };
}

/**
 * One devcloud per data dir: `<dataDir>/devcloud.lock` holds the owner's pid. A lock whose
 * process is gone (a crash) is taken over; a live one stops the start with a sentence.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lockPath = join(dataDir, 'devcloud.lock');
  const token = `${process.pid}:${randomUUID()}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lockPath, token, { flag: 'wx' });
      return async () => {
        if ((await readFile(lockPath, 'utf8').catch(() => '')) === token) await rm(lockPath, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number((await readFile(lockPath, 'utf8').catch(() => '')).split(':')[0]);
      let alive = false;
      if (Number.isInteger(owner) && owner > 0) {
        try {
          process.kill(owner, 0);
          alive = true;
        } catch (probe) {
          alive = (probe as NodeJS.ErrnoException).code === 'EPERM';
        }
      }
      if (alive) {
        throw new Error(
          `devcloud: the data dir ${dataDir} is in use by another devcloud (pid ${owner}); stop it or choose another --data-dir.`,
        );
      }
      await rm(lockPath, { force: true });
    }
  }
  throw new Error(`devcloud: could not lock the data dir ${dataDir}.`);
}

function listen(server: http.Server | https.Server, port: number, host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolvePort((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: http.Server | https.Server): Promise<void> {
  return new Promise((done) => {
    server.close(() => done());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 200).unref();
  });
}

export async function startDevcloud(opts: DevcloudOptions): Promise<Devcloud> {
  const dataDir = resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true });
  const host = opts.host ?? '127.0.0.1';
  const region = opts.region ?? 'us-east-1';
  const accountId = opts.accountId ?? '000000000000';
  const credentials = opts.credentials ?? [DEFAULT_CREDENTIALS];
  if (credentials.length === 0) throw new Error('devcloud needs at least one access key (credentials).');
  const log = opts.log ?? jsonLineLogger('devcloud', false);
  const publicHost = opts.publicHost ?? 'localhost';
  const unlock = await lockDataDir(dataDir);
  try {
    return await startLocked(opts, {
      dataDir,
      host,
      region,
      accountId,
      credentials,
      log,
      publicHost,
      unlock,
    });
  } catch (err) {
    await unlock();
    throw err;
  }
}

async function startLocked(
  opts: DevcloudOptions,
  resolved: {
    dataDir: string;
    host: string;
    region: string;
    accountId: string;
    credentials: Credentials[];
    log: DevcloudLogger;
    publicHost: string;
    unlock: () => Promise<void>;
  },
): Promise<Devcloud> {
  const { dataDir, host, region, accountId, credentials, log, publicHost, unlock } = resolved;

  const ca = await ensureLocalCa(dataDir);
  const tlsHosts = [...new Set([...DEFAULT_TLS_HOSTS, publicHost, ...(opts.tlsHosts ?? [])])];
  const serverCert = await issueCertificate(ca, 'devcloud-tls', {
    hosts: tlsHosts,
    purpose: 'server',
    commonName: publicHost,
  });
  const snsCert = await issueCertificate(ca, 'sns-signing', {
    hosts: [],
    purpose: 'signing',
    commonName: 'sns.devcloud.localhost',
  });

  let services: EmulatedService[] = [];
  const faults = new FaultInjector();
  const handler = createEdgeHandler({
    faults,
    credentials,
    services: () => services,
    defaultRegion: region,
    log,
    maxBodyBytes: opts.maxBodyBytes ?? 1024 * 1024 * 1024,
  });
  const httpServer = http.createServer(handler);
  const httpsServer = https.createServer({ key: serverCert.keyPem, cert: serverCert.certPem }, handler);
  httpServer.requestTimeout = 0;
  httpsServer.requestTimeout = 0;
  const port = await listen(httpServer, opts.port ?? 4566, host);
  let tlsPort: number;
  try {
    tlsPort = await listen(httpsServer, opts.tlsPort ?? 4567, host);
  } catch (err) {
    await closeServer(httpServer);
    throw err;
  }
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `http://${urlHost.includes(':') ? `[${urlHost}]` : urlHost}:${port}`;
  const httpsUrl = `https://${publicHost}:${tlsPort}`;

  const ctx: DevcloudContext = {
    dataDir,
    region,
    accountId,
    edgeUrl: url,
    log,
    publishToSns: async (topicArn, message, subject) => {
      await sns.publish(topicArn, message, subject);
    },
  };
  const sqs = createSqsService(ctx, faults);
  const sns = createSnsService(ctx, {
    sqs,
    signingKeyPem: snsCert.keyPem,
    signingCertPem: snsCert.certPem,
    publicHttpsUrl: httpsUrl,
    trustedCaPems: [ca.certPem, ...(opts.trustedCaPems ?? [])],
    retry: { ...DEFAULT_DELIVERY_RETRY, ...(opts.snsDeliveryRetry ?? {}) },
    faults,
  });
  const s3 = createS3Service(ctx, { credentials, restoreDelayMs: opts.s3RestoreDelayMs ?? 3000, faults });
  let dynamodb: DynamoDbService;
  try {
    dynamodb = await DynamoDbService.start(ctx);
  } catch (err) {
    await Promise.all([
      closeServer(httpServer),
      closeServer(httpsServer),
      sqs.close(),
      sns.close(),
      s3.close(),
    ]);
    throw err;
  }
  const ses = createSesService(ctx);
  const glacier = createGlacierService(ctx, { jobDelayMs: opts.glacierJobDelayMs ?? 3000 });
  services = [s3, sqs, sns, dynamodb, ses, glacier];
  const stopApis = async (): Promise<void> => {
    const closingServers = Promise.all([closeServer(httpServer), closeServer(httpsServer)]);
    for (const s of services) await s.close?.();
    await closingServers;
  };

  // The stand-ins that are not AWS APIs run their own servers beside the edge.
  let stripe: RunningStripeStandIn | null = null;
  let oidc: RunningIdentityProvider | null = null;
  try {
    const ownTls = { certPem: serverCert.certPem, keyPem: serverCert.keyPem, publicHost };
    if (opts.stripe) {
      const { tls, ...stripeOpts } = opts.stripe;
      stripe = await startStripeStandIn({
        ...stripeOpts,
        ...(tls ? { tls: tls === true ? ownTls : tls } : {}),
        // Webhook endpoints (the web service) serve certificates from this local CA.
        trustedCaPems: [ca.certPem, ...(stripeOpts.trustedCaPems ?? [])],
        host,
        dataDir: join(dataDir, 'stripe'),
        log: opts.stripe.log ?? ((message, detail) => log.info(detail ?? {}, `stripe: ${message}`)),
      });
    }
    if (opts.oidc) {
      const { tls, ...oidcOpts } = opts.oidc;
      oidc = await startIdentityProvider({
        ...oidcOpts,
        ...(tls ? { tls: tls === true ? ownTls : tls } : {}),
        host,
        dataDir: join(dataDir, 'oidc'),
      });
    }
  } catch (err) {
    await stripe?.close();
    await stopApis();
    throw err;
  }
  log.info({ url, httpsUrl, dataDir, stripe: stripe?.url, oidc: oidc?.issuer }, 'devcloud: started');

  let closing: Promise<void> | null = null;
  return {
    url,
    httpsUrl,
    region,
    accountId,
    credentials: credentials[0] as Credentials,
    dataDir,
    ca,
    snsCertHost: new URL(httpsUrl).host,
    signingCertUrl: sns.signingCertUrl,
    mailboxUrl: `${url}${MAILBOX_PREFIX}`,
    stripe,
    oidc,
    faults,
    issueServerCertificate: (name, hosts) => issueCertificate(ca, name, { hosts, purpose: 'server' }),
    close() {
      closing ??= (async () => {
        await Promise.all([stripe?.close(), oidc?.close()]);
        await stopApis();
        await unlock();
      })();
      return closing;
    },
  };
}
