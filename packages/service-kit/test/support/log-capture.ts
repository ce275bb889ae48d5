// A real pino logger writing JSON lines into memory, so tests read what operators would.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/index.ts';

export type CapturedLog = { logger: Logger; lines: Array<Record<string, unknown>> };

export function captureLog(service = 'test'): CapturedLog {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ service, level: 'debug' }, stream), lines };
}
