/**
 * Test support: read a `.env.example` the way an operator copies it: `KEY=value` lines,
 * `# KEY=value` lines are documented-but-optional keys (returned in `commented`).
 */
import { readFileSync } from 'node:fs';

export function readEnvExample(path: string): { values: Record<string, string>; commented: string[] } {
  const values: Record<string, string> = {};
  const commented: string[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, index) => {
      const active = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      if (active) {
        values[active[1]!] = active[2]!;
        return;
      }
      const documented = /^#\s*([A-Z][A-Z0-9_]*)=/.exec(line);
      if (documented) {
        commented.push(documented[1]!);
        return;
      }
      if (line.trim() !== '' && !line.startsWith('#')) {
        throw new Error(`${path}:${index + 1}: not KEY=value nor a comment: ${line}`);
      }
    });
  return { values, commented };
}

/** Keys of `.env.example` whose line is not directly preceded by a comment line. */
export function undocumentedKeys(path: string): string[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  return lines
    .map((line, index) => ({
      key: /^#?\s*([A-Z][A-Z0-9_]*)=/.exec(line)?.[1],
      previous: lines[index - 1] ?? '',
    }))
    .filter((entry) => entry.key && !entry.previous.startsWith('#'))
    .map((entry) => entry.key!);
}
