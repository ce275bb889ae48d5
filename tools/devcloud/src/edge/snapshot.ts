/**
 * JSON snapshots for in-memory API state (SQS, SNS): `schedule()` after every change writes
 * the whole state a moment later (changes in one burst share one write), `flush()` on close.
 * Writes go to a temp file that is renamed over the old one, so a crash never leaves half a file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export class JsonSnapshot<T> {
  readonly path: string;
  readonly #produce: () => T;
  readonly #onError: (err: Error) => void;
  #timer: NodeJS.Timeout | null = null;
  #writing: Promise<void> = Promise.resolve();

  /** `onError` hears about a background write that failed (the next change tries again). */
  constructor(path: string, produce: () => T, onError: (err: Error) => void) {
    this.path = path;
    this.#produce = produce;
    this.#onError = onError;
  }

  /** The last snapshot, or null when none was written yet. A corrupt file is an error naming it. */
  load(): T | null {
    if (!existsSync(this.path)) return null;
    const text = readFileSync(this.path, 'utf8');
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new Error(
        `devcloud state file ${this.path} is not valid JSON (${(err as Error).message}); move it away to start empty.`,
      );
    }
  }

  schedule(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#write().catch((err: Error) => this.#onError(err));
    }, 20);
  }

  async flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    await this.#write();
  }

  #write(): Promise<void> {
    const data = JSON.stringify(this.#produce());
    // A failed write does not block the ones after it.
    this.#writing = this.#writing
      .catch(() => undefined)
      .then(async () => {
        await mkdir(dirname(this.path), { recursive: true });
        const tmp = `${this.path}.tmp`;
        await writeFile(tmp, data);
        await rename(tmp, this.path);
      });
    return this.#writing;
  }
}
