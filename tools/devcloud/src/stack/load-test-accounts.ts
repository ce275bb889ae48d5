/**
 * Accounts for load tests (`pnpm bench:load`), which exist only while the stack is started with
 * `--load-users N`: `load-0001@example.org` ... `load-NNNN@example.org`, all with one random
 * password made at that start. The password is written to `<dataDir>/load-test-accounts.json`
 * (mode 600) for the load script, never printed and never in the repo. A start without the
 * option leaves the identity provider with the demo accounts only (its users.json is rewritten
 * from the configured accounts at every start), so these e-mails are refused again.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IdentityProviderUser } from '../oidc/index.ts';

/** What `<dataDir>/load-test-accounts.json` holds. */
export interface LoadTestAccounts {
  emails: string[];
  password: string;
}

export const LOAD_TEST_ACCOUNTS_FILE = 'load-test-accounts.json';

/** The most accounts one start makes (each costs a scrypt hash at start and at sign-in). */
export const MAX_LOAD_TEST_ACCOUNTS = 1000;

export function loadTestEmail(index: number): string {
  return `load-${String(index + 1).padStart(4, '0')}@example.org`;
}

/** Makes `count` accounts with a fresh password and writes the file; returns the accounts and the file. */
export async function createLoadTestAccounts(
  dataDir: string,
  count: number,
): Promise<{ users: IdentityProviderUser[]; file: string }> {
  if (!Number.isInteger(count) || count < 1 || count > MAX_LOAD_TEST_ACCOUNTS) {
    throw new Error(
      `--load-users must be a whole number from 1 to ${MAX_LOAD_TEST_ACCOUNTS} (got ${count}).`,
    );
  }
  const password = randomBytes(18).toString('base64url');
  const users = Array.from({ length: count }, (_, i) => ({
    email: loadTestEmail(i),
    name: `Load Test ${i + 1}`,
    password,
  }));
  const file = join(dataDir, LOAD_TEST_ACCOUNTS_FILE);
  const accounts: LoadTestAccounts = { emails: users.map((u) => u.email), password };
  await writeFile(file, `${JSON.stringify(accounts, null, 2)}\n`, { mode: 0o600 });
  return { users, file };
}
