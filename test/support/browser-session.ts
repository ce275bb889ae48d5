/**
 * Shared by the tests that drive the whole stack (test/journey, test/faults): Chromium, waiting
 * for something the stack does eventually, and signing a user in through the identity provider
 * in a fresh browser context.
 */

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { eventually as pollUntil } from '../../packages/service-kit/src/testing/eventually.ts';

export { launchChromium } from '../../packages/service-kit/src/testing/chromium.ts';

/** `eventually` of @gas/service-kit/testing with the description first (how these tests read). */
export function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  limitMs = 120_000,
  everyMs = 500,
): Promise<T> {
  return pollUntil(check, what, limitMs, everyMs);
}

/** Signs a demo user (password `gas-demo`) in on web's login page; returns the context and page. */
export async function signIn(
  browser: Browser,
  webUrl: string,
  email: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 900 },
  });
  const page = await context.newPage();
  await page.goto(`${webUrl}/auth/login`);
  await page.fill('input[type=email], input[name=email]', email);
  await page.fill('input[type=password]', 'gas-demo');
  await Promise.all([page.waitForURL(`${webUrl}/**`), page.click('button[type=submit]')]);
  return { context, page };
}

/**
 * From web's account page through the Stripe stand-in's Checkout with the test card that pays,
 * back to web. `beforePaying` runs on the filled-in checkout page (e.g. a screenshot).
 */
export async function payForPremium(
  page: Page,
  urls: { web: string; stripe: string },
  beforePaying: () => Promise<unknown> = async () => undefined,
): Promise<void> {
  await page.goto(`${urls.web}/account`);
  await Promise.all([
    page.waitForURL(`${urls.stripe}/**`),
    page.getByRole('button', { name: 'Upgrade to Premium' }).click(),
  ]);
  await page.getByLabel('Name on card').fill('Frances Free');
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByLabel('Expiry').fill('12 / 34');
  await page.getByLabel('CVC').fill('123');
  await beforePaying();
  await Promise.all([
    page.waitForURL(`${urls.web}/**`),
    page.getByRole('button', { name: /Subscribe/ }).click(),
  ]);
}
