/**
 * web's connection pool when PostgreSQL drops connections (a restart, a failover, an
 * administrator): on the real server, the backends are ended with pg_terminate_backend, as a
 * fast shutdown does. The process must live on (an 'error' event nobody listens to would be an
 * uncaught exception, which Vitest reports as a failure of the run), the query that was running
 * fails, and the next query gets a fresh connection.
 */
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../src/db/database.ts';
import { createTestDatabase } from './helpers/stack.ts';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;
const lost: Error[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url, 2, (error) => lost.push(error));
});

afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

/** Ends every backend of the test database but the caller's, as PostgreSQL's fast shutdown does. */
async function terminateBackends(): Promise<number> {
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ ended: boolean }>(
      'select pg_terminate_backend(pid) as ended from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    );
    return rows.filter((r) => r.ended).length;
  } finally {
    await admin.end();
  }
}

/** Waits until more than `count` losses are reported: pg emits the event after it fails the query. */
async function lossesAfter(count: number): Promise<number> {
  for (let i = 0; i < 200 && lost.length <= count; i++) await new Promise((r) => setTimeout(r, 10));
  return lost.length;
}

describe('PostgreSQL drops the connections', () => {
  it('a running query fails, the loss is reported, web lives on and the next query works', async () => {
    const running = sql`select pg_sleep(30)`.execute(db).then(
      () => 'finished',
      (error: Error) => `failed: ${error.message}`,
    );
    // wait until the sleep is running on the server
    for (let i = 0; i < 100; i++) {
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      const { rowCount } = await admin.query(
        "select 1 from pg_stat_activity where datname = current_database() and query like 'select pg_sleep%' and state = 'active'",
      );
      await admin.end();
      if (rowCount) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const before = lost.length;
    expect(await terminateBackends()).toBeGreaterThanOrEqual(1);
    expect(await running).toMatch(/^failed: /);
    expect(await lossesAfter(before)).toBeGreaterThan(before);
    const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db);
    expect(rows).toEqual([{ one: 1 }]);
  });

  it('an idle connection dropped is reported and replaced', async () => {
    await sql`select 1`.execute(db); // leaves an idle connection in the pool
    await new Promise((r) => setTimeout(r, 200)); // any late report of the first test is in
    const before = lost.length;
    expect(await terminateBackends()).toBeGreaterThanOrEqual(1);
    expect(await lossesAfter(before)).toBeGreaterThan(before);
    const { rows } = await sql<{ two: number }>`select 2 as two`.execute(db);
    expect(rows).toEqual([{ two: 2 }]);
  });
});
