/**
 * SES sending identities (e-mail addresses and domains) of the devcloud account.
 *
 * Decision: like the SES sandbox, a message whose sender is not a verified identity is refused
 * with `MessageRejected`, so a service that forgot to provision its sender fails locally the way
 * it would in AWS. Verification itself is instant here (no confirmation e-mail, no DNS): an
 * identity is verified as soon as VerifyEmailIdentity / VerifyDomainIdentity /
 * CreateEmailIdentity is called. A sender is accepted when its address or its domain is verified.
 * Recipients are not checked (that is, the account behaves as if it had production access).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface SesIdentity {
  identity: string;
  type: 'EmailAddress' | 'Domain';
  createdAt: string;
}

export class IdentityStore {
  readonly #file: string;
  readonly #dir: string;
  #identities: Map<string, SesIdentity> | null = null;

  constructor(dir: string) {
    this.#dir = dir;
    this.#file = join(dir, 'identities.json');
  }

  async #load(): Promise<Map<string, SesIdentity>> {
    if (this.#identities) return this.#identities;
    let list: SesIdentity[] = [];
    try {
      list = JSON.parse(await readFile(this.#file, 'utf8')) as SesIdentity[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    this.#identities = new Map(list.map((entry) => [entry.identity.toLowerCase(), entry]));
    return this.#identities;
  }

  async #save(): Promise<void> {
    const identities = await this.#load();
    await mkdir(this.#dir, { recursive: true });
    const temporary = `${this.#file}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify([...identities.values()], null, 2));
    await rename(temporary, this.#file);
  }

  async add(identity: string): Promise<SesIdentity> {
    const identities = await this.#load();
    const key = identity.toLowerCase();
    const existing = identities.get(key);
    if (existing) return existing;
    const entry: SesIdentity = {
      identity,
      type: identity.includes('@') ? 'EmailAddress' : 'Domain',
      createdAt: new Date().toISOString(),
    };
    identities.set(key, entry);
    await this.#save();
    return entry;
  }

  async remove(identity: string): Promise<boolean> {
    const identities = await this.#load();
    const removed = identities.delete(identity.toLowerCase());
    if (removed) await this.#save();
    return removed;
  }

  async get(identity: string): Promise<SesIdentity | null> {
    return (await this.#load()).get(identity.toLowerCase()) ?? null;
  }

  async list(type?: 'EmailAddress' | 'Domain'): Promise<SesIdentity[]> {
    return [...(await this.#load()).values()].filter((entry) => !type || entry.type === type);
  }

  /** True when the bare address (no display name) or its domain is a verified identity. */
  async canSendFrom(address: string): Promise<boolean> {
    const identities = await this.#load();
    const lower = address.toLowerCase();
    const domain = lower.slice(lower.lastIndexOf('@') + 1);
    return identities.has(lower) || (lower.includes('@') && identities.has(domain));
  }
}
