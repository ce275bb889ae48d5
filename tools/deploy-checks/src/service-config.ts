/**
 * The configuration keys a service reads, taken from the service itself: its config schema
 * (`services/<name>/src/config.ts`, a TypeBox object validated once at boot) and its
 * `.env.example`. A key is *required* when the schema lists it as required and gives it no
 * default: the service refuses to start without it, so every deployment (docker-compose,
 * the ECS task definitions) must set it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TSchema } from 'typebox';
import Value from 'typebox/value';
import { repoRoot, type ServiceName } from './paths.ts';

export interface ServiceConfigKeys {
  service: ServiceName;
  /** Every key of the schema. */
  all: string[];
  /** Keys without which the service does not start. */
  required: string[];
  /** Keys that hold secrets (by name), which deployments must not pass as plain values. */
  secret: string[];
  /** Keys documented in .env.example. */
  documented: string[];
  /** The schema of each key. */
  schemas: Record<string, TSchema>;
}

interface ObjectSchema {
  type: 'object';
  properties: Record<string, TSchema & { default?: unknown }>;
  required?: string[];
}

const isObjectSchema = (v: unknown): v is ObjectSchema =>
  typeof v === 'object' &&
  v !== null &&
  (v as { type?: unknown }).type === 'object' &&
  typeof (v as { properties?: unknown }).properties === 'object';

/** Key names that carry secrets (session keys, client secrets, API keys, passwords, tokens). */
export function isSecretKey(key: string): boolean {
  return /SECRET|PASSWORD|PRIVATE_KEY|API_KEY|TOKEN/.test(key) && !/_FILE$|_ARN$|_ID$/.test(key);
}

export function configPathOf(service: ServiceName): string {
  return join(repoRoot, 'services', service, 'src', 'config.ts');
}

/**
 * Imports the service's config module and takes its largest exported object schema (the
 * service schema; smaller ones are parts spread into it). Throws with the path when there is
 * no such module or schema.
 */
export async function serviceConfigKeys(service: ServiceName): Promise<ServiceConfigKeys> {
  const path = configPathOf(service);
  const shown = relative(repoRoot, path);
  if (!existsSync(path))
    throw new Error(`${shown} does not exist: each service declares its configuration schema there`);
  const mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  const schemas = Object.values(mod).filter(isObjectSchema);
  if (schemas.length === 0) throw new Error(`${shown} exports no TypeBox object schema`);
  const schema = schemas.reduce((a, b) =>
    Object.keys(b.properties).length > Object.keys(a.properties).length ? b : a,
  );
  const all = Object.keys(schema.properties);
  const required = (schema.required ?? []).filter((key) => schema.properties[key]?.default === undefined);
  return {
    service,
    all,
    required,
    secret: all.filter(isSecretKey),
    documented: envExampleKeys(service),
    schemas: schema.properties,
  };
}

/**
 * Values a service would refuse at boot: each given key that the schema knows is converted
 * from its environment string and checked against the key's schema (type, enum, pattern,
 * format, range), as the service's own config loader does.
 */
export function invalidValues(keys: ServiceConfigKeys, env: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [key, raw] of Object.entries(env)) {
    const schema = keys.schemas[key];
    if (!schema) continue;
    const value = Value.Convert(schema, raw);
    if (!Value.Check(schema, value))
      problems.push(`${key}=${JSON.stringify(raw)} is not valid for ${keys.service}`);
  }
  return problems;
}

/** Keys of `services/<name>/.env.example` (`KEY=value` lines, also commented-out `# KEY=`). */
export function envExampleKeys(service: ServiceName): string[] {
  const path = join(repoRoot, 'services', service, '.env.example');
  if (!existsSync(path)) return [];
  const keys = new Set<string>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^\s*#?\s*([A-Z][A-Z0-9_]*)=/.exec(line);
    if (m) keys.add(m[1]!);
  }
  return [...keys];
}
