/**
 * The tests' stacks take their ports from freePort (stack/free-port.ts): below the kernel's
 * ephemeral range, so that no outgoing connection on the machine can take one between the choice
 * and the listen (web once failed with EADDRINUSE on 127.0.0.1:33667, an ephemeral port).
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ephemeralPortRange, freePort } from '../src/stack/free-port.ts';

describe('freePort', () => {
  it('hands out distinct, bindable ports outside the ephemeral range', async () => {
    const range = ephemeralPortRange();
    expect(range).not.toBeNull();
    const ports: number[] = [];
    for (let i = 0; i < 40; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    for (const p of ports) expect(p < range![0] || p > range![1]).toBe(true);
    // each can be listened on, as the service given it will
    for (const p of ports.slice(0, 5)) {
      await new Promise<void>((done, fail) => {
        const server = createServer();
        server.once('error', fail);
        server.listen(p, '127.0.0.1', () => server.close(() => done()));
      });
    }
  });
});
