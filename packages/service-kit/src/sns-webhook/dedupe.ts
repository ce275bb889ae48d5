/**
 * Remembering which SNS MessageIds were handled, so a replay (or an SNS retry of a message
 * already handed on) is not handled twice. `claim` is atomic: it succeeds for the first
 * caller only; a handler that fails `release`s the id so SNS's retry is accepted.
 * The in-memory store is bounded (oldest first out) and forgets after `ttlMs`; the webhook
 * also refuses messages older than that, so a forgotten id cannot be replayed. A service
 * with several instances can plug in a durable store (e.g. a DynamoDB conditional put).
 */
export interface MessageIdStore {
  /** True if `id` was not claimed before (and is now); false for a duplicate. */
  claim(id: string): Promise<boolean>;
  /** Forget a claim whose handling failed. */
  release(id: string): Promise<void>;
}

export class InMemoryMessageIdStore implements MessageIdStore {
  readonly #seen = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(options: { maxEntries?: number; ttlMs?: number; now?: () => number } = {}) {
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#ttlMs = options.ttlMs ?? 24 * 3600_000;
    this.#now = options.now ?? Date.now;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  get size(): number {
    return this.#seen.size;
  }

  async claim(id: string): Promise<boolean> {
    const now = this.#now();
    const claimedAt = this.#seen.get(id);
    if (claimedAt !== undefined && now - claimedAt < this.#ttlMs) return false;
    this.#seen.delete(id);
    this.#seen.set(id, now);
    while (this.#seen.size > this.#maxEntries) this.#seen.delete(this.#seen.keys().next().value as string);
    return true;
  }

  async release(id: string): Promise<void> {
    this.#seen.delete(id);
  }
}
