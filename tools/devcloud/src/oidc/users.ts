/**
 * Accounts of the devcloud identity provider.
 *
 * Passwords are configured in clear (they are local demo passwords, documented in the README)
 * but only a salted scrypt hash is ever kept: in memory and in `users.json` of the data folder.
 * Each account's `sub` is a random UUID chosen the first time the e-mail is seen and kept in
 * `users.json`, so it is stable across restarts (the web service keys accounts on it).
 */
import { randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface IdentityProviderUser {
  email: string;
  name: string;
  /** Clear-text password from configuration; hashed at start, never stored. */
  password: string;
}

/** The demo password of both demo accounts (local stack only). */
export const DEMO_PASSWORD = 'gas-demo';

/**
 * The local stack's demo accounts. `plan` says what the Stripe stand-in seeds for the account:
 * `premium` gets a customer with an active subscription to the Premium price.
 */
export const DEMO_USERS: readonly (IdentityProviderUser & { plan: 'free' | 'premium' })[] = [
  { email: 'free@example.org', name: 'Frances Free', password: DEMO_PASSWORD, plan: 'free' },
  { email: 'premium@example.org', name: 'Paula Premium', password: DEMO_PASSWORD, plan: 'premium' },
];

export interface StoredUser {
  sub: string;
  email: string;
  name: string;
  /** `scrypt$N$r$p$salt-b64$hash-b64` */
  passwordHash: string;
}

const SCRYPT = { N: 16384, r: 8, p: 1, keyLength: 32 };

function scryptAsync(password: string, salt: Buffer, N: number, r: number, p: number, keyLength: number) {
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(password, salt, keyLength, { N, r, p, maxmem: 64 * 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keyLength);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(
    password,
    Buffer.from(salt, 'base64'),
    Number(n),
    Number(r),
    Number(p),
    expected.length,
  );
  return timingSafeEqual(actual, expected);
}

/** A hash no password matches, checked for unknown e-mails so they take as long as known ones. */
const DUMMY_HASH = `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(32).toString('base64')}`;

export class UserStore {
  readonly #byEmail = new Map<string, StoredUser>();
  readonly #bySub = new Map<string, StoredUser>();

  /** Loads `users.json`, then brings it in line with the configured users (new ones, changed names or passwords). */
  static async open(dataDir: string, configured: readonly IdentityProviderUser[]): Promise<UserStore> {
    const file = join(dataDir, 'users.json');
    let saved: StoredUser[] = [];
    try {
      saved = JSON.parse(await readFile(file, 'utf8')) as StoredUser[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const savedByEmail = new Map(saved.map((user) => [user.email.toLowerCase(), user]));
    const store = new UserStore();
    for (const user of configured) {
      const email = user.email.trim().toLowerCase();
      if (!/^[^\s@]+@[^\s@]+$/.test(email))
        throw new Error(`Identity provider user "${user.email}" is not an e-mail address.`);
      if (user.password.length < 8)
        throw new Error(`Identity provider user ${email}: the password needs at least 8 characters.`);
      const previous = savedByEmail.get(email);
      const passwordHash =
        previous && (await verifyPassword(user.password, previous.passwordHash))
          ? previous.passwordHash
          : await hashPassword(user.password);
      const stored: StoredUser = { sub: previous?.sub ?? randomUUID(), email, name: user.name, passwordHash };
      store.#byEmail.set(email, stored);
      store.#bySub.set(stored.sub, stored);
    }
    await mkdir(dataDir, { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify([...store.#byEmail.values()], null, 2), { mode: 0o600 });
    await rename(temporary, file);
    return store;
  }

  bySub(sub: string): StoredUser | undefined {
    return this.#bySub.get(sub);
  }

  /** The user when the e-mail is known and the password matches; null otherwise (same time either way). */
  async authenticate(email: string, password: string): Promise<StoredUser | null> {
    const user = this.#byEmail.get(email.trim().toLowerCase());
    const matches = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    return user && matches ? user : null;
  }
}
