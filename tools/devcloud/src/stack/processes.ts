/**
 * The stack's child processes: each service runs as its own process, as in production.
 * Their output is shown line by line with the service's name in front, and stop() sends
 * SIGTERM, waits for the graceful close, and SIGKILLs what is still there after a grace
 * period, so that Ctrl-C leaves no process behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  stop(graceMs?: number): Promise<void>;
}

const COLOURS = [36, 33, 35, 32, 34, 31, 96, 93];
let nextColour = 0;

export function startProcess(opts: {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Where prefixed output goes (default process.stdout). */
  out?: NodeJS.WritableStream;
}): ManagedProcess {
  const colour = COLOURS[nextColour++ % COLOURS.length];
  const out = opts.out ?? process.stdout;
  const label =
    out === process.stdout && process.stdout.isTTY
      ? `\x1b[${colour}m${opts.name.padEnd(10)}\x1b[0m`
      : opts.name.padEnd(10);
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream! }).on('line', (line) => out.write(`${label} | ${line}\n`));
  }
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', (err) => {
      out.write(`${label} | could not start: ${err.message}\n`);
      resolve(127);
    });
  });
  return {
    name: opts.name,
    child,
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `url` until it answers 2xx; fails early if the process exits. */
export async function waitUntilReady(proc: ManagedProcess, url: string, limitMs = 60_000): Promise<void> {
  const until = Date.now() + limitMs;
  let exitCode: number | null | undefined;
  void proc.exited.then((code) => (exitCode = code));
  for (;;) {
    if (exitCode !== undefined) throw new Error(`${proc.name} exited (code ${exitCode}) before it was ready`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`${proc.name} was not ready at ${url} after ${limitMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
