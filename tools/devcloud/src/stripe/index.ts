/**
 * devcloud Stripe stand-in: an HTTP server the real `stripe` SDK can be pointed at
 * (`new Stripe(secretKey, { host, port, protocol: 'http' })`), with the hosted Checkout and
 * customer-portal pages (pages.ts) and signed webhook deliveries (engine.ts). A test double
 * for development and CI: it implements the slice of Stripe GAS uses, refuses the rest by name.
 *
 * API requests need `Authorization: Bearer <secretKey>` (or HTTP Basic with the key as user);
 * any other key gets Stripe's 401. POST bodies are form-encoded with Stripe's brackets
 * (form.ts). POSTs with an `Idempotency-Key` replay the first answer (same key + other
 * parameters -> 400 idempotency_error), which makes the SDK's automatic retries safe.
 * Test helper (same auth): `POST /_devcloud/subscriptions/:id/advance` with
 * `payment=succeeded|failed` ends the current period (see StripeEngine.advanceSubscription).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { StripeApi } from './api.ts';
import { StripeEngine, StripeError, type WebhookRetryOptions } from './engine.ts';
import { FormError, parseStripeForm } from './form.ts';
import {
  checkoutPage,
  escapeHtml,
  PAGE_CSP,
  type PageAnswer,
  portalAction,
  portalPage,
  submitCheckout,
} from './pages.ts';
import { applySeed, type SeedResult, type StripeSeed } from './seed.ts';
import { StripeState } from './state.ts';

export { signPayload } from './engine.ts';
export {
  GAS_PREMIUM_LOOKUP_KEY,
  GAS_PREMIUM_PRODUCT_ID,
  gasDemoSeed,
  type SeedResult,
  type StripeSeed,
} from './seed.ts';

/** The API version of the stripe SDK this stand-in was written against (stripe 23.1.0). */
export const STRIPE_API_VERSION = '2026-10-28.endive';

export interface StripeStandInOptions {
  /** Port to listen on (default 0: any free port). */
  port?: number;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  dataDir: string;
  /** Serve https with this certificate (e.g. from devcloud's local CA) instead of http; `publicHost` is the name in URLs (default the listen host). */
  tls?: { certPem: string; keyPem: string; publicHost?: string };
  /** Base URL browsers use to reach the pages (default the listen URL). */
  publicUrl?: string;
  /** The accepted secret key (`sk_test_...`); default: generated on first start and kept in dataDir. */
  secretKey?: string;
  /** Webhook endpoints from configuration (all events); kept in step with this list at every start. */
  webhooks?: { url: string; secret: string }[];
  webhookRetry?: WebhookRetryOptions;
  /** Extra CAs trusted for https webhook URLs (pass devcloud's local CA when the web service uses its certificate). */
  trustedCaPems?: string[];
  /** What the portal's Cancel does: `immediately` (default; `customer.subscription.deleted`) or `at_period_end` (`customer.subscription.updated` with cancel_at_period_end). */
  portalCancel?: 'immediately' | 'at_period_end';
  seed?: StripeSeed;
  /** `api_version` written into events (default STRIPE_API_VERSION). */
  apiVersion?: string;
  log?: (message: string, detail?: object) => void;
}

export interface RunningStripeStandIn {
  url: string;
  /** For the SDK: `new Stripe(secretKey, { host, port, protocol })`. */
  host: string;
  port: number;
  protocol: 'http' | 'https';
  secretKey: string;
  seeded: SeedResult;
  /** Ends a subscription's current period now (renewal paid or failed, or the scheduled cancel). */
  advanceSubscription(subscriptionId: string, opts: { paymentSucceeds: boolean }): Promise<void>;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new StripeError(413, 'invalid_request_error', 'Request body too large.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function loadOrCreateKey(dataDir: string): Promise<string> {
  const file = join(dataDir, 'secret-key');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = `sk_test_devcloud_${randomBytes(18).toString('base64url').replace(/[-_]/g, 'x')}`;
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return key;
}

function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function redactKey(key: string): string {
  return key.length > 12
    ? `${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`
    : '****';
}

export async function startStripeStandIn(opts: StripeStandInOptions): Promise<RunningStripeStandIn> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? (() => {});
  const state = new StripeState(opts.dataDir);
  await state.load();
  const secretKey = opts.secretKey ?? (await loadOrCreateKey(opts.dataDir));
  if (!/^sk_test_[A-Za-z0-9_]{8,}$/.test(secretKey)) {
    throw new Error('Stripe stand-in: secretKey must look like sk_test_<at least 8 letters, digits or _>.');
  }

  const server = opts.tls
    ? createTlsServer({ cert: opts.tls.certPem, key: opts.tls.keyPem })
    : createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `${opts.tls ? 'https' : 'http'}://${opts.tls?.publicHost ?? (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host)}:${port}`;
  const apiVersion = opts.apiVersion ?? STRIPE_API_VERSION;

  const engine = new StripeEngine(state, {
    apiVersion,
    publicUrl: (opts.publicUrl ?? url).replace(/\/$/, ''),
    webhookRetry: {
      initialDelayMs: opts.webhookRetry?.initialDelayMs ?? 1000,
      maxDelayMs: opts.webhookRetry?.maxDelayMs ?? 60_000,
      maxAttempts: opts.webhookRetry?.maxAttempts ?? 25,
    },
    portalCancel: opts.portalCancel ?? 'immediately',
    trustedCaPems: opts.trustedCaPems ?? [],
    log,
  });
  const api = new StripeApi(engine);

  // Configured endpoints get stable ids derived from their URL; ones dropped from the configuration go away.
  const configuredIds = new Set<string>();
  for (const webhook of opts.webhooks ?? []) {
    const id = `we_config_${createHash('sha256').update(webhook.url).digest('hex').slice(0, 16)}`;
    configuredIds.add(id);
    const existing = state.get('webhook_endpoint', id);
    if (existing)
      Object.assign(existing, {
        url: webhook.url,
        __secret: webhook.secret,
        status: 'enabled',
        enabled_events: ['*'],
      });
    else
      api.createEndpoint({
        id,
        url: webhook.url,
        enabledEvents: ['*'],
        description: 'from configuration',
        metadata: {},
        secret: webhook.secret,
      });
  }
  for (const id of Object.keys(state.all('webhook_endpoint'))) {
    if (id.startsWith('we_config_') && !configuredIds.has(id)) delete state.all('webhook_endpoint')[id];
  }
  const seeded = applySeed(engine, opts.seed ?? {});
  await state.save();
  engine.resumeDeliveries();

  const idempotent = new Map<string, { fingerprint: string; status: number; body: string }>();

  function sendJson(
    res: ServerResponse,
    status: number,
    body: unknown,
    requestId: string,
    extra: Record<string, string> = {},
  ) {
    const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
    res.writeHead(status, {
      'content-type': 'application/json',
      'request-id': requestId,
      'stripe-version': apiVersion,
      'cache-control': 'no-cache, no-store',
      ...extra,
    });
    res.end(text);
  }

  function sendPage(res: ServerResponse, answer: PageAnswer) {
    if (answer.location) {
      res.writeHead(answer.status, { location: answer.location, 'cache-control': 'no-store' });
      res.end();
      return;
    }
    res.writeHead(answer.status, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': PAGE_CSP,
      'cache-control': 'no-store',
      'x-frame-options': 'DENY',
    });
    res.end(answer.html);
  }

  function authorised(req: IncomingMessage): string | null {
    const header = req.headers.authorization ?? '';
    const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const basic = /^Basic\s+(\S+)$/i.exec(header)?.[1];
    const given = bearer ?? (basic ? Buffer.from(basic, 'base64').toString('utf8').split(':')[0] : undefined);
    if (given === undefined)
      return 'You did not provide an API key. Provide it in the Authorization header as a Bearer token.';
    if (!sameSecret(given, secretKey)) return `Invalid API Key provided: ${redactKey(given)}`;
    return null;
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, path: string, query: string) {
    const requestId = `req_${randomBytes(10).toString('hex')}`;
    try {
      const problem = authorised(req);
      if (problem) throw new StripeError(401, 'invalid_request_error', problem);
      const body = req.method === 'POST' ? await readBody(req) : '';
      if (
        req.method === 'POST' &&
        body &&
        !/application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')
      ) {
        throw new StripeError(
          400,
          'invalid_request_error',
          'Send POST parameters form-encoded (application/x-www-form-urlencoded), as the Stripe API expects.',
        );
      }
      const idempotencyKey =
        req.method === 'POST' ? (req.headers['idempotency-key'] as string | undefined) : undefined;
      const fingerprint = `${req.method} ${path} ${body}`;
      if (idempotencyKey) {
        const earlier = idempotent.get(idempotencyKey);
        if (earlier) {
          if (earlier.fingerprint !== fingerprint) {
            throw new StripeError(
              400,
              'idempotency_error',
              `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
            );
          }
          sendJson(res, earlier.status, earlier.body, requestId, {
            'idempotent-replayed': 'true',
            'idempotency-key': idempotencyKey,
          });
          return;
        }
      }
      const params = parseStripeForm(req.method === 'POST' ? body : query);
      let answer: { status: number; body: unknown };
      if (path.startsWith('/_devcloud/subscriptions/')) {
        const match = /^\/_devcloud\/subscriptions\/([^/]+)\/advance$/.exec(path);
        const payment = params.payment;
        if (!match || req.method !== 'POST' || (payment !== 'succeeded' && payment !== 'failed')) {
          throw new StripeError(
            400,
            'invalid_request_error',
            'Use POST /_devcloud/subscriptions/<id>/advance with payment=succeeded or payment=failed.',
          );
        }
        engine.advanceSubscription(decodeURIComponent(match[1]!), {
          paymentSucceeds: payment === 'succeeded',
        });
        await state.save();
        answer = {
          status: 200,
          body: api.render(state.get('subscription', decodeURIComponent(match[1]!)), []),
        };
      } else {
        answer = await api.handle({ method: req.method ?? 'GET', path, params });
      }
      const text = JSON.stringify(answer.body, null, 2);
      if (idempotencyKey) {
        idempotent.set(idempotencyKey, { fingerprint, status: answer.status, body: text });
        if (idempotent.size > 1000) idempotent.delete(idempotent.keys().next().value!);
      }
      sendJson(
        res,
        answer.status,
        text,
        requestId,
        idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
      );
    } catch (caught) {
      const error =
        caught instanceof URIError
          ? new StripeError(400, 'invalid_request_error', 'Malformed percent-encoding in the URL.')
          : caught;
      if (error instanceof StripeError || error instanceof FormError) {
        const stripeError =
          error instanceof FormError
            ? new StripeError(400, 'invalid_request_error', error.message, { param: error.param })
            : error;
        sendJson(
          res,
          stripeError.status,
          {
            error: {
              ...(stripeError.code ? { code: stripeError.code } : {}),
              message: stripeError.message,
              ...(stripeError.param ? { param: stripeError.param } : {}),
              request_log_url: `${url}/logs/${requestId}`,
              type: stripeError.type,
            },
          },
          requestId,
        );
        return;
      }
      log('stripe stand-in: internal error', { error: String(error), stack: (error as Error).stack });
      sendJson(
        res,
        500,
        { error: { message: 'An unknown error occurred in the Stripe stand-in.', type: 'api_error' } },
        requestId,
      );
    }
  }

  async function handlePages(req: IncomingMessage, res: ServerResponse, path: string) {
    const checkout = /^\/c\/pay\/([^/]+)$/.exec(path);
    if (checkout) {
      const id = decodeURIComponent(checkout[1]!);
      if (req.method === 'GET') return sendPage(res, checkoutPage(engine, id));
      if (req.method === 'POST') {
        const answer = submitCheckout(engine, id, new URLSearchParams(await readBody(req)));
        await state.save();
        return sendPage(res, answer);
      }
    }
    const portal = /^\/p\/session\/([^/]+)(?:\/(cancel|renew|card))?$/.exec(path);
    if (portal) {
      const id = decodeURIComponent(portal[1]!);
      if (req.method === 'GET' && !portal[2]) return sendPage(res, portalPage(engine, id));
      if (req.method === 'POST' && portal[2]) {
        const answer = portalAction(
          engine,
          id,
          portal[2] as 'cancel' | 'renew' | 'card',
          new URLSearchParams(await readBody(req)),
        );
        await state.save();
        return sendPage(res, answer);
      }
    }
    if (path === '/' && req.method === 'GET') {
      return sendPage(res, {
        status: 200,
        html: `<!doctype html><meta charset="utf-8"><title>devcloud Stripe stand-in</title><h1>devcloud Stripe stand-in</h1><p>API at <code>${escapeHtml(url)}/v1</code>. Checkout and portal pages are linked from the sessions the API creates.</p>`,
      });
    }
    sendPage(res, {
      status: 404,
      html: '<!doctype html><meta charset="utf-8"><title>Not found</title><h1>Not found</h1>',
    });
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const [path = '/', query = ''] = (req.url ?? '/').split('?', 2) as [string, string?];
    const work =
      path.startsWith('/v1/') || path.startsWith('/_devcloud/')
        ? handleApi(req, res, path, query)
        : handlePages(req, res, path);
    work.catch((error: unknown) => {
      if ((error instanceof URIError || error instanceof StripeError) && !res.headersSent) {
        res.writeHead(error instanceof StripeError ? error.status : 400, { 'content-type': 'text/plain' });
        res.end(error instanceof StripeError ? error.message : 'Malformed percent-encoding in the URL.');
        return;
      }
      log('stripe stand-in: request failed', { error: String(error) });
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('The Stripe stand-in failed; see its log.');
      } else res.end();
    });
  });

  return {
    url,
    host: new URL(url).hostname,
    port,
    protocol: opts.tls ? 'https' : 'http',
    secretKey,
    seeded,
    async advanceSubscription(subscriptionId, advance) {
      engine.advanceSubscription(subscriptionId, advance);
      await state.save();
    },
    async close() {
      await engine.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await state.save();
    },
  };
}
