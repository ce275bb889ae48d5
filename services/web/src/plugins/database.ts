// The accounts database as `app.db` (Kysely), with a readiness check and the pool closed on close.

import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
  }
}

async function database(app: FastifyInstance, options: { db: Db }): Promise<void> {
  app.decorate('db', options.db);
  app.readiness.add('postgres', async () => {
    await sql`select 1`.execute(options.db);
  });
  app.addHook('onClose', async () => {
    await options.db.destroy();
  });
}

export const databasePlugin = fp(database, { name: 'gas-database', dependencies: ['gas-health'] });
