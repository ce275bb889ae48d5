import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, screenshot } from '@gas/service-kit/testing/chromium';
import type { Browser } from 'playwright-core';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningStripeStandIn, startStripeStandIn } from '../src/stripe/index.ts';

/** Screenshots for a person to look at (git-ignored). */
const SCREENSHOT_DIR = join(import.meta.dirname, '..', 'test-results');

// The hosted checkout and portal pages in a real browser with JavaScript off, as a payer uses them.
let dataDir: string;
let standIn: RunningStripeStandIn;
let stripe: Stripe;
let browser: Browser;
let app: Server;
let appUrl: string;
let priceId: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'devcloud-stripe-browser-'));
  standIn = await startStripeStandIn({ dataDir });
  stripe = new Stripe(standIn.secretKey, { host: standIn.host, port: standIn.port, protocol: 'http' });
  const price = await stripe.prices.create({
    product_data: { name: 'GAS Premium' },
    unit_amount: 999,
    currency: 'usd',
    recurring: { interval: 'month' },
  });
  priceId = price.id;
  // Stands in for the web service's success / return pages.
  app = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>app</title><h1>Back in the app</h1><p id="url">${req.url}</p>`);
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => app.close(resolve));
  await standIn.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('hosted pages in Chromium, JavaScript off', () => {
  it('a declined card shows the decline; 4242 subscribes and returns to the app', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: priceId, quantity: 1 }],
      customer_email: 'browser@example.org',
      success_url: `${appUrl}/account/upgraded?session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${appUrl}/account`,
    });
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(session.url!);
    await page.getByLabel('Name on card').fill('Browser User');
    await page.getByLabel('Card number').fill('4000 0000 0000 0002');
    await page.getByLabel('Expiry').fill('12 / 34');
    await page.getByLabel('CVC').fill('123');
    await page.getByRole('button', { name: /Subscribe/ }).click();
    expect(await page.getByRole('alert').textContent()).toBe('Your card was declined.');
    await screenshot(page, SCREENSHOT_DIR, 'stripe-checkout-declined');

    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByLabel('Expiry').fill('12 / 34');
    await page.getByLabel('CVC').fill('123');
    await page.getByRole('button', { name: /Subscribe/ }).click();
    await page.waitForURL(`${appUrl}/account/upgraded?session_id=${session.id}`);
    expect((await stripe.checkout.sessions.retrieve(session.id)).status).toBe('complete');
    await context.close();
  });

  it('the portal lists the subscription and its Cancel button ends it', async () => {
    const [subscription] = (await stripe.subscriptions.list({ price: priceId })).data;
    const portal = await stripe.billingPortal.sessions.create({
      customer: subscription!.customer as string,
      return_url: `${appUrl}/account`,
    });
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(portal.url);
    expect(await page.getByText('GAS Premium').isVisible()).toBe(true);
    await screenshot(page, SCREENSHOT_DIR, 'stripe-portal');
    await page.getByRole('button', { name: 'Cancel subscription' }).click();
    await page.waitForURL(`${appUrl}/account`);
    expect((await stripe.subscriptions.retrieve(subscription!.id)).status).toBe('canceled');
    await context.close();
  });
});
