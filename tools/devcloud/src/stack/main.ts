/**
 * `./scripts/start.sh` runs this: the whole local stack in the foreground until Ctrl-C.
 *   --data-dir DIR   state (default <repo>/.gas; a second start reuses it)
 *   --free-ports     any free ports instead of the fixed ones (for tests)
 *   --database NAME  PostgreSQL database of the accounts store (default gas)
 *   --retention-seconds N   Free-tier retention before archive (default 300, the demo profile)
 *   --load-users N   for `pnpm bench:load`: N extra accounts load-0001@example.org ... whose one
 *                    random password is in <data-dir>/load-test-accounts.json, and no per-client
 *                    rate limit on web (every simulated user has the same address)
 * For fault tests only (test/faults/):
 *   --test-control   a control channel (test-control.ts: kill/stop/start a service, restart
 *                    PostgreSQL), its URL in the READY line as `control`
 *   --own-postgres   a private PostgreSQL in the data dir on a free port, even when one answers
 *   --service-env SERVICE:KEY=VALUE   (repeatable) extra environment for one service
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEMO_PASSWORD, DEMO_USERS } from '../oidc/index.ts';
import type { ServiceName } from '../provision/plan.ts';
import type { ManagedProcess } from './processes.ts';
import { type RunningStack, SERVICES, startStack } from './stack.ts';
import { type StackControl, startStackControl } from './test-control.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string', default: resolve(repoRoot, '.gas') },
    'free-ports': { type: 'boolean', default: false },
    'retention-seconds': { type: 'string' },
    database: { type: 'string', default: 'gas' },
    'load-users': { type: 'string' },
    'test-control': { type: 'boolean', default: false },
    'own-postgres': { type: 'boolean', default: false },
    'service-env': { type: 'string', multiple: true, default: [] },
  },
  strict: true,
});

let stack: RunningStack | undefined;
let control: StackControl | undefined;
let stopping = false;

/** `annotator:JOB_LEASE_SECONDS=6` -> { annotator: { JOB_LEASE_SECONDS: '6' } } */
function serviceEnvironment(pairs: string[]): Partial<Record<ServiceName, Record<string, string>>> {
  const env: Partial<Record<ServiceName, Record<string, string>>> = {};
  for (const pair of pairs) {
    const match = /^([a-z]+):([A-Z0-9_]+)=(.*)$/.exec(pair);
    if (!match || !SERVICES.includes(match[1] as ServiceName))
      throw new Error(
        `--service-env wants SERVICE:KEY=VALUE with SERVICE one of ${SERVICES.join(', ')}; got ${pair}`,
      );
    const service = match[1] as ServiceName;
    env[service] = { ...env[service], [match[2]!]: match[3]! };
  }
  return env;
}

/** A service that exits unless asked to through the test control stops the whole stack. */
function watchExit(proc: ManagedProcess): void {
  void proc.exited.then((code) => {
    if (!stopping && !control?.expectsExit(proc)) {
      process.stderr.write(`[gas] ${proc.name} exited (code ${code}); stopping the stack.\n`);
      void stop(1);
    }
  });
}

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stderr.write('\n[gas] stopping the stack...\n');
  await control?.close();
  await stack?.close();
  process.stderr.write('[gas] stopped.\n');
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

try {
  stack = await startStack({
    repoRoot,
    dataDir: values['data-dir']!,
    freePorts: values['free-ports'],
    databaseName: values.database!,
    ...(values['retention-seconds'] ? { freeRetentionSeconds: Number(values['retention-seconds']) } : {}),
    ...(values['load-users'] ? { loadTestUsers: Number(values['load-users']) } : {}),
    ownPostgres: values['own-postgres'],
    serviceEnv: serviceEnvironment(values['service-env']!),
  });
  if (values['test-control']) control = await startStackControl(stack, watchExit);
  const logins = DEMO_USERS.map(
    (u) => `    ${u.email.padEnd(22)} password ${DEMO_PASSWORD}   (${u.plan})`,
  ).join('\n');
  process.stdout.write(
    [
      '',
      'GAS is running (Ctrl-C stops everything):',
      `  web                ${stack.urls.web}`,
      `  mailbox            ${stack.urls.mailbox}`,
      `  Stripe stand-in    ${stack.urls.stripe}`,
      `  identity provider  ${stack.urls.identityProvider}`,
      `  AWS endpoint       ${stack.urls.devcloud} (devcloud; access key test / test)`,
      `  local CA           ${stack.caCertPath} (import it in your browser to trust https://localhost)`,
      '  demo logins:',
      logins,
      ...(stack.loadTestAccountsFile
        ? [`  load-test logins   load-0001@example.org ... (password in ${stack.loadTestAccountsFile})`]
        : []),
      `READY ${JSON.stringify({
        urls: stack.urls,
        ports: stack.servicePorts,
        pids: stack.processes.map((p) => p.child.pid),
        names: stack.processes.map((p) => p.name),
        ...(stack.loadTestAccountsFile ? { loadTestAccounts: stack.loadTestAccountsFile } : {}),
        ...(control ? { control: control.url } : {}),
      })}`,
      '',
    ].join('\n'),
  );
  for (const proc of stack.processes) watchExit(proc);
} catch (err) {
  process.stderr.write(`[gas] the stack did not start: ${(err as Error).message}\n`);
  await stack?.close();
  process.exit(1);
}
