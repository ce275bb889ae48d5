/**
 * Scratch folders: `<base>/<pid>/<job id>-<attempt>/`. A job removes its own folder in
 * every outcome; a process killed with SIGKILL cannot, so at start (and at close) the
 * annotator removes the folders of processes that no longer exist (`kill(pid, 0)`).
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes `<base>/<pid>` folders of dead processes (and our own when `includeOwn`); returns what it removed. */
export async function removeStaleScratch(
  base: string,
  options: { includeOwn?: boolean } = {},
): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(base);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const pid = Number(entry);
    if (!/^\d+$/.test(entry)) continue;
    const own = pid === process.pid;
    if ((own && options.includeOwn) || (!own && !alive(pid))) {
      await rm(join(base, entry), { recursive: true, force: true });
      removed.push(entry);
    }
  }
  return removed;
}
