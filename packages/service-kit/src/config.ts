/**
 * Configuration from the environment, validated once at boot (server.ts), never read again.
 *
 * Each service declares one TypeBox object schema of its keys (strings in the environment;
 * numbers and booleans are converted, defaults applied, empty strings count as unset).
 * `loadConfig` returns the typed config or throws `ConfigError` whose message is ONE
 * sentence naming every bad key, e.g.
 *   `Cannot start: AWS_REGION is missing (AWS region, e.g. us-east-1); PORT must be an integer.`
 * Keys not in the schema are ignored, so the process environment can be passed as is.
 */
import Type, { type Static, type TInteger, type TNumber, type TObject, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import Value from 'typebox/value';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** The keys that are missing or bad, in schema order. */
  readonly keys: string[];
  constructor(problems: Array<{ key: string; problem: string }>) {
    super(`Cannot start: ${problems.map((p) => `${p.key} ${p.problem}`).join('; ')}.`);
    this.keys = problems.map((p) => p.key);
  }
}

function describeType(schema: TSchema): string {
  const s = schema as Record<string, unknown>;
  if (Array.isArray(s.enum)) return `one of ${(s.enum as unknown[]).join(', ')}`;
  if (s.type === 'integer') return 'an integer';
  if (s.type === 'number') return 'a number';
  if (s.type === 'boolean') return 'true or false';
  return 'a valid value';
}

function problemOf(key: string, schema: TSchema, raw: string | undefined, message: string): string {
  const description = (schema as { description?: string }).description;
  const hint = description ? ` (${description})` : '';
  if (raw === undefined) return `is missing${hint}`;
  const limits = schema as { minimum?: number; maximum?: number; pattern?: string; format?: string };
  const secret = /SECRET|PASSWORD|TOKEN|KEY$/i.test(key) || /:\/\/[^/\s]*@/.test(raw);
  const shown = secret ? '' : ` (got "${raw}")`;
  if (limits.minimum !== undefined || limits.maximum !== undefined) {
    return `must be ${describeType(schema)} between ${limits.minimum ?? '-inf'} and ${limits.maximum ?? 'inf'}${shown}`;
  }
  if (limits.format) return `must be a valid ${limits.format}${shown}`;
  if (
    Array.isArray((schema as { enum?: unknown[] }).enum) ||
    ['integer', 'number', 'boolean'].includes(String((schema as { type?: string }).type))
  ) {
    return `must be ${describeType(schema)}${shown}`;
  }
  return `${message}${shown}${hint}`;
}

/** Rules between keys (e.g. "RESULTS_VAULT is required when COLD_STORAGE_BACKEND is glacier-vault"). */
export type CrossCheck<C> = (config: C) => Array<{ key: string; problem: string }>;

/**
 * Validates the keys of `schema` found in `env` (usually `process.env`), then `crossCheck`
 * on the typed result. Throws `ConfigError`.
 */
export function loadConfig<S extends TObject>(
  schema: S,
  env: Record<string, string | undefined>,
  crossCheck?: CrossCheck<Static<S>>,
): Static<S> {
  const properties = schema.properties as Record<string, TSchema>;
  const raw: Record<string, string> = {};
  for (const key of Object.keys(properties)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') raw[key] = value.trim();
  }
  const candidate = Value.Convert(schema, Value.Default(schema, Value.Clone(raw)));
  const validator = Compile(schema);
  if (validator.Check(candidate)) {
    const config = candidate as Static<S>;
    const problems = crossCheck?.(config) ?? [];
    if (problems.length) throw new ConfigError(problems);
    return config;
  }
  const problems = new Map<string, string>();
  for (const error of validator.Errors(candidate)) {
    const keys =
      error.keyword === 'required'
        ? (error.params as { requiredProperties: string[] }).requiredProperties
        : [error.instancePath.split('/')[1] ?? ''];
    for (const key of keys) {
      if (!key || problems.has(key) || !properties[key]) continue;
      problems.set(key, problemOf(key, properties[key], raw[key], error.message));
    }
  }
  const ordered = Object.keys(properties)
    .filter((key) => problems.has(key))
    .map((key) => ({ key, problem: problems.get(key)! }));
  throw new ConfigError(ordered.length ? ordered : [{ key: 'configuration', problem: 'is invalid' }]);
}

/** Splits a comma-separated config value (`a, b,c`) into trimmed non-empty items. */
export function commaList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** Keys every service has. Spread into a service's schema: `Type.Object({ ...baseConfig(4101), ... })`. */
export function baseConfig(defaultPort: number) {
  return {
    PORT: Type.Integer({
      minimum: 0,
      maximum: 65535,
      default: defaultPort,
      description: 'TCP port to listen on',
    }),
    HOST: Type.String({ default: '0.0.0.0', description: 'address to listen on' }),
    LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      default: 'info',
      description: 'pino log level',
    }),
  };
}

/** AWS keys: region, optional emulator endpoint, optional static credentials (else the default chain). */
export const awsConfig = {
  AWS_REGION: Type.String({
    pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]+$',
    description: 'AWS region, e.g. us-east-1',
  }),
  AWS_ENDPOINT_URL: Type.Optional(
    Type.String({ format: 'uri', description: 'emulator endpoint (devcloud, LocalStack); unset in AWS' }),
  ),
  AWS_ACCESS_KEY_ID: Type.Optional(Type.String({ minLength: 1 })),
  AWS_SECRET_ACCESS_KEY: Type.Optional(Type.String({ minLength: 1 })),
  AWS_SESSION_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
};
export const AwsConfig = Type.Object(awsConfig);
export type AwsConfig = Static<typeof AwsConfig>;

/** Keys of a service that receives SNS over HTTPS (see `snsWebhookPlugin`). */
export const snsWebhookConfig = {
  SNS_CERT_HOSTS: Type.Optional(
    Type.String({
      description:
        'comma-separated hosts allowed for SigningCertURL/SubscribeURL; default sns.<AWS_REGION>.amazonaws.com',
    }),
  ),
  SNS_EXTRA_CA_FILE: Type.Optional(
    Type.String({
      description: 'PEM file of an extra CA trusted when fetching certificates (local devcloud)',
    }),
  ),
};

/**
 * Keys of a service that drains SQS queues (see `topicConsumersSettings`): the long poll per
 * ReceiveMessage, under the name the service has always used for it (`waitKey`), and the slow
 * safety-net timer DRAIN_IDLE_SECONDS. Spread into the schema where the keys stand.
 */
export function queueDrainConfig<K extends string>(
  waitKey: K,
  waitDescription: string,
): { [P in K]: TInteger } & { DRAIN_IDLE_SECONDS: TNumber } {
  return {
    [waitKey]: Type.Integer({ minimum: 0, maximum: 20, default: 20, description: waitDescription }),
    DRAIN_IDLE_SECONDS: Type.Number({
      minimum: 0,
      default: 30,
      description: 'slow safety-net timer: pause after an empty receive (the doorbell cuts it short)',
    }),
  } as { [P in K]: TInteger } & { DRAIN_IDLE_SECONDS: TNumber };
}

/**
 * Keys of a service that reads or writes cold storage (the archiver writes, the thawer
 * restores): which backend, and the vault for the Glacier vault backend. Both services must
 * agree on them, so they are stated once here.
 */
export const coldStorageConfig = {
  COLD_STORAGE_BACKEND: Type.Enum(['s3-glacier', 'glacier-vault'], {
    default: 's3-glacier',
    description: 'cold storage backend',
  }),
  RESULTS_VAULT: Type.Optional(
    Type.String({ minLength: 1, description: 'Glacier vault name (glacier-vault backend only)' }),
  ),
};

/** The vault backend needs a vault name. */
export function checkColdStorageConfig(config: {
  COLD_STORAGE_BACKEND: 's3-glacier' | 'glacier-vault';
  RESULTS_VAULT?: string | undefined;
}): Array<{ key: string; problem: string }> {
  return config.COLD_STORAGE_BACKEND === 'glacier-vault' && !config.RESULTS_VAULT
    ? [{ key: 'RESULTS_VAULT', problem: 'is missing (required when COLD_STORAGE_BACKEND is glacier-vault)' }]
    : [];
}
