/**
 * `/healthz`: the process is up and serving (liveness; never touches dependencies, so a
 * slow database does not get the task killed). `/readyz`: every registered dependency check
 * passes within its timeout (readiness; a 503 names the checks that failed and why).
 * Plugins that own a dependency register its check: `app.readiness.add('sqs', fn)`.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export type ReadinessCheck = () => Promise<unknown>;

export type Readiness = {
  add(name: string, check: ReadinessCheck): void;
  run(): Promise<{ ok: boolean; checks: Array<{ name: string; ok: boolean; error?: string; ms: number }> }>;
};

declare module 'fastify' {
  interface FastifyInstance {
    readiness: Readiness;
  }
}

export type HealthOptions = { checkTimeoutMs?: number };

function withTimeout<T>(promise: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function health(app: FastifyInstance, options: HealthOptions): Promise<void> {
  const timeoutMs = options.checkTimeoutMs ?? 2000;
  const checks = new Map<string, ReadinessCheck>();
  const readiness: Readiness = {
    add(name, check) {
      if (checks.has(name)) throw new Error(`readiness check "${name}" is already registered`);
      checks.set(name, check);
    },
    async run() {
      const results = await Promise.all(
        [...checks].map(async ([name, check]) => {
          const started = performance.now();
          try {
            await withTimeout(Promise.resolve().then(check), timeoutMs, name);
            return { name, ok: true, ms: Math.round(performance.now() - started) };
          } catch (error) {
            return {
              name,
              ok: false,
              error: (error as Error).message,
              ms: Math.round(performance.now() - started),
            };
          }
        }),
      );
      return { ok: results.every((r) => r.ok), checks: results };
    },
  };
  app.decorate('readiness', readiness);

  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));

  app.get('/readyz', { logLevel: 'warn' }, async (request, reply) => {
    const result = await readiness.run();
    if (result.ok) return { status: 'ready', checks: result.checks };
    const failed = result.checks.filter((c) => !c.ok);
    request.log.warn({ failed }, 'not ready');
    return reply.status(503).send({
      status: 'not ready',
      failed: failed.map((c) => c.name),
      checks: result.checks,
    });
  });
}

export const healthPlugin = fp(health, { name: 'gas-health', fastify: '5.x' });
