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
  dataDir: string;
  ca: string;
  child: ChildProcess;
  output(): string;
  /** Ctrl-C, as a user would; resolves with the exit code. */
  interrupt(): Promise<number | null>;
  dispose(): Promise<void>;
}

export async function startStackProcess(opts: {
  database: string;
  retentionSeconds?: number;
}): Promise<StackProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gas-stack-'));
  const args = ['--import', 'tsx', 'tools/devcloud/src/stack/main.ts', '--data-dir', dataDir, '--free-ports'];
  args.push('--database', opts.database);
  if (opts.retentionSeconds !== undefined) args.push('--retention-seconds', String(opts.retentionSeconds));
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const ready = await new Promise<{
    urls: StackProcess['urls'];
    ports: Record<string, number>;
    pids: number[];
  }>((done, fail) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
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
