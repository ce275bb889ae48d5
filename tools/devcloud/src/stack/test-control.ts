/**
 * The stack's control channel for fault tests (`main.ts --test-control`): TEST-ONLY, plain HTTP
 * on 127.0.0.1 and a free port, its URL in the READY line as `control`.
 *
 *   GET  /services                    name -> { pid, running } of each service
 *   POST /services/<name>/kill        SIGKILL (a crash: no graceful close), waits for the exit
 *   POST /services/<name>/stop        SIGTERM (graceful close, as in a deploy), waits for the exit
 *   POST /services/<name>/start       starts it again with the same environment, waits for /readyz
 *   POST /postgres/restart            restarts the stack's private PostgreSQL (`--own-postgres`)
 *
 * A service stopped or killed through this channel is an expected exit: main.ts does not stop
 * the stack for it (any other exit still stops everything). Devcloud's fault injection is on
 * devcloud's own edge (`/_devcloud/faults`, faults/faults.ts).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServiceName } from '../provision/plan.ts';
import type { ManagedProcess } from './processes.ts';
import type { RunningStack } from './stack.ts';

export interface StackControl {
  url: string;
  /** True while a stop or kill asked through this channel is under way or done for this process. */
  expectsExit(proc: ManagedProcess): boolean;
  close(): Promise<void>;
}

export async function startStackControl(
  stack: RunningStack,
  onStarted: (proc: ManagedProcess) => void,
): Promise<StackControl> {
  const expected = new WeakSet<ManagedProcess>();
  const find = (name: string) => stack.processes.find((p) => p.name === name);
  const running = (p: ManagedProcess) => p.child.exitCode === null && p.child.signalCode === null;

  async function act(method: string, path: string): Promise<[number, unknown]> {
    if (method === 'GET' && path === '/services') {
      return [
        200,
        Object.fromEntries(stack.processes.map((p) => [p.name, { pid: p.child.pid, running: running(p) }])),
      ];
    }
    if (method === 'POST' && path === '/postgres/restart') {
      const started = Date.now();
      await stack.postgres.restart();
      return [200, { restarted_in_ms: Date.now() - started }];
    }
    const match = /^\/services\/([a-z]+)\/(kill|stop|start)$/.exec(path);
    if (method !== 'POST' || !match) return [404, { message: `no such control: ${method} ${path}` }];
    const [, name, action] = match as unknown as [string, ServiceName, 'kill' | 'stop' | 'start'];
    const proc = find(name);
    if (!proc) return [404, { message: `${name} is not a service of this stack` }];
    if (action === 'start') {
      const started = await stack.startService(name);
      onStarted(started);
      return [200, { pid: started.child.pid }];
    }
    if (!running(proc)) return [409, { message: `${name} is not running` }];
    expected.add(proc);
    if (action === 'kill') {
      proc.child.kill('SIGKILL');
      await proc.exited;
    } else {
      await proc.stop();
    }
    return [200, { pid: proc.child.pid, exit_code: proc.child.exitCode, signal: proc.child.signalCode }];
  }

  const server = http.createServer((req, res) => {
    act(req.method ?? 'GET', (req.url ?? '/').split('?')[0]!)
      .catch((err: unknown): [number, unknown] => [500, { message: (err as Error).message }])
      .then(([status, body]) => {
        // One connection per call: a test's fetch keeps idle sockets and may reuse one just as
        // the server's 5 s keep-alive timeout closes it ("other side closed" on a loaded CI
        // machine, whose event loop was late to retire the socket); the calls are few and
        // seconds apart, so nothing is gained by keeping connections.
        res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
        res.end(JSON.stringify(body));
      });
    req.resume();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    expectsExit: (proc) => expected.has(proc),
    close: () =>
      new Promise((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
