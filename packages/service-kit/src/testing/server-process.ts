/**
 * Test support: run a service's `src/server.ts` as a real child process, with exactly the
 * environment given (plus PATH), to check what an operator sees: the exit code and stderr
 * line when config is bad; the listening address, `/healthz` and a clean exit on SIGTERM.
 *
 * It runs `node --import tsx src/server.ts` (one process), not the `tsx` CLI: the CLI runs
 * the script in a child and, on SIGTERM, waits only 30 ms for that child to acknowledge the
 * relayed signal before exiting 143 and SIGKILLing it, which under load cuts the graceful
 * shutdown short (seen here as a flaky exit code). Images should use the same command.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/** tsx's loader-registration entry (what `node --import tsx` loads), as a file URL. */
function tsxLoader(): string {
  return pathToFileURL(require.resolve('tsx')).href;
}

export type ServerProcess = {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

export function spawnServer(serverPath: string, env: Record<string, string>, cwd: string): ServerProcess {
  const child = spawn(process.execPath, ['--import', tsxLoader(), serverPath], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Waits for Fastify's "Server listening at" log line and returns the port it bound. */
export async function listeningPort(server: ServerProcess, withinMs = 45_000): Promise<number> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const match = /"msg":"Server listening at http:\/\/[^"]*:(\d+)"/.exec(server.stdout());
    if (match) return Number(match[1]);
    if (server.child.exitCode !== null) {
      throw new Error(`server exited with ${server.child.exitCode} before listening: ${server.stderr()}`);
    }
    if (Date.now() > deadline)
      throw new Error(`server did not listen in time: ${server.stdout()} ${server.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
