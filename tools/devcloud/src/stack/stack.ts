/**
 * The whole of GAS on one machine, no Docker: devcloud (S3, SQS, SNS, DynamoDB, SES, Glacier
 * behind one SigV4 edge), the Stripe stand-in, the OIDC identity provider, PostgreSQL, and the
 * five services, each service its own process as in production.
 *
 * Start order: devcloud (its local CA also signs web's TLS certificate) -> PostgreSQL ->
 * provisioning (same code as docker-compose's one-shot) -> identity provider + Stripe stand-in
 * (which need web's URLs) -> services, each waited for on /readyz -> webhook subscriptions (SNS
 * confirms them with the running services). Close order is the reverse. All state lives in
 * `dataDir`, so a second start reuses users, jobs, objects and mail.
 *
 * For fault tests (test/faults/): `startService` starts a stopped or killed service again with
 * the same environment, `ownPostgres` runs a private PostgreSQL that a test may restart, and
 * `serviceEnv` adds environment per service; main.ts exposes them on its test control channel.
 */
import { mkdir, rm } from 'node:fs/promises';
import https from 'node:https';
import { join, resolve } from 'node:path';
import resources from '../../../../packages/contracts/resources.json' with { type: 'json' };
import { DEFAULT_CREDENTIALS, type Devcloud, jsonLineLogger, startDevcloud } from '../devcloud.ts';
import { DEMO_USERS, type RunningIdentityProvider, startIdentityProvider } from '../oidc/index.ts';
import { applyPlan, type ProvisionedResources, subscribeWebhooks } from '../provision/apply.ts';
import { createProvisionClients, destroyProvisionClients } from '../provision/clients.ts';
import { planResources, type ServiceName } from '../provision/plan.ts';
import {
  GAS_PREMIUM_LOOKUP_KEY,
  gasDemoSeed,
  type RunningStripeStandIn,
  startStripeStandIn,
} from '../stripe/index.ts';
import { resourceEnvironment } from './environment.ts';
import { freePort } from './free-port.ts';
import { createLoadTestAccounts, LOAD_TEST_ACCOUNTS_FILE } from './load-test-accounts.ts';
import { ensurePostgres, type LocalPostgres } from './postgres.ts';
import { type ManagedProcess, startProcess, waitUntilReady } from './processes.ts';
import { loadOrCreateSecrets } from './secrets.ts';

export const SERVICES: ServiceName[] = ['web', 'annotator', 'notifier', 'archiver', 'thawer'];

export interface StackOptions {
  /** Repository root (services are started from `<repoRoot>/services/<name>`). */
  repoRoot: string;
  /** All state: devcloud, PostgreSQL (when the stack runs its own), identity provider, Stripe, secrets. */
  dataDir: string;
  /** Pick free ports for everything instead of the fixed ones in resources.json (tests). */
  freePorts?: boolean;
  /** Where service output goes (default stdout), each line prefixed by the service name. */
  out?: NodeJS.WritableStream;
  /** Free-tier retention before archive, seconds (demo default 300 as in the original service). */
  freeRetentionSeconds?: number;
  /** PostgreSQL database of the accounts store (default `gas`). */
  databaseName?: string;
  /** Only these services (default all five). */
  services?: ServiceName[];
  /**
   * Tests: run a private PostgreSQL from the installed binaries in `<dataDir>/postgres` on a
   * free port even when one answers on 127.0.0.1:5432 (so a test may restart it).
   */
  ownPostgres?: boolean;
  /** Tests: extra environment per service, over the stack's own (e.g. shorter leases). */
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  /**
   * Start for a load test: this many extra accounts (load-test-accounts.ts) and web's per-client
   * rate limit lifted, since every simulated user comes from the same address.
   */
  loadTestUsers?: number;
}

export interface RunningStack {
  urls: { web: string; mailbox: string; stripe: string; identityProvider: string; devcloud: string };
  servicePorts: Record<ServiceName, number>;
  caCertPath: string;
  /** The running service processes (an entry is replaced when a service is started again). */
  processes: ManagedProcess[];
  /** Starts a service that is not running (stopped or killed) with the same environment, waits for /readyz. */
  startService(name: ServiceName): Promise<ManagedProcess>;
  postgres: LocalPostgres;
  /** The embedded devcloud (its `faults` are the test-only fault injection). */
  devcloud: Devcloud;
  /** `<dataDir>/load-test-accounts.json` when started with `loadTestUsers`. */
  loadTestAccountsFile?: string;
  close(): Promise<void>;
}

/** GET over https trusting the local CA; resolves on 2xx. */
function httpsReady(url: string, ca: string): Promise<boolean> {
  return new Promise((done) => {
    const req = https.get(url, { ca, timeout: 2000 }, (res) => {
      res.resume();
      done((res.statusCode ?? 500) < 300);
    });
    req.on('error', () => done(false));
    req.on('timeout', () => req.destroy());
  });
}

export async function startStack(opts: StackOptions): Promise<RunningStack> {
  const repoRoot = resolve(opts.repoRoot);
  const dataDir = resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true });
  const wanted = opts.services ?? SERVICES;
  const port = async (fixed: number) => (opts.freePorts ? freePort() : fixed);

  const cleanups: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    cleanups.length = 0;
  };

  try {
    const devcloud: Devcloud = await startDevcloud({
      dataDir: join(dataDir, 'devcloud'),
      port: await port(resources.ports.devcloud),
      tlsPort: await port(resources.ports.devcloud + 1),
      log: jsonLineLogger('devcloud', false),
    });
    cleanups.push(() => devcloud.close());

    const servicePorts = {} as Record<ServiceName, number>;
    for (const name of SERVICES) servicePorts[name] = await port(resources.ports[name]);
    const webUrl = `https://localhost:${servicePorts.web}`;
    const webCert = await devcloud.issueServerCertificate('web', ['localhost', '127.0.0.1']);

    const postgres: LocalPostgres = await ensurePostgres({
      dataDir,
      database: opts.databaseName ?? 'gas',
      ...(opts.ownPostgres ? { alwaysOwn: true, ownPort: await freePort() } : {}),
    });
    cleanups.push(() => postgres.close());

    const plan = planResources('gas');
    const aws = {
      AWS_REGION: devcloud.region,
      AWS_ENDPOINT_URL: devcloud.url,
      AWS_ACCESS_KEY_ID: DEFAULT_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DEFAULT_CREDENTIALS.secretAccessKey,
    };
    const clients = createProvisionClients(aws, true);
    cleanups.push(async () => destroyProvisionClients(clients));
    const senderEmail = 'gas@example.org';
    const provisioned: ProvisionedResources = await applyPlan(plan, clients, {
      uploadOrigins: [webUrl],
      senderEmail,
    });

    const secrets = await loadOrCreateSecrets(dataDir);
    const oidcClient = {
      client_id: 'gas-web',
      client_secret: secrets.oidcClientSecret,
      redirect_uris: [`${webUrl}/auth/callback`],
      post_logout_redirect_uris: [`${webUrl}/`],
    };
    const loadTest = opts.loadTestUsers
      ? await createLoadTestAccounts(dataDir, opts.loadTestUsers)
      : await rm(join(dataDir, LOAD_TEST_ACCOUNTS_FILE), { force: true });
    const identityProvider: RunningIdentityProvider = await startIdentityProvider({
      dataDir: join(dataDir, 'identity-provider'),
      port: await port(4569),
      clients: [oidcClient],
      users: loadTest ? [...DEMO_USERS, ...loadTest.users] : DEMO_USERS,
    });
    cleanups.push(() => identityProvider.close());

    const stripe: RunningStripeStandIn = await startStripeStandIn({
      dataDir: join(dataDir, 'stripe'),
      port: await port(4568),
      webhooks: [{ url: `${webUrl}/stripe/webhook`, secret: secrets.stripeWebhookSecret }],
      seed: gasDemoSeed(),
      trustedCaPems: [devcloud.ca.certPem],
    });
    cleanups.push(() => stripe.close());

    const shared = resolve(repoRoot, '../shared/data');
    const common: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'development',
      // Node 20 here, Node 22 in the images: the SDK's notice about its 2027 releases is known.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      ...aws,
      SNS_CERT_HOSTS: devcloud.snsCertHost,
      SNS_EXTRA_CA_FILE: devcloud.ca.certPath,
      NODE_EXTRA_CA_CERTS: devcloud.ca.certPath,
      WEB_BASE_URL: webUrl,
      MAIL_FROM: senderEmail,
    };
    const perService: Record<ServiceName, Record<string, string>> = {
      web: {
        DATABASE_URL: postgres.databaseUrl,
        TLS_CERT_FILE: webCert.certPath,
        TLS_KEY_FILE: webCert.keyPath,
        SESSION_SECRET: secrets.sessionSecret,
        OIDC_ISSUER_URL: identityProvider.issuer,
        OIDC_CLIENT_ID: oidcClient.client_id,
        OIDC_CLIENT_SECRET: oidcClient.client_secret,
        OIDC_REDIRECT_URL: oidcClient.redirect_uris[0]!,
        STRIPE_SECRET_KEY: stripe.secretKey,
        STRIPE_WEBHOOK_SECRET: secrets.stripeWebhookSecret,
        STRIPE_API_HOST: stripe.host,
        STRIPE_API_PORT: String(stripe.port),
        STRIPE_API_PROTOCOL: 'http',
        STRIPE_PRICE_LOOKUP_KEY: GAS_PREMIUM_LOOKUP_KEY,
        // A load test's users all share one address, which the per-client limit would throttle.
        ...(loadTest ? { RATE_LIMIT_PER_MINUTE: '1000000' } : {}),
      },
      annotator: {
        // The engine's bundle for ../shared/data (GRCh38 chr21, Ensembl 84, the dbSNP-derived
        // VEP cache variants and a ClinVar subset): results carry rsIDs, ClinVar and allele
        // frequencies, and their headers name the bundle. Its paths resolve from `shared`.
        REFERENCE_BUNDLE_DIR: join(repoRoot, 'packages/annotation-engine/bundles/grch38-chr21'),
        REFERENCE_BUNDLE_ROOT: shared,
        SCRATCH_DIR: join(dataDir, 'annotator-scratch'),
      },
      notifier: {},
      archiver: {
        FREE_RETENTION_SECONDS: String(opts.freeRetentionSeconds ?? 300),
        // The demo's window is minutes, so the due-time sweep runs every few seconds.
        SWEEP_INTERVAL_SECONDS: '5',
        COLD_STORAGE_BACKEND: 's3-glacier',
      },
      thawer: { COLD_STORAGE_BACKEND: 's3-glacier', RESTORE_TIER: 'Expedited' },
    };

    const processes: ManagedProcess[] = [];
    cleanups.push(async () => {
      await Promise.all(processes.map((p) => p.stop()));
    });
    const spawnService = (name: ServiceName): ManagedProcess =>
      startProcess({
        name,
        command: process.execPath,
        args: ['--import', 'tsx', 'src/server.ts'],
        cwd: join(repoRoot, 'services', name),
        env: {
          ...common,
          ...resourceEnvironment(name, plan, provisioned),
          ...perService[name],
          ...opts.serviceEnv?.[name],
          PORT: String(servicePorts[name]),
        },
        out: opts.out,
      });
    const waitReady = async (proc: ManagedProcess): Promise<void> => {
      const name = proc.name as ServiceName;
      if (name === 'web') {
        const until = Date.now() + 60_000;
        while (!(await httpsReady(`${webUrl}/readyz`, devcloud.ca.certPem))) {
          if (proc.child.exitCode !== null) throw new Error('web exited before it was ready');
          if (Date.now() > until) throw new Error(`web was not ready at ${webUrl}/readyz after 60 s`);
          await new Promise((r) => setTimeout(r, 250));
        }
      } else {
        await waitUntilReady(proc, `http://127.0.0.1:${servicePorts[name]}/readyz`);
      }
    };
    for (const name of wanted) processes.push(spawnService(name));
    for (const proc of processes) await waitReady(proc);
    const startService = async (name: ServiceName): Promise<ManagedProcess> => {
      const index = processes.findIndex((p) => p.name === name);
      const current = processes[index];
      if (!current) throw new Error(`${name} is not a service of this stack`);
      if (current.child.exitCode === null && current.child.signalCode === null)
        throw new Error(`${name} is still running (pid ${current.child.pid})`);
      const proc = spawnService(name);
      processes[index] = proc;
      await waitReady(proc);
      return proc;
    };

    const webhookBases = Object.fromEntries(
      wanted.filter((s) => s !== 'web').map((s) => [s, `http://127.0.0.1:${servicePorts[s]}`]),
    );
    await subscribeWebhooks(plan, clients.sns, provisioned.topicArns, webhookBases);

    return {
      urls: {
        web: webUrl,
        mailbox: devcloud.mailboxUrl,
        stripe: stripe.url,
        identityProvider: identityProvider.issuer,
        devcloud: devcloud.url,
      },
      servicePorts,
      caCertPath: devcloud.ca.certPath,
      processes,
      startService,
      postgres,
      devcloud,
      ...(loadTest ? { loadTestAccountsFile: loadTest.file } : {}),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
