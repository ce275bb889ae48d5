/**
 * Premium subscriptions through Stripe, with Stripe as the source of truth.
 *
 * Checkout (subscription mode) and the customer portal are Stripe-hosted pages. The webhook
 * never trusts the event's snapshot for the tier: for any event about a customer it re-reads
 * that customer's subscriptions and sets the tier from what Stripe says NOW (premium while a
 * subscription is active, trialing or past_due, i.e. inside Stripe's payment retries; free
 * otherwise). So events arriving late, twice or out of order all end in the right tier.
 *
 * Each event id is stored once (`stripe_events`), in the same transaction as the tier
 * change; UserTierChanged is published before that transaction commits, so a failure
 * anywhere rolls the event back and Stripe's retry does the work again (consumers of
 * UserTierChanged are idempotent, a rare duplicate is harmless; a lost message is not).
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { UserTierChanged } from '@gas/contracts';
import type { Transaction } from 'kysely';
import type Stripe from 'stripe';
import type { Database, Db, UserTier } from '../db/database.ts';
import type { User } from './accounts.ts';

export const PREMIUM_STATUSES = new Set(['active', 'trialing', 'past_due']);

const CUSTOMER_EVENTS = new Set([
  'checkout.session.completed',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.paid',
  'invoice.payment_failed',
]);

export type BillingDeps = {
  db: Db;
  stripe: Stripe;
  sns: SNSClient;
  userTierChangedTopicArn: string;
  priceId?: string;
  priceLookupKey?: string;
  baseUrl: string;
};

export class Billing {
  private readonly deps: BillingDeps;
  private price: Promise<string> | undefined;

  constructor(deps: BillingDeps) {
    this.deps = deps;
  }

  private premiumPrice(): Promise<string> {
    if (this.deps.priceId) return Promise.resolve(this.deps.priceId);
    this.price ??= this.deps.stripe.prices
      .list({ lookup_keys: [this.deps.priceLookupKey!], active: true, limit: 1 })
      .then((list) => {
        const price = list.data[0];
        if (!price) throw new Error(`no active Stripe price has the lookup key ${this.deps.priceLookupKey}`);
        return price.id;
      })
      .catch((error: unknown) => {
        this.price = undefined;
        throw error;
      });
    return this.price;
  }

  private async customerOf(user: User): Promise<string> {
    if (user.stripe_customer_id) return user.stripe_customer_id;
    const customer = await this.deps.stripe.customers.create(
      { email: user.email, name: user.name, metadata: { gas_user_id: user.id } },
      { idempotencyKey: `gas-customer-${user.id}` },
    );
    await this.deps.db
      .updateTable('users')
      .set({ stripe_customer_id: customer.id, updated_at: new Date() })
      .where('id', '=', user.id)
      .execute();
    return customer.id;
  }

  async checkoutUrl(user: User): Promise<string> {
    const session = await this.deps.stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: await this.customerOf(user),
      client_reference_id: user.id,
      line_items: [{ price: await this.premiumPrice(), quantity: 1 }],
      subscription_data: { metadata: { gas_user_id: user.id } },
      success_url: `${this.deps.baseUrl}/account?checkout=success`,
      cancel_url: `${this.deps.baseUrl}/account?checkout=cancelled`,
    });
    if (!session.url) throw new Error('Stripe returned a checkout session without a URL');
    return session.url;
  }

  async portalUrl(user: User): Promise<string> {
    const session = await this.deps.stripe.billingPortal.sessions.create({
      customer: await this.customerOf(user),
      return_url: `${this.deps.baseUrl}/account`,
    });
    return session.url;
  }

  /**
   * First sign-in: a customer Stripe already has for this (verified) e-mail, e.g. a subscription
   * bought before the account existed, is linked and the tier read from Stripe.
   */
  async adoptCustomerByEmail(user: User): Promise<void> {
    if (user.stripe_customer_id) return;
    const customers = await this.deps.stripe.customers.list({ email: user.email, limit: 1 });
    const customer = customers.data[0];
    if (!customer) return;
    await this.deps.db.transaction().execute(async (trx) => {
      const linked = await trx
        .updateTable('users')
        .set({ stripe_customer_id: customer.id })
        .where('id', '=', user.id)
        .where('stripe_customer_id', 'is', null)
        .returningAll()
        .executeTakeFirst();
      if (linked) await this.syncTier(trx, linked, customer.id, `first sign-in of ${user.id}`);
    });
  }

  /** Sets the tier from the customer's subscriptions as Stripe has them now; publishes UserTierChanged when it changed. */
  private async syncTier(
    trx: Transaction<Database>,
    user: User,
    customerId: string,
    cause: string,
  ): Promise<void> {
    const subscriptions = await this.deps.stripe.subscriptions.list({
      customer: customerId,
      status: 'all',
      limit: 20,
    });
    const byNewest = [...subscriptions.data].sort((a, b) => b.created - a.created);
    const current = byNewest.find((s) => PREMIUM_STATUSES.has(s.status));
    const shown = current ?? byNewest[0];
    const tier: UserTier = current ? 'premium' : 'free';
    await trx
      .updateTable('users')
      .set({
        tier,
        stripe_subscription_id: shown?.id ?? null,
        stripe_subscription_status: shown?.status ?? null,
        updated_at: new Date(),
      })
      .where('id', '=', user.id)
      .execute();
    if (tier === user.tier) return;
    const message: UserTierChanged = {
      schema_version: 1,
      type: 'UserTierChanged',
      user_id: user.id,
      user_email: user.email,
      previous_tier: user.tier,
      new_tier: tier,
      changed_at: new Date().toISOString(),
      cause: cause.slice(0, 200),
    };
    await this.deps.sns.send(
      new PublishCommand({
        TopicArn: this.deps.userTierChangedTopicArn,
        Message: JSON.stringify(message),
        MessageAttributes: { type: { DataType: 'String', StringValue: 'UserTierChanged' } },
      }),
    );
  }

  /** Handles one verified event; 'duplicate' when its id was seen before (nothing done). */
  async handleEvent(event: Stripe.Event): Promise<'processed' | 'duplicate' | 'ignored'> {
    return this.deps.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('stripe_events')
        .values({ id: event.id, type: event.type })
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inserted) return 'duplicate';
      if (!CUSTOMER_EVENTS.has(event.type)) return 'ignored';
      const object = event.data.object as {
        customer?: string | { id: string } | null;
        client_reference_id?: string | null;
      };
      const customerId = typeof object.customer === 'string' ? object.customer : object.customer?.id;
      if (!customerId) return 'ignored';
      let user = await trx
        .selectFrom('users')
        .selectAll()
        .where('stripe_customer_id', '=', customerId)
        .forUpdate()
        .executeTakeFirst();
      if (!user && event.type === 'checkout.session.completed' && object.client_reference_id) {
        user = await trx
          .updateTable('users')
          .set({ stripe_customer_id: customerId })
          .where('id', '=', object.client_reference_id)
          .where('stripe_customer_id', 'is', null)
          .returningAll()
          .executeTakeFirst();
      }
      if (!user) return 'ignored';
      await this.syncTier(trx, user, customerId, event.id);
      return 'processed';
    });
  }
}
