/**
 * devcloud OpenID Connect identity provider: oidc-provider (discovery, JWKS, authorization code
 * with PKCE required, state and nonce, ID tokens with email and name, RP-initiated logout)
 * behind a small node:http server that adds the interaction routes of our own:
 *
 *   GET  /interaction/:uid         the login page (prompt `login`), or the consent step, which
 *                                  is granted at once for the configured clients (all first-party)
 *   POST /interaction/:uid/login   checks e-mail + password against scrypt hashes; a wrong pair
 *                                  re-renders the page with 401 and issues nothing
 *   POST /interaction/:uid/abort   the user cancelled: the client gets `access_denied`
 *
 * oidc-provider's development interactions (which accept any password) are switched off.
 * Keys, accounts, sessions, grants and codes persist in the data folder (adapter.ts), so a
 * restart of the local stack keeps people signed in. The login form is protected against
 * cross-site posts by the interaction cookie (SameSite=Lax, path-scoped to the interaction).
 * Ten failed sign-ins for one e-mail within 15 minutes lock that e-mail for the rest of the window.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Configuration, KoaContextWithOIDC, default as Provider } from 'oidc-provider';
import { FileAdapter, ProviderStateFile } from './adapter.ts';
import { loadOrCreateSecrets } from './keys.ts';
import { escapeHtml, layout, loginPage, messagePage, PAGE_CSP } from './pages.ts';
import { DEMO_USERS, type IdentityProviderUser, UserStore } from './users.ts';

export { DEMO_PASSWORD, DEMO_USERS, type IdentityProviderUser } from './users.ts';

export interface IdentityProviderClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
  post_logout_redirect_uris?: string[];
  /** How the client authenticates at the token endpoint (default `client_secret_post`, openid-client v6's default). */
  token_endpoint_auth_method?: 'client_secret_post' | 'client_secret_basic';
}

export interface IdentityProviderOptions {
  /** Port to listen on (default 0: any free port). */
  port?: number;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Serve https with this certificate (e.g. from devcloud's local CA) instead of http; `publicHost` is the name in URLs (default the listen host). */
  tls?: { certPem: string; keyPem: string; publicHost?: string };
  /** Issuer URL (default `http(s)://<host>:<port>`); must reach this server at its root. */
  issuer?: string;
  dataDir: string;
  clients: IdentityProviderClient[];
  /** Accounts (default DEMO_USERS). */
  users?: readonly IdentityProviderUser[];
}

export interface RunningIdentityProvider {
  url: string;
  issuer: string;
  close(): Promise<void>;
}

const MAX_FAILURES = 10;
const FAILURE_WINDOW_MS = 15 * 60_000;

export async function startIdentityProvider(opts: IdentityProviderOptions): Promise<RunningIdentityProvider> {
  if (opts.clients.length === 0) throw new Error('startIdentityProvider: configure at least one client.');
  const host = opts.host ?? '127.0.0.1';
  const secrets = await loadOrCreateSecrets(opts.dataDir);
  const configuredUsers = opts.users ?? DEMO_USERS;
  const users = await UserStore.open(opts.dataDir, configuredUsers);
  // The login page names the demo accounts when they are among the configured ones.
  const demoHint = DEMO_USERS.every((demo) => configuredUsers.includes(demo));
  const failures = new Map<string, { count: number; since: number }>();

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
  const issuer = opts.issuer ?? url;

  const providerState = new ProviderStateFile(join(opts.dataDir, 'provider-state.json'));
  const configuration: Configuration = {
    adapter: (model: string) => new FileAdapter(model, providerState),
    clients: opts.clients.map((client) => ({
      client_id: client.client_id,
      client_secret: client.client_secret,
      redirect_uris: client.redirect_uris,
      post_logout_redirect_uris: client.post_logout_redirect_uris ?? [],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: client.token_endpoint_auth_method ?? 'client_secret_post',
    })),
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource(ctx: KoaContextWithOIDC, form: string) {
          ctx.set('content-security-policy', PAGE_CSP);
          ctx.type = 'html';
          ctx.body = layout(
            'Sign out',
            `<h1>Sign out</h1><p>Sign out of the devcloud identity provider?</p>${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
<button type="submit" form="op.logoutForm">Stay signed in</button>`,
          );
        },
        postLogoutSuccessSource(ctx: KoaContextWithOIDC) {
          ctx.type = 'html';
          ctx.body = messagePage('Signed out', 'You are signed out of the devcloud identity provider.');
        },
      },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid', 'email', 'profile'],
    // ID tokens carry the requested email/name claims, so a client needs no userinfo call.
    conformIdTokenClaims: false,
    async findAccount(_ctx, sub) {
      const user = users.bySub(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        claims: () => ({ sub, email: user.email, email_verified: true, name: user.name }),
      };
    },
    jwks: secrets.jwks as unknown as Configuration['jwks'],
    cookies: { keys: secrets.cookieKeys },
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
    },
    renderError(ctx, out) {
      ctx.set('content-security-policy', PAGE_CSP);
      ctx.type = 'html';
      ctx.body = layout(
        'Sign-in error',
        `<h1>Sign-in error</h1><p><code>${escapeHtml(String(out.error))}</code></p><p>${escapeHtml(String(out.error_description ?? ''))}</p>`,
      );
    },
  };
  // Loaded on first use, so importing devcloud does not load koa and oidc-provider (which also
  // prints an "Unsupported runtime" warning on Node 20, where it works) unless the IdP starts.
  const { default: ProviderClass } = await import('oidc-provider');
  const provider: Provider = new ProviderClass(issuer, configuration);
  const providerCallback = provider.callback();

  const send = (res: ServerResponse, status: number, html: string) => {
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': PAGE_CSP,
      'cache-control': 'no-store',
      'x-frame-options': 'DENY',
    });
    res.end(html);
  };

  async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > 64 * 1024) throw new RangeError('The form is larger than 64 KiB.');
      chunks.push(chunk as Buffer);
    }
    return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  }

  async function interaction(
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    action: string | undefined,
  ) {
    let details: Awaited<ReturnType<Provider['interactionDetails']>>;
    try {
      details = await provider.interactionDetails(req, res);
    } catch {
      send(
        res,
        400,
        messagePage(
          'Sign-in expired',
          'This sign-in has expired or is not yours. Start again from the application.',
        ),
      );
      return;
    }
    if (details.uid !== uid) {
      send(
        res,
        400,
        messagePage('Sign-in expired', 'This sign-in does not match your browser session. Start again.'),
      );
      return;
    }
    const clientId = String(details.params.client_id);

    if (req.method === 'GET' && action === undefined) {
      if (details.prompt.name === 'login') {
        const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint : '';
        send(res, 200, loginPage({ uid, clientId, email: hint, demoHint }));
        return;
      }
      if (details.prompt.name === 'consent') {
        // Every configured client is first-party: grant what it asked for without a page.
        const accountId = details.session?.accountId;
        if (!accountId) throw new Error('consent prompt without a signed-in account');
        const grant = details.grantId
          ? await provider.Grant.find(details.grantId)
          : new provider.Grant({ accountId, clientId });
        if (!grant) throw new Error(`grant ${details.grantId} not found`);
        const missing = details.prompt.details as {
          missingOIDCScope?: string[];
          missingOIDCClaims?: string[];
          missingResourceScopes?: Record<string, string[]>;
        };
        if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
        if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
        for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
          grant.addResourceScope(indicator, scopes.join(' '));
        }
        const grantId = await grant.save();
        await provider.interactionFinished(
          req,
          res,
          { consent: { grantId } },
          { mergeWithLastSubmission: true },
        );
        return;
      }
      send(
        res,
        400,
        messagePage('Unsupported step', `This provider has no page for the "${details.prompt.name}" step.`),
      );
      return;
    }

    if (req.method === 'POST' && action === 'abort') {
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'The user cancelled the sign-in.' },
        { mergeWithLastSubmission: false },
      );
      return;
    }

    if (req.method === 'POST' && action === 'login' && details.prompt.name === 'login') {
      const form = await readForm(req);
      const email = (form.get('email') ?? '').trim().toLowerCase();
      const password = form.get('password') ?? '';
      const now = Date.now();
      const record = failures.get(email);
      if (record && now - record.since > FAILURE_WINDOW_MS) failures.delete(email);
      const current = failures.get(email);
      if (current && current.count >= MAX_FAILURES) {
        const minutes = Math.ceil((current.since + FAILURE_WINDOW_MS - now) / 60_000);
        send(
          res,
          429,
          loginPage({
            uid,
            clientId,
            email,
            demoHint,
            error: `Too many failed sign-ins for this e-mail. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
          }),
        );
        return;
      }
      const user = email && password ? await users.authenticate(email, password) : null;
      if (!user) {
        failures.set(email, { count: (current?.count ?? 0) + 1, since: current?.since ?? now });
        send(res, 401, loginPage({ uid, clientId, email, demoHint, error: 'Wrong e-mail or password.' }));
        return;
      }
      failures.delete(email);
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: user.sub, amr: ['pwd'] } },
        { mergeWithLastSubmission: false },
      );
      return;
    }

    send(res, 405, messagePage('Not allowed', `${req.method} is not allowed here.`));
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const match = /^\/interaction\/([^/]+)(?:\/(login|abort))?\/?$/.exec(path);
    // Everything, decoding included, inside the promise so that no error escapes the handler.
    const handled = Promise.resolve().then(() =>
      match ? interaction(req, res, decodeURIComponent(match[1]!), match[2]) : providerCallback(req, res),
    );
    handled.catch((error: unknown) => {
      if (error instanceof URIError && !res.headersSent) {
        send(res, 400, messagePage('Bad request', 'The URL has a malformed percent-encoding.'));
        return;
      }
      if (error instanceof RangeError && !res.headersSent) {
        send(res, 413, messagePage('Too large', error.message));
        return;
      }
      if (!res.headersSent)
        send(res, 500, messagePage('Error', 'The identity provider failed; see its log.'));
      else res.end();
      console.error('devcloud identity provider:', error);
    });
  });

  return {
    url,
    issuer,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await providerState.flushed();
    },
  };
}
