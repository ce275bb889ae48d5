import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureLocalCa, issueCertificate } from '@gas/devcloud';
import {
  listeningPort,
  readEnvExample,
  refusesToStartWithoutConfig,
  spawnServer,
} from '@gas/service-kit/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './helpers/stack.ts';

const serviceDir = fileURLToPath(new URL('..', import.meta.url));
const example = readEnvExample(`${serviceDir}/.env.example`).values;
let database: { url: string; drop(): Promise<void> };

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca }, (response) => {
        let body = '';
        response.on('data', (chunk) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/** The port from the `Server listening at https://...` log line (listeningPort reads http lines only). */
async function httpsListeningPort(stdout: () => string, withinMs = 60_000): Promise<number> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const match = /"msg":"Server listening at https:\/\/[^"]*:(\d+)"/.exec(stdout());
    if (match) return Number(match[1]);
    if (Date.now() > deadline) throw new Error(`web did not listen on https in time: ${stdout()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('web server process', () => {
  it(...refusesToStartWithoutConfig(serviceDir, ['DATABASE_URL', 'OIDC_ISSUER_URL', 'SESSION_SECRET']));

  it('boots with the example config, migrates the database, answers /healthz over HTTP, exits 0 on SIGTERM', async () => {
    const server = spawnServer(
      'src/server.ts',
      { ...example, DATABASE_URL: database.url, PORT: '0', HOST: '127.0.0.1' },
      serviceDir,
    );
    const port = await listeningPort(server);
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
    // Anything else over plain http goes to the https site.
    const page = await fetch(`http://127.0.0.1:${port}/dashboard`, { redirect: 'manual' });
    expect(page.status).toBe(301);
    expect(page.headers.get('location')).toBe('https://localhost:4433/dashboard');
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.stdout()).toContain('"service":"web"');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const tables = await client.query(
      "select table_name from information_schema.tables where table_schema = 'public' order by 1",
    );
    await client.end();
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(['api_tokens', 'sessions', 'stripe_events', 'users']),
    );
  });

  it('serves HTTPS itself with TLS_CERT_FILE / TLS_KEY_FILE (the local stack, port 4433)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gas-web-tls-'));
    try {
      const ca = await ensureLocalCa(dir);
      const cert = await issueCertificate(ca, 'web', {
        hosts: ['localhost', '127.0.0.1'],
        purpose: 'server',
      });
      const server = spawnServer(
        'src/server.ts',
        {
          ...example,
          DATABASE_URL: database.url,
          PORT: '0',
          HOST: '127.0.0.1',
          TLS_CERT_FILE: cert.certPath,
          TLS_KEY_FILE: cert.keyPath,
        },
        serviceDir,
      );
      const port = await httpsListeningPort(server.stdout);
      const home = await httpsGet(`https://localhost:${port}/`, ca.certPem);
      expect(home.status).toBe(200);
      expect(home.body).toContain('Genomics Annotation Service');
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a certificate without its key, naming both keys', async () => {
    const server = spawnServer('src/server.ts', { ...example, TLS_CERT_FILE: '/x.pem' }, serviceDir);
    expect((await server.exited).code).toBe(1);
    expect(server.stderr()).toContain('TLS_KEY_FILE and TLS_CERT_FILE must be set together');
  });
});
