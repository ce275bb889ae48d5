/**
 * The local stack as a user starts it (`./scripts/start.sh` execs this same entry point):
 * every service answers /readyz, the printed URLs work, Ctrl-C stops everything and
 * leaves no process behind. Free ports and a temp data dir keep it off a developer's stack.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = resolve(import.meta.dirname, '../../..');

interface Ready {
  urls: { web: string; mailbox: string; stripe: string; identityProvider: string; devcloud: string };
  ports: Record<string, number>;
  pids: number[];
}

let dataDir: string;
let stack: ChildProcess;
let ready: Ready;
let output = '';

function getStatus(url: string, ca?: string): Promise<number> {
  if (url.startsWith('https:')) {
    return new Promise((done, fail) => {
      https
        .get(url, { ca }, (res) => {
          res.resume();
          done(res.statusCode ?? 0);
        })
        .on('error', fail);
    });
  }
  return fetch(url).then((r) => r.status);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gas-stack-'));
  stack = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'tools/devcloud/src/stack/main.ts',
      '--data-dir',
      dataDir,
      '--free-ports',
      '--database',
      'gas_stack_test',
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  ready = await new Promise<Ready>((done, fail) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((l) => l.startsWith('READY '));
      if (line) done(JSON.parse(line.slice('READY '.length)) as Ready);
    };
    stack.stdout!.on('data', onData);
    stack.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    stack.once('exit', (code) =>
      fail(new Error(`the stack exited (code ${code}) before it was ready:\n${output}`)),
    );
  });
}, 240_000);

afterAll(async () => {
  if (stack.exitCode === null) stack.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

describe('the one-command local stack', () => {
  it('starts every service and each one answers /readyz', async () => {
    const ca = await readFile(join(dataDir, 'devcloud/tls/ca.pem'), 'utf8');
    expect(await getStatus(`${ready.urls.web}/readyz`, ca)).toBe(200);
    for (const name of ['annotator', 'notifier', 'archiver', 'thawer']) {
      expect(await getStatus(`http://127.0.0.1:${ready.ports[name]}/readyz`), name).toBe(200);
    }
    expect(await getStatus(`${ready.urls.identityProvider}/.well-known/openid-configuration`)).toBe(200);
    expect(await getStatus(ready.urls.mailbox)).toBe(200);
    expect(output).toContain('free@example.org');
    expect(ready.pids).toHaveLength(5);
  });

  it('stops everything on Ctrl-C and leaves no process behind', async () => {
    const exited = new Promise<number | null>((done) => stack.once('exit', done));
    stack.kill('SIGINT');
    expect(await exited).toBe(0);
    for (const pid of ready.pids) expect(alive(pid), `service process ${pid}`).toBe(false);
    for (const port of Object.values(ready.ports)) {
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    }
  });
});
