/**
 * What every worker service's `buildApp` does around its own parts, written once. In order:
 *   1. the pino logger (`service` on every line, `LOG_LEVEL`; a test may pass its own) and
 *      Fastify's request logging (`request_id`);
 *   2. the health routes (`/healthz`, `/readyz`, `app.readiness`);
 *   3. `register(app)`: the service's own readiness checks, plugins and routes, in its order;
 *   4. the AWS SDK clients destroyed on close AFTER everything registered in step 3 has closed.
 *      Fastify runs `onClose` hooks last-added first, so that hook is added before step 3;
 *   5. the one error handler (`installErrorHandling`).
 * A service's `app.ts` stays the place that shows what the service is made of: its clients,
 * its readiness checks and its plugins, inside `register`.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { installErrorHandling } from './errors.ts';
import { healthPlugin } from './health.ts';
import { createLogger, fastifyLogging, type Logger } from './logger.ts';

export type ServiceAppOptions = {
  /** The `service` field of every log line. */
  service: string;
  logLevel: string;
  /** A logger to use instead of a new one (tests capture the lines). */
  logger?: Logger | undefined;
  /** AWS SDK clients (anything with `destroy()`) to destroy once the app has closed. */
  clients: ReadonlyArray<{ destroy(): void }>;
};

export async function buildServiceApp(
  options: ServiceAppOptions,
  register: (app: FastifyInstance) => Promise<void>,
): Promise<FastifyInstance> {
  const logger = options.logger ?? createLogger({ service: options.service, level: options.logLevel });
  const app = Fastify(fastifyLogging(logger));
  await app.register(healthPlugin);
  app.addHook('onClose', async () => {
    for (const client of options.clients) client.destroy();
  });
  await register(app);
  installErrorHandling(app);
  return app;
}
