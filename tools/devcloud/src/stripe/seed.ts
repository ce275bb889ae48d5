/**
 * Seeding the Stripe stand-in at start: products with prices, and customers who already pay.
 * Idempotent: a product is found by id, a price by lookup key, a customer by e-mail (one that
 * already has an active subscription keeps it), so a second start reuses the data.
 * Seeding sends no webhook events: it describes the world as it is when the stack starts.
 */
import { DEMO_USERS } from '../oidc/users.ts';
import type { StripeEngine } from './engine.ts';
import type { StripeObject } from './state.ts';

export interface StripeSeed {
  products?: {
    id: string;
    name: string;
    description?: string;
    prices: {
      lookupKey: string;
      unitAmount: number;
      currency: string;
      interval: 'day' | 'week' | 'month' | 'year';
    }[];
  }[];
  /** Customers with an active subscription to the price with this lookup key. */
  subscribedCustomers?: { email: string; name?: string; priceLookupKey: string }[];
}

export interface SeedResult {
  /** lookup key -> price id */
  prices: Record<string, string>;
  /** e-mail -> the customer and their active subscription */
  customers: Record<string, { customerId: string; subscriptionId: string }>;
}

export const GAS_PREMIUM_PRODUCT_ID = 'prod_gas_premium';
export const GAS_PREMIUM_LOOKUP_KEY = 'gas_premium_monthly';

/** The local stack's seed: the Premium plan, and `premium@example.org` already subscribed to it. */
export function gasDemoSeed(): StripeSeed {
  return {
    products: [
      {
        id: GAS_PREMIUM_PRODUCT_ID,
        name: 'GAS Premium',
        description: 'No input size limit; results never go to cold storage.',
        prices: [{ lookupKey: GAS_PREMIUM_LOOKUP_KEY, unitAmount: 999, currency: 'usd', interval: 'month' }],
      },
    ],
    subscribedCustomers: DEMO_USERS.filter((user) => user.plan === 'premium').map((user) => ({
      email: user.email,
      name: user.name,
      priceLookupKey: GAS_PREMIUM_LOOKUP_KEY,
    })),
  };
}

export function applySeed(engine: StripeEngine, seed: StripeSeed): SeedResult {
  const result: SeedResult = { prices: {}, customers: {} };
  const state = engine.state;
  const quiet = <T>(make: () => T): T => {
    // Seeded objects produce no events: drop the ones `make` recorded.
    const before = new Set(Object.keys(state.all('event')));
    const made = make();
    for (const id of Object.keys(state.all('event'))) if (!before.has(id)) delete state.all('event')[id];
    for (const [id, delivery] of Object.entries(state.data.deliveries)) {
      if (!before.has(delivery.eventId)) delete state.data.deliveries[id];
    }
    return made;
  };
  for (const product of seed.products ?? []) {
    if (!state.get('product', product.id)) {
      quiet(() =>
        engine.createProduct({ id: product.id, name: product.name, description: product.description }),
      );
    }
    for (const price of product.prices) {
      let existing = Object.values(state.all('price')).find((p) => p.lookup_key === price.lookupKey);
      existing ??= quiet(() =>
        engine.createPrice({
          product: product.id,
          currency: price.currency,
          unitAmount: price.unitAmount,
          recurring: { interval: price.interval, interval_count: 1 },
          lookupKey: price.lookupKey,
        }),
      );
      result.prices[price.lookupKey] = existing.id;
    }
  }
  for (const wanted of seed.subscribedCustomers ?? []) {
    const priceId = result.prices[wanted.priceLookupKey];
    if (!priceId)
      throw new Error(`Stripe seed: no price with lookup key ${wanted.priceLookupKey} for ${wanted.email}.`);
    let customer: StripeObject | undefined = Object.values(state.all('customer')).find(
      (c) => c.email === wanted.email,
    );
    customer ??= quiet(() => engine.createCustomer({ email: wanted.email, name: wanted.name ?? null }));
    const customerId = customer.id;
    let subscription = Object.values(state.all('subscription')).find(
      (s) => s.customer === customerId && (s.status === 'active' || s.status === 'past_due'),
    );
    subscription ??= quiet(() => {
      const paymentMethod = engine.createPaymentMethod(
        customerId,
        { brand: 'visa', last4: '4242', expMonth: 12, expYear: new Date().getUTCFullYear() + 3 },
        { email: wanted.email, name: wanted.name ?? null },
      );
      (customer!.invoice_settings as Record<string, unknown>).default_payment_method = paymentMethod.id;
      return engine.createPaidSubscription({
        customerId,
        priceId,
        quantity: 1,
        metadata: {},
        paymentMethodId: paymentMethod.id,
        emitEvents: false,
      }).subscription;
    });
    result.customers[wanted.email] = { customerId, subscriptionId: subscription.id };
  }
  return result;
}
