/**
 * Where no PostgreSQL answers, the stack runs one from the installed Debian binaries in its
 * data dir. Proven here by pointing it at an address where nothing listens.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensurePostgres, type LocalPostgres } from '../src/stack/postgres.ts';

async function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('the stack PostgreSQL', () => {
  it('uses the server that answers, creating its database there', async () => {
    const pg = await ensurePostgres({ dataDir: tmpdir(), database: 'gas_pg_reuse_test' });
    expect(pg.owned).toBe(false);
    expect(pg.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/gas_pg_reuse_test');
    const again = await ensurePostgres({ dataDir: tmpdir(), database: 'gas_pg_reuse_test' });
    expect(again.databaseUrl).toBe(pg.databaseUrl);
  });

  it('starts its own server from the installed binaries when none answers, and stops it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'gas-pg-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const [nobody, own] = [await freePort(), await freePort()];
    const pg: LocalPostgres = await ensurePostgres({ dataDir, port: nobody, ownPort: own, database: 'gas' });
    cleanups.push(() => pg.close());
    expect(pg.owned).toBe(true);
    expect(pg.databaseUrl).toBe(`postgres://postgres@127.0.0.1:${own}/gas`);
    const answer = execFileSync('psql', [pg.databaseUrl, '-tAc', 'SELECT current_database()'], {
      encoding: 'utf8',
    });
    expect(answer.trim()).toBe('gas');
    await pg.close();
    expect(() => execFileSync('psql', [pg.databaseUrl, '-tAc', 'SELECT 1'], { stdio: 'pipe' })).toThrow();
  });

  it('with alwaysOwn runs its own server beside the shared one, and restarts it keeping the data', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'gas-pg-own-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const own = await freePort();
    const pg = await ensurePostgres({ dataDir, ownPort: own, alwaysOwn: true, database: 'gas' });
    cleanups.push(() => pg.close());
    expect(pg.owned).toBe(true);
    expect(pg.databaseUrl).toBe(`postgres://postgres@127.0.0.1:${own}/gas`);
    execFileSync('psql', [pg.databaseUrl, '-c', 'CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)']);
    await pg.restart();
    const answer = execFileSync('psql', [pg.databaseUrl, '-tAc', 'SELECT n FROM kept'], { encoding: 'utf8' });
    expect(answer.trim()).toBe('7');
    const shared = await ensurePostgres({ dataDir: tmpdir(), database: 'gas_pg_reuse_test' });
    await expect(shared.restart()).rejects.toThrow(/shared/);
  });
});
