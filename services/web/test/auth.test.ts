import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/database.ts';
import { SESSION_COOKIE } from '../src/plugins/sessions.ts';
import { WebClient } from './helpers/clients.ts';
import { buildTestApp, startTestStack, type TestStack } from './helpers/stack.ts';

let stack: TestStack;
let app: FastifyInstance;
let db: Db;

beforeAll(async () => {
  stack = await startTestStack();
  ({ app, db } = await buildTestApp(stack));
}, 60_000);

afterAll(async () => {
  await app?.close();
  await stack?.close();
});

describe('sign-in through the OIDC provider', () => {
  it('creates the account on first sign-in and opens a new Secure HttpOnly SameSite=Lax session', async () => {
    const client = new WebClient(app);
    const start = await client.get('/auth/login?return_to=/annotations');
    expect(start.statusCode).toBe(303);
    const authorize = new URL(start.headers.location as string);
    expect(authorize.origin).toBe(new URL(stack.env.OIDC_ISSUER_URL!).origin);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('state')).toBeTruthy();
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    const preLoginCookie = client.jar.cookies.get(SESSION_COOKIE);
    expect(preLoginCookie).toBeTruthy();

    const callback = await client.signInFrom(start, 'free@example.org');
    expect(callback.statusCode).toBe(303);
    expect(callback.headers.location).toBe('/annotations');
    const setCookie = String(callback.headers['set-cookie']);
    expect(setCookie).toMatch(new RegExp(`^${SESSION_COOKIE}=`));
    expect(setCookie).toMatch(/; Secure/);
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; SameSite=Lax/);
    // Rotation: the session cookie after sign-in is not the one from before it.
    expect(client.jar.cookies.get(SESSION_COOKIE)).not.toBe(preLoginCookie);

    const users = await db.selectFrom('users').selectAll().where('email', '=', 'free@example.org').execute();
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({
      name: 'Frances Free',
      tier: 'free',
      oidc_issuer: stack.env.OIDC_ISSUER_URL,
    });

    const dashboard = await client.get('/dashboard');
    expect(dashboard.statusCode).toBe(200);
    expect(dashboard.body).toContain('Frances Free');

    // A second sign-in reuses the account.
    const again = new WebClient(app);
    await again.signIn('free@example.org');
    expect(
      await db.selectFrom('users').select('id').where('email', '=', 'free@example.org').execute(),
    ).toHaveLength(1);
  });

  it('the pre-login session id no longer works after sign-in (fixation)', async () => {
    const attacker = new WebClient(app);
    const start = await attacker.get('/auth/login');
    const planted = attacker.jar.cookies.get(SESSION_COOKIE)!;
    const victim = new WebClient(app);
    victim.jar.cookies.set(SESSION_COOKIE, planted);
    await victim.signInFrom(start, 'premium@example.org');
    const replay = new WebClient(app);
    replay.jar.cookies.set(SESSION_COOKIE, planted);
    const response = await replay.get('/dashboard');
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toMatch(/^\/auth\/login/);
  });

  it('a callback with a wrong state is refused and signs nobody in', async () => {
    const client = new WebClient(app);
    await client.get('/auth/login');
    const response = await client.get('/auth/callback?code=forged&state=not-the-state');
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('could not be verified');
    expect((await client.get('/dashboard')).statusCode).toBe(303);
  });

  it('a callback without a pending login in this browser is refused', async () => {
    const response = await new WebClient(app).get('/auth/callback?code=x&state=y');
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('not from this browser');
  });

  it('return_to cannot send the user to another site', async () => {
    const client = new WebClient(app);
    const start = await client.get('/auth/login?return_to=//evil.example.org/x');
    const callback = await client.signInFrom(start, 'free@example.org');
    expect(callback.headers.location).toBe('/dashboard');
  });
});

describe('an unreachable identity provider', () => {
  it('sign-in answers 503 with a sentence; the rest of the site keeps working', async () => {
    const offline = await buildTestApp(stack, { OIDC_ISSUER_URL: 'http://127.0.0.1:9' });
    try {
      const client = new WebClient(offline.app);
      const login = await client.get('/auth/login');
      expect(login.statusCode).toBe(503);
      expect(login.body).toContain('The sign-in service cannot be reached right now.');
      expect((await client.get('/')).statusCode).toBe(200);
    } finally {
      await offline.app.close();
    }
  });
});

describe('sessions', () => {
  it('a tampered session cookie is refused (treated as signed out)', async () => {
    const client = new WebClient(app);
    await client.signIn('free@example.org');
    const cookie = client.jar.cookies.get(SESSION_COOKIE)!;
    const [token, signature] = [
      cookie.slice(0, cookie.lastIndexOf('.')),
      cookie.slice(cookie.lastIndexOf('.') + 1),
    ];
    const flipped = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}.${signature}`;
    const forged = new WebClient(app);
    forged.jar.cookies.set(SESSION_COOKIE, flipped);
    const response = await forged.get('/dashboard');
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toMatch(/^\/auth\/login/);
  });

  it('ends after the idle timeout and after the absolute timeout', async () => {
    const idle = new WebClient(app);
    await idle.signIn('free@example.org');
    expect((await idle.get('/dashboard')).statusCode).toBe(200);
    await db
      .updateTable('sessions')
      .set({ last_seen_at: new Date(Date.now() - 61 * 60_000) })
      .execute();
    expect((await idle.get('/dashboard')).statusCode).toBe(303);

    const absolute = new WebClient(app);
    await absolute.signIn('free@example.org');
    await db
      .updateTable('sessions')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .execute();
    expect((await absolute.get('/dashboard')).statusCode).toBe(303);
  });

  it('logout needs the CSRF token, then ends the session here and at the provider', async () => {
    const client = new WebClient(app);
    await client.signIn('free@example.org');
    const refused = await client.postForm('/auth/logout', {});
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('security token is missing or wrong');
    const wrong = await client.postForm('/auth/logout', { _csrf: 'x'.repeat(43) });
    expect(wrong.statusCode).toBe(403);
    expect((await client.get('/dashboard')).statusCode).toBe(200);

    const token = await client.csrfToken('/dashboard');
    const out = await client.postForm('/auth/logout', { _csrf: token });
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toContain(`${stack.env.OIDC_ISSUER_URL}/session/end`);
    expect((await client.get('/dashboard')).statusCode).toBe(303);
  });
});

describe('transport and headers', () => {
  it('redirects plain http to https, except the health probes', async () => {
    const plain = await app.inject({ url: '/dashboard', headers: { 'x-forwarded-proto': 'http' } });
    expect(plain.statusCode).toBe(301);
    expect(plain.headers.location).toBe(`${stack.baseUrl}/dashboard`);
    expect((await app.inject({ url: '/healthz', headers: { 'x-forwarded-proto': 'http' } })).statusCode).toBe(
      200,
    );
  });

  it('sends HSTS and a CSP without inline scripts', async () => {
    const home = await new WebClient(app).get('/');
    expect(home.statusCode).toBe(200);
    expect(home.headers['strict-transport-security']).toMatch(/max-age=31536000/);
    const csp = String(home.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(home.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(home.body).toContain('/assets/bootstrap/css/bootstrap.min.css');
    const css = await new WebClient(app).get('/assets/bootstrap/css/bootstrap.min.css');
    expect(css.statusCode).toBe(200);
  });

  it('rate-limits sign-in attempts per client', async () => {
    const limited = await buildTestApp(stack, { RATE_LIMIT_PER_MINUTE: '50' });
    try {
      const client = new WebClient(limited.app);
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++)
        statuses.push((await client.get('/auth/callback?code=x&state=y')).statusCode);
      expect(statuses.slice(0, 5).every((s) => s === 400)).toBe(true);
      expect(statuses.slice(5)).toEqual([429, 429]);
    } finally {
      await limited.app.close();
    }
  });
});
