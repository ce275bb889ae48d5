/**
 * What the Stripe stand-in does, independent of HTTP: creates the objects, runs the billing
 * flows (checkout paid, subscription updated, cancelled, renewed or failing to renew), records
 * an event for every change and delivers events to webhook endpoints.
 *
 * Webhook delivery: one POST per (event, endpoint) with Stripe's JSON and a `Stripe-Signature:
 * t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>` header, signed anew for each
 * attempt. Anything but a 2xx (or no answer within 10 s) is retried with exponential backoff
 * (`webhookRetry`) until `maxAttempts`; pending deliveries are persisted and resume after a
 * restart. Attempts to one endpoint go one at a time, in event order, so a healthy endpoint sees
 * `customer.subscription.created` before `...deleted`; a failing one does not hold back others.
 *
 * Periods: a subscription's period is computed from its price's interval; nothing renews on its
 * own. `advanceSubscription` (also on HTTP, see index.ts) ends the current period the way Stripe
 * would: cancel if `cancel_at_period_end`, else invoice and charge (paid -> `invoice.paid`;
 * failed -> `invoice.payment_failed`, status `past_due`).
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { chargeCard, expiryParts } from './cards.ts';
import {
  type Delivery,
  newId,
  nowSeconds,
  publicView,
  type StripeObject,
  type StripeState,
} from './state.ts';

export interface WebhookRetryOptions {
  /** Delay before the second attempt (default 1000 ms); doubles per attempt. */
  initialDelayMs?: number;
  /** Longest delay between attempts (default 60 000 ms). */
  maxDelayMs?: number;
  /** Attempts before a delivery is given up (default 25; Stripe itself retries for three days). */
  maxAttempts?: number;
}

export interface EngineOptions {
  apiVersion: string;
  publicUrl: string;
  webhookRetry: Required<WebhookRetryOptions>;
  /** What the portal's Cancel button does (default `immediately`: `customer.subscription.deleted`). */
  portalCancel: 'immediately' | 'at_period_end';
  /** Extra CAs trusted for https webhook endpoints (e.g. devcloud's local CA for the web service). */
  trustedCaPems: string[];
  log: (message: string, detail?: object) => void;
}

const DELIVERY_TIMEOUT_MS = 10_000;

/** One POST; resolves to the status code, rejects on a network error or after the timeout. */
function postOnce(
  url: string,
  body: string,
  headers: Record<string, string>,
  ca: string[] | undefined,
  signal: AbortSignal,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const options = {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      signal,
    };
    const onResponse = (response: http.IncomingMessage) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', reject);
    };
    const request =
      target.protocol === 'https:'
        ? https.request(target, { ...options, ca, agent: false }, onResponse)
        : http.request(target, { ...options, agent: false }, onResponse);
    request.setTimeout(DELIVERY_TIMEOUT_MS, () =>
      request.destroy(new Error(`no answer within ${DELIVERY_TIMEOUT_MS} ms`)),
    );
    request.on('error', reject);
    request.end(body);
  });
}

export class StripeError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string | undefined;
  readonly param: string | undefined;
  constructor(status: number, type: string, message: string, extra: { code?: string; param?: string } = {}) {
    super(message);
    this.name = 'StripeError';
    this.status = status;
    this.type = type;
    this.code = extra.code;
    this.param = extra.param;
  }
}

export const invalidRequest = (message: string, param?: string, code = 'parameter_invalid') =>
  new StripeError(400, 'invalid_request_error', message, { param, code });

export const noSuch = (what: string, id: string, param = 'id') =>
  new StripeError(404, 'invalid_request_error', `No such ${what}: '${id}'`, {
    code: 'resource_missing',
    param,
  });

type Interval = 'day' | 'week' | 'month' | 'year';

/** Adds `count` intervals to a unix time (UTC calendar arithmetic, month ends clamped). */
export function addInterval(unixSeconds: number, interval: Interval, count: number): number {
  const date = new Date(unixSeconds * 1000);
  if (interval === 'day') date.setUTCDate(date.getUTCDate() + count);
  else if (interval === 'week') date.setUTCDate(date.getUTCDate() + 7 * count);
  else {
    const months = interval === 'month' ? count : 12 * count;
    const day = date.getUTCDate();
    date.setUTCDate(1);
    date.setUTCMonth(date.getUTCMonth() + months);
    const lastDay = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
    date.setUTCDate(Math.min(day, lastDay));
  }
  return Math.floor(date.getTime() / 1000);
}

export function formatAmount(amount: number, currency: string): string {
  const symbols: Record<string, string> = { usd: '$', eur: '€', gbp: '£' };
  const value = (amount / 100).toFixed(2);
  const symbol = symbols[currency];
  return symbol ? `${symbol}${value}` : `${value} ${currency.toUpperCase()}`;
}

export function signPayload(secret: string, payload: string, timestamp: number): string {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex');
  return `t=${timestamp},v1=${signature}`;
}

export class StripeEngine {
  readonly state: StripeState;
  readonly options: EngineOptions;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #endpointChains = new Map<string, Promise<void>>();
  readonly #stopping = new AbortController();
  /** undefined = Node's default store (which honours NODE_EXTRA_CA_CERTS). */
  readonly #ca: string[] | undefined;
  #closed = false;

  constructor(state: StripeState, options: EngineOptions) {
    this.state = state;
    this.options = options;
    this.#ca = options.trustedCaPems.length > 0 ? [...rootCertificates, ...options.trustedCaPems] : undefined;
  }

  // ---------------------------------------------------------------- objects

  createCustomer(input: {
    email?: string | null;
    name?: string | null;
    description?: string | null;
    phone?: string | null;
    metadata?: Record<string, string>;
  }): StripeObject {
    const id = newId('customer', 14);
    const customer: StripeObject = {
      id,
      object: 'customer',
      address: null,
      balance: 0,
      created: nowSeconds(),
      currency: null,
      default_source: null,
      delinquent: false,
      description: input.description ?? null,
      discount: null,
      email: input.email ?? null,
      invoice_prefix: id.slice(4, 12).toUpperCase(),
      invoice_settings: {
        custom_fields: null,
        default_payment_method: null,
        footer: null,
        rendering_options: null,
      },
      livemode: false,
      metadata: input.metadata ?? {},
      name: input.name ?? null,
      next_invoice_sequence: 1,
      phone: input.phone ?? null,
      preferred_locales: [],
      shipping: null,
      tax_exempt: 'none',
      test_clock: null,
    };
    this.state.put(customer);
    this.emit('customer.created', customer);
    return customer;
  }

  createProduct(input: {
    id?: string;
    name: string;
    description?: string | null;
    active?: boolean;
    metadata?: Record<string, string>;
  }): StripeObject {
    const id = input.id ?? newId('product', 14);
    if (this.state.get('product', id)) {
      throw invalidRequest(`Product already exists.`, 'id', 'resource_already_exists');
    }
    const now = nowSeconds();
    const product: StripeObject = {
      id,
      object: 'product',
      active: input.active ?? true,
      created: now,
      default_price: null,
      description: input.description ?? null,
      images: [],
      livemode: false,
      marketing_features: [],
      metadata: input.metadata ?? {},
      name: input.name,
      package_dimensions: null,
      shippable: null,
      statement_descriptor: null,
      tax_code: null,
      type: 'service',
      unit_label: null,
      updated: now,
      url: null,
    };
    this.state.put(product);
    this.emit('product.created', product);
    return product;
  }

  createPrice(input: {
    id?: string;
    product: string;
    currency: string;
    unitAmount: number;
    recurring: { interval: Interval; interval_count: number } | null;
    lookupKey?: string | null;
    nickname?: string | null;
    active?: boolean;
    metadata?: Record<string, string>;
  }): StripeObject {
    const price: StripeObject = {
      id: input.id ?? newId('price', 24),
      object: 'price',
      active: input.active ?? true,
      billing_scheme: 'per_unit',
      created: nowSeconds(),
      currency: input.currency,
      custom_unit_amount: null,
      livemode: false,
      lookup_key: input.lookupKey ?? null,
      metadata: input.metadata ?? {},
      nickname: input.nickname ?? null,
      product: input.product,
      recurring: input.recurring
        ? {
            interval: input.recurring.interval,
            interval_count: input.recurring.interval_count,
            meter: null,
            trial_period_days: null,
            usage_type: 'licensed',
          }
        : null,
      tax_behavior: 'unspecified',
      tiers_mode: null,
      transform_quantity: null,
      type: input.recurring ? 'recurring' : 'one_time',
      unit_amount: input.unitAmount,
      unit_amount_decimal: String(input.unitAmount),
    };
    this.state.put(price);
    this.emit('price.created', price);
    return price;
  }

  createPaymentMethod(
    customerId: string,
    card: { brand: string; last4: string; expMonth: number; expYear: number },
    billing: { email: string | null; name: string | null },
  ): StripeObject {
    const paymentMethod: StripeObject = {
      id: newId('payment_method', 24),
      object: 'payment_method',
      billing_details: { address: null, email: billing.email, name: billing.name, phone: null },
      card: {
        brand: card.brand,
        country: 'US',
        exp_month: card.expMonth,
        exp_year: card.expYear,
        funding: 'credit',
        last4: card.last4,
      },
      created: nowSeconds(),
      customer: customerId,
      livemode: false,
      metadata: {},
      type: 'card',
    };
    this.state.put(paymentMethod);
    return paymentMethod;
  }

  #invoice(
    subscription: StripeObject,
    reason: 'subscription_create' | 'subscription_cycle',
    paid: boolean,
  ): StripeObject {
    const customer = this.state.get('customer', subscription.customer as string)!;
    const item = (subscription.items as { data: StripeObject[] }).data[0]!;
    const price = item.price as StripeObject;
    const product = this.state.get('product', price.product as string);
    const quantity = item.quantity as number;
    const amount = (price.unit_amount as number) * quantity;
    const sequence = customer.next_invoice_sequence as number;
    customer.next_invoice_sequence = sequence + 1;
    const now = nowSeconds();
    const recurring = price.recurring as { interval: string } | null;
    const invoice: StripeObject = {
      id: newId('invoice', 24),
      object: 'invoice',
      account_country: 'US',
      account_name: 'GAS (devcloud Stripe stand-in)',
      amount_due: amount,
      amount_paid: paid ? amount : 0,
      amount_remaining: paid ? 0 : amount,
      attempt_count: 1,
      attempted: true,
      auto_advance: !paid,
      billing_reason: reason,
      collection_method: 'charge_automatically',
      created: now,
      currency: price.currency,
      customer: customer.id,
      customer_email: customer.email,
      customer_name: customer.name,
      description: null,
      hosted_invoice_url: null,
      invoice_pdf: null,
      lines: {
        object: 'list',
        data: [
          {
            id: `il_${newId('invoice', 24).slice(3)}`,
            object: 'line_item',
            amount,
            currency: price.currency,
            description: `${quantity} × ${String(product?.name ?? price.id)} (at ${formatAmount(price.unit_amount as number, price.currency as string)}${recurring ? ` / ${recurring.interval}` : ''})`,
            livemode: false,
            metadata: {},
            period: { start: item.current_period_start, end: item.current_period_end },
            pricing: {
              price_details: { price: price.id, product: price.product },
              type: 'price_details',
              unit_amount_decimal: String(price.unit_amount),
            },
            quantity,
          },
        ],
        has_more: false,
        url: '/v1/invoices/lines',
      },
      livemode: false,
      metadata: {},
      next_payment_attempt: paid ? null : now + 3 * 86400,
      number: `${customer.invoice_prefix}-${String(sequence).padStart(4, '0')}`,
      parent: {
        quote_details: null,
        subscription_details: { metadata: subscription.metadata, subscription: subscription.id },
        type: 'subscription_details',
      },
      period_end: item.current_period_start,
      period_start: item.current_period_start,
      status: paid ? 'paid' : 'open',
      status_transitions: {
        finalized_at: now,
        marked_uncollectible_at: null,
        paid_at: paid ? now : null,
        voided_at: null,
      },
      subscription: subscription.id,
      subtotal: amount,
      total: amount,
    };
    (invoice.lines as { url: string }).url = `/v1/invoices/${invoice.id}/lines`;
    this.state.put(invoice);
    return invoice;
  }

  /** A new active subscription with its first invoice paid (checkout, or the seed). */
  createPaidSubscription(input: {
    customerId: string;
    priceId: string;
    quantity: number;
    metadata: Record<string, string>;
    paymentMethodId: string | null;
    emitEvents: boolean;
  }): { subscription: StripeObject; invoice: StripeObject } {
    const price = this.state.get('price', input.priceId)!;
    const recurring = price.recurring as { interval: Interval; interval_count: number };
    const start = nowSeconds();
    const end = addInterval(start, recurring.interval, recurring.interval_count);
    const subscriptionId = newId('subscription', 24);
    const item: StripeObject = {
      id: newId('subscription_item', 14),
      object: 'subscription_item',
      created: start,
      current_period_end: end,
      current_period_start: start,
      discounts: [],
      metadata: {},
      price: structuredClone(price),
      quantity: input.quantity,
      subscription: subscriptionId,
      tax_rates: [],
    };
    const subscription: StripeObject = {
      id: subscriptionId,
      object: 'subscription',
      application: null,
      application_fee_percent: null,
      automatic_tax: { disabled_reason: null, enabled: false, liability: null },
      billing_cycle_anchor: start,
      billing_cycle_anchor_config: null,
      cancel_at: null,
      cancel_at_period_end: false,
      canceled_at: null,
      cancellation_details: { comment: null, feedback: null, reason: null },
      collection_method: 'charge_automatically',
      created: start,
      currency: price.currency,
      // Kept at the top level too, where API versions before 2025-03-31 had it.
      current_period_end: end,
      current_period_start: start,
      customer: input.customerId,
      days_until_due: null,
      default_payment_method: input.paymentMethodId,
      default_source: null,
      description: null,
      discounts: [],
      ended_at: null,
      invoice_settings: { account_tax_ids: null, issuer: { type: 'self' } },
      items: {
        object: 'list',
        data: [item],
        has_more: false,
        total_count: 1,
        url: `/v1/subscription_items?subscription=${subscriptionId}`,
      },
      latest_invoice: null,
      livemode: false,
      metadata: input.metadata,
      next_pending_invoice_item_invoice: null,
      on_behalf_of: null,
      pause_collection: null,
      payment_settings: null,
      pending_invoice_item_interval: null,
      pending_setup_intent: null,
      pending_update: null,
      quantity: input.quantity,
      schedule: null,
      start_date: start,
      status: 'active',
      test_clock: null,
      transfer_data: null,
      trial_end: null,
      trial_settings: { end_behavior: { missing_payment_method: 'create_invoice' } },
      trial_start: null,
    };
    this.state.put(subscription);
    const invoice = this.#invoice(subscription, 'subscription_create', true);
    subscription.latest_invoice = invoice.id;
    if (input.emitEvents) {
      this.emit('customer.subscription.created', subscription);
      this.emit('invoice.created', invoice);
      this.emit('invoice.finalized', invoice);
      this.emit('invoice.paid', invoice);
      this.emit('invoice.payment_succeeded', invoice);
    }
    return { subscription, invoice };
  }

  // ---------------------------------------------------------------- flows

  /** The hosted checkout form was submitted. Declines change nothing and return the message. */
  payCheckoutSession(
    sessionId: string,
    form: { email: string; name: string; number: string; expiry: string; cvc: string },
  ): { ok: true; redirect: string } | { ok: false; message: string } {
    const session = this.state.get('checkout.session', sessionId);
    if (!session) throw noSuch('checkout.session', sessionId);
    if (session.status !== 'open')
      return { ok: false, message: `This checkout session is ${session.status}.` };
    if ((session.expires_at as number) < nowSeconds()) {
      this.expireCheckoutSession(sessionId);
      return { ok: false, message: 'This checkout session has expired.' };
    }
    let customer = session.customer ? this.state.get('customer', session.customer as string) : undefined;
    const email =
      (customer?.email as string | null) ?? (session.customer_email as string | null) ?? form.email.trim();
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) return { ok: false, message: 'Enter a valid e-mail address.' };
    if (!form.name.trim()) return { ok: false, message: 'Enter the name on the card.' };
    const outcome = chargeCard(form);
    if (!outcome.ok) {
      this.options.log('checkout: card declined', { sessionId, declineCode: outcome.declineCode });
      return { ok: false, message: outcome.message! };
    }
    customer ??= this.createCustomer({ email, name: form.name.trim() });
    const expiry = expiryParts(form.expiry);
    const paymentMethod = this.createPaymentMethod(
      customer.id,
      { brand: outcome.brand, last4: outcome.last4, expMonth: expiry.month, expYear: expiry.year },
      { email, name: form.name.trim() },
    );
    const before = structuredClone(customer);
    (customer.invoice_settings as Record<string, unknown>).default_payment_method = paymentMethod.id;
    this.emitUpdated('customer.updated', customer, before);

    const lineItems = session.__line_items as { price: string; quantity: number }[];
    const subscriptionData = (session.__subscription_data ?? {}) as { metadata?: Record<string, string> };
    const { subscription, invoice } = this.createPaidSubscription({
      customerId: customer.id,
      priceId: lineItems[0]!.price,
      quantity: lineItems[0]!.quantity,
      metadata: subscriptionData.metadata ?? {},
      paymentMethodId: paymentMethod.id,
      emitEvents: true,
    });
    Object.assign(session, {
      customer: customer.id,
      customer_details: {
        address: null,
        email,
        name: form.name.trim(),
        phone: null,
        tax_exempt: 'none',
        tax_ids: [],
      },
      invoice: invoice.id,
      payment_status: 'paid',
      status: 'complete',
      subscription: subscription.id,
    });
    this.emit('checkout.session.completed', session);
    this.options.log('checkout: paid', { sessionId, customer: customer.id, subscription: subscription.id });
    return {
      ok: true,
      redirect: String(session.success_url).replaceAll('{CHECKOUT_SESSION_ID}', session.id),
    };
  }

  expireCheckoutSession(sessionId: string): StripeObject {
    const session = this.state.get('checkout.session', sessionId);
    if (!session) throw noSuch('checkout.session', sessionId);
    if (session.status !== 'open') {
      throw invalidRequest(
        `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${session.status}".`,
        undefined,
        'checkout_session_not_open',
      );
    }
    session.status = 'expired';
    this.emit('checkout.session.expired', session);
    return session;
  }

  updateSubscription(
    id: string,
    changes: { cancelAtPeriodEnd?: boolean; metadata?: Record<string, string>; comment?: string | null },
  ): StripeObject {
    const subscription = this.state.get('subscription', id);
    if (!subscription) throw noSuch('subscription', id);
    if (subscription.status === 'canceled') {
      throw invalidRequest(
        'A canceled subscription can only update its cancellation_details and metadata.',
        undefined,
        'resource_missing',
      );
    }
    const before = structuredClone(subscription);
    if (changes.cancelAtPeriodEnd !== undefined) {
      subscription.cancel_at_period_end = changes.cancelAtPeriodEnd;
      subscription.cancel_at = changes.cancelAtPeriodEnd ? subscription.current_period_end : null;
      subscription.canceled_at = changes.cancelAtPeriodEnd ? nowSeconds() : null;
      subscription.cancellation_details = {
        comment: changes.comment ?? null,
        feedback: null,
        reason: changes.cancelAtPeriodEnd ? 'cancellation_requested' : null,
      };
    }
    if (changes.metadata)
      subscription.metadata = mergeMetadata(
        subscription.metadata as Record<string, string>,
        changes.metadata,
      );
    this.emitUpdated('customer.subscription.updated', subscription, before);
    return subscription;
  }

  cancelSubscription(
    id: string,
    reason: 'cancellation_requested' | 'payment_failed' = 'cancellation_requested',
  ): StripeObject {
    const subscription = this.state.get('subscription', id);
    if (!subscription) throw noSuch('subscription', id);
    if (subscription.status === 'canceled') {
      throw invalidRequest(
        `A canceled subscription can't be canceled again: ${id}`,
        undefined,
        'resource_missing',
      );
    }
    const now = nowSeconds();
    Object.assign(subscription, {
      status: 'canceled',
      canceled_at: (subscription.canceled_at as number | null) ?? now,
      ended_at: now,
      cancel_at: null,
      cancellation_details: { comment: null, feedback: null, reason },
    });
    this.emit('customer.subscription.deleted', subscription);
    return subscription;
  }

  /** Ends the current period now: cancels (cancel_at_period_end) or renews with a payment. */
  advanceSubscription(id: string, opts: { paymentSucceeds: boolean }): StripeObject {
    const subscription = this.state.get('subscription', id);
    if (!subscription) throw noSuch('subscription', id);
    if (subscription.status === 'canceled') throw invalidRequest(`Subscription ${id} is canceled.`);
    if (subscription.cancel_at_period_end) return this.cancelSubscription(id);
    const before = structuredClone(subscription);
    const item = (subscription.items as { data: StripeObject[] }).data[0]!;
    const recurring = (item.price as StripeObject).recurring as {
      interval: Interval;
      interval_count: number;
    };
    const start = item.current_period_end as number;
    const end = addInterval(start, recurring.interval, recurring.interval_count);
    Object.assign(item, { current_period_start: start, current_period_end: end });
    Object.assign(subscription, { current_period_start: start, current_period_end: end });
    const invoice = this.#invoice(subscription, 'subscription_cycle', opts.paymentSucceeds);
    subscription.latest_invoice = invoice.id;
    subscription.status = opts.paymentSucceeds ? 'active' : 'past_due';
    this.emit('invoice.created', invoice);
    this.emit('invoice.finalized', invoice);
    if (opts.paymentSucceeds) {
      this.emit('invoice.paid', invoice);
      this.emit('invoice.payment_succeeded', invoice);
    } else {
      this.emit('invoice.payment_failed', invoice);
    }
    this.emitUpdated('customer.subscription.updated', subscription, before);
    return subscription;
  }

  /**
   * The portal's "Update card": the card is checked like at checkout; on success it becomes the
   * customer's default, and every past_due subscription's open invoice is paid with it (the
   * subscription becomes active again), as Stripe retries after a card update.
   */
  updateDefaultCard(
    customerId: string,
    form: { name: string; number: string; expiry: string; cvc: string },
  ): { ok: true } | { ok: false; message: string } {
    const customer = this.state.get('customer', customerId);
    if (!customer) throw noSuch('customer', customerId);
    if (!form.name.trim()) return { ok: false, message: 'Enter the name on the card.' };
    const outcome = chargeCard(form);
    if (!outcome.ok) return { ok: false, message: outcome.message! };
    const expiry = expiryParts(form.expiry);
    const paymentMethod = this.createPaymentMethod(
      customerId,
      { brand: outcome.brand, last4: outcome.last4, expMonth: expiry.month, expYear: expiry.year },
      { email: customer.email as string | null, name: form.name.trim() },
    );
    this.emit('payment_method.attached', paymentMethod);
    const before = structuredClone(customer);
    (customer.invoice_settings as Record<string, unknown>).default_payment_method = paymentMethod.id;
    this.emitUpdated('customer.updated', customer, before);
    for (const subscription of Object.values(this.state.all('subscription'))) {
      if (subscription.customer !== customerId || subscription.status === 'canceled') continue;
      const subscriptionBefore = structuredClone(subscription);
      subscription.default_payment_method = paymentMethod.id;
      const invoice = this.state.get('invoice', subscription.latest_invoice as string);
      if (subscription.status === 'past_due' && invoice?.status === 'open') {
        const now = nowSeconds();
        Object.assign(invoice, {
          amount_paid: invoice.amount_due,
          amount_remaining: 0,
          attempt_count: (invoice.attempt_count as number) + 1,
          next_payment_attempt: null,
          status: 'paid',
          status_transitions: { ...(invoice.status_transitions as object), paid_at: now },
        });
        subscription.status = 'active';
        this.emit('invoice.paid', invoice);
        this.emit('invoice.payment_succeeded', invoice);
      }
      this.emitUpdated('customer.subscription.updated', subscription, subscriptionBefore);
    }
    return { ok: true };
  }

  // ---------------------------------------------------------------- events and webhooks

  emit(type: string, object: StripeObject, previousAttributes?: Record<string, unknown>): StripeObject {
    const endpoints = Object.values(this.state.all('webhook_endpoint')).filter(
      (endpoint) =>
        endpoint.status === 'enabled' &&
        ((endpoint.enabled_events as string[]).includes('*') ||
          (endpoint.enabled_events as string[]).includes(type)),
    );
    const event: StripeObject = {
      id: newId('event', 24),
      object: 'event',
      api_version: this.options.apiVersion,
      created: nowSeconds(),
      data: previousAttributes
        ? { object: publicView(structuredClone(object)), previous_attributes: previousAttributes }
        : { object: publicView(structuredClone(object)) },
      livemode: false,
      pending_webhooks: endpoints.length,
      request: { id: null, idempotency_key: null },
      type,
    };
    this.state.put(event);
    for (const endpoint of endpoints) {
      const delivery: Delivery = {
        id: `${event.id}:${endpoint.id}`,
        eventId: event.id,
        endpointId: endpoint.id,
        attempts: 0,
        nextAttemptAt: Date.now(),
        status: 'pending',
        lastError: null,
      };
      this.state.data.deliveries[delivery.id] = delivery;
      this.#schedule(delivery);
    }
    return event;
  }

  /** Emits an `*.updated` event whose previous_attributes are the top-level fields that changed. */
  emitUpdated(type: string, object: StripeObject, before: StripeObject): void {
    const previous: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(before)) {
      if (!key.startsWith('__') && JSON.stringify(value) !== JSON.stringify(object[key]))
        previous[key] = value;
    }
    if (Object.keys(previous).length > 0) this.emit(type, object, previous);
  }

  /** Re-arms every pending delivery (after a restart). */
  resumeDeliveries(): void {
    for (const delivery of Object.values(this.state.data.deliveries)) {
      if (delivery.status === 'pending') this.#schedule(delivery);
    }
  }

  #schedule(delivery: Delivery): void {
    const timer = setTimeout(
      () => {
        this.#timers.delete(timer);
        if (this.#closed) return;
        const previous = this.#endpointChains.get(delivery.endpointId) ?? Promise.resolve();
        const next = previous.then(() => this.#attempt(delivery));
        this.#endpointChains.set(delivery.endpointId, next);
      },
      Math.max(0, delivery.nextAttemptAt - Date.now()),
    );
    timer.unref();
    this.#timers.add(timer);
  }

  async #attempt(delivery: Delivery): Promise<void> {
    if (this.#closed || delivery.status !== 'pending') return;
    const endpoint = this.state.get('webhook_endpoint', delivery.endpointId);
    const event = this.state.get('event', delivery.eventId);
    if (!endpoint || !event || endpoint.status !== 'enabled') {
      delete this.state.data.deliveries[delivery.id];
      await this.state.save();
      return;
    }
    const payload = JSON.stringify(publicView(event), null, 2);
    const signature = signPayload(endpoint.__secret as string, payload, nowSeconds());
    delivery.attempts += 1;
    let error: string | null = null;
    try {
      const status = await postOnce(
        endpoint.url as string,
        payload,
        {
          'content-type': 'application/json; charset=utf-8',
          'stripe-signature': signature,
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'cache-control': 'no-cache',
          accept: '*/*; q=0.5, application/xml',
        },
        this.#ca,
        this.#stopping.signal,
      );
      if (status < 200 || status > 299) error = `HTTP ${status}`;
    } catch (cause) {
      error = cause instanceof Error ? cause.message : String(cause);
    }
    if (this.#closed && error) {
      delivery.attempts -= 1;
      delivery.nextAttemptAt = Date.now();
      await this.state.save();
      return;
    }
    if (!error) {
      delivery.status = 'succeeded';
      delivery.lastError = null;
      event.pending_webhooks = Math.max(0, (event.pending_webhooks as number) - 1);
      this.options.log('webhook delivered', {
        event: event.type,
        eventId: event.id,
        url: endpoint.url,
        attempts: delivery.attempts,
      });
    } else if (delivery.attempts >= this.options.webhookRetry.maxAttempts) {
      delivery.status = 'failed';
      delivery.lastError = error;
      this.options.log('webhook delivery given up', {
        eventId: event.id,
        url: endpoint.url,
        attempts: delivery.attempts,
        error,
      });
    } else {
      const { initialDelayMs, maxDelayMs } = this.options.webhookRetry;
      const delay = Math.min(initialDelayMs * 2 ** (delivery.attempts - 1), maxDelayMs);
      delivery.lastError = error;
      delivery.nextAttemptAt = Date.now() + delay;
      this.options.log('webhook delivery failed, will retry', {
        eventId: event.id,
        url: endpoint.url,
        error,
        retryInMs: delay,
      });
      this.#schedule(delivery);
    }
    await this.state.save();
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    // An attempt in flight is abandoned; it stays pending and is retried after the next start.
    this.#stopping.abort();
    await Promise.allSettled([...this.#endpointChains.values()]);
  }
}

/** Stripe's metadata update rule: keys are merged, an empty string removes a key. */
export function mergeMetadata(
  current: Record<string, string>,
  update: Record<string, string>,
): Record<string, string> {
  const merged = { ...current };
  for (const [key, value] of Object.entries(update)) {
    if (value === '') delete merged[key];
    else merged[key] = value;
  }
  return merged;
}
