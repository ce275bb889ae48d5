/**
 * Debian's Chromium for the tests that use pages as a person would (devcloud's stand-in pages,
 * web's pages, the stack's journey and fault tests): `@gas/service-kit/testing/chromium`.
 *
 * A subpath of its own, so that importing `@gas/service-kit/testing` does not load
 * playwright-core. The browser is the apt package (scripts/lib/bootstrap.sh installs it), never
 * a downloaded one: `CHROMIUM_PATH` overrides `/usr/bin/chromium`. The flags turn off what a
 * test does not want: the sandbox (tests run as root), the GPU, and Chromium's own traffic
 * (component updates, sync, background requests, QUIC).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [...CHROMIUM_FLAGS],
  });
}

/** Saves a full-page screenshot as `<dir>/<name>.png` (the folder is made when missing). */
export async function screenshot(page: Page, dir: string, name: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
