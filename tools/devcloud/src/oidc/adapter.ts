/**
 * oidc-provider storage in one JSON file of the data folder (`provider-state.json`), so sessions,
 * grants and unexpired codes survive a restart of the local stack (the built-in memory adapter
 * loses them and is shared by every provider in the process). Entries carry their expiry and
 * are pruned when the file is loaded; lookups by uid / user code / grant scan the entries, which
 * is plenty for a local identity provider.
 */
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Entry {
  model: string;
  id: string;
  payload: AdapterPayload;
  /** Epoch ms, or null for no expiry. */
  expiresAt: number | null;
}

export class ProviderStateFile {
  readonly #file: string;
  readonly entries = new Map<string, Entry>();
  #saving: Promise<void> = Promise.resolve();

  constructor(file: string) {
    this.#file = file;
    let stored: Entry[] = [];
    try {
      stored = JSON.parse(readFileSync(file, 'utf8')) as Entry[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const now = Date.now();
    for (const entry of stored) {
      if (entry.expiresAt === null || entry.expiresAt > now)
        this.entries.set(`${entry.model}:${entry.id}`, entry);
    }
  }

  live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt !== null && entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  save(): Promise<void> {
    const snapshot = JSON.stringify([...this.entries.values()]);
    this.#saving = this.#saving.then(async () => {
      const temporary = `${this.#file}.${process.pid}.tmp`;
      await writeFile(temporary, snapshot, { mode: 0o600 });
      await rename(temporary, this.#file);
    });
    return this.#saving;
  }

  flushed(): Promise<void> {
    return this.#saving;
  }
}

export class FileAdapter implements Adapter {
  readonly #model: string;
  readonly #state: ProviderStateFile;

  constructor(model: string, state: ProviderStateFile) {
    this.#model = model;
    this.#state = state;
  }

  #key(id: string): string {
    return `${this.#model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : null;
    this.#state.entries.set(this.#key(id), { model: this.#model, id, payload, expiresAt });
    await this.#state.save();
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.#state.live(this.#key(id))?.payload;
  }

  #findBy(match: (payload: AdapterPayload) => boolean): AdapterPayload | undefined {
    for (const [key, entry] of this.#state.entries) {
      if (entry.model === this.#model && match(entry.payload)) return this.#state.live(key)?.payload;
    }
    return undefined;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#findBy((payload) => payload.uid === uid);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#findBy((payload) => payload.userCode === userCode);
  }

  async consume(id: string): Promise<void> {
    const entry = this.#state.live(this.#key(id));
    if (entry) {
      entry.payload.consumed = Math.floor(Date.now() / 1000);
      await this.#state.save();
    }
  }

  async destroy(id: string): Promise<void> {
    if (this.#state.entries.delete(this.#key(id))) await this.#state.save();
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    let changed = false;
    for (const [key, entry] of this.#state.entries) {
      if (entry.payload.grantId === grantId) {
        this.#state.entries.delete(key);
        changed = true;
      }
    }
    if (changed) await this.#state.save();
  }
}
