/**
 * What a user does, in a real browser (playwright-core driving Debian's Chromium), against the
 * stack `./scripts/start.sh` starts: the same entry point, on free ports, with its own data.
 * Screenshots of each step go to test-results/journey/. The Free retention window is shortened
 * to RETENTION_SECONDS so that step 3 sees the first job archived while the test runs.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, launchChromium, payForPremium, signIn } from '../support/browser-session.ts';
import { repoRoot, type StackProcess, sharedData, startStackProcess } from './stack-process.ts';

const shots = join(repoRoot, 'test-results/journey');
const vepTest = join(sharedData, 'inputs/vep-test.chr21.vcf');
const RETENTION_SECONDS = 40;

let stack: StackProcess;
let browser: Browser;
let scratch: string;

interface Mail {
  subject: string;
  text: string;
  to: string[];
}

async function mailsTo(address: string): Promise<Mail[]> {
  const res = await fetch(`${stack.urls.mailbox}/api/messages?to=${encodeURIComponent(address)}`);
  return ((await res.json()) as { messages: Mail[] }).messages;
}

function getStatus(url: string): Promise<number> {
  return new Promise((done, fail) => {
    https
      .get(url, { ca: stack.ca }, (res) => {
        res.resume();
        done(res.statusCode ?? 0);
      })
      .on('error', fail);
  });
}

function signedIn(email: string): Promise<{ context: BrowserContext; page: Page }> {
  return signIn(browser, stack.urls.web, email);
}

async function upload(page: Page, file: string): Promise<string> {
  await page.goto(`${stack.urls.web}/annotate`);
  await page.setInputFiles('#file', file);
  await Promise.all([
    page.waitForURL(/\/annotations\/[0-9a-f-]{36}$/, { timeout: 60_000 }),
    page.click('#upload-button'),
  ]);
  return page.url().split('/').pop()!;
}

/** The job page reloads itself when the status changes; wait for a final one without reloading. */
async function waitForFinalStatus(page: Page): Promise<string> {
  await page.waitForFunction(
    () =>
      ['COMPLETED', 'FAILED'].includes(
        (document.querySelector('[data-status]') as HTMLElement | null)?.dataset.status ?? '',
      ),
    null,
    { timeout: 180_000, polling: 500 },
  );
  return page.locator('[data-status]').getAttribute('data-status') as Promise<string>;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'gas-journey-'));
  await mkdir(shots, { recursive: true });
  stack = await startStackProcess({ database: 'gas_journey_test', retentionSeconds: RETENTION_SECONDS });
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await stack?.dispose();
  await rm(scratch, { recursive: true, force: true });
});

async function tooBigForFree(): Promise<string> {
  const big = join(scratch, 'too-big.vcf');
  const lines = (await readFile(vepTest, 'utf8')).split('\n');
  const header = lines.filter((l) => l.startsWith('#'));
  const body = lines.filter((l) => l && !l.startsWith('#'));
  const repeated: string[] = [];
  while (repeated.join('\n').length < 200 * 1024) repeated.push(...body);
  await writeFile(big, `${[...header, ...repeated].join('\n')}\n`);
  return big;
}

describe('the user journey on the one-command stack', () => {
  let freeJobId: string;
  let firstVcf: Buffer;

  it('0. every service answers /readyz and the start banner names the URLs and demo logins', async () => {
    expect(await getStatus(`${stack.urls.web}/readyz`)).toBe(200);
    for (const name of ['annotator', 'notifier', 'archiver', 'thawer']) {
      const res = await fetch(`http://127.0.0.1:${stack.ports[name]}/readyz`);
      expect(res.status, name).toBe(200);
    }
    expect(stack.output()).toContain('free@example.org');
    expect(stack.output()).toContain(stack.urls.mailbox);
  });

  it('1. a Free user logs in, uploads vep-test.chr21.vcf, watches it finish and gets the results', async () => {
    const { context, page } = await signedIn('free@example.org');
    await page.screenshot({ path: join(shots, '1a-dashboard.png') });
    freeJobId = await upload(page, vepTest);
    await page.screenshot({ path: join(shots, '1b-job-submitted.png') });
    expect(await waitForFinalStatus(page)).toBe('COMPLETED');
    await page.screenshot({ path: join(shots, '1c-job-completed.png'), fullPage: true });

    // The e-mail, with a link to the job page that works.
    const mail = await eventually('the completion e-mail', async () =>
      (await mailsTo('free@example.org')).find((m) => m.subject.includes('vep-test.chr21.vcf')),
    );
    const link = mail.text.match(/https:\/\/\S+\/annotations\/[0-9a-f-]{36}/)?.[0];
    expect(link).toBe(`${stack.urls.web}/annotations/${freeJobId}`);
    await page.goto(link!);
    expect(await page.locator('[data-status]').getAttribute('data-status')).toBe('COMPLETED');

    // Summary charts, readable without JavaScript as tables.
    await expect(page.locator('svg').first()).toBeDefined();
    expect(await page.locator('details table').first().textContent()).toContain('missense_variant');

    // The result viewer shows the MRPL39 missense variant of rs142513484, and the filter works.
    const rs = page.locator('[data-testid="result-rows"] tr', { hasText: 'rs142513484' });
    await expect(
      rs.filter({ hasText: 'missense_variant' }).filter({ hasText: 'MRPL39' }).count(),
    ).resolves.toBeGreaterThan(0);
    await page.fill('input[name=consequence]', 'missense_variant');
    await Promise.all([
      page.waitForURL(/consequence=missense_variant/),
      page.click('[data-testid="filters"] button'),
    ]);
    const consequences = await page
      .locator('[data-testid="result-rows"] tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.textContent ?? ''));
    expect(consequences.length).toBeGreaterThan(0);
    for (const row of consequences) expect(row).toContain('missense_variant');
    await page.screenshot({ path: join(shots, '1d-viewer-filtered.png'), fullPage: true });

    // Downloads: the VCF parses with bcftools, the TSV has its header, the JSON parses.
    const vcf = await context.request.get(`${stack.urls.web}/annotations/${freeJobId}/download/vcf`);
    expect(vcf.status()).toBe(200);
    const vcfPath = join(scratch, 'free.annot.vcf.gz');
    firstVcf = await vcf.body();
    await writeFile(vcfPath, firstVcf);
    const records = execFileSync('bcftools', ['view', '-H', vcfPath], { encoding: 'utf8' })
      .trim()
      .split('\n');
    expect(records).toHaveLength(132);
    const header = execFileSync('bcftools', ['view', '-h', vcfPath], { encoding: 'utf8' });
    expect(header).toContain(
      'Consequence annotations from Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL',
    );
    // The local stack annotates against the chr21 reference bundle: its name in the header,
    // and the known-variant fields filled (rsID, allele frequency).
    expect(header).toMatch(/^##GAS_bundle=name=grch38-chr21 /m);
    const tsv = await context.request.get(`${stack.urls.web}/annotations/${freeJobId}/download/tsv`);
    expect(tsv.status()).toBe(200);
    const tsvLines = (await tsv.text()).trim().split('\n');
    const columns = tsvLines[0]!.split('\t');
    expect(columns).toEqual(expect.arrayContaining(['Consequence', 'Existing_variation', 'AF', 'CLNSIG']));
    const known = tsvLines
      .map((line) => line.split('\t'))
      .find((cells) => cells[2] === 'rs142513484' && cells.includes('ENST00000352957'));
    expect(known?.[columns.indexOf('Existing_variation')]).toBe('rs142513484');
    expect(known?.[columns.indexOf('AF')]).toMatch(/^0\.\d+$/);
    const json = await context.request.get(`${stack.urls.web}/annotations/${freeJobId}/download/json`);
    expect(json.status()).toBe(200);
    // JSON Lines, one object per input record, as VEP's --json writes it.
    const objects = (await json.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string });
    expect(objects).toHaveLength(132);
    expect(objects.map((o) => o.id)).toContain('rs142513484');
    await context.close();
  });

  it('2. a file over the Free limit is refused before upload, with the upgrade offered', async () => {
    const { context, page } = await signedIn('free@example.org');
    const big = await tooBigForFree();
    await page.goto(`${stack.urls.web}/annotate`);
    // The page checks the size as soon as the file is chosen, before any byte is sent.
    await page.setInputFiles('#file', big);
    const problem = page.locator('#upload-problem');
    await problem.waitFor({ state: 'visible' });
    expect(await problem.textContent()).toMatch(/over the 150 KB limit/);
    expect(await problem.locator('a[href="/account#upgrade"]').count()).toBe(1);
    expect(await page.locator('#upload-button').isDisabled()).toBe(true);
    expect(page.url()).toBe(`${stack.urls.web}/annotate`);
    await page.screenshot({ path: join(shots, '2-over-the-free-limit.png') });
    await context.close();
  });

  it('6. a malformed VCF ends FAILED with the line number on the page and in the e-mail', async () => {
    const { context, page } = await signedIn('free@example.org');
    const bad = join(scratch, 'spaces-not-tabs.vcf');
    await writeFile(
      bad,
      '##fileformat=VCFv4.2\n##source=journey\n#CHROM POS ID REF ALT QUAL FILTER INFO\n21\t25585733\trs1\tC\tT\t.\t.\t.\n',
    );
    await upload(page, bad);
    expect(await waitForFinalStatus(page)).toBe('FAILED');
    expect(await page.locator('[data-testid="job-error"]').textContent()).toMatch(/line 3/);
    await page.screenshot({ path: join(shots, '6-failed-with-line-number.png'), fullPage: true });
    const mail = await eventually('the failure e-mail', async () =>
      (await mailsTo('free@example.org')).find((m) => m.subject.includes('spaces-not-tabs.vcf')),
    );
    expect(mail.text).toMatch(/line 3/);
    await context.close();
  });

  it("7. another user cannot open the first user's job, log or downloads by URL", async () => {
    const { context, page } = await signedIn('premium@example.org');
    for (const path of ['', '/log', '/download/vcf', '/download/tsv', '/download/json']) {
      const res = await context.request.get(`${stack.urls.web}/annotations/${freeJobId}${path}`, {
        maxRedirects: 0,
      });
      expect(res.status(), path || 'job page').toBe(404);
      expect(await res.text()).not.toContain('rs142513484');
    }
    await page.goto(`${stack.urls.web}/annotations/${freeJobId}`);
    await page.screenshot({ path: join(shots, '7-other-users-job.png') });
    await context.close();
  });

  it("3. after the retention window the Free user's result is archived, and the job page says so", async () => {
    const { context, page } = await signedIn('free@example.org');
    await eventually(
      'the archive',
      async () => {
        await page.goto(`${stack.urls.web}/annotations/${freeJobId}`);
        return (await page.getByText('moved to cold storage').count()) > 0 ? true : undefined;
      },
      RETENTION_SECONDS * 1000 + 120_000,
    );
    expect(await page.locator('a[href="/account#upgrade"]').count()).toBeGreaterThan(0);
    expect(await page.getByRole('link', { name: 'Annotated VCF' }).count()).toBe(0);
    await page.screenshot({ path: join(shots, '3-archived.png'), fullPage: true });
    await context.close();
  });

  it('4. the user upgrades with the test card: Premium, the result comes back, big files are accepted', async () => {
    const { context, page } = await signedIn('free@example.org');
    await payForPremium(page, stack.urls, () => page.screenshot({ path: join(shots, '4a-checkout.png') }));
    await eventually('Premium on the account page', async () => {
      await page.goto(`${stack.urls.web}/account`);
      return (await page.locator('[data-testid="tier"]').textContent())?.includes('Premium')
        ? true
        : undefined;
    });
    await page.screenshot({ path: join(shots, '4b-premium.png') });

    await eventually('the restored result', async () => {
      await page.goto(`${stack.urls.web}/annotations/${freeJobId}`);
      return (await page.getByRole('link', { name: 'Annotated VCF' }).count()) > 0 ? true : undefined;
    });
    await page.screenshot({ path: join(shots, '4c-restored.png'), fullPage: true });
    const vcf = await context.request.get(`${stack.urls.web}/annotations/${freeJobId}/download/vcf`);
    expect(vcf.status()).toBe(200);
    expect(Buffer.compare(await vcf.body(), firstVcf)).toBe(0);

    const bigJob = await upload(page, await tooBigForFree());
    expect(bigJob).toMatch(/^[0-9a-f-]{36}$/);
    expect(await waitForFinalStatus(page)).toBe('COMPLETED');
    await context.close();
  });

  it('5. the Premium user cancels in the customer portal and is Free again', async () => {
    const { context, page } = await signedIn('free@example.org');
    await page.goto(`${stack.urls.web}/account`);
    await Promise.all([
      page.waitForURL(`${stack.urls.stripe}/**`),
      page.getByRole('button', { name: /Manage subscription/ }).click(),
    ]);
    await page.screenshot({ path: join(shots, '5a-portal.png') });
    await page.getByRole('button', { name: 'Cancel subscription' }).click();
    await eventually('Free on the account page', async () => {
      await page.goto(`${stack.urls.web}/account`);
      return (await page.locator('[data-testid="tier"]').textContent())?.includes('Free') ? true : undefined;
    });
    await page.screenshot({ path: join(shots, '5b-free-again.png') });
    await context.close();
  });

  it('Ctrl-C stops the whole stack and leaves no process behind', async () => {
    expect(await stack.interrupt()).toBe(0);
    for (const pid of stack.pids) {
      expect(() => process.kill(pid, 0), `service process ${pid}`).toThrow();
    }
    for (const port of Object.values(stack.ports)) {
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    }
  });
});
