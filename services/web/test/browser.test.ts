/**
 * The site in a real browser (Debian Chromium through playwright-core): sign in on the devcloud
 * identity provider's page, upload a small VCF through the page (size check, presigned POST
 * straight to devcloud S3 with the progress bar), land on the job page, watch it change
 * without a reload, then filter the result viewer. The web app serves HTTPS itself with a
 * certificate from devcloud's local CA, as in the local stack.
 *
 * The annotator is not started here: the test moves the job RUNNING -> COMPLETED by writing
 * the record and result files the way the annotator does (helpers/jobs.ts), and says so.
 * Screenshots go to services/web/test-results/ (git-ignored).
 */
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DEMO_PASSWORD } from '@gas/devcloud';
import { loadConfig } from '@gas/service-kit';
import { launchChromium } from '@gas/service-kit/testing/chromium';
import type { FastifyInstance } from 'fastify';
import type { Browser, Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { WebConfig, webConfigRules } from '../src/config.ts';
import { createDb } from '../src/db/database.ts';
import { completeJobLikeAnnotator, markRunningLikeAnnotator, SMALL_VCF } from './helpers/jobs.ts';
import { startTestStack, type TestStack } from './helpers/stack.ts';

const SCREENSHOTS = join(import.meta.dirname, '..', 'test-results');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const text = async (locator: Locator) => ((await locator.textContent()) ?? '').trim();

let stack: TestStack;
let app: FastifyInstance;
let browser: Browser;
let port: number;

beforeAll(async () => {
  // The OIDC redirect URI and the bucket's CORS origin name the port, so it is chosen first.
  port = await freePort();
  stack = await startTestStack({ baseUrl: `https://localhost:${port}`, deliverStripeEvents: true });
  const cert = await stack.cloud.issueServerCertificate('web', ['localhost', '127.0.0.1']);
  // Premium files over 1 MB go in 5 MiB parts here, so the multipart path runs with a small file.
  const config = loadConfig(
    WebConfig,
    {
      ...stack.env,
      TRUST_PROXY: 'false',
      PREMIUM_UPLOAD_LIMIT_BYTES: '1048576',
      MULTIPART_PART_BYTES: '5242880',
    },
    webConfigRules,
  );
  app = await buildApp(config, {
    db: createDb(config.DATABASE_URL, 4, () => undefined),
    https: { cert: cert.certPem, key: cert.keyPem },
  });
  await app.listen({ port, host: '127.0.0.1' });
  browser = await launchChromium();
  await mkdir(SCREENSHOTS, { recursive: true });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await stack?.close();
});

describe('in Chromium', () => {
  it('sign in, upload a VCF, follow the job to its results and filter them', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`);
    });

    await page.goto(`https://localhost:${port}/`);
    expect(await text(page.locator('h1'))).toBe('Genomics Annotation Service');
    await page.getByRole('link', { name: 'Sign in to start' }).click();
    await page.locator('input[name="email"]').fill('free@example.org');
    await page.locator('input[name="password"]').fill(DEMO_PASSWORD);
    await Promise.all([
      page.waitForURL(`https://localhost:${port}/dashboard`),
      page.locator('button[type="submit"]').first().click(),
    ]);
    expect(await text(page.getByTestId('who'))).toBe('Frances Free (Free)');

    await page.getByRole('link', { name: 'Annotate', exact: true }).click();
    // Over the Free limit: refused on the page, with the upgrade offered, before anything is sent.
    await page
      .locator('#file')
      .setInputFiles({ name: 'big.vcf', mimeType: 'text/plain', buffer: Buffer.alloc(200_000, 65) });
    // expect.poll's default bound is 1 s, too short for a busy machine: the bound only stops a hang.
    await expect
      .poll(() => text(page.locator('#upload-problem')), { timeout: 15_000 })
      .toContain('over the 150 KB limit of your plan');
    expect(await page.locator('#upload-problem a').getAttribute('href')).toBe('/account#upgrade');
    expect(await page.locator('#upload-button').isDisabled()).toBe(true);

    await page
      .locator('#file')
      .setInputFiles({ name: 'small.vcf', mimeType: 'text/plain', buffer: Buffer.from(SMALL_VCF) });
    await expect.poll(() => page.locator('#upload-button').isEnabled(), { timeout: 15_000 }).toBe(true);
    await Promise.all([
      page.waitForURL(/\/annotations\/[0-9a-f-]{36}$/),
      page.locator('#upload-button').click(),
    ]);
    expect(await text(page.getByTestId('job-status'))).toBe('PENDING');
    await page.screenshot({ path: join(SCREENSHOTS, 'job-pending.png'), fullPage: true });

    const jobId = page.url().split('/').pop()!;
    const job = await app.gas.jobs.get(jobId);
    expect(job).toMatchObject({
      status: 'PENDING',
      input_file_name: 'small.vcf',
      input_size_bytes: SMALL_VCF.length,
    });

    // The annotator's part, written directly (see the note at the top).
    await markRunningLikeAnnotator(stack, jobId, 40);
    await expect.poll(() => text(page.getByTestId('job-status')), { timeout: 15_000 }).toBe('RUNNING');
    expect(await text(page.getByTestId('job-progress'))).toBe('40% of the input read.');
    await completeJobLikeAnnotator(
      stack,
      { job_id: jobId, user_id: job!.user_id, input_file_name: 'small.vcf' },
      { alreadyRunning: true },
    );
    await expect.poll(() => text(page.getByTestId('job-status')), { timeout: 15_000 }).toBe('COMPLETED');
    expect(await page.locator('svg.gas-chart').first().isVisible()).toBe(true);
    // every chart label is drawn inside its chart (the longest SO term was cut off at the left)
    const clippedLabels = await page.$$eval('svg.gas-chart text[text-anchor="end"]', (labels) =>
      labels.filter((t) => (t as SVGTextElement).getBBox().x < 0).map((t) => t.textContent),
    );
    expect(clippedLabels).toEqual([]);
    expect(await page.getByTestId('result-rows').locator('tbody tr').count()).toBe(50);

    await page.locator('input[name="gene"]').fill('SOD1');
    await page.locator('select[name="impact"]').selectOption('LOW');
    await Promise.all([page.waitForURL(/gene=SOD1/), page.getByRole('button', { name: 'Filter' }).click()]);
    const rows = page.getByTestId('result-rows').locator('tbody tr');
    expect(await rows.count()).toBe(30);
    expect(await text(rows.first())).toContain('synonymous_variant');
    await page.screenshot({ path: join(SCREENSHOTS, 'job-results-filtered.png'), fullPage: true });

    expect(consoleErrors).toEqual([]);
    await context.close();
  }, 120_000);

  it('a Premium file over the POST limit goes to S3 in parts from the page', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`https://localhost:${port}/auth/login`);
    await page.locator('input[name="email"]').fill('premium@example.org');
    await page.locator('input[name="password"]').fill(DEMO_PASSWORD);
    await Promise.all([
      page.waitForURL(`https://localhost:${port}/dashboard`),
      page.locator('button[type="submit"]').first().click(),
    ]);
    expect(await text(page.getByTestId('who'))).toBe('Paula Premium (Premium)');
    await page.goto(`https://localhost:${port}/annotate`);
    const messages: string[] = [];
    page.on('console', (message) => messages.push(`${message.type()}: ${message.text()}`));
    const big = Buffer.concat([Buffer.from(SMALL_VCF), Buffer.alloc(6 * 1024 * 1024, 10)]);
    await page.locator('#file').setInputFiles({ name: 'large.vcf', mimeType: 'text/plain', buffer: big });
    await page.locator('#upload-button').click();
    await page.waitForURL(/\/annotations\/[0-9a-f-]{36}$/, { timeout: 30_000 }).catch(async () => {
      throw new Error(`no job page: ${await text(page.locator('#upload-problem'))} ${messages.join(' | ')}`);
    });
    const job = await app.gas.jobs.get(page.url().split('/').pop()!);
    expect(job).toMatchObject({
      status: 'PENDING',
      input_file_name: 'large.vcf',
      input_size_bytes: big.length,
      user_tier: 'premium',
    });
    await context.close();
  }, 120_000);

  it('with JavaScript off: sign in, the finished job, its filters and log, and the upgrade through Stripe Checkout', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`https://localhost:${port}/annotations`);
    await page.locator('input[name="email"]').fill('free@example.org');
    await page.locator('input[name="password"]').fill(DEMO_PASSWORD);
    await Promise.all([
      page.waitForURL(`https://localhost:${port}/annotations`),
      page.locator('button[type="submit"]').first().click(),
    ]);
    await Promise.all([
      page.waitForURL(/\/annotations\/[0-9a-f-]{36}$/),
      page.getByRole('link', { name: 'small.vcf' }).click(),
    ]);
    expect(await text(page.getByTestId('job-status'))).toBe('COMPLETED');
    await page.locator('input[name="consequence"]').fill('intron_variant');
    await Promise.all([
      page.waitForURL(/consequence=intron_variant/),
      page.getByRole('button', { name: 'Filter' }).click(),
    ]);
    expect(await page.getByTestId('result-rows').locator('tbody tr').count()).toBe(30);
    await page.getByRole('link', { name: 'View the log' }).click();
    expect(await page.locator('body').textContent()).toContain('annotated 120 records');

    await page.goto(`https://localhost:${port}/account`);
    expect(await text(page.getByTestId('tier'))).toContain('Free');
    await page.getByRole('button', { name: 'Upgrade to Premium' }).click();
    await page.waitForURL(/\/c\/pay\//);
    await page.locator('#name').fill('Frances Free');
    await page.locator('#number').fill('4242 4242 4242 4242');
    await page.locator('#expiry').fill('01 / 30');
    await page.locator('#cvc').fill('123');
    await Promise.all([
      page.waitForURL(/\/account\?checkout=success$/),
      page.locator('button[type="submit"]').click(),
    ]);
    expect(await page.locator('.alert-success').textContent()).toContain('Thank you');
    // The stand-in delivers the signed events to /stripe/webhook over HTTPS; the tier follows.
    await expect
      .poll(
        async () => {
          await page.reload();
          return text(page.getByTestId('tier'));
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toContain('Premium');
    await page.screenshot({ path: join(SCREENSHOTS, 'account-premium.png'), fullPage: true });
    await context.close();
  }, 120_000);
});
