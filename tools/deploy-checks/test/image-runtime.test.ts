/**
 * The runtime stage of the Dockerfile, exercised without Docker: the same `pnpm deploy` the
 * deploy stage runs (tarballs from the store, package metadata from the registry when this
 * machine's pnpm cache lacks it: see the Dockerfile's comment) produces a folder that boots
 * with the image's exact CMD, answers the image's exact HEALTHCHECK command, and stops cleanly
 * on SIGTERM. The notifier stands in for the five (same Dockerfile, same service-kit server);
 * what only a real image build proves (the base image, corepack, layer contents) is not covered.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLocalCa, issueCertificate } from '../../devcloud/src/tls/local-ca.ts';
import { composeFile, execForm, readDockerfile, repoRoot } from '../src/index.ts';

const run = promisify(execFile);
const service = 'notifier';
const work = mkdtempSync(join(tmpdir(), 'gas-image-'));
const out = join(work, 'out');
const { stages } = readDockerfile();
const deployStage = stages.find((s) => s.name === 'deploy')!;
const runtime = stages.at(-1)!;

/** The exec-form arguments of the last `keyword` instruction of the runtime stage. */
function runtimeExec(keyword: 'CMD' | 'HEALTHCHECK'): string[] {
  const args = runtime.instructions.filter((i) => i.keyword === keyword).at(-1)!.args;
  return execForm(keyword === 'HEALTHCHECK' ? args.slice(args.indexOf('CMD') + 3).trim() : args)!;
}

/** The image's paths (/repo, /out, /app) mapped to this machine's. */
const local = (text: string) =>
  text.replaceAll('/repo/', `${repoRoot}/`).replaceAll('/out/', `${out}/`).replaceAll('/app/', `${out}/`);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let child: ChildProcess | undefined;
let port = 0;

beforeAll(async () => {
  // The deploy stage's command as written (--prefer-offline: the store holds every locked package;
  // a fresh machine has no registry metadata cached, which pnpm 9's deploy needs).
  const deploy = deployStage.instructions.find((i) => i.keyword === 'RUN' && i.args.includes(' deploy '))!;
  const argv = deploy.args
    .replace('"@gas/$SERVICE"', `@gas/${service}`)
    .replace(/ \/out$/, ` ${out}`)
    .split(/\s+/);
  expect(argv.slice(0, 1)).toEqual(['pnpm']);
  await run('pnpm', argv.slice(1), { cwd: repoRoot, timeout: 240_000 });
  // The deploy stage's gas-service.json step, run as written with the image paths mapped.
  const step = deployStage.instructions.find(
    (i) => i.keyword === 'RUN' && i.args.includes('gas-service.json'),
  )!;
  const script = /node -e "(.+)" "\$SERVICE"$/.exec(step.args)![1]!;
  await run(process.execPath, ['-e', local(script), service]);
}, 300_000);

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

async function probe(env: Record<string, string>): Promise<number> {
  const [command, ...args] = runtimeExec('HEALTHCHECK');
  try {
    await run(command === 'node' ? process.execPath : command!, args.map(local), {
      env: { ...process.env, ...env },
      timeout: 10_000,
    });
    return 0;
  } catch (err) {
    return (err as { code?: number }).code ?? 1;
  }
}

describe(`the ${service} image's runtime, without Docker`, () => {
  it('pnpm deploy gives production dependencies only, with tsx and the internal packages', () => {
    const modules = join(out, 'node_modules');
    for (const dep of ['tsx', '@gas/service-kit', '@gas/contracts', 'fastify'])
      expect(existsSync(join(modules, dep)), dep).toBe(true);
    for (const dev of ['vitest', '@biomejs/biome', 'typescript'])
      expect(existsSync(join(modules, dev)), dev).toBe(false);
    expect(existsSync(join(out, 'src', 'server.ts'))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'gas-service.json'), 'utf8'))).toEqual({ service, port: 4102 });
  });

  it('boots with the image CMD and passes the image HEALTHCHECK; the probe fails when nothing listens', async () => {
    port = await freePort();
    expect(await probe({ PORT: String(port) })).not.toBe(0);
    const env: Record<string, string> = {
      ...composeFile().services[service]!.environment,
      // No emulator here: the service must still come up and report liveness.
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      PORT: String(port),
      HOST: '127.0.0.1',
      PATH: process.env.PATH ?? '',
    };
    const [command, ...args] = runtimeExec('CMD');
    expect(command).toBe('node');
    child = spawn(process.execPath, args, { cwd: out, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d) => {
      output += d;
    });
    child.stderr!.on('data', (d) => {
      output += d;
    });
    let healthy = false;
    for (let attempt = 0; attempt < 120 && !healthy && child.exitCode === null; attempt++) {
      healthy = (await probe({ PORT: String(port) })) === 0;
      if (!healthy) await new Promise((r) => setTimeout(r, 500));
    }
    expect(healthy, output.slice(-2000)).toBe(true);
  }, 120_000);

  it('stops cleanly on SIGTERM (node receives it directly: exec form, no shell)', async () => {
    expect(child?.exitCode).toBeNull();
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await probe({ PORT: String(port) })).not.toBe(0);
  }, 60_000);

  it('the health probe speaks https when the service terminates TLS itself (TLS_CERT_FILE set, as web locally)', async () => {
    const ca = await ensureLocalCa(work);
    const cert = await issueCertificate(ca, 'web', { hosts: ['localhost', '127.0.0.1'], purpose: 'server' });
    const server = createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
      res.writeHead(req.url === '/healthz' ? 200 : 404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const tlsPort = String((server.address() as { port: number }).port);
    try {
      expect(await probe({ PORT: tlsPort, TLS_CERT_FILE: cert.certPath })).toBe(0);
      expect(await probe({ PORT: tlsPort })).not.toBe(0);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
