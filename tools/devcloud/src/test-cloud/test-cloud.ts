/**
 * startTestCloud(): the one way a GAS test gets its cloud. It chooses devcloud or LocalStack
 * (choose.ts: GAS_TEST_CLOUD, a Docker probe, the capabilities the test declares), provisions
 * every topic, queue, subscription, bucket, table (and the vault when asked) with the shared
 * provisioning code (`planResources('gas')` + `applyPlan`, the names Terraform declares), and
 * hands back one shape whichever cloud runs:
 *
 *   url, region, accountId, credentials, aws (the AWS_* keys a service's config takes)
 *   plan, provisioned (ARNs, queue URLs, names), clients (SDK clients configured as services do)
 *   snsCertHost + ca (SNS_CERT_HOSTS / SNS_EXTRA_CA_FILE), issueServerCertificate (local CA)
 *   mailbox(to?) (with `sesMailbox`), stripe / oidc (when asked), devcloud (null on LocalStack)
 *   dispose()
 *
 * Every call gets a temp dir of its own (devcloud state, the local CA, stand-in state) and,
 * on devcloud, random keys on free ports. The Stripe stand-in and the identity provider are
 * not AWS: on devcloud they start inside it as before; on LocalStack they start beside it in
 * this process with the same options, trusting the same local CA.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Devcloud, type DevcloudOptions, startDevcloud } from '../devcloud.ts';
import { type RunningIdentityProvider, startIdentityProvider } from '../oidc/index.ts';
import { applyPlan, type ProvisionClients, type ProvisionedResources } from '../provision/apply.ts';
import { createProvisionClients, destroyProvisionClients } from '../provision/clients.ts';
import { type ProvisionPlan, planResources } from '../provision/plan.ts';
import type { Credentials } from '../sigv4/sigv4.ts';
import { type RunningStripeStandIn, startStripeStandIn } from '../stripe/index.ts';
import { ensureLocalCa, type IssuedCertificate, issueCertificate, type LocalCa } from '../tls/local-ca.ts';
import {
  chooseTestCloud,
  type TestCloudBackend,
  type TestCloudCapability,
  TestCloudConfigError,
  type TestCloudDecision,
} from './choose.ts';
import {
  LOCALSTACK_ACCOUNT_ID,
  LOCALSTACK_CREDENTIALS,
  LOCALSTACK_IMAGE,
  localStackMailbox,
  type RunningLocalStack,
  type SentEmail,
  startLocalStack,
} from './localstack.ts';

export interface TestCloudOptions {
  /** Capabilities beyond plain S3/SQS/SNS/DynamoDB (see LOCALSTACK_GAPS in choose.ts). */
  needs?: TestCloudCapability[];
  /** Browser origins allowed to upload to the inputs bucket (its CORS rule). */
  uploadOrigins: string[];
  /** The SES sender identity (default gas@example.org). */
  senderEmail?: string;
  /** devcloud tuning, used when devcloud runs (short restore delays, SNS retry policy, quiet log). */
  devcloud?: Pick<DevcloudOptions, 's3RestoreDelayMs' | 'glacierJobDelayMs' | 'snsDeliveryRetry' | 'log'>;
  /** Start the Stripe stand-in (either cloud). */
  stripe?: DevcloudOptions['stripe'];
  /** Start the OIDC identity provider (either cloud). */
  oidc?: DevcloudOptions['oidc'];
  /** Default process.env (GAS_TEST_CLOUD, DOCKER_HOST, ...). */
  env?: NodeJS.ProcessEnv;
  /** Decide without probing (tests of this module). */
  decision?: TestCloudDecision;
}

export interface TestCloud {
  backend: TestCloudBackend;
  /** Why this backend (one sentence). */
  reason: string;
  /** The AWS endpoint for every SDK client. */
  url: string;
  region: string;
  accountId: string;
  credentials: Credentials;
  /** AWS_REGION, AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY for a service's config. */
  aws: Record<'AWS_REGION' | 'AWS_ENDPOINT_URL' | 'AWS_ACCESS_KEY_ID' | 'AWS_SECRET_ACCESS_KEY', string>;
  plan: ProvisionPlan;
  provisioned: ProvisionedResources;
  /** Provisioning's SDK clients (configured as the services configure theirs); destroyed by dispose. */
  clients: ProvisionClients;
  /** SNS_CERT_HOSTS for a service verifying this cloud's SNS messages. */
  snsCertHost: string;
  /** The local CA (SNS_EXTRA_CA_FILE = ca.certPath on devcloud; certificates for test servers). */
  ca: LocalCa;
  issueServerCertificate(name: string, hosts: string[]): Promise<IssuedCertificate>;
  /** E-mail SES accepted, oldest first (declare `sesMailbox`). */
  mailbox(to?: string): Promise<SentEmail[]>;
  stripe: RunningStripeStandIn | null;
  oidc: RunningIdentityProvider | null;
  /** The devcloud itself when it runs (devcloud-only details); null on LocalStack. */
  devcloud: Devcloud | null;
  dispose(): Promise<void>;
}

const REGION = 'us-east-1';

export async function startTestCloud(options: TestCloudOptions): Promise<TestCloud> {
  const needs = options.needs ?? [];
  const env = options.env ?? process.env;
  const decision = options.decision ?? (await chooseTestCloud({ needs, env }));
  // Said once per test file when it is not the quiet default (auto on a machine without Docker).
  if (decision.backend === 'localstack' || env.GAS_TEST_CLOUD === 'localstack') {
    process.stderr.write(`test cloud: ${decision.backend} (${decision.reason})\n`);
  }
  const dir = await mkdtemp(join(tmpdir(), `gas-test-cloud-${decision.backend}-`));
  const cleanups: (() => Promise<unknown>)[] = [
    () => rm(dir, { recursive: true, force: true, maxRetries: 5 }),
  ];
  const undo = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const base =
      decision.backend === 'devcloud'
        ? await devcloudBase(dir, options, cleanups)
        : await localStackBase(dir, decision, options, cleanups);
    const aws = {
      AWS_REGION: base.region,
      AWS_ENDPOINT_URL: base.url,
      AWS_ACCESS_KEY_ID: base.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: base.credentials.secretAccessKey,
    };
    const plan = planResources('gas');
    const clients = createProvisionClients(aws, needs.includes('glacierVault'));
    cleanups.push(async () => destroyProvisionClients(clients));
    const provisioned = await applyPlan(plan, clients, {
      uploadOrigins: options.uploadOrigins,
      senderEmail: options.senderEmail ?? 'gas@example.org',
    });
    let disposed: Promise<void> | undefined;
    return {
      ...base,
      backend: decision.backend,
      reason: decision.reason,
      aws,
      plan,
      provisioned,
      clients,
      issueServerCertificate: (name, hosts) => issueCertificate(base.ca, name, { hosts, purpose: 'server' }),
      async mailbox(to) {
        if (!needs.includes('sesMailbox')) {
          throw new TestCloudConfigError(
            "mailbox() reads sent e-mail only for tests that declare needs: ['sesMailbox'].",
          );
        }
        return base.readMailbox(to);
      },
      dispose: () => {
        disposed ??= undo();
        return disposed;
      },
    };
  } catch (err) {
    await undo();
    throw err;
  }
}

type CloudBase = Pick<
  TestCloud,
  'url' | 'region' | 'accountId' | 'credentials' | 'snsCertHost' | 'ca' | 'stripe' | 'oidc' | 'devcloud'
> & { readMailbox(to?: string): Promise<SentEmail[]> };

async function devcloudBase(
  dir: string,
  options: TestCloudOptions,
  cleanups: (() => Promise<unknown>)[],
): Promise<CloudBase> {
  const credentials = {
    accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(20).toString('base64'),
  };
  const cloud = await startDevcloud({
    dataDir: join(dir, 'devcloud'),
    port: 0,
    tlsPort: 0,
    credentials: [credentials],
    log: { info() {}, warn() {}, error() {} },
    ...options.devcloud,
    ...(options.stripe ? { stripe: options.stripe } : {}),
    ...(options.oidc ? { oidc: options.oidc } : {}),
  });
  cleanups.push(() => cloud.close());
  return {
    url: cloud.url,
    region: cloud.region,
    accountId: cloud.accountId,
    credentials,
    snsCertHost: cloud.snsCertHost,
    ca: cloud.ca,
    stripe: cloud.stripe,
    oidc: cloud.oidc,
    devcloud: cloud,
    async readMailbox(to) {
      const url = new URL('/_devcloud/mailbox/api/messages', cloud.url);
      if (to) url.searchParams.set('to', to);
      const response = await fetch(url);
      return ((await response.json()) as { messages: SentEmail[] }).messages;
    },
  };
}

async function localStackBase(
  dir: string,
  decision: TestCloudDecision,
  options: TestCloudOptions,
  cleanups: (() => Promise<unknown>)[],
): Promise<CloudBase> {
  let localstack: RunningLocalStack;
  try {
    localstack = await startLocalStack(decision.dockerEndpoint!);
  } catch (err) {
    throw new Error(
      `LocalStack (${LOCALSTACK_IMAGE}) did not start on the Docker engine at ${decision.dockerEndpoint}: ${(err as Error).message}; GAS_TEST_CLOUD=devcloud runs the tests without Docker.`,
      { cause: err },
    );
  }
  cleanups.push(() => localstack.stop());
  const ca = await ensureLocalCa(dir);
  // The stand-ins' own https, when asked, uses a certificate from the same local CA.
  const ownTls = async () => {
    const cert = await issueCertificate(ca, 'stand-ins', {
      hosts: ['localhost', '127.0.0.1'],
      purpose: 'server',
    });
    return { certPem: cert.certPem, keyPem: cert.keyPem, publicHost: 'localhost' };
  };
  let stripe: RunningStripeStandIn | null = null;
  if (options.stripe) {
    const { tls, ...rest } = options.stripe;
    stripe = await startStripeStandIn({
      ...rest,
      ...(tls ? { tls: tls === true ? await ownTls() : tls } : {}),
      trustedCaPems: [ca.certPem, ...(rest.trustedCaPems ?? [])],
      host: '127.0.0.1',
      dataDir: join(dir, 'stripe'),
    });
    const started = stripe;
    cleanups.push(() => started.close());
  }
  let oidc: RunningIdentityProvider | null = null;
  if (options.oidc) {
    const { tls, ...rest } = options.oidc;
    oidc = await startIdentityProvider({
      ...rest,
      ...(tls ? { tls: tls === true ? await ownTls() : tls } : {}),
      host: '127.0.0.1',
      dataDir: join(dir, 'oidc'),
    });
    const started = oidc;
    cleanups.push(() => started.close());
  }
  return {
    url: localstack.url,
    region: REGION,
    accountId: LOCALSTACK_ACCOUNT_ID,
    credentials: LOCALSTACK_CREDENTIALS,
    snsCertHost: localstack.snsCertHost,
    ca,
    stripe,
    oidc,
    devcloud: null,
    readMailbox: (to) => localStackMailbox(localstack.url, to),
  };
}
