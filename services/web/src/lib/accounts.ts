/**
 * User accounts: one row per (OIDC issuer, subject). E-mail and name are refreshed from the
 * ID token at every login; the tier changes only through Stripe (see stripe-events.ts).
 */
import type { Selectable } from 'kysely';
import type { Db, UsersTable } from '../db/database.ts';

export type User = Selectable<UsersTable>;

export async function upsertUserFromLogin(
  db: Db,
  identity: { issuer: string; subject: string; email: string; name: string },
): Promise<User> {
  return db
    .insertInto('users')
    .values({
      oidc_issuer: identity.issuer,
      oidc_subject: identity.subject,
      email: identity.email,
      name: identity.name,
    })
    .onConflict((oc) =>
      oc.columns(['oidc_issuer', 'oidc_subject']).doUpdateSet({
        email: identity.email,
        name: identity.name,
        updated_at: new Date(),
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findUserById(db: Db, id: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}
