/**
 * Signing keys and cookie keys of the devcloud identity provider: generated on the first start
 * and kept in the data folder (mode 0600), so tokens and sessions stay valid across restarts.
 * They are never committed: the data folder is outside version control.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ProviderSecrets {
  /** Private JWKs (RS256) for signing ID tokens. */
  jwks: { keys: Record<string, unknown>[] };
  /** Keys that sign the provider's cookies. */
  cookieKeys: string[];
}

export async function loadOrCreateSecrets(dataDir: string): Promise<ProviderSecrets> {
  const file = join(dataDir, 'provider-secrets.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as ProviderSecrets;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  const secrets: ProviderSecrets = {
    jwks: { keys: [{ ...jwk, kid: randomUUID(), alg: 'RS256', use: 'sig' }] },
    cookieKeys: [randomBytes(32).toString('base64url')],
  };
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: 'wx' }).catch(
    async (error) => {
      // Another process created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    },
  );
  return JSON.parse(await readFile(file, 'utf8')) as ProviderSecrets;
}
