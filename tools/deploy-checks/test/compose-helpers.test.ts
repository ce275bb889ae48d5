/**
 * The docker-compose helper containers, run without Docker: each `tls`, `identity` and
 * `stripe` command is executed exactly as written in docker-compose.yml by the devtools
 * image's entrypoint (the workspace's tsx), with the container paths and fixed ports mapped
 * to a temp folder and free ports. The certificate is checked, and each stand-in must pass
 * its own compose health check and stop cleanly on SIGTERM.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { composeFile, readDockerfile, repoRoot } from '../src/index.ts';

const run = promisify(execFile);
const { services } = composeFile();
const data = mkdtempSync(join(tmpdir(), 'gas-compose-helpers-'));
const devtools = readDockerfile().stages.find((s) => s.name === 'devtools')!;
const entrypoint = (
  JSON.parse(devtools.instructions.find((i) => i.keyword === 'ENTRYPOINT')!.args) as string[]
).map((p) => p.replace(/^\/repo\//, `${repoRoot}/`));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(data, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A compose string with the container data folder and the given ports mapped. */
function mapped(text: string, ports: Record<number, number>): string {
  let out = text.replaceAll('/home/node/data', data);
  for (const [from, to] of Object.entries(ports))
    out = out.replaceAll(`:${from}`, `:${to}`).replaceAll(`port: ${from}`, `port: ${to}`);
  return out;
}

function command(service: string, ports: Record<number, number> = {}): string[] {
  const cmd = services[service]!.command as string[];
  return cmd.map((part) => mapped(part, ports));
}

async function healthy(
  service: string,
  ports: Record<number, number>,
  child: ChildProcess,
): Promise<boolean> {
  const test = (services[service]!.healthcheck!.test as string[]).slice(1).map((p) => mapped(p, ports));
  expect(test[0]).toBe('node');
  for (let attempt = 0; attempt < 120 && child.exitCode === null; attempt++) {
    try {
      await run(process.execPath, test.slice(1), { timeout: 10_000 });
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  return false;
}

function start(
  service: string,
  ports: Record<number, number>,
): { child: ChildProcess; output: () => string } {
  const [bin, ...args] = [...entrypoint, ...command(service, ports)];
  const child = spawn(bin!, args, {
    cwd: repoRoot,
    env: { ...process.env, ...services[service]!.environment },
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d) => {
    output += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
  });
  return { child, output: () => output };
}

async function stops(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

describe('docker-compose helper containers, run without Docker', () => {
  it('tls issues web a certificate for localhost from the local CA', async () => {
    const [bin, ...args] = [...entrypoint, ...command('tls')];
    await run(bin!, args, { cwd: repoRoot, timeout: 60_000 });
    const ca = new X509Certificate(readFileSync(join(data, 'tls', 'ca.pem')));
    const web = new X509Certificate(readFileSync(join(data, 'tls', 'web.pem')));
    expect(web.checkHost('localhost')).toBe('localhost');
    expect(web.checkIssued(ca)).toBe(true);
    expect(web.verify(ca.publicKey)).toBe(true);
    expect(services.web!.environment.TLS_CERT_FILE).toBe('/home/node/data/tls/web.pem');
  }, 90_000);

  it('identity serves OIDC discovery at its issuer, passes its health check, stops on SIGTERM', async () => {
    const port = await freePort();
    const ports = { 4450: port };
    const { child, output } = start('identity', ports);
    expect(await healthy('identity', ports, child), output()).toBe(true);
    const discovery = (await (
      await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`)
    ).json()) as {
      issuer: string;
    };
    expect(discovery.issuer).toBe(mapped(services.web!.environment.OIDC_ISSUER_URL!, ports));
    expect(await stops(child)).toBe(0);
  }, 120_000);

  it('stripe starts with the local CA and the web webhook, passes its health check, stops on SIGTERM', async () => {
    const port = await freePort();
    const ports = { 4460: port };
    const { child, output } = start('stripe', ports);
    expect(await healthy('stripe', ports, child), output()).toBe(true);
    expect(output()).toContain(`pages at http://localhost:${port}`);
    expect(await stops(child)).toBe(0);
  }, 120_000);
});
