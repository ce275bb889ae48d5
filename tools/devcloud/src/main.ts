/**
 * Runs devcloud standalone:
 *   tsx tools/devcloud/src/main.ts --data-dir .devcloud --port 4566 [--tls-port 4567] [--host 127.0.0.1]
 * Options may also come from the environment (DEVCLOUD_DATA_DIR, DEVCLOUD_PORT, DEVCLOUD_TLS_PORT,
 * DEVCLOUD_HOST, DEVCLOUD_ACCESS_KEY_ID, DEVCLOUD_SECRET_ACCESS_KEY, DEVCLOUD_REGION,
 * DEVCLOUD_RESTORE_DELAY_MS, DEVCLOUD_VERBOSE=1). Stops cleanly on SIGINT/SIGTERM.
 *
 * Also starts, over https with devcloud's certificate, the Stripe stand-in with the GAS demo
 * catalogue on --stripe-port (default 4568;
 * DEVCLOUD_STRIPE_WEBHOOKS = JSON [{"url","secret"}] adds webhook endpoints), and the OIDC
 * identity provider on --oidc-port (default 4569) when DEVCLOUD_OIDC_CLIENTS holds a JSON array
 * of clients ({client_id, client_secret, redirect_uris}).
 */
import { parseArgs } from 'node:util';
import { type DevcloudOptions, jsonLineLogger, startDevcloud } from './devcloud.ts';
import { gasDemoSeed } from './stripe/index.ts';

function fail(message: string): never {
  process.stderr.write(`devcloud: ${message}\n`);
  process.exit(2);
}

function port(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    fail(`${name} must be a port number (0-65535), not '${raw}'.`);
  return n;
}

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    port: { type: 'string' },
    'tls-port': { type: 'string' },
    host: { type: 'string' },
    'stripe-port': { type: 'string' },
    'oidc-port': { type: 'string' },
    verbose: { type: 'boolean' },
  },
  strict: true,
});
const env = process.env;
const dataDir = values['data-dir'] ?? env.DEVCLOUD_DATA_DIR;
if (!dataDir)
  fail('--data-dir (or DEVCLOUD_DATA_DIR) is required: the folder where devcloud keeps its state.');
const accessKeyId = env.DEVCLOUD_ACCESS_KEY_ID ?? 'test';
const secretAccessKey = env.DEVCLOUD_SECRET_ACCESS_KEY ?? 'test';
const restoreRaw = env.DEVCLOUD_RESTORE_DELAY_MS;
const restoreDelay = restoreRaw === undefined ? undefined : Number(restoreRaw);
if (restoreDelay !== undefined && (!Number.isInteger(restoreDelay) || restoreDelay < 0))
  fail('DEVCLOUD_RESTORE_DELAY_MS must be a whole number of milliseconds.');

function jsonArray<T>(name: string, raw: string | undefined): T[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (Array.isArray(parsed)) return parsed as T[];
  } catch {
    // reported below
  }
  fail(`${name} must be a JSON array.`);
}

const stripe: DevcloudOptions['stripe'] = {
  port: port('--stripe-port', values['stripe-port'] ?? env.DEVCLOUD_STRIPE_PORT, 4568),
  seed: gasDemoSeed(),
  tls: true,
  ...(env.DEVCLOUD_STRIPE_WEBHOOKS
    ? {
        webhooks: jsonArray<{ url: string; secret: string }>(
          'DEVCLOUD_STRIPE_WEBHOOKS',
          env.DEVCLOUD_STRIPE_WEBHOOKS,
        ),
      }
    : {}),
};
const oidcClients = jsonArray<NonNullable<DevcloudOptions['oidc']>['clients'][number]>(
  'DEVCLOUD_OIDC_CLIENTS',
  env.DEVCLOUD_OIDC_CLIENTS,
);
const oidc: DevcloudOptions['oidc'] = oidcClients
  ? {
      port: port('--oidc-port', values['oidc-port'] ?? env.DEVCLOUD_OIDC_PORT, 4569),
      clients: oidcClients,
      tls: true,
    }
  : undefined;

const devcloud = await startDevcloud({
  stripe,
  ...(oidc ? { oidc } : {}),
  dataDir,
  host: values.host ?? env.DEVCLOUD_HOST ?? '127.0.0.1',
  port: port('--port', values.port ?? env.DEVCLOUD_PORT, 4566),
  tlsPort: port('--tls-port', values['tls-port'] ?? env.DEVCLOUD_TLS_PORT, 4567),
  region: env.DEVCLOUD_REGION ?? 'us-east-1',
  credentials: [{ accessKeyId, secretAccessKey }],
  s3RestoreDelayMs: restoreDelay,
  log: jsonLineLogger('devcloud', values.verbose === true || env.DEVCLOUD_VERBOSE === '1'),
}).catch((err: Error) => fail(`could not start: ${err.message}`));

process.stdout.write(
  [
    `devcloud (a local test double for AWS, never for production) is listening`,
    `  endpoint      ${devcloud.url}   (also ${devcloud.httpsUrl})`,
    `  region        ${devcloud.region}`,
    `  credentials   ${devcloud.credentials.accessKeyId} / (DEVCLOUD_SECRET_ACCESS_KEY or 'test')`,
    `  local CA      ${devcloud.ca.certPath}`,
    `  SNS cert host ${devcloud.snsCertHost}`,
    `  mailbox       ${devcloud.mailboxUrl}`,
    `  stripe        ${devcloud.stripe?.url ?? '(off)'}   secret key ${devcloud.stripe?.secretKey ?? '-'}`,
    `  oidc          ${devcloud.oidc?.issuer ?? '(off: set DEVCLOUD_OIDC_CLIENTS)'}`,
    `  data          ${devcloud.dataDir}`,
    '',
  ].join('\n'),
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    devcloud.close().then(
      () => process.exit(0),
      (err: Error) => {
        process.stderr.write(`devcloud: error while stopping: ${err.message}\n`);
        process.exit(1);
      },
    );
  });
}
