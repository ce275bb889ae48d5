/**
 * The Stripe stand-in's objects, kept as Stripe-shaped JSON in one `state.json` in the data
 * folder (rewritten atomically after every change), plus the id scheme, list pagination and
 * `expand`. Objects are stored exactly as the API returns them; fields whose names start with
 * `__` are internal (e.g. a Checkout Session's line items, which Stripe only includes when
 * expanded) and are stripped from every response.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type StripeObject = Record<string, unknown> & { id: string; object: string };

/** Collection name -> id prefix. Checkout Sessions get `cs_test_`, as in test mode. */
export const PREFIXES = {
  customer: 'cus_',
  product: 'prod_',
  price: 'price_',
  'checkout.session': 'cs_test_',
  subscription: 'sub_',
  subscription_item: 'si_',
  invoice: 'in_',
  payment_method: 'pm_',
  'billing_portal.session': 'bps_',
  webhook_endpoint: 'we_',
  event: 'evt_',
} as const;

export type Collection = keyof typeof PREFIXES;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function newId(collection: Collection, length = 24): string {
  const bytes = randomBytes(length);
  let body = '';
  for (const byte of bytes) body += ALPHABET[byte % ALPHABET.length];
  return PREFIXES[collection] + body;
}

export function collectionOfId(id: string): Collection | null {
  // Longest prefix first, so `cs_test_` wins over shorter ones.
  const entries = Object.entries(PREFIXES).sort(([, a], [, b]) => b.length - a.length);
  for (const [collection, prefix] of entries) if (id.startsWith(prefix)) return collection as Collection;
  return null;
}

export interface Delivery {
  id: string;
  eventId: string;
  endpointId: string;
  attempts: number;
  nextAttemptAt: number;
  status: 'pending' | 'succeeded' | 'failed';
  lastError: string | null;
}

interface PersistedState {
  objects: Partial<Record<Collection, Record<string, StripeObject>>>;
  deliveries: Record<string, Delivery>;
  secretKey?: string;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

export class StripeState {
  readonly #file: string;
  readonly #dir: string;
  data: PersistedState = { objects: {}, deliveries: {} };
  #saving: Promise<void> = Promise.resolve();

  constructor(dir: string) {
    this.#dir = dir;
    this.#file = join(dir, 'state.json');
  }

  async load(): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    try {
      this.data = JSON.parse(await readFile(this.#file, 'utf8')) as PersistedState;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  save(): Promise<void> {
    const snapshot = JSON.stringify(this.data);
    this.#saving = this.#saving.then(async () => {
      const temporary = `${this.#file}.${process.pid}.tmp`;
      await writeFile(temporary, snapshot, { mode: 0o600 });
      await rename(temporary, this.#file);
    });
    return this.#saving;
  }

  all(collection: Collection): Record<string, StripeObject> {
    this.data.objects[collection] ??= {};
    return this.data.objects[collection]!;
  }

  get(collection: Collection, id: string): StripeObject | undefined {
    return this.all(collection)[id];
  }

  put(object: StripeObject): StripeObject {
    const collection = collectionOfId(object.id);
    if (!collection) throw new Error(`no collection for id ${object.id}`);
    this.all(collection)[object.id] = object;
    return object;
  }

  /** Any object by id, whatever its collection. */
  byId(id: string): StripeObject | undefined {
    const collection = collectionOfId(id);
    return collection ? this.get(collection, id) : undefined;
  }
}

/** Removes internal `__` fields, deeply, from a copy. */
export function publicView<T>(value: T): T {
  if (Array.isArray(value)) return value.map(publicView) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) if (!key.startsWith('__')) out[key] = publicView(field);
    return out as T;
  }
  return value;
}

export function listObject(url: string, data: StripeObject[], hasMore: boolean) {
  return { object: 'list', data, has_more: hasMore, url };
}
