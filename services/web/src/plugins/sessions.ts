/**
 * Server-side sessions and CSRF tokens.
 *
 * The cookie `__Host-gas_session` holds a random 256-bit token, signed with SESSION_SECRET
 * (a tampered or forged cookie fails the signature and is ignored); the database keeps only
 * its SHA-256 (`sessions.id_hash`), so a leaked table cannot be replayed as cookies. The
 * cookie is `Secure; HttpOnly; SameSite=Lax; Path=/` (the `__Host-` prefix makes browsers
 * insist on exactly that). A session ends when idle for SESSION_IDLE_MINUTES or
 * SESSION_ABSOLUTE_HOURS after it began; login always starts a NEW session (rotation), so a
 * token planted before login is worthless after it.
 *
 * CSRF: each session has a random token; every state-changing request that relies on the
 * cookie must carry it (`_csrf` form field or `x-csrf-token` header), compared in constant
 * time. Requests authenticated by an API token (Bearer) carry no cookie and need none; routes
 * that verify their own signature (the Stripe webhook) opt out with `config: { csrf: false }`.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { SessionData } from '../db/database.ts';
import { findUserById, type User } from '../lib/accounts.ts';

export const SESSION_COOKIE = '__Host-gas_session';

export type Session = {
  idHash: string;
  userId: string | null;
  csrfToken: string;
  data: SessionData;
  createdAt: Date;
};

declare module 'fastify' {
  interface FastifyRequest {
    session: Session | null;
    user: User | null;
    /** How the request was authenticated: a session cookie, an API token, or not at all. */
    authenticatedBy: 'session' | 'api-token' | null;
  }
  interface FastifyInstance {
    sessions: {
      /** Starts a new session (a new id and CSRF token), ending the current one: rotation. */
      start(
        request: FastifyRequest,
        reply: FastifyReply,
        userId: string | null,
        data?: SessionData,
      ): Promise<Session>;
      /** The current session, or a new anonymous one. */
      ensure(request: FastifyRequest, reply: FastifyReply): Promise<Session>;
      save(session: Session): Promise<void>;
      end(request: FastifyRequest, reply: FastifyReply): Promise<void>;
    };
  }
  interface FastifyContextConfig {
    csrf?: boolean;
  }
}

export type SessionOptions = { secret: string; idleMinutes: number; absoluteHours: number };

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

export function csrfTokenMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string' || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

async function sessions(app: FastifyInstance, options: SessionOptions): Promise<void> {
  await app.register(cookie, { secret: options.secret });
  const idleMs = options.idleMinutes * 60_000;
  const cookieOptions = {
    path: '/',
    secure: true,
    httpOnly: true,
    sameSite: 'lax' as const,
    signed: true,
  };

  app.decorateRequest('session', null);
  app.decorateRequest('user', null);
  app.decorateRequest('authenticatedBy', null);

  async function start(
    request: FastifyRequest,
    reply: FastifyReply,
    userId: string | null,
    data: SessionData = {},
  ): Promise<Session> {
    if (request.session)
      await app.db.deleteFrom('sessions').where('id_hash', '=', request.session.idHash).execute();
    const token = randomBytes(32).toString('base64url');
    const now = new Date();
    const session: Session = {
      idHash: sha256(token),
      userId,
      csrfToken: randomBytes(32).toString('base64url'),
      data,
      createdAt: now,
    };
    await app.db
      .insertInto('sessions')
      .values({
        id_hash: session.idHash,
        user_id: userId,
        csrf_token: session.csrfToken,
        data: JSON.stringify(data),
        created_at: now,
        last_seen_at: now,
        expires_at: new Date(now.getTime() + options.absoluteHours * 3_600_000),
      })
      .execute();
    void reply.setCookie(SESSION_COOKIE, token, { ...cookieOptions, maxAge: options.absoluteHours * 3600 });
    request.session = session;
    request.user = userId ? ((await findUserById(app.db, userId)) ?? null) : null;
    request.authenticatedBy = request.user ? 'session' : null;
    return session;
  }

  app.decorate('sessions', {
    start,
    async ensure(request, reply) {
      return request.session ?? start(request, reply, null);
    },
    async save(session) {
      await app.db
        .updateTable('sessions')
        .set({ data: JSON.stringify(session.data) })
        .where('id_hash', '=', session.idHash)
        .execute();
    },
    async end(request, reply) {
      if (request.session)
        await app.db.deleteFrom('sessions').where('id_hash', '=', request.session.idHash).execute();
      request.session = null;
      request.user = null;
      request.authenticatedBy = null;
      void reply.clearCookie(SESSION_COOKIE, { path: '/', secure: true, httpOnly: true, sameSite: 'lax' });
    },
  });

  // Ended sessions are refused when read; this sweep only keeps the table small.
  const sweep = setInterval(() => {
    const now = Date.now();
    app.db
      .deleteFrom('sessions')
      .where((eb) =>
        eb.or([eb('expires_at', '<', new Date(now)), eb('last_seen_at', '<', new Date(now - idleMs))]),
      )
      .execute()
      .catch((error: unknown) => app.log.warn({ err: error }, 'session sweep failed'));
  }, 10 * 60_000);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));

  app.addHook('onRequest', async (request, reply) => {
    const raw = request.cookies[SESSION_COOKIE];
    if (!raw) return;
    const unsigned = request.unsignCookie(raw);
    if (!unsigned.valid || !unsigned.value) {
      void reply.clearCookie(SESSION_COOKIE, { path: '/', secure: true, httpOnly: true, sameSite: 'lax' });
      return;
    }
    const idHash = sha256(unsigned.value);
    const row = await app.db
      .selectFrom('sessions')
      .selectAll()
      .where('id_hash', '=', idHash)
      .executeTakeFirst();
    const now = Date.now();
    if (!row) return;
    if (row.expires_at.getTime() <= now || row.last_seen_at.getTime() + idleMs <= now) {
      await app.db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
      void reply.clearCookie(SESSION_COOKIE, { path: '/', secure: true, httpOnly: true, sameSite: 'lax' });
      return;
    }
    if (now - row.last_seen_at.getTime() > 30_000) {
      await app.db
        .updateTable('sessions')
        .set({ last_seen_at: new Date(now) })
        .where('id_hash', '=', idHash)
        .execute();
    }
    request.session = {
      idHash,
      userId: row.user_id,
      csrfToken: row.csrf_token,
      data: row.data ?? {},
      createdAt: row.created_at,
    };
    if (row.user_id) {
      request.user = (await findUserById(app.db, row.user_id)) ?? null;
      request.authenticatedBy = request.user ? 'session' : null;
    }
  });

  app.addHook('preValidation', async (request, reply) => {
    if (['GET', 'HEAD', 'OPTIONS'].includes(request.method)) return;
    if (request.routeOptions.config.csrf === false) return;
    // A Bearer request is judged by its token alone (the session is never used for it).
    if (request.headers.authorization) return;
    const body = request.body as Record<string, unknown> | undefined;
    const given = request.headers['x-csrf-token'] ?? body?._csrf;
    if (request.session && csrfTokenMatches(request.session.csrfToken, given)) return;
    request.log.info({ route: request.routeOptions.url }, 'CSRF token missing or wrong');
    return reply
      .status(403)
      .type('text/plain; charset=utf-8')
      .send(
        'This form has expired or did not come from this site (its security token is missing or wrong). Go back, reload the page and try again.',
      );
  });
}

export const sessionsPlugin = fp(sessions, { name: 'gas-sessions', dependencies: ['gas-database'] });
