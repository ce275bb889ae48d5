/**
 * Sign-in with any OpenID Connect provider (authorization code + PKCE S256 + state + nonce).
 * openid-client checks the ID token's issuer, audience, expiry, nonce and signature. The
 * provider's metadata is discovered on the first sign-in and cached (a provider that is down
 * at boot does not stop the site). Plain-http issuers are accepted only on localhost.
 *
 * /auth/login stores the PKCE verifier, state and nonce in a fresh anonymous session;
 * /auth/callback exchanges the code, creates the account on first sign-in, and starts a NEW
 * session for the user (rotation). /auth/logout (POST, CSRF-checked) ends the session here
 * and at the provider when it supports RP-initiated logout.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import * as oidc from 'openid-client';
import Type from 'typebox';
import { upsertUserFromLogin } from '../lib/accounts.ts';

export type OidcSettings = {
  issuerUrl: string;
  clientId: string;
  clientSecret: string;
  redirectUrl: string;
  baseUrl: string;
  /** Per-client limit on /auth/login and /auth/callback. */
  loginRateLimit: { max: number; timeWindow: string };
};

export function isLocalHttpIssuer(issuer: URL): boolean {
  return issuer.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(issuer.hostname);
}

/** A same-site path to return to after login; anything else (other hosts, `//x`) becomes `/dashboard`. */
export function safeReturnPath(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) {
    return '/dashboard';
  }
  return value;
}

export function oidcDiscoverer(settings: OidcSettings): () => Promise<oidc.Configuration> {
  let cached: Promise<oidc.Configuration> | undefined;
  return () => {
    if (!cached) {
      const issuer = new URL(settings.issuerUrl);
      cached = oidc
        .discovery(
          issuer,
          settings.clientId,
          undefined,
          oidc.ClientSecretPost(settings.clientSecret),
          isLocalHttpIssuer(issuer) ? { execute: [oidc.allowInsecureRequests] } : undefined,
        )
        .catch((error: unknown) => {
          cached = undefined;
          throw error;
        });
    }
    return cached;
  };
}

export default async function authRoutes(app: FastifyInstance, settings: OidcSettings): Promise<void> {
  const configuration = oidcDiscoverer(settings);

  async function providerOrError(request: FastifyRequest): Promise<oidc.Configuration | null> {
    try {
      return await configuration();
    } catch (error) {
      request.log.error({ err: error, issuer: settings.issuerUrl }, 'OIDC discovery failed');
      return null;
    }
  }

  app.get(
    '/auth/login',
    {
      schema: { querystring: Type.Object({ return_to: Type.Optional(Type.String({ maxLength: 2000 })) }) },
      config: { rateLimit: settings.loginRateLimit },
    },
    async (request, reply) => {
      const provider = await providerOrError(request);
      if (!provider) {
        return reply.status(503).view('error', {
          title: 'Sign-in is unavailable',
          message: 'The sign-in service cannot be reached right now. Please try again in a minute.',
        });
      }
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const { return_to } = request.query as { return_to?: string };
      await app.sessions.start(request, reply, null, {
        login: { codeVerifier, state, nonce, returnTo: safeReturnPath(return_to) },
      });
      const url = oidc.buildAuthorizationUrl(provider, {
        redirect_uri: settings.redirectUrl,
        scope: 'openid email profile',
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      return reply.redirect(url.href, 303);
    },
  );

  app.get('/auth/callback', { config: { rateLimit: settings.loginRateLimit } }, async (request, reply) => {
    const pending = request.session?.data.login;
    const refuse = (message: string) =>
      reply.status(400).view('error', { title: 'Sign-in did not complete', message, retry: '/auth/login' });
    if (!pending)
      return refuse(
        'This sign-in link is not from this browser or has already been used. Please sign in again.',
      );
    const provider = await providerOrError(request);
    if (!provider)
      return refuse('The sign-in service cannot be reached right now. Please try again in a minute.');
    const query = request.raw.url?.split('?')[1] ?? '';
    const currentUrl = new URL(`${settings.redirectUrl}${query ? `?${query}` : ''}`);
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(provider, currentUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      request.log.warn({ err: error }, 'OIDC callback refused');
      await app.sessions.end(request, reply);
      const denied = new URLSearchParams(query).get('error') === 'access_denied';
      return refuse(
        denied ? 'Sign-in was cancelled.' : 'The sign-in answer could not be verified. Please sign in again.',
      );
    }
    const claims = tokens.claims()!;
    let email = typeof claims.email === 'string' ? claims.email : undefined;
    let name = typeof claims.name === 'string' ? claims.name : undefined;
    if (!email) {
      const info = await oidc.fetchUserInfo(provider, tokens.access_token, claims.sub);
      email = typeof info.email === 'string' ? info.email : undefined;
      name ??= typeof info.name === 'string' ? info.name : undefined;
    }
    if (!email) {
      await app.sessions.end(request, reply);
      return refuse(
        'Your identity provider did not share an e-mail address; GAS needs one to tell you when jobs finish.',
      );
    }
    const user = await upsertUserFromLogin(app.db, {
      issuer: claims.iss,
      subject: claims.sub,
      email,
      name: name ?? email,
    });
    if (claims.email_verified === true && !user.stripe_customer_id) {
      // A failure here must not block sign-in: the webhook or the next sign-in links it.
      await app.gas.billing.adoptCustomerByEmail(user).catch((error: unknown) => {
        request.log.warn({ err: error, user_id: user.id }, 'could not look up an existing Stripe customer');
      });
    }
    await app.sessions.start(request, reply, user.id, { idToken: tokens.id_token });
    request.log.info({ user_id: user.id }, 'signed in');
    return reply.redirect(pending.returnTo, 303);
  });

  app.post('/auth/logout', async (request, reply) => {
    const idToken = request.session?.data.idToken;
    await app.sessions.end(request, reply);
    const provider = await configuration().catch(() => null);
    if (provider?.serverMetadata().end_session_endpoint) {
      const url = oidc.buildEndSessionUrl(provider, {
        post_logout_redirect_uri: `${settings.baseUrl}/`,
        ...(idToken ? { id_token_hint: idToken } : {}),
      });
      return reply.redirect(url.href, 303);
    }
    return reply.redirect('/', 303);
  });
}
