/**
 * Personal API tokens for the REST API: `Authorization: Bearer gas_<random>`. The token is
 * shown once at creation; the database keeps HMAC-SHA256(SESSION_SECRET, token), so neither
 * a database dump nor a guess without the secret yields a usable token. A request with a
 * Bearer header is authenticated by it alone (never by a cookie too), and a wrong token is
 * a 401, not a fallback to the session.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { findUserById } from '../lib/accounts.ts';

declare module 'fastify' {
  interface FastifyInstance {
    apiTokens: {
      create(userId: string, name: string): Promise<{ id: string; token: string }>;
      list(userId: string): Promise<
        Array<{
          id: string;
          name: string;
          display_prefix: string;
          created_at: Date;
          last_used_at: Date | null;
        }>
      >;
      revoke(userId: string, id: string): Promise<boolean>;
    };
  }
  interface FastifyRequest {
    /** Set when an Authorization header was present but its token is not valid. */
    badApiToken: boolean;
  }
}

async function apiTokens(app: FastifyInstance, options: { secret: string }): Promise<void> {
  const hash = (token: string) => createHmac('sha256', options.secret).update(token).digest('hex');
  app.decorateRequest('badApiToken', false);

  app.decorate('apiTokens', {
    async create(userId, name) {
      const token = `gas_${randomBytes(32).toString('base64url')}`;
      const row = await app.db
        .insertInto('api_tokens')
        .values({ user_id: userId, name, token_hash: hash(token), display_prefix: token.slice(0, 10) })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { id: row.id, token };
    },
    async list(userId) {
      return app.db
        .selectFrom('api_tokens')
        .select(['id', 'name', 'display_prefix', 'created_at', 'last_used_at'])
        .where('user_id', '=', userId)
        .orderBy('created_at', 'desc')
        .execute();
    },
    async revoke(userId, id) {
      const result = await app.db
        .deleteFrom('api_tokens')
        .where('user_id', '=', userId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  });

  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (!header) return;
    request.session = null;
    request.user = null;
    request.authenticatedBy = null;
    const match = /^Bearer\s+(gas_[A-Za-z0-9_-]{43})$/.exec(header);
    if (!match) {
      request.badApiToken = true;
      return;
    }
    const row = await app.db
      .updateTable('api_tokens')
      .set({ last_used_at: new Date() })
      .where('token_hash', '=', hash(match[1]!))
      .returning('user_id')
      .executeTakeFirst();
    const user = row ? await findUserById(app.db, row.user_id) : undefined;
    if (!user) {
      request.badApiToken = true;
      return;
    }
    request.user = user;
    request.authenticatedBy = 'api-token';
  });
}

export const apiTokensPlugin = fp(apiTokens, { name: 'gas-api-tokens', dependencies: ['gas-sessions'] });
