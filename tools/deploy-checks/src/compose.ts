/**
 * docker-compose.yml, read without a Docker engine: `dclint` validates it against the Compose
 * specification schema and runs its rules (all enabled), and `composeFile` gives the parsed
 * services with `environment` normalised to a map, for the checks that every GAS service,
 * port and required configuration key is there.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DCLinter } from 'dclint';
import { parse } from 'yaml';
import { repoRoot } from './paths.ts';

export const composePath = join(repoRoot, 'docker-compose.yml');

/** The part of dclint's result this module reads (its .d.ts files do not resolve under NodeNext). */
interface LintResult {
  messages: { line: number; rule: string; message: string }[];
}

/** dclint findings as `docker-compose.yml:<line>: [rule] message`; empty when clean. */
export function lintCompose(path = composePath): string[] {
  const linter = new DCLinter({ rules: {}, quiet: true, debug: false, exclude: [] });
  const results = linter.lintFiles([path], false) as LintResult[];
  return results.flatMap((result) =>
    result.messages.map((m) => `docker-compose.yml:${m.line}: [${m.rule}] ${m.message}`),
  );
}

export interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string; target?: string; args?: Record<string, string> };
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment: Record<string, string>;
  ports: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] | string };
  init?: boolean;
  volumes?: string[];
  networks?: Record<string, { aliases?: string[] } | null> | string[];
  [key: string]: unknown;
}

export function composeFile(path = composePath): { name?: string; services: Record<string, ComposeService> } {
  const doc = parse(readFileSync(path, 'utf8'), { merge: true }) as {
    name?: string;
    services?: Record<string, Record<string, unknown>>;
  };
  const services: Record<string, ComposeService> = {};
  for (const [name, raw] of Object.entries(doc.services ?? {})) {
    const env = raw.environment;
    const environment: Record<string, string> = {};
    if (Array.isArray(env)) {
      for (const item of env as string[]) {
        const [k, ...v] = String(item).split('=');
        environment[k!] = v.join('=');
      }
    } else if (env && typeof env === 'object') {
      for (const [k, v] of Object.entries(env)) environment[k] = v === null ? '' : String(v);
    }
    services[name] = {
      ...(raw as object),
      environment,
      ports: ((raw.ports as unknown[]) ?? []).map(String),
    } as ComposeService;
  }
  return { name: doc.name, services };
}

/**
 * What a devtools command runs: `tsx --eval "import('./path').then(({ a, b }) => ...)"` names
 * modules and the functions it takes from them; `tsx path.ts` names an entry file.
 */
export function devtoolsTargets(service: ComposeService): { file: string; names: string[] }[] {
  const command = Array.isArray(service.command) ? service.command : service.command ? [service.command] : [];
  if (command[0] === '--eval' || command[0] === '-e') {
    const code = command.slice(1).join(' ');
    return [...code.matchAll(/import\('\.\/([^']+)'\)\.then\(\s*(?:async\s*)?\(\{([^}]*)\}\)/g)].map((m) => ({
      file: m[1]!,
      names: m[2]!
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean),
    }));
  }
  return command.filter((part) => part.endsWith('.ts')).map((file) => ({ file, names: [] }));
}
