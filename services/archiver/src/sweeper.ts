/**
 * A timer that runs one sweep at a time: the first when started, then `intervalMs` after
 * the previous one ENDED (sweeps never overlap; a slow sweep delays the next, it does not
 * pile up). A sweep that throws is logged and the timer goes on. `stop` waits for a
 * running sweep up to a deadline.
 */
import type { FastifyBaseLogger } from 'fastify';

export type Sweeper = {
  start(): void;
  stop(deadlineMs: number): Promise<void>;
  /** Completed sweeps since start (for tests and logs). */
  readonly sweeps: number;
};

export function createSweeper(options: {
  intervalMs: number;
  sweep: () => Promise<Record<string, number>>;
  logger: FastifyBaseLogger;
}): Sweeper {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;
  let sweeps = 0;

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = options
        .sweep()
        .then(
          (counts) => {
            const acted = Object.entries(counts).filter(([, n]) => n > 0);
            if (acted.length > 0) options.logger.info(Object.fromEntries(acted), 'archive sweep');
          },
          (error: unknown) =>
            options.logger.error({ err: error }, 'archive sweep failed; the next one retries'),
        )
        .finally(() => {
          sweeps += 1;
          running = undefined;
          schedule(options.intervalMs);
        });
    }, delayMs);
  }

  return {
    get sweeps() {
      return sweeps;
    },
    start() {
      if (!stopped) return;
      stopped = false;
      schedule(0);
    },
    async stop(deadlineMs) {
      stopped = true;
      clearTimeout(timer);
      if (running) {
        let deadline: NodeJS.Timeout | undefined;
        await Promise.race([
          running,
          new Promise((resolve) => {
            deadline = setTimeout(resolve, deadlineMs);
          }),
        ]);
        clearTimeout(deadline);
      }
    },
  };
}
