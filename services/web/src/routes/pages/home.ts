// Home (for visitors: what GAS does, plans, retention terms) and the dashboard (for users: plan, limit, recent jobs).
import type { FastifyInstance } from 'fastify';
import { formatBytes } from '../../lib/format.ts';
import { requirePageUser, signedInUser } from '../guards.ts';

export default async function homeRoutes(app: FastifyInstance): Promise<void> {
  const { config } = app.gas;
  app.get('/', async (_request, reply) => {
    const minutes = config.FREE_RETENTION_MINUTES;
    return reply.view('home', {
      title: 'Home',
      freeLimit: formatBytes(config.FREE_UPLOAD_LIMIT_BYTES),
      premiumLimit: formatBytes(config.PREMIUM_UPLOAD_LIMIT_BYTES),
      retention:
        minutes % 1440 === 0
          ? `${minutes / 1440} day(s)`
          : minutes % 60 === 0
            ? `${minutes / 60} hour(s)`
            : `${minutes} minutes`,
    });
  });

  app.get('/dashboard', { preHandler: requirePageUser }, async (request, reply) => {
    const user = signedInUser(request);
    const page = await app.gas.jobs.listForUser(user.id, 5);
    return reply.view('dashboard', {
      title: 'Dashboard',
      jobs: page.jobs,
      limit: formatBytes(app.gas.uploadLimitBytes(user.tier)),
    });
  });
}
