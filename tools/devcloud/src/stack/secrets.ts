/**
 * Local-only secrets of the stack (session secret, OIDC client secret, Stripe webhook
 * secret), generated on the first start into `<dataDir>/secrets.json` (mode 600) and reused,
 * so sessions and subscriptions survive a restart. Never in the repo: `.gas/` is ignored.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface StackSecrets {
  sessionSecret: string;
  oidcClientSecret: string;
  stripeWebhookSecret: string;
}

export async function loadOrCreateSecrets(dataDir: string): Promise<StackSecrets> {
  const file = join(dataDir, 'secrets.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as StackSecrets;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secrets: StackSecrets = {
    sessionSecret: randomBytes(32).toString('base64url'),
    oidcClientSecret: randomBytes(24).toString('base64url'),
    stripeWebhookSecret: `whsec_${randomBytes(24).toString('base64url')}`,
  };
  await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}
