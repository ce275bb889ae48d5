/**
 * The local stack's PostgreSQL: the real server. When one answers on the configured
 * address (these machines run PostgreSQL 15 on 127.0.0.1:5432) the stack uses it and
 * creates its database there; when none answers, it runs one from the installed Debian
 * binaries (`/usr/lib/postgresql/<v>/bin`) in `<dataDir>/postgres`, on its own port, and
 * stops it with the stack. `alwaysOwn` (tests) runs that private server even when one answers,
 * so that a test may restart it (`restart()`) without touching the machine's shared server.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';

export interface LocalPostgres {
  /** Connection string for the stack's database. */
  databaseUrl: string;
  /** True when the stack started the server itself (and stops it in close()). */
  owned: boolean;
  /** Restarts a server the stack owns (fast shutdown: open connections are cut); refuses a shared one. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

function portAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (err) => resolve({ code: 127, output: err.message }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) {
    throw new Error(
      'No PostgreSQL server answers and none is installed: install the Debian package `postgresql`.',
    );
  }
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  return join(base, versions[0]!, 'bin');
}

/** Creates `database` on the server if it is not there yet (psql as the given user). */
async function ensureDatabase(host: string, port: number, user: string, database: string): Promise<void> {
  const env = { ...process.env, PGHOST: host, PGPORT: String(port), PGUSER: user };
  const exists = await run(
    'psql',
    ['-d', 'postgres', '-tAc', `SELECT 1 FROM pg_database WHERE datname = '${database}'`],
    env,
  );
  if (exists.code !== 0)
    throw new Error(`Cannot reach PostgreSQL at ${host}:${port} as ${user}: ${exists.output.trim()}`);
  if (exists.output.trim() === '1') return;
  const created = await run('createdb', [database], env);
  if (created.code !== 0 && !created.output.includes('already exists')) {
    throw new Error(`Cannot create database ${database}: ${created.output.trim()}`);
  }
}

export async function ensurePostgres(opts: {
  dataDir: string;
  host?: string;
  port?: number;
  user?: string;
  database: string;
  /** Port for a server the stack starts itself. */
  ownPort?: number;
  /** Start a private server even when one answers on host:port (tests). */
  alwaysOwn?: boolean;
}): Promise<LocalPostgres> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 5432;
  const user = opts.user ?? 'postgres';
  if (!opts.alwaysOwn && (await portAnswers(host, port))) {
    await ensureDatabase(host, port, user, opts.database);
    return {
      databaseUrl: `postgres://${user}@${host}:${port}/${opts.database}`,
      owned: false,
      restart: async () => {
        throw new Error(`the PostgreSQL on ${host}:${port} is shared; the stack does not restart it`);
      },
      close: async () => {},
    };
  }

  const bin = postgresBinDir();
  const pgData = join(opts.dataDir, 'postgres');
  const ownPort = opts.ownPort ?? 5433;
  if (!existsSync(join(pgData, 'PG_VERSION'))) {
    await mkdir(pgData, { recursive: true });
    // initdb refuses to run as root: run the server as the `postgres` system user then.
    const init = await asServerUser(join(bin, 'initdb'), [
      '-D',
      pgData,
      '-U',
      user,
      '--auth=trust',
      '-E',
      'UTF8',
    ]);
    if (init.code !== 0) throw new Error(`initdb failed: ${init.output.trim()}`);
  }
  const serverOptions = [
    '-l',
    join(pgData, 'server.log'),
    '-w',
    '-o',
    `-p ${ownPort} -k ${pgData} -c listen_addresses=${host}`,
  ];
  const started = await asServerUser(join(bin, 'pg_ctl'), ['-D', pgData, ...serverOptions, 'start']);
  if (started.code !== 0) throw new Error(`PostgreSQL did not start: ${started.output.trim()}`);
  await ensureDatabase(host, ownPort, user, opts.database);
  return {
    databaseUrl: `postgres://${user}@${host}:${ownPort}/${opts.database}`,
    owned: true,
    async restart() {
      const restarted = await asServerUser(join(bin, 'pg_ctl'), [
        '-D',
        pgData,
        ...serverOptions,
        '-m',
        'fast',
        'restart',
      ]);
      if (restarted.code !== 0) throw new Error(`PostgreSQL did not restart: ${restarted.output.trim()}`);
    },
    async close() {
      await asServerUser(join(bin, 'pg_ctl'), ['-D', pgData, '-m', 'fast', '-w', 'stop']);
    },
  };

  async function asServerUser(cmd: string, args: string[]) {
    if (process.getuid?.() !== 0) return run(cmd, args);
    // The server runs as `postgres`: it must be able to reach its folder through ours.
    await chmod(opts.dataDir, 0o711);
    await run('chown', ['-R', 'postgres:postgres', pgData]);
    return run('runuser', ['-u', 'postgres', '--', cmd, ...args]);
  }
}
