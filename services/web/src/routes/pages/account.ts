// The account page: plan and subscription (Stripe Checkout to upgrade, the Stripe portal to cancel or change the card), e-mail notifications, personal API tokens.
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { findUserById } from '../../lib/accounts.ts';
import { formatBytes } from '../../lib/format.ts';
import { requirePageUser, signedInUser } from '../guards.ts';

export default async function accountRoutes(app: FastifyInstance): Promise<void> {
  const renderAccount = async (userId: string, extra: Record<string, unknown> = {}) => ({
    title: 'Account',
    account: await findUserById(app.db, userId),
    tokens: await app.apiTokens.list(userId),
    limit: formatBytes(app.gas.uploadLimitBytes((await findUserById(app.db, userId))!.tier)),
    ...extra,
  });

  app.get(
    '/account',
    {
      preHandler: requirePageUser,
      schema: { querystring: Type.Object({ checkout: Type.Optional(Type.Enum(['success', 'cancelled'])) }) },
    },
    async (request, reply) => {
      const { checkout } = request.query as { checkout?: string };
      return reply.view(
        'account',
        await renderAccount(signedInUser(request).id, {
          checkoutSuccess: checkout === 'success',
          checkoutCancelled: checkout === 'cancelled',
        }),
      );
    },
  );

  app.post('/account/upgrade', { preHandler: requirePageUser }, async (request, reply) => {
    const user = signedInUser(request);
    if (user.tier === 'premium') return reply.redirect('/account', 303);
    return reply.redirect(await app.gas.billing.checkoutUrl(user), 303);
  });

  app.post('/account/portal', { preHandler: requirePageUser }, async (request, reply) => {
    return reply.redirect(await app.gas.billing.portalUrl(signedInUser(request)), 303);
  });

  app.post(
    '/account/notifications',
    {
      preHandler: requirePageUser,
      schema: {
        body: Type.Object({ _csrf: Type.String(), email_notifications: Type.Optional(Type.Enum(['on'])) }),
      },
    },
    async (request, reply) => {
      const { email_notifications } = request.body as { email_notifications?: 'on' };
      await app.db
        .updateTable('users')
        .set({ email_notifications: email_notifications === 'on', updated_at: new Date() })
        .where('id', '=', signedInUser(request).id)
        .execute();
      return reply.redirect('/account', 303);
    },
  );

  app.post(
    '/account/tokens',
    {
      preHandler: requirePageUser,
      schema: {
        body: Type.Object({ _csrf: Type.String(), name: Type.String({ minLength: 1, maxLength: 100 }) }),
      },
    },
    async (request, reply) => {
      const user = signedInUser(request);
      const { name } = request.body as { name: string };
      const { token } = await app.apiTokens.create(user.id, name.trim() || 'token');
      // Shown once, on this response only; never stored in clear.
      return reply
        .header('cache-control', 'no-store')
        .view('account', await renderAccount(user.id, { newToken: token }));
    },
  );

  app.post(
    '/account/tokens/:id/delete',
    {
      preHandler: requirePageUser,
      schema: {
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        body: Type.Object({ _csrf: Type.String() }),
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      await app.apiTokens.revoke(signedInUser(request).id, id);
      return reply.redirect('/account', 303);
    },
  );
}
