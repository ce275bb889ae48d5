/**
 * Process concerns for server.ts: validate config or exit 1 with the one-line reason (no
 * stack trace), listen, and close gracefully on SIGTERM/SIGINT (ECS sends SIGTERM, then
 * SIGKILL after its stop timeout): `app.close()` runs every plugin's onClose (stop the
 * queue drainer, close clients), then the process exits 0; if closing takes longer than
 * `timeoutMs`, it exits 1.
 */
import type { FastifyInstance } from 'fastify';
import type { Static, TObject } from 'typebox';
import { ConfigError, type CrossCheck, loadConfig } from './config.ts';

export function loadConfigOrExit<S extends TObject>(
  schema: S,
  env: Record<string, string | undefined>,
  crossCheck?: CrossCheck<Static<S>>,
): Static<S> {
  try {
    return loadConfig(schema, env, crossCheck);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

export function closeOnSignals(
  app: FastifyInstance,
  options: { timeoutMs?: number; signals?: NodeJS.Signals[] } = {},
): void {
  const timeoutMs = options.timeoutMs ?? 25_000;
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      app.log.error({ timeoutMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    app.close().then(
      () => {
        app.log.info('closed');
        process.exit(0);
      },
      (error: unknown) => {
        app.log.error({ err: error }, 'error while closing');
        process.exit(1);
      },
    );
  };
  for (const signal of options.signals ?? (['SIGTERM', 'SIGINT'] as NodeJS.Signals[])) {
    process.once(signal, onSignal);
  }
}

/** Listen on host:port, log the address, and close on signals. Exits 1 if the port cannot be bound. */
export async function listenAndServe(
  app: FastifyInstance,
  options: { port: number; host: string; shutdownTimeoutMs?: number },
): Promise<void> {
  closeOnSignals(app, { timeoutMs: options.shutdownTimeoutMs });
  try {
    await app.listen({ port: options.port, host: options.host });
  } catch (error) {
    app.log.error({ err: error }, 'cannot listen');
    process.stderr.write(
      `Cannot start: cannot listen on ${options.host}:${options.port} (${(error as Error).message}).\n`,
    );
    process.exit(1);
  }
}
