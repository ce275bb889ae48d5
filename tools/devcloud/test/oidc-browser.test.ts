import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, screenshot } from '@gas/service-kit/testing/chromium';
import * as client from 'openid-client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, type RunningIdentityProvider, startIdentityProvider } from '../src/oidc/index.ts';

/** Screenshots for a person to look at (git-ignored). */
const SCREENSHOT_DIR = join(import.meta.dirname, '..', 'test-results');

// The login page in a real browser with JavaScript off, as a user signs in to the web service.
let dataDir: string;
let idp: RunningIdentityProvider;
let browser: Browser;
let app: Server;
let redirectUri: string;
let config: client.Configuration;
const clientSecret = randomBytes(24).toString('base64url');

beforeAll(async () => {
  app = createServer((_req, res) => {
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end('<!doctype html><title>app</title><h1>callback</h1>');
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  redirectUri = `http://127.0.0.1:${(app.address() as AddressInfo).port}/auth/callback`;
  dataDir = await mkdtemp(join(tmpdir(), 'devcloud-oidc-browser-'));
  idp = await startIdentityProvider({
    dataDir,
    clients: [{ client_id: 'gas-web', client_secret: clientSecret, redirect_uris: [redirectUri] }],
  });
  config = await client.discovery(new URL(idp.issuer), 'gas-web', clientSecret, undefined, {
    execute: [client.allowInsecureRequests],
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await idp.close();
  await new Promise((resolve) => app.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
});

describe('login page in Chromium', () => {
  it('refuses a wrong password, then signs in and returns a code the client exchanges', async () => {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const authorizationUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(authorizationUrl.toString());
    await page.getByLabel('E-mail').fill('free@example.org');
    await page.getByLabel('Password').fill('guess');
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await page.getByRole('alert').textContent()).toBe('Wrong e-mail or password.');
    await screenshot(page, SCREENSHOT_DIR, 'oidc-login-refused');

    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.toString().startsWith(redirectUri));
    const tokens = await client.authorizationCodeGrant(config, new URL(page.url()), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    expect(tokens.claims()).toMatchObject({ email: 'free@example.org', name: 'Frances Free' });
    await context.close();
  });
});
