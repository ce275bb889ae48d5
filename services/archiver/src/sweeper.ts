/**
 * A timer that runs one sweep at a time: the first when started, then `intervalMs` after
 * the previous one ENDED (sweeps never overlap; a slow sweep delays the next, it does not
 * pile up). A sweep that throws is logged and the timer goes on. `stop` waits for a
 * running sweep up to a deadline. The start times of the last sweeps are kept, so that a
 * test (or an operator reading the log) can tell which sweep took a due job up: the promise
 * is that no sweep STARTED after a job's due time passes the job by.
 */
import type { FastifyBaseLogger } from 'fastify';

export type Sweeper = {
  start(): void;
  stop(deadlineMs: number): Promise<void>;
  /** Completed sweeps since start (for tests and logs). */
  readonly sweeps: number;
  /** Start times (epoch ms) of the last RECENT_STARTS_KEPT sweeps, oldest first. */
  readonly recentStarts: readonly number[];
};

const RECENT_STARTS_KEPT = 64;

export function createSweeper(options: {
  intervalMs: number;
  sweep: () => Promise<Record<string, number>>;
  logger: FastifyBaseLogger;
}): Sweeper {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;
  let sweeps = 0;
  const recentStarts: number[] = [];

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      recentStarts.push(Date.now());
      if (recentStarts.length > RECENT_STARTS_KEPT) recentStarts.shift();
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
    get recentStarts() {
      return recentStarts;
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
