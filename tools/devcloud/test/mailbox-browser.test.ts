import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SESClient, SendEmailCommand, VerifyEmailIdentityCommand } from '@aws-sdk/client-ses';
import { launchChromium, screenshot } from '@gas/service-kit/testing/chromium';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfig, startTestCloud, type TestCloud } from './helpers.ts';

/** Screenshots for a person to look at (git-ignored). */
const SCREENSHOT_DIR = join(import.meta.dirname, '..', 'test-results');

// The mailbox page in a real browser: the e-mail's link works, the e-mail's script does not run.
let testCloud: TestCloud;
let browser: Browser;
let app: Server;
let jobUrl: string;

beforeAll(async () => {
  app = createServer((_req, res) => {
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end('<!doctype html><title>job</title><h1>Job page</h1>');
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  jobUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/annotations/job-42`;
  testCloud = await startTestCloud();
  const ses = new SESClient(clientConfig(testCloud.cloud, testCloud.credentials));
  await ses.send(new VerifyEmailIdentityCommand({ EmailAddress: 'noreply@gas.example' }));
  await ses.send(
    new SendEmailCommand({
      Source: 'GAS <noreply@gas.example>',
      Destination: { ToAddresses: ['alice@example.org'] },
      Message: {
        Subject: { Data: 'Your annotation job is done' },
        Body: {
          Text: { Data: `Your results: ${jobUrl}` },
          Html: {
            Data: `<p>Your results are ready: <a href="${jobUrl}">open job-42</a></p><script>document.body.innerHTML = 'PWNED'</script>`,
          },
        },
      },
    }),
  );
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await testCloud.dispose();
  await new Promise((resolve) => app.close(resolve));
});

describe('mailbox page in Chromium', () => {
  it('lists the message, shows its HTML part without running its script, and its link opens the job', async () => {
    // JavaScript on: the sandbox and CSP, not a disabled engine, must stop the e-mail's script.
    const context = await browser.newContext({ javaScriptEnabled: true });
    const page = await context.newPage();
    await page.goto(testCloud.cloud.mailboxUrl);
    await page.getByRole('link', { name: 'Your annotation job is done' }).click();
    const frame = page.frameLocator('iframe[title="HTML part"]');
    // Had the script run, it would have replaced the body with PWNED.
    // biome-ignore lint/performance/useDomNodeTextContent: what is rendered, not the <script> source text
    const shown = await frame.locator('body').innerText();
    expect(shown).toContain('Your results are ready');
    expect(shown).not.toContain('PWNED');
    await screenshot(page, SCREENSHOT_DIR, 'mailbox-message');
    await frame.getByRole('link', { name: 'open job-42' }).click();
    await page.waitForURL(jobUrl);
    expect(await page.locator('h1').textContent()).toBe('Job page');
    await context.close();
  });
});
