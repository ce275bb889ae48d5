import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { unwrapTopicMessage } from '@gas/contracts';
import type { FastifyInstance } from 'fastify';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/database.ts';
import { decodeHtml, WebClient } from './helpers/clients.ts';
import { buildTestApp, startTestStack, type TestStack } from './helpers/stack.ts';

let stack: TestStack;
let app: FastifyInstance;
let db: Db;
let stripe: Stripe;
let frances: WebClient;

beforeAll(async () => {
  stack = await startTestStack();
  ({ app, db } = await buildTestApp(stack));
  const standIn = stack.cloud.stripe!;
  stripe = new Stripe(standIn.secretKey, {
    host: standIn.host,
    port: standIn.port,
    protocol: standIn.protocol,
  });
  frances = new WebClient(app);
  await frances.signIn('free@example.org');
}, 60_000);

afterAll(async () => {
  await app?.close();
  await stack?.close();
});

async function tierOf(email: string) {
  return (await db.selectFrom('users').select('tier').where('email', '=', email).executeTakeFirstOrThrow())
    .tier;
}

async function tierChanges(): Promise<
  Array<{ user_email: string; previous_tier: string; new_tier: string; cause: string }>
> {
  const sqs = new SQSClient({
    region: stack.cloud.region,
    endpoint: stack.cloud.url,
    credentials: stack.cloud.credentials,
  });
  const queueUrl = stack.resources.queueUrls.archiverUserTierChanged;
  const out = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  const messages = [];
  for (const m of out.Messages ?? []) {
    messages.push(unwrapTopicMessage({ MessageId: m.MessageId!, Body: m.Body! }, 'userTierChanged').message);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
  }
  sqs.destroy();
  return messages;
}

/** Delivers an event as Stripe does: the JSON body signed with the endpoint secret. */
function deliver(event: Stripe.Event | Record<string, unknown>, secret = stack.webhookSecret) {
  const payload = JSON.stringify(event);
  const signature = stripe.webhooks.generateTestHeaderString({ payload, secret });
  return app.inject({
    method: 'POST',
    url: '/stripe/webhook',
    headers: {
      'x-forwarded-proto': 'https',
      'content-type': 'application/json',
      'stripe-signature': signature,
    },
    payload,
  });
}

async function eventsFor(customerId: string): Promise<Stripe.Event[]> {
  const all = await stripe.events.list({ limit: 100 });
  return all.data.filter((event) => (event.data.object as { customer?: string }).customer === customerId);
}

/** Upgrades through our account page and the stand-in's hosted checkout with a card number. */
async function checkout(client: WebClient, card: string): Promise<{ status: number; html: string }> {
  const token = await client.csrfToken('/account');
  const upgrade = await client.postForm('/account/upgrade', { _csrf: token });
  expect(upgrade.statusCode).toBe(303);
  const checkoutUrl = upgrade.headers.location as string;
  expect(checkoutUrl.startsWith(`http://${stack.cloud.stripe!.host}:${stack.cloud.stripe!.port}/`)).toBe(
    true,
  );
  const page = await fetch(checkoutUrl);
  const html = await page.text();
  const action = decodeHtml(/<form method="post" action="([^"]*\/c\/pay\/[^"]+)"/.exec(html)![1]!);
  const paid = await fetch(new URL(action, checkoutUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      name: 'Frances Free',
      number: card,
      expiry: '01/2099',
      cvc: '123',
    }).toString(),
    redirect: 'manual',
  });
  return { status: paid.status, html: await paid.text() };
}

describe('Stripe webhook', () => {
  it('refuses a bad or missing signature and stores nothing', async () => {
    const event = {
      id: 'evt_forged',
      type: 'customer.subscription.deleted',
      data: { object: { customer: 'cus_x' } },
    };
    const forged = await deliver(event, 'whsec_not_our_secret');
    expect(forged.statusCode).toBe(400);
    expect(forged.json().message).toContain('signature');
    const unsigned = await app.inject({
      method: 'POST',
      url: '/stripe/webhook',
      headers: { 'x-forwarded-proto': 'https', 'content-type': 'application/json' },
      payload: JSON.stringify(event),
    });
    expect(unsigned.statusCode).toBe(400);
    const stored = await db.selectFrom('stripe_events').selectAll().where('id', '=', 'evt_forged').execute();
    expect(stored).toEqual([]);
  });

  it('upgrade: checkout through the hosted page, the signed event makes the user Premium and publishes UserTierChanged once', async () => {
    const refused = await frances.postForm('/account/upgrade', {});
    expect(refused.statusCode).toBe(403);

    const paid = await checkout(frances, '4242 4242 4242 4242');
    expect(paid.status).toBe(303);
    const user = await db
      .selectFrom('users')
      .selectAll()
      .where('email', '=', 'free@example.org')
      .executeTakeFirstOrThrow();
    expect(user.stripe_customer_id).toMatch(/^cus_/);
    expect(user.tier).toBe('free');

    const events = await eventsFor(user.stripe_customer_id!);
    const completed = events.find((e) => e.type === 'checkout.session.completed')!;
    expect(completed).toBeTruthy();
    const response = await deliver(completed);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ received: true, outcome: 'processed' });
    expect(await tierOf('free@example.org')).toBe('premium');
    expect(await tierChanges()).toEqual([
      expect.objectContaining({
        user_email: 'free@example.org',
        previous_tier: 'free',
        new_tier: 'premium',
        cause: completed.id,
      }),
    ]);
    const account = await frances.get('/account');
    expect(account.body).toMatch(/data-testid="tier">Premium/);
    expect(account.body).toContain('Manage subscription');

    // Replay: stored once, nothing done again.
    const replay = await deliver(completed);
    expect(replay.json()).toEqual({ received: true, outcome: 'duplicate' });
    expect(
      await db.selectFrom('stripe_events').selectAll().where('id', '=', completed.id).execute(),
    ).toHaveLength(1);
    expect(await tierChanges()).toEqual([]);

    // Every other event of the upgrade agrees with Stripe: still Premium, no new message.
    for (const event of events.filter((e) => e.id !== completed.id))
      expect((await deliver(event)).statusCode).toBe(200);
    expect(await tierOf('free@example.org')).toBe('premium');
    expect(await tierChanges()).toEqual([]);
  });

  it('out of order: the cancellation arrives first, the older upgrade events after it; the user ends Free', async () => {
    const user = await db
      .selectFrom('users')
      .selectAll()
      .where('email', '=', 'free@example.org')
      .executeTakeFirstOrThrow();
    const portal = await frances.postForm('/account/portal', { _csrf: await frances.csrfToken('/account') });
    expect(portal.statusCode).toBe(303);
    expect(portal.headers.location).toContain('/p/session/');
    await stripe.subscriptions.cancel(user.stripe_subscription_id!);
    // These events were seen in the test above; forget them so they arrive here for the first time, late.
    await db.deleteFrom('stripe_events').execute();
    const events = await eventsFor(user.stripe_customer_id!);
    const deleted = events.find((e) => e.type === 'customer.subscription.deleted')!;
    expect((await deliver(deleted)).json().outcome).toBe('processed');
    expect(await tierOf('free@example.org')).toBe('free');
    const older = events.filter((e) =>
      ['customer.subscription.created', 'invoice.paid', 'checkout.session.completed'].includes(e.type),
    );
    expect(older.length).toBeGreaterThanOrEqual(3);
    for (const event of older) expect((await deliver(event)).json().outcome).toBe('processed');
    expect(await tierOf('free@example.org')).toBe('free');
    expect(await tierChanges()).toEqual([
      expect.objectContaining({ previous_tier: 'premium', new_tier: 'free', cause: deleted.id }),
    ]);
  });

  it('a declined card changes nothing', async () => {
    const declined = await checkout(frances, '4000 0000 0000 0002');
    expect(declined.html).toContain('Your card was declined.');
    expect(await tierOf('free@example.org')).toBe('free');
  });

  it('a subscriber from before the account existed is Premium at first sign-in', async () => {
    const paula = new WebClient(app);
    await paula.signIn('premium@example.org');
    expect(await tierOf('premium@example.org')).toBe('premium');
    expect(await tierChanges()).toEqual([
      expect.objectContaining({
        user_email: 'premium@example.org',
        previous_tier: 'free',
        new_tier: 'premium',
      }),
    ]);
  });
});
