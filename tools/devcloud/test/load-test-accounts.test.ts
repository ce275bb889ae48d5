/**
 * The stack's load-test accounts (`--load-users N`, for pnpm bench:load): they sign in with the
 * password from their file, a wrong password is refused, and once the identity provider is
 * started again without them (as a plain `./scripts/start.sh` does) they are refused outright.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_PASSWORD,
  DEMO_USERS,
  type IdentityProviderUser,
  startIdentityProvider,
} from '../src/oidc/index.ts';
import { createLoadTestAccounts, type LoadTestAccounts } from '../src/stack/load-test-accounts.ts';
import { formAction, TestBrowser } from './helpers/browser.ts';

const REDIRECT_URI = 'https://localhost:4433/auth/callback';
const CLIENT = {
  client_id: 'gas-web',
  client_secret: randomBytes(24).toString('base64url'),
  redirect_uris: [REDIRECT_URI],
};

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'devcloud-load-accounts-'));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** Starts the provider with `users`, tries each e-mail/password pair, closes; the HTTP status of each try. */
async function signInStatuses(
  users: readonly IdentityProviderUser[],
  attempts: Array<{ email: string; password: string }>,
): Promise<number[]> {
  const idp = await startIdentityProvider({ dataDir: join(dataDir, 'idp'), clients: [CLIENT], users });
  try {
    const config = await client.discovery(
      new URL(idp.issuer),
      CLIENT.client_id,
      CLIENT.client_secret,
      undefined,
      {
        execute: [client.allowInsecureRequests],
      },
    );
    const statuses: number[] = [];
    for (const form of attempts) {
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI,
        scope: 'openid email',
        code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
        state: client.randomState(),
      });
      const browser = new TestBrowser();
      const loginPage = await browser.navigate(url.toString(), REDIRECT_URI);
      const answer = await browser.navigate(formAction(loginPage, /\/login$/), REDIRECT_URI, { form });
      // A sign-in that worked ends at the client's redirect URI with a code.
      statuses.push(answer.location?.startsWith(`${REDIRECT_URI}?code=`) ? 302 : answer.status);
    }
    return statuses;
  } finally {
    await idp.close();
  }
}

describe('load-test accounts', () => {
  it('are refused as a count outside 1..1000', async () => {
    await expect(createLoadTestAccounts(dataDir, 0)).rejects.toThrow(/--load-users/);
    await expect(createLoadTestAccounts(dataDir, 1001)).rejects.toThrow(/--load-users/);
  });

  it('sign in with the file password only while configured; the demo accounts are unaffected', async () => {
    const { users, file } = await createLoadTestAccounts(dataDir, 3);
    const saved = JSON.parse(await readFile(file, 'utf8')) as LoadTestAccounts;
    expect(saved.emails).toEqual(['load-0001@example.org', 'load-0002@example.org', 'load-0003@example.org']);
    expect(saved.password.length).toBeGreaterThanOrEqual(20);
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const load = { email: 'load-0002@example.org', password: saved.password };
    expect(
      await signInStatuses(
        [...DEMO_USERS, ...users],
        [
          load,
          { email: load.email, password: DEMO_PASSWORD },
          { email: 'free@example.org', password: DEMO_PASSWORD },
          { email: 'free@example.org', password: saved.password },
        ],
      ),
    ).toEqual([302, 401, 302, 401]);

    // Started again without them: the same e-mail and password are refused.
    expect(await signInStatuses(DEMO_USERS, [load])).toEqual([401]);
  });
});
