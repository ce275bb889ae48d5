/**
 * Free ports for a stack started with `--free-ports` (the tests' stacks).
 *
 * The ports are chosen before the processes that listen on them start, seconds later (web
 * comes after PostgreSQL and the provisioning). A port the kernel hands out for `listen(0)` lies
 * in its ephemeral range, the same range it takes the local port of every outgoing connection
 * from, so in those seconds any client on the machine (another test's HTTP or SQL connection)
 * can take it: web then failed with EADDRINUSE on 127.0.0.1:33667 in CI. So the ports come from
 * below the ephemeral range (/proc/sys/net/ipv4/ip_local_port_range), where only an explicit
 * listener can collide: each is checked free by binding it, and never handed out twice by this
 * process. Where that range is unknown or leaves no room, `listen(0)` as before.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Lowest port this picks from: above the well-known and most fixed service ports. */
const LOWEST = 10_000;
const handedOut = new Set<number>();

/** The kernel's ephemeral range [low, high], or null when it cannot be read. */
export function ephemeralPortRange(): [number, number] | null {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    return low !== undefined && high !== undefined && Number.isInteger(low) && Number.isInteger(high)
      ? [low, high]
      : null;
  } catch {
    return null;
  }
}

/** Binds `port` (0: any) on 127.0.0.1 and releases it; resolves with the port, or null if taken. */
function tryPort(port: number): Promise<number | null> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(null));
    server.listen(port, '127.0.0.1', () => {
      const bound = (server.address() as { port: number }).port;
      server.close(() => done(bound));
    });
  });
}

export async function freePort(): Promise<number> {
  const range = ephemeralPortRange();
  if (range !== null && range[0] - LOWEST >= 1000) {
    for (let attempt = 0; attempt < 100; attempt++) {
      const candidate = LOWEST + Math.floor(Math.random() * (range[0] - LOWEST));
      if (handedOut.has(candidate)) continue;
      if ((await tryPort(candidate)) !== null) {
        handedOut.add(candidate);
        return candidate;
      }
    }
  }
  const port = await tryPort(0);
  if (port === null) throw new Error('no free port on 127.0.0.1');
  handedOut.add(port);
  return port;
}
