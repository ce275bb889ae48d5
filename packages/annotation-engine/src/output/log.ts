/**
 * The human-readable run log: one line per event, prefixed with the elapsed time, e.g.
 * `[   0.42s] read 132 records (139 lines) from vep-test.chr21.vcf`. Lines go to an optional
 * sink as they happen (a file or stderr) and are kept for the caller.
 */

/** A count and its noun, as people write them: `1 record`, `1,024 records`, `2 malformed lines`. */
export function plural(n: number, word: string, words = `${word}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? word : words}`;
}

export type LogLevel = 'info' | 'warn' | 'error';

export class RunLog {
  readonly lines: string[] = [];
  private readonly started = performance.now();
  private readonly sink: ((line: string) => void) | null;

  constructor(sink: ((line: string) => void) | null = null) {
    this.sink = sink;
  }

  private add(level: LogLevel, message: string): void {
    const t = ((performance.now() - this.started) / 1000).toFixed(2).padStart(8);
    const line = `[${t}s] ${level === 'info' ? '' : `${level.toUpperCase()}: `}${message}`;
    this.lines.push(line);
    this.sink?.(line);
  }

  info(message: string): void {
    this.add('info', message);
  }

  warn(message: string): void {
    this.add('warn', message);
  }

  error(message: string): void {
    this.add('error', message);
  }
}
