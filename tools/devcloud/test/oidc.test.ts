import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, type RunningIdentityProvider, startIdentityProvider } from '../src/oidc/index.ts';
import { ensureLocalCa, issueCertificate } from '../src/tls/local-ca.ts';
import { formAction, hiddenInputs, TestBrowser } from './helpers/browser.ts';
import { fetchTrusting } from './helpers/https-fetch.ts';

const REDIRECT_URI = 'https://localhost:4433/auth/callback';
const POST_LOGOUT_URI = 'https://localhost:4433/';
const CLIENT = {
  client_id: 'gas-web',
  client_secret: randomBytes(24).toString('base64url'),
  redirect_uris: [REDIRECT_URI],
  post_logout_redirect_uris: [POST_LOGOUT_URI],
};

let dataDir: string;
let idp: RunningIdentityProvider;
let config: client.Configuration;

async function startLogin() {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid email profile',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  const browser = new TestBrowser();
  const loginPage = await browser.navigate(url.toString(), REDIRECT_URI);
  return { browser, loginPage, verifier, state, nonce };
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'devcloud-oidc-'));
  idp = await startIdentityProvider({ dataDir, clients: [CLIENT] });
  config = await client.discovery(new URL(idp.issuer), CLIENT.client_id, CLIENT.client_secret, undefined, {
    execute: [client.allowInsecureRequests],
  });
});

afterAll(async () => {
  await idp.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('discovery', () => {
  it('publishes the issuer, S256 PKCE, end-session and a JWKS with a signing key', async () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(idp.issuer);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.end_session_endpoint).toBe(`${idp.issuer}/session/end`);
    const jwks = (await (await fetch(metadata.jwks_uri!)).json()) as { keys: { kty: string; d?: string }[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwks.keys[0]!.d).toBeUndefined();
  });
});

describe('authorization code + PKCE through the login page', () => {
  it('the right password gets a code, and tokens whose ID token names the user', async () => {
    const { browser, loginPage, verifier, state, nonce } = await startLogin();
    expect(loginPage.status).toBe(200);
    expect(loginPage.html).toContain('type="password"');

    const callback = await browser.navigate(formAction(loginPage, /\/login$/), REDIRECT_URI, {
      form: { email: 'premium@example.org', password: DEMO_PASSWORD },
    });
    expect(callback.location).toMatch(new RegExp(`^${REDIRECT_URI}\\?code=`));

    const tokens = await client.authorizationCodeGrant(config, new URL(callback.location!), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({
      iss: idp.issuer,
      aud: CLIENT.client_id,
      email: 'premium@example.org',
      email_verified: true,
      name: 'Paula Premium',
      nonce,
    });
    expect(claims.sub).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a wrong password is refused on the page and no code is issued', async () => {
    const { browser, loginPage } = await startLogin();
    const refused = await browser.navigate(formAction(loginPage, /\/login$/), REDIRECT_URI, {
      form: { email: 'free@example.org', password: 'not-the-password' },
    });
    expect(refused.status).toBe(401);
    expect(refused.location).toBeNull();
    expect(refused.html).toContain('Wrong e-mail or password.');
    // An unknown account gets the same answer.
    const unknown = await browser.navigate(formAction(loginPage, /\/login$/), REDIRECT_URI, {
      form: { email: 'nobody@example.org', password: DEMO_PASSWORD },
    });
    expect(unknown.status).toBe(401);
    expect(unknown.html).toContain('Wrong e-mail or password.');
  });

  it('locks an e-mail after ten wrong passwords, even against the right one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'devcloud-oidc-lockout-'));
    const users = [
      { email: 'target@example.org', name: 'Target', password: 'correct-horse-battery' },
      { email: 'bystander@example.org', name: 'Bystander', password: 'correct-horse-battery' },
    ];
    const own = await startIdentityProvider({ dataDir: dir, clients: [CLIENT], users });
    try {
      const ownConfig = await client.discovery(
        new URL(own.issuer),
        CLIENT.client_id,
        CLIENT.client_secret,
        undefined,
        {
          execute: [client.allowInsecureRequests],
        },
      );
      const url = client.buildAuthorizationUrl(ownConfig, {
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      });
      const browser = new TestBrowser();
      const loginPage = await browser.navigate(url.toString(), REDIRECT_URI);
      expect(loginPage.html).not.toContain('gas-demo');
      const action = formAction(loginPage, /\/login$/);
      for (let attempt = 0; attempt < 10; attempt++) {
        const refused = await browser.request(action, {
          form: { email: 'Target@Example.org', password: `guess-${attempt}` },
        });
        expect(refused.status).toBe(401);
      }
      const locked = await browser.request(action, {
        form: { email: 'target@example.org', password: 'correct-horse-battery' },
      });
      expect(locked.status).toBe(429);
      expect(locked.location).toBeNull();
      expect(locked.html).toContain('Too many failed sign-ins');
      // Another account is not affected.
      const other = await browser.navigate(action, REDIRECT_URI, {
        form: { email: 'bystander@example.org', password: 'correct-horse-battery' },
      });
      expect(other.location).toContain('code=');
    } finally {
      await own.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a login form posted without the interaction cookie (cross-site) is refused', async () => {
    const { loginPage } = await startLogin();
    const stranger = new TestBrowser();
    const forged = await stranger.navigate(formAction(loginPage, /\/login$/), REDIRECT_URI, {
      form: { email: 'free@example.org', password: DEMO_PASSWORD },
    });
    expect(forged.status).toBe(400);
    expect(forged.location).toBeNull();
  });

  it('an authorization request without PKCE gets an error, not a code', async () => {
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid email',
      state: 's',
    });
    const page = await new TestBrowser().request(url.toString());
    const location = new URL(page.location!);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('code')).toBeNull();
  });

  it('a malformed interaction URL gets a 400 page, an oversized login form a 413', async () => {
    expect((await fetch(`${idp.url}/interaction/%E0%A4%A`)).status).toBe(400);
    const { browser, loginPage } = await startLogin();
    const huge = await browser.request(formAction(loginPage, /\/login$/), {
      form: { email: 'free@example.org', password: 'x'.repeat(100_000) },
    });
    expect(huge.status).toBe(413);
  });

  it('an unknown client is refused with an error page and no redirect', async () => {
    const url = new URL(
      client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        code_challenge: 'x'.repeat(43),
        code_challenge_method: 'S256',
      }),
    );
    url.searchParams.set('client_id', 'evil-client');
    const page = await new TestBrowser().request(url.toString());
    expect(page.status).toBe(400);
    expect(page.location).toBeNull();
    expect(page.html).toContain('invalid_client');
  });

  it('a redirect_uri that is not registered is refused without redirecting there', async () => {
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: 'https://attacker.example/steal',
      scope: 'openid',
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'S256',
    });
    const page = await new TestBrowser().request(url.toString());
    expect(page.status).toBe(400);
    expect(page.location).toBeNull();
  });
});

describe('end-session', () => {
  it('signs the user out and returns to the registered post-logout URI', async () => {
    const { browser, loginPage, verifier, state, nonce } = await startLogin();
    const callback = await browser.navigate(formAction(loginPage, /\/login$/), REDIRECT_URI, {
      form: { email: 'free@example.org', password: DEMO_PASSWORD },
    });
    const tokens = await client.authorizationCodeGrant(config, new URL(callback.location!), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    const endSession = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: POST_LOGOUT_URI,
      state: 'bye',
    });
    const confirm = await browser.navigate(endSession.toString(), POST_LOGOUT_URI);
    expect(confirm.status).toBe(200);
    const done = await browser.navigate(formAction(confirm, /session\/end\/confirm/), POST_LOGOUT_URI, {
      form: { ...hiddenInputs(confirm), logout: 'yes' },
    });
    expect(done.location).toBe(`${POST_LOGOUT_URI}?state=bye`);

    // Signed out: a new authorization request shows the login page again.
    const again = await browser.navigate(
      client
        .buildAuthorizationUrl(config, {
          redirect_uri: REDIRECT_URI,
          scope: 'openid',
          code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
          code_challenge_method: 'S256',
        })
        .toString(),
      REDIRECT_URI,
    );
    expect(again.html).toContain('type="password"');
  });
});

describe('persistence', () => {
  it('keeps a signed-in session across a restart: the next login needs no password', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'devcloud-oidc-restart-'));
    try {
      const first = await startIdentityProvider({ dataDir: dir, clients: [CLIENT] });
      const firstConfig = await client.discovery(
        new URL(first.issuer),
        CLIENT.client_id,
        CLIENT.client_secret,
        undefined,
        {
          execute: [client.allowInsecureRequests],
        },
      );
      const authorizationUrl = async (configuration: client.Configuration) =>
        client
          .buildAuthorizationUrl(configuration, {
            redirect_uri: REDIRECT_URI,
            scope: 'openid email',
            code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
            code_challenge_method: 'S256',
          })
          .toString();
      const browser = new TestBrowser();
      const loginPage = await browser.navigate(await authorizationUrl(firstConfig), REDIRECT_URI);
      const signedIn = await browser.navigate(formAction(loginPage, /\/login$/), REDIRECT_URI, {
        form: { email: 'free@example.org', password: DEMO_PASSWORD },
      });
      expect(signedIn.location).toContain('code=');
      await first.close();

      // Cookies are per host, not per port: the same browser session reaches the new process.
      const second = await startIdentityProvider({ dataDir: dir, clients: [CLIENT] });
      try {
        const secondConfig = await client.discovery(
          new URL(second.issuer),
          CLIENT.client_id,
          CLIENT.client_secret,
          undefined,
          {
            execute: [client.allowInsecureRequests],
          },
        );
        const again = await browser.navigate(await authorizationUrl(secondConfig), REDIRECT_URI);
        expect(again.location).toContain('code=');
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps signing keys and subjects across a restart, and stores no clear-text password', async () => {
    const keysBefore = await (await fetch(config.serverMetadata().jwks_uri!)).json();
    const stored = await readFile(join(dataDir, 'users.json'), 'utf8');
    expect(stored).not.toContain(DEMO_PASSWORD);
    expect(stored).toContain('scrypt$');
    const subBefore = (JSON.parse(stored) as { email: string; sub: string }[]).find(
      (u) => u.email === 'free@example.org',
    )!.sub;

    const second = await startIdentityProvider({ dataDir, clients: [CLIENT] });
    try {
      const keysAfter = await (await fetch(`${second.issuer}/jwks`)).json();
      expect(keysAfter).toEqual(keysBefore);
      const again = JSON.parse(await readFile(join(dataDir, 'users.json'), 'utf8')) as {
        email: string;
        sub: string;
      }[];
      expect(again.find((u) => u.email === 'free@example.org')!.sub).toBe(subBefore);
    } finally {
      await second.close();
    }
  });
});

describe('over https with a local-CA certificate', () => {
  it('serves discovery and the login flow on https, so the client needs no allowInsecureRequests', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'devcloud-oidc-tls-'));
    try {
      const ca = await ensureLocalCa(join(dir, 'ca'));
      const certificate = await issueCertificate(ca, 'idp', { hosts: ['localhost'], purpose: 'server' });
      const secure = await startIdentityProvider({
        dataDir: join(dir, 'idp'),
        clients: [CLIENT],
        tls: { certPem: certificate.certPem, keyPem: certificate.keyPem, publicHost: 'localhost' },
      });
      try {
        expect(secure.issuer).toMatch(/^https:\/\/localhost:\d+$/);
        const trustingFetch = fetchTrusting([ca.certPem]);
        const secureConfig = await client.discovery(
          new URL(secure.issuer),
          CLIENT.client_id,
          CLIENT.client_secret,
          undefined,
          { [client.customFetch]: (url, options) => trustingFetch(url, options as RequestInit) },
        );
        const verifier = client.randomPKCECodeVerifier();
        const url = client.buildAuthorizationUrl(secureConfig, {
          redirect_uri: REDIRECT_URI,
          scope: 'openid email',
          code_challenge: await client.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
        });
        const browser = new TestBrowser(trustingFetch);
        const loginPage = await browser.navigate(url.toString(), REDIRECT_URI);
        const callback = await browser.navigate(formAction(loginPage, /\/login$/), REDIRECT_URI, {
          form: { email: 'premium@example.org', password: DEMO_PASSWORD },
        });
        const tokens = await client.authorizationCodeGrant(secureConfig, new URL(callback.location!), {
          pkceCodeVerifier: verifier,
        });
        expect(tokens.claims()).toMatchObject({ iss: secure.issuer, email: 'premium@example.org' });
      } finally {
        await secure.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
