import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, Agent as HttpsAgent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GAS_PREMIUM_LOOKUP_KEY,
  gasDemoSeed,
  type RunningStripeStandIn,
  startStripeStandIn,
} from '../src/stripe/index.ts';
import { ensureLocalCa, issueCertificate } from '../src/tls/local-ca.ts';
import { formAction, TestBrowser } from './helpers/browser.ts';
import { fetchTrusting } from './helpers/https-fetch.ts';

interface Received {
  body: string;
  signature: string;
}

/** A local webhook endpoint that records what it gets and fails the first `failFirst` posts. */
async function webhookReceiver(
  failFirst = 0,
): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  let calls = 0;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    received.push({
      body: Buffer.concat(chunks).toString('utf8'),
      signature: String(req.headers['stripe-signature']),
    });
    calls += 1;
    res.writeHead(calls <= failFirst ? 500 : 200).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/stripe/webhook`,
    received,
    server,
  };
}

async function waitFor<T>(what: string, probe: () => T | undefined): Promise<T> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

const webhookSecret = `whsec_${randomBytes(24).toString('hex')}`;
let dataDir: string;
let standIn: RunningStripeStandIn;
let stripe: Stripe;
let receiver: Awaited<ReturnType<typeof webhookReceiver>>;
let priceId: string;

function eventsOfType(type: string): Stripe.Event[] {
  return receiver.received
    .map((r) => stripe.webhooks.constructEvent(r.body, r.signature, webhookSecret))
    .filter((event) => event.type === type);
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'devcloud-stripe-'));
  receiver = await webhookReceiver();
  standIn = await startStripeStandIn({
    dataDir,
    webhooks: [{ url: receiver.url, secret: webhookSecret }],
    webhookRetry: { initialDelayMs: 50, maxDelayMs: 200 },
    seed: gasDemoSeed(),
  });
  stripe = new Stripe(standIn.secretKey, { host: standIn.host, port: standIn.port, protocol: 'http' });
  const product = await stripe.products.create({ name: 'GAS Premium (test)' });
  const price = await stripe.prices.create({
    product: product.id,
    unit_amount: 1200,
    currency: 'usd',
    recurring: { interval: 'month' },
    lookup_key: 'test_monthly',
  });
  priceId = price.id;
});

afterAll(async () => {
  await standIn.close();
  await new Promise((resolve) => receiver.server.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
});

describe('API basics through the stripe SDK', () => {
  it('refuses a wrong secret key with Stripe 401 error JSON', async () => {
    const intruder = new Stripe('sk_test_not_the_right_key', {
      host: standIn.host,
      port: standIn.port,
      protocol: 'http',
    });
    await expect(intruder.customers.list()).rejects.toMatchObject({
      type: 'StripeAuthenticationError',
      statusCode: 401,
      message: expect.stringContaining('Invalid API Key provided'),
    });
    const raw = await fetch(`${standIn.url}/v1/customers`);
    expect(raw.status).toBe(401);
    expect(await raw.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });

  it('creates, retrieves, updates and lists customers by e-mail', async () => {
    const created = await stripe.customers.create({
      email: 'alice@example.org',
      name: 'Alice',
      metadata: { user_id: 'u1' },
    });
    expect(created.id).toMatch(/^cus_/);
    const updated = await stripe.customers.update(created.id, { metadata: { tier: 'free' } });
    expect(updated.metadata).toEqual({ user_id: 'u1', tier: 'free' });
    const retrieved = await stripe.customers.retrieve(created.id);
    expect(retrieved).toMatchObject({ email: 'alice@example.org', name: 'Alice' });
    const listed = await stripe.customers.list({ email: 'alice@example.org' });
    expect(listed).toMatchObject({ object: 'list', has_more: false });
    expect(listed.data.map((c) => c.id)).toEqual([created.id]);
  });

  it('answers Stripe errors for a missing object, a missing parameter and an unknown one', async () => {
    await expect(stripe.customers.retrieve('cus_nope')).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 404,
      code: 'resource_missing',
      message: "No such customer: 'cus_nope'",
    });
    await expect(
      stripe.prices.create({ product: 'prod_x', currency: 'usd' } as Stripe.PriceCreateParams),
    ).rejects.toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'unit_amount' });
    const malformed = await fetch(`${standIn.url}/v1/customers/%E0%A4%A`, {
      headers: { authorization: `Bearer ${standIn.secretKey}` },
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    expect((await fetch(`${standIn.url}/c/pay/%E0%A4%A`)).status).toBe(400);
    const helper = await fetch(`${standIn.url}/_devcloud/subscriptions/%E0%A4%A/advance`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${standIn.secretKey}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'payment=succeeded',
    });
    expect(helper.status).toBe(400);
    await expect(
      stripe.customers.create({ email: 'x@example.org', shoe_size: '42' } as Stripe.CustomerCreateParams),
    ).rejects.toMatchObject({
      statusCode: 400,
      param: 'shoe_size',
      message: expect.stringContaining('shoe_size'),
    });
  });

  it('lists prices by lookup key, expanding the product', async () => {
    const prices = await stripe.prices.list({ lookup_keys: ['test_monthly'], expand: ['data.product'] });
    expect(prices.data).toHaveLength(1);
    expect(prices.data[0]).toMatchObject({
      id: priceId,
      type: 'recurring',
      recurring: { interval: 'month', interval_count: 1 },
      unit_amount: 1200,
      product: { object: 'product', name: 'GAS Premium (test)' },
    });
  });

  it('seeds premium@example.org with an active Premium subscription', async () => {
    const { customerId, subscriptionId } = standIn.seeded.customers['premium@example.org']!;
    const customers = await stripe.customers.list({ email: 'premium@example.org' });
    expect(customers.data.map((c) => c.id)).toEqual([customerId]);
    const subscriptions = await stripe.subscriptions.list({ customer: customerId });
    expect(subscriptions.data.map((s) => s.id)).toEqual([subscriptionId]);
    expect(subscriptions.data[0]!.status).toBe('active');
    expect(subscriptions.data[0]!.items.data[0]!.price.lookup_key).toBe(GAS_PREMIUM_LOOKUP_KEY);
    expect((await stripe.customers.list({ email: 'free@example.org' })).data).toEqual([]);
  });
});

describe('Checkout in subscription mode with the hosted page', () => {
  let session: Stripe.Checkout.Session;

  it('creates a session whose URL is the stand-in hosted page', async () => {
    session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: priceId, quantity: 1 }],
      customer_email: 'bob@example.org',
      client_reference_id: 'user-bob',
      metadata: { user_id: 'user-bob' },
      success_url: 'https://localhost:4433/account/upgraded?session_id={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://localhost:4433/account',
    });
    expect(session).toMatchObject({
      object: 'checkout.session',
      status: 'open',
      payment_status: 'unpaid',
      mode: 'subscription',
    });
    expect(session.id).toMatch(/^cs_test_/);
    expect(session.url).toBe(`${standIn.url}/c/pay/${session.id}`);
    const withItems = await stripe.checkout.sessions.retrieve(session.id, { expand: ['line_items'] });
    expect(withItems.line_items?.data[0]).toMatchObject({
      quantity: 1,
      amount_total: 1200,
      price: { id: priceId },
    });
  });

  it('shows a declined card (4000 0000 0000 0002) and does not pay', async () => {
    const browser = new TestBrowser();
    const page = await browser.navigate(session.url!);
    expect(page.status).toBe(200);
    expect(page.html).toContain('GAS Premium (test)');
    expect(page.html).toContain('$12.00 per month');
    const declined = await browser.request(formAction(page, /\/c\/pay\//), {
      form: {
        email: 'bob@example.org',
        name: 'Bob',
        number: '4000 0000 0000 0002',
        expiry: '12 / 34',
        cvc: '123',
      },
    });
    expect(declined.status).toBe(402);
    expect(declined.html).toContain('Your card was declined.');
    const after = await stripe.checkout.sessions.retrieve(session.id);
    expect(after).toMatchObject({ status: 'open', payment_status: 'unpaid', subscription: null });
  });

  it('pays with 4242 4242 4242 4242: redirect to success_url, session complete, subscription active', async () => {
    const browser = new TestBrowser();
    const page = await browser.navigate(session.url!);
    const paid = await browser.request(formAction(page, /\/c\/pay\//), {
      form: {
        email: 'bob@example.org',
        name: 'Bob',
        number: '4242 4242 4242 4242',
        expiry: '12 / 34',
        cvc: '123',
      },
    });
    expect(paid.status).toBe(303);
    expect(paid.location).toBe(`https://localhost:4433/account/upgraded?session_id=${session.id}`);

    const completed = await stripe.checkout.sessions.retrieve(session.id, { expand: ['subscription'] });
    expect(completed).toMatchObject({
      status: 'complete',
      payment_status: 'paid',
      client_reference_id: 'user-bob',
    });
    const subscription = completed.subscription as Stripe.Subscription;
    expect(subscription.status).toBe('active');
    const item = subscription.items.data[0]!;
    expect(item.price.id).toBe(priceId);
    expect(item.current_period_end).toBeGreaterThan(item.current_period_start);
    const customer = await stripe.customers.retrieve(completed.customer as string);
    expect(customer).toMatchObject({ email: 'bob@example.org' });
  });

  it('delivers signed webhooks that the real SDK verifies, and rejects a tampered payload', async () => {
    const completedEvent = await waitFor(
      'checkout.session.completed',
      () => eventsOfType('checkout.session.completed')[0],
    );
    const object = completedEvent.data.object as Stripe.Checkout.Session;
    expect(object).toMatchObject({
      id: session.id,
      client_reference_id: 'user-bob',
      metadata: { user_id: 'user-bob' },
    });
    await waitFor('customer.subscription.created', () => eventsOfType('customer.subscription.created')[0]);
    const paidEvent = await waitFor('invoice.paid', () => eventsOfType('invoice.paid')[0]);
    expect((paidEvent.data.object as Stripe.Invoice).parent?.subscription_details?.subscription).toBe(
      object.subscription,
    );

    const original = receiver.received.find((r) => r.body.includes('"checkout.session.completed"'))!;
    const tampered = original.body.replace('user-bob', 'user-eve');
    expect(() => stripe.webhooks.constructEvent(tampered, original.signature, webhookSecret)).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
    expect(() => stripe.webhooks.constructEvent(original.body, original.signature, 'whsec_wrong')).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );

    const fromApi = await stripe.events.retrieve(completedEvent.id);
    expect(fromApi.type).toBe('checkout.session.completed');
    const listed = await stripe.events.list({ type: 'checkout.session.completed' });
    expect(listed.data.map((e) => e.id)).toContain(completedEvent.id);
  });

  it('a session past expires_at reads as expired and its page says so', async () => {
    const soon = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: priceId, quantity: 1 }],
      success_url: 'https://localhost:4433/ok',
      expires_at: Math.floor(Date.now() / 1000) - 1,
    });
    expect((await stripe.checkout.sessions.retrieve(soon.id)).status).toBe('expired');
    const page = await new TestBrowser().navigate(soon.url!);
    expect(page.status).toBe(410);
    expect(page.html).toContain('expired');
  });

  it('refuses a second payment of a completed session', async () => {
    const page = await new TestBrowser().navigate(session.url!);
    expect(page.html).toContain('Already paid');
  });
});

describe('subscriptions and the customer portal', () => {
  it('sets cancel_at_period_end (updated event with previous_attributes) and undoes it', async () => {
    const [subscription] = (await stripe.subscriptions.list({ price: priceId })).data;
    const updated = await stripe.subscriptions.update(subscription!.id, { cancel_at_period_end: true });
    expect(updated.cancel_at_period_end).toBe(true);
    const event = await waitFor('subscription updated', () =>
      eventsOfType('customer.subscription.updated').find(
        (e) => (e.data.object as Stripe.Subscription).cancel_at_period_end,
      ),
    );
    expect(event.data.previous_attributes).toMatchObject({ cancel_at_period_end: false });
    const undone = await stripe.subscriptions.update(subscription!.id, { cancel_at_period_end: false });
    expect(undone.cancel_at_period_end).toBe(false);
  });

  it('cancels from the portal page: customer.subscription.deleted, then back to return_url', async () => {
    const [subscription] = (await stripe.subscriptions.list({ price: priceId })).data;
    const portal = await stripe.billingPortal.sessions.create({
      customer: subscription!.customer as string,
      return_url: 'https://localhost:4433/account',
    });
    expect(portal.url).toBe(`${standIn.url}/p/session/${portal.id}`);
    const browser = new TestBrowser();
    const page = await browser.navigate(portal.url);
    expect(page.html).toContain('GAS Premium (test)');
    expect(page.html).toContain('Cancel subscription');

    // Someone else's subscription id in this customer's portal is refused.
    const premium = standIn.seeded.customers['premium@example.org']!;
    const forged = await browser.request(formAction(page, /\/cancel$/), {
      form: { subscription: premium.subscriptionId },
    });
    expect(forged.status).toBe(404);
    expect((await stripe.subscriptions.retrieve(premium.subscriptionId)).status).toBe('active');

    const cancelled = await browser.request(formAction(page, /\/cancel$/), {
      form: { subscription: subscription!.id },
    });
    expect(cancelled.status).toBe(303);
    expect(cancelled.location).toBe('https://localhost:4433/account');
    expect((await stripe.subscriptions.retrieve(subscription!.id)).status).toBe('canceled');
    const deleted = await waitFor(
      'customer.subscription.deleted',
      () => eventsOfType('customer.subscription.deleted')[0],
    );
    expect(deleted.data.object).toMatchObject({ id: subscription!.id, status: 'canceled' });
    expect((await stripe.subscriptions.list({ customer: subscription!.customer as string })).data).toEqual(
      [],
    );
  });

  it('a failed renewal sends invoice.payment_failed (past_due); a new card in the portal pays it', async () => {
    const { subscriptionId } = standIn.seeded.customers['premium@example.org']!;
    await standIn.advanceSubscription(subscriptionId, { paymentSucceeds: false });
    const failed = await waitFor('invoice.payment_failed', () => eventsOfType('invoice.payment_failed')[0]);
    expect(failed.data.object).toMatchObject({
      status: 'open',
      subscription: subscriptionId,
      amount_paid: 0,
    });
    expect((await stripe.subscriptions.retrieve(subscriptionId)).status).toBe('past_due');

    // The customer fixes the card in the portal: a declined card is refused, a good one pays the invoice.
    const { customerId } = standIn.seeded.customers['premium@example.org']!;
    const portal = await stripe.billingPortal.sessions.create({ customer: customerId });
    const browser = new TestBrowser();
    const page = await browser.navigate(portal.url);
    expect(page.html).toContain('VISA ending in 4242');
    const card = { name: 'Paula Premium', expiry: '10 / 40', cvc: '321' };
    const declined = await browser.request(formAction(page, /\/card$/), {
      form: { ...card, number: '4000 0000 0000 0002' },
    });
    expect(declined.status).toBe(402);
    expect(declined.html).toContain('Your card was declined.');
    expect((await stripe.subscriptions.retrieve(subscriptionId)).status).toBe('past_due');
    const updated = await browser.request(formAction(page, /\/card$/), {
      form: { ...card, number: '5555 5555 5555 4444' },
    });
    expect(updated.html).toContain('MASTERCARD ending in 4444');
    expect((await stripe.subscriptions.retrieve(subscriptionId)).status).toBe('active');
    const recovered = await waitFor('invoice.paid for the failed invoice', () =>
      eventsOfType('invoice.paid').find(
        (e) => (e.data.object as Stripe.Invoice).id === (failed.data.object as Stripe.Invoice).id,
      ),
    );
    expect(recovered.data.object).toMatchObject({ status: 'paid', amount_remaining: 0 });

    // and over HTTP, the next period is paid
    const response = await fetch(`${standIn.url}/_devcloud/subscriptions/${subscriptionId}/advance`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${standIn.secretKey}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'payment=succeeded',
    });
    expect(response.status).toBe(200);
    expect((await stripe.subscriptions.retrieve(subscriptionId)).status).toBe('active');
    expect((await stripe.invoices.list({ subscription: subscriptionId })).data).toHaveLength(3);
  });

  it('cancels through the API (subscriptions.cancel)', async () => {
    const customer = await stripe.customers.create({ email: 'carol@example.org' });
    const checkout = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ price: priceId, quantity: 1 }],
      success_url: 'https://localhost:4433/ok',
    });
    const browser = new TestBrowser();
    const page = await browser.navigate(checkout.url!);
    expect(page.html).toContain('value="carol@example.org" readonly');
    await browser.request(formAction(page, /\/c\/pay\//), {
      form: { name: 'Carol', number: '4242424242424242', expiry: '01/2099', cvc: '999' },
    });
    const { subscription } = await stripe.checkout.sessions.retrieve(checkout.id);
    const cancelled = await stripe.subscriptions.cancel(subscription as string);
    expect(cancelled.status).toBe('canceled');
  });
});

describe('webhook retries', () => {
  it('retries with backoff until the endpoint answers 2xx, each attempt signed', async () => {
    const flaky = await webhookReceiver(2);
    try {
      const endpoint = await stripe.webhookEndpoints.create({
        url: flaky.url,
        enabled_events: ['customer.created'],
      });
      expect(endpoint.secret).toMatch(/^whsec_/);
      const customer = await stripe.customers.create({ email: 'dave@example.org' });
      await waitFor('three attempts', () => (flaky.received.length >= 3 ? true : undefined));
      const events = flaky.received.map((r) =>
        stripe.webhooks.constructEvent(r.body, r.signature, endpoint.secret!),
      );
      expect(events.map((e) => e.type)).toEqual(['customer.created', 'customer.created', 'customer.created']);
      expect(new Set(events.map((e) => e.id)).size).toBe(1);
      expect((events[0]!.data.object as Stripe.Customer).id).toBe(customer.id);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(flaky.received).toHaveLength(3);
      await stripe.webhookEndpoints.del(endpoint.id);
    } finally {
      await new Promise((resolve) => flaky.server.close(resolve));
    }
  });
});

describe('persistence', () => {
  it('a delivery in flight at shutdown stays pending and is delivered after the restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'devcloud-stripe-pending-'));
    const received: Received[] = [];
    const server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      received.push({
        body: Buffer.concat(chunks).toString('utf8'),
        signature: String(req.headers['stripe-signature']),
      });
      if (received.length > 1) res.writeHead(200).end(); // the first request is left hanging
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const secret = `whsec_${randomBytes(16).toString('hex')}`;
    const webhooks = [{ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, secret }];
    try {
      const first = await startStripeStandIn({ dataDir: dir, webhooks });
      const client = new Stripe(first.secretKey, { host: first.host, port: first.port, protocol: 'http' });
      const customer = await client.customers.create({ email: 'pending@example.org' });
      await waitFor('the first attempt', () => received[0]);
      await first.close();

      const second = await startStripeStandIn({ dataDir: dir, webhooks });
      try {
        const delivered = await waitFor('the delivery after restart', () => received[1]);
        const event = client.webhooks.constructEvent(delivered.body, delivered.signature, secret);
        expect(event.type).toBe('customer.created');
        expect((event.data.object as Stripe.Customer).id).toBe(customer.id);
        expect(JSON.parse(received[0]!.body).id).toBe(event.id);
      } finally {
        await second.close();
      }
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a restart on the same data folder keeps objects and does not seed twice', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'devcloud-stripe-restart-'));
    try {
      const first = await startStripeStandIn({ dataDir: dir, seed: gasDemoSeed() });
      const client = new Stripe(first.secretKey, { host: first.host, port: first.port, protocol: 'http' });
      const customer = await client.customers.create({ email: 'erin@example.org' });
      await first.close();
      const second = await startStripeStandIn({ dataDir: dir, seed: gasDemoSeed() });
      try {
        expect(second.secretKey).toBe(first.secretKey);
        expect(second.seeded).toEqual(first.seeded);
        const again = new Stripe(second.secretKey, {
          host: second.host,
          port: second.port,
          protocol: 'http',
        });
        expect((await again.customers.retrieve(customer.id)).id).toBe(customer.id);
        expect((await again.customers.list({ email: 'premium@example.org' })).data).toHaveLength(1);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('portal in at_period_end mode', () => {
  it('Cancel sets cancel_at_period_end; the end of the period then deletes the subscription', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'devcloud-stripe-period-end-'));
    const periodEnd = await startStripeStandIn({
      dataDir: dir,
      portalCancel: 'at_period_end',
      seed: gasDemoSeed(),
    });
    try {
      const client = new Stripe(periodEnd.secretKey, {
        host: periodEnd.host,
        port: periodEnd.port,
        protocol: 'http',
      });
      const { customerId, subscriptionId } = periodEnd.seeded.customers['premium@example.org']!;
      const portal = await client.billingPortal.sessions.create({
        customer: customerId,
        return_url: 'https://localhost:4433/account',
      });
      const browser = new TestBrowser();
      const page = await browser.navigate(portal.url);
      const cancelled = await browser.request(formAction(page, /\/cancel$/), {
        form: { subscription: subscriptionId },
      });
      expect(cancelled.location).toBe('https://localhost:4433/account');
      const pending = await client.subscriptions.retrieve(subscriptionId);
      expect(pending).toMatchObject({ status: 'active', cancel_at_period_end: true });
      expect((await browser.navigate(portal.url)).html).toContain('Renew subscription');

      await periodEnd.advanceSubscription(subscriptionId, { paymentSucceeds: true });
      expect((await client.subscriptions.retrieve(subscriptionId)).status).toBe('canceled');
      const types = (await client.events.list({ limit: 10 })).data.map((e) => e.type);
      expect(types.slice(0, 2)).toEqual(['customer.subscription.deleted', 'customer.subscription.updated']);
    } finally {
      await periodEnd.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('API and pages over https', () => {
  it('serves the SDK and the hosted page on https with a local-CA certificate', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'devcloud-stripe-https-'));
    try {
      const ca = await ensureLocalCa(join(dir, 'ca'));
      const certificate = await issueCertificate(ca, 'stripe', { hosts: ['localhost'], purpose: 'server' });
      const secure = await startStripeStandIn({
        dataDir: join(dir, 'stripe'),
        tls: { certPem: certificate.certPem, keyPem: certificate.keyPem, publicHost: 'localhost' },
      });
      try {
        expect(secure).toMatchObject({ protocol: 'https', host: 'localhost' });
        const client = new Stripe(secure.secretKey, {
          host: secure.host,
          port: secure.port,
          protocol: secure.protocol,
          httpAgent: new HttpsAgent({ ca: ca.certPem }),
        });
        const price = await client.prices.create({
          product_data: { name: 'Over TLS' },
          unit_amount: 100,
          currency: 'eur',
          recurring: { interval: 'year' },
        });
        const session = await client.checkout.sessions.create({
          mode: 'subscription',
          line_items: [{ price: price.id }],
          success_url: 'https://localhost:4433/ok',
        });
        expect(session.url).toMatch(/^https:\/\/localhost:\d+\/c\/pay\/cs_test_/);
        const page = await new TestBrowser(fetchTrusting([ca.certPem])).navigate(session.url!);
        expect(page.html).toContain('€1.00 per year');
      } finally {
        await secure.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('webhooks to an https endpoint with a local-CA certificate', () => {
  it('delivers when the CA is trusted, and keeps retrying (never delivering) when it is not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'devcloud-stripe-tls-'));
    const ca = await ensureLocalCa(join(dir, 'ca'));
    const certificate = await issueCertificate(ca, 'web', {
      hosts: ['localhost', '127.0.0.1'],
      purpose: 'server',
    });
    const deliveries: Received[] = [];
    const server = createHttpsServer({ key: certificate.keyPem, cert: certificate.certPem }, (req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        deliveries.push({ body, signature: String(req.headers['stripe-signature']) });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `https://localhost:${(server.address() as AddressInfo).port}/stripe/webhook`;
    const secret = `whsec_${randomBytes(16).toString('hex')}`;
    const untrustingLog: { message: string; detail?: object }[] = [];
    const untrusting = await startStripeStandIn({
      dataDir: join(dir, 'untrusting'),
      log: (message, detail) => untrustingLog.push({ message, detail }),
      webhooks: [{ url, secret }],
      webhookRetry: { initialDelayMs: 20, maxDelayMs: 20, maxAttempts: 3 },
    });
    const trusting = await startStripeStandIn({
      dataDir: join(dir, 'trusting'),
      webhooks: [{ url, secret }],
      trustedCaPems: [ca.certPem],
    });
    try {
      const refusedBy = new Stripe(untrusting.secretKey, {
        host: untrusting.host,
        port: untrusting.port,
        protocol: 'http',
      });
      await refusedBy.customers.create({ email: 'tls-refused@example.org' });
      const trustedBy = new Stripe(trusting.secretKey, {
        host: trusting.host,
        port: trusting.port,
        protocol: 'http',
      });
      const customer = await trustedBy.customers.create({ email: 'tls@example.org' });
      const delivery = await waitFor('the delivery over https', () => deliveries[0]);
      const event = trustedBy.webhooks.constructEvent(delivery.body, delivery.signature, secret);
      expect((event.data.object as Stripe.Customer).id).toBe(customer.id);
      // The untrusting stand-in gave up after its three attempts, refused by TLS, never reaching the server.
      const gaveUp = await waitFor('the untrusting stand-in to give up', () =>
        untrustingLog.find((entry) => entry.message === 'webhook delivery given up'),
      );
      expect(gaveUp.detail).toMatchObject({ attempts: 3, error: expect.stringMatching(/certificate/i) });
      expect(deliveries.every((d) => !d.body.includes('tls-refused@example.org'))).toBe(true);
    } finally {
      await untrusting.close();
      await trusting.close();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
