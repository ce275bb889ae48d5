/**
 * Starts the local stack the way `./scripts/start.sh` does (same entry point), on free ports
 * with its own data dir and database, and reads the READY line it prints.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const sharedData = resolve(repoRoot, '../shared/data');

export interface StackProcess {
  urls: { web: string; mailbox: string; stripe: string; identityProvider: string; devcloud: string };
  ports: Record<string, number>;
  pids: number[];
  /** Service name of each pid, in the same order. */
  names: string[];
  /** The load-test accounts file when started with `loadTestUsers`. */
  loadTestAccounts?: string;
  /** The test control channel's URL when started with `--test-control` (fault tests). */
  control?: string;
  dataDir: string;
  ca: string;
  child: ChildProcess;
  output(): string;
  /** Ctrl-C, as a user would; resolves with the exit code. */
  interrupt(): Promise<number | null>;
  dispose(): Promise<void>;
}

/** What the stack's READY line says. */
type ReadyLine = Pick<StackProcess, 'urls' | 'ports' | 'pids' | 'names' | 'loadTestAccounts' | 'control'>;

export async function startStackProcess(opts: {
  database: string;
  retentionSeconds?: number;
  /** `--load-users N`: N load-test accounts and no per-client rate limit (pnpm bench:load). */
  loadTestUsers?: number;
  /** More flags for main.ts (fault tests: `--test-control`, `--own-postgres`, `--service-env`). */
  extraArgs?: string[];
}): Promise<StackProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gas-stack-'));
  const args = ['--import', 'tsx', 'tools/devcloud/src/stack/main.ts', '--data-dir', dataDir, '--free-ports'];
  args.push('--database', opts.database);
  if (opts.retentionSeconds !== undefined) args.push('--retention-seconds', String(opts.retentionSeconds));
  if (opts.loadTestUsers !== undefined) args.push('--load-users', String(opts.loadTestUsers));
  args.push(...(opts.extraArgs ?? []));
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let ready: ReadyLine | undefined;
  ready = await new Promise<ReadyLine>((done, fail) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (ready) return; // long runs (pnpm bench:load) print a lot after READY
      const line = output.split('\n').find((l) => l.startsWith('READY '));
      if (line) done(JSON.parse(line.slice('READY '.length)));
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) =>
      fail(new Error(`the stack exited (code ${code}) before it was ready:\n${output}`)),
    );
  });
  const ca = await readFile(join(dataDir, 'devcloud/tls/ca.pem'), 'utf8');
  return {
    ...ready,
    dataDir,
    ca,
    child,
    output: () => output,
    interrupt() {
      if (child.exitCode !== null) return Promise.resolve(child.exitCode);
      const exited = new Promise<number | null>((done) => child.once('exit', done));
      child.kill('SIGINT');
      return exited;
    },
    async dispose() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
