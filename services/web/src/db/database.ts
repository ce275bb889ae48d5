/**
 * The accounts database (PostgreSQL through Kysely + pg). The table types below mirror the
 * migrations in ./migrations (Kysely's way: the database schema is the source, these types
 * describe it for the query builder). Migrations are listed in code, not scanned from disk,
 * so they run the same under tsx, in tests and in the image.
 */
import { type ColumnType, type Generated, Kysely, type Migration, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import * as accounts from './migrations/0001_accounts.ts';

export type UserTier = 'free' | 'premium';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface UsersTable {
  id: Generated<string>;
  oidc_issuer: string;
  oidc_subject: string;
  email: string;
  name: string;
  tier: ColumnType<UserTier, UserTier | undefined, UserTier>;
  stripe_customer_id: string | null;
  stripe_subscription_id: string | null;
  stripe_subscription_status: string | null;
  email_notifications: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface StripeEventsTable {
  id: string;
  type: string;
  received_at: Timestamp;
}

export interface SessionsTable {
  id_hash: string;
  user_id: string | null;
  csrf_token: string;
  data: ColumnType<SessionData, string | undefined, string>;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
}

/** What a session keeps besides the user: the pending login (PKCE verifier, state, nonce) and flash text. */
export type SessionData = {
  login?: { codeVerifier: string; state: string; nonce: string; returnTo: string };
  flash?: string;
  /** The ID token of this sign-in, sent as id_token_hint at logout. */
  idToken?: string;
};

export interface ApiTokensTable {
  id: Generated<string>;
  user_id: string;
  name: string;
  token_hash: string;
  display_prefix: string;
  created_at: Timestamp;
  last_used_at: Date | null;
}

export interface Database {
  users: UsersTable;
  stripe_events: StripeEventsTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
}

export type Db = Kysely<Database>;

/**
 * A pool of `poolSize` connections. A connection the server drops (restart, failover, an
 * administrator) is reported to `onConnectionLost` and replaced on next use. pg reports it as an
 * 'error' event: on the pool for an idle connection, on the client itself for one in use (a query
 * running, or checked out between two), and an 'error' event nobody listens to is an uncaught
 * exception that ends the process. The pool removes its own listener from a client it hands out,
 * so every client gets one of ours when it connects: its query fails (the request gets its error
 * page), and the pool discards the connection when Kysely releases it. Seen in the fault test
 * "PostgreSQL restarted while users browse": web ended when the restart cut a running query.
 */
export function createDb(
  databaseUrl: string,
  poolSize = 10,
  onConnectionLost: (error: Error) => void = (error) =>
    process.emitWarning(`PostgreSQL connection lost: ${error.message}`),
): Db {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
  pool.on('error', onConnectionLost);
  pool.on('connect', (client) => client.on('error', onConnectionLost));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

const migrations: Record<string, Migration> = {
  '0001_accounts': accounts,
};

/** Applies every pending migration; throws with the failing migration's name and error. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({
    db: db as Kysely<unknown>,
    provider: { getMigrations: async () => migrations },
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    throw new Error(
      `database migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? String(error)}`,
      { cause: error },
    );
  }
  return (results ?? []).map((r) => r.migrationName);
}

/** Rolls back the latest migration (for tests and operators). */
export async function migrateDown(db: Db): Promise<void> {
  const migrator = new Migrator({
    db: db as Kysely<unknown>,
    provider: { getMigrations: async () => migrations },
  });
  const { error } = await migrator.migrateDown();
  if (error) throw error;
}
