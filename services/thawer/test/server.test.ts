import { fileURLToPath } from 'node:url';
import { listeningPort, readEnvExample, spawnServer } from '@gas/service-kit/testing';
import { describe, expect, it } from 'vitest';

const serviceDir = fileURLToPath(new URL('..', import.meta.url));
const example = readEnvExample(`${serviceDir}/.env.example`).values;

describe('thawer server process', () => {
  it('refuses to start without config: exit 1, one sentence naming the keys, no stack trace', async () => {
    const server = spawnServer('src/server.ts', {}, serviceDir);
    expect((await server.exited).code).toBe(1);
    const stderr = server.stderr();
    expect(stderr).toMatch(/^Cannot start: AWS_REGION is missing \(AWS region, e\.g\. us-east-1\); .*\.\n$/);
    expect(stderr).toContain('USER_TIER_CHANGED_QUEUE_URL is missing');
    expect(stderr.split('\n')).toHaveLength(2);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('boots with the example config, answers /healthz over HTTP, exits 0 on SIGTERM', async () => {
    const server = spawnServer('src/server.ts', { ...example, PORT: '0', HOST: '127.0.0.1' }, serviceDir);
    const port = await listeningPort(server);
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.stdout()).toContain('"service":"thawer"');
  });
});
