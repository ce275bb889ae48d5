/**
 * SNS subscription filter policies. A policy is a JSON object: every key must match (AND), and a
 * key matches when any of its conditions does (OR). Conditions: an exact string or number, or an
 * object with one operator: `prefix`, `suffix`, `equals-ignore-case`, `anything-but` (value,
 * list, or `{prefix}`), `numeric` (`["=", 5]`, `[">", 0, "<=", 10]`), `exists` (true/false).
 *
 * Scope `MessageAttributes` (the default) matches message attributes (String, Number, and
 * String.Array whose elements match one by one); scope `MessageBody` matches the JSON message,
 * nested keys as nested policy objects. Operators AWS has that are not listed here (`cidr`,
 * `wildcard`, `$or`) are refused when the policy is set, so no delivery is ever filtered wrongly.
 */

export type FilterScope = 'MessageAttributes' | 'MessageBody';

export class FilterPolicyError extends Error {
  override name = 'FilterPolicyError';
}

const OPERATORS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'numeric', 'exists']);
const NUMERIC_OPS = new Set(['=', '<', '<=', '>', '>=']);

function validateConditions(path: string, conditions: unknown): void {
  if (!Array.isArray(conditions)) {
    if (conditions !== null && typeof conditions === 'object') {
      for (const [k, v] of Object.entries(conditions)) validateConditions(`${path}.${k}`, v);
      return;
    }
    throw new FilterPolicyError(`${path}: match conditions must be an array`);
  }
  for (const c of conditions) {
    if (typeof c === 'string' || typeof c === 'number' || c === null) continue;
    if (typeof c !== 'object' || Array.isArray(c))
      throw new FilterPolicyError(`${path}: unsupported condition ${JSON.stringify(c)}`);
    const keys = Object.keys(c as object);
    if (keys.length !== 1 || !OPERATORS.has(keys[0] ?? '')) {
      throw new FilterPolicyError(
        `${path}: Unrecognized match type ${keys.join(',')} (devcloud supports ${[...OPERATORS].join(', ')})`,
      );
    }
    const op = keys[0] as string;
    const arg = (c as Record<string, unknown>)[op];
    if (op === 'numeric') {
      if (!Array.isArray(arg) || arg.length % 2 !== 0 || arg.length === 0)
        throw new FilterPolicyError(`${path}: numeric needs [operator, number, ...]`);
      for (let i = 0; i < arg.length; i += 2) {
        if (!NUMERIC_OPS.has(String(arg[i])) || typeof arg[i + 1] !== 'number')
          throw new FilterPolicyError(`${path}: bad numeric condition ${JSON.stringify(arg)}`);
      }
    }
    if (op === 'exists' && typeof arg !== 'boolean')
      throw new FilterPolicyError(`${path}: exists must be true or false`);
  }
}

/** Parses and validates a FilterPolicy attribute value. */
export function parseFilterPolicy(json: string): Record<string, unknown> {
  let policy: unknown;
  try {
    policy = JSON.parse(json);
  } catch {
    throw new FilterPolicyError('failed to parse JSON');
  }
  if (policy === null || typeof policy !== 'object' || Array.isArray(policy))
    throw new FilterPolicyError('the policy must be a JSON object');
  if ('$or' in policy) throw new FilterPolicyError('$or is not supported by devcloud');
  for (const [k, v] of Object.entries(policy)) validateConditions(k, v);
  return policy as Record<string, unknown>;
}

function numericMatch(value: number, args: unknown[]): boolean {
  for (let i = 0; i < args.length; i += 2) {
    const bound = args[i + 1] as number;
    const ok = {
      '=': value === bound,
      '<': value < bound,
      '<=': value <= bound,
      '>': value > bound,
      '>=': value >= bound,
    }[String(args[i])];
    if (!ok) return false;
  }
  return true;
}

/** One scalar value against one condition. */
function conditionMatches(condition: unknown, value: string | number): boolean {
  if (typeof condition === 'string') return typeof value === 'string' && value === condition;
  if (typeof condition === 'number') return Number(value) === condition;
  if (condition === null || typeof condition !== 'object') return false;
  const [op, arg] = Object.entries(condition)[0] as [string, unknown];
  const text = String(value);
  switch (op) {
    case 'prefix':
      return text.startsWith(String(arg));
    case 'suffix':
      return text.endsWith(String(arg));
    case 'equals-ignore-case':
      return text.toLowerCase() === String(arg).toLowerCase();
    case 'numeric':
      return !Number.isNaN(Number(value)) && numericMatch(Number(value), arg as unknown[]);
    case 'anything-but': {
      if (arg !== null && typeof arg === 'object' && !Array.isArray(arg)) {
        const prefix = (arg as Record<string, unknown>).prefix;
        return typeof prefix === 'string' ? !text.startsWith(prefix) : true;
      }
      const excluded = Array.isArray(arg) ? arg : [arg];
      return !excluded.some((e) => (typeof e === 'number' ? Number(value) === e : text === String(e)));
    }
    default:
      return false;
  }
}

/** A key's conditions against the values found for it (undefined = the key is absent). */
function keyMatches(conditions: unknown[], values: Array<string | number> | undefined): boolean {
  return conditions.some((c) => {
    if (c !== null && typeof c === 'object' && 'exists' in c)
      return (c as { exists: boolean }).exists === (values !== undefined);
    if (values === undefined) return false;
    return values.some((v) => conditionMatches(c, v));
  });
}

function bodyMatches(policy: Record<string, unknown>, doc: unknown): boolean {
  return Object.entries(policy).every(([key, conditions]) => {
    const value = doc !== null && typeof doc === 'object' ? (doc as Record<string, unknown>)[key] : undefined;
    if (!Array.isArray(conditions)) return bodyMatches(conditions as Record<string, unknown>, value);
    if (value === undefined) return keyMatches(conditions, undefined);
    const values = (Array.isArray(value) ? value : [value]).filter(
      (v): v is string | number => typeof v === 'string' || typeof v === 'number',
    );
    return keyMatches(conditions, values);
  });
}

/** True when the message passes the policy (a subscription without a policy gets everything). */
export function passesFilter(
  policy: Record<string, unknown>,
  scope: FilterScope,
  message: string,
  attributes: Record<string, { Type: string; Value: string }>,
): boolean {
  if (scope === 'MessageBody') {
    let doc: unknown;
    try {
      doc = JSON.parse(message);
    } catch {
      return false;
    }
    return bodyMatches(policy, doc);
  }
  return Object.entries(policy).every(([key, conditions]) => {
    const attr = attributes[key];
    if (!Array.isArray(conditions)) return false; // nested keys only exist in the MessageBody scope
    if (!attr) return keyMatches(conditions, undefined);
    let values: Array<string | number> = [attr.Value];
    if (attr.Type === 'String.Array') {
      try {
        const parsed = JSON.parse(attr.Value) as unknown;
        values = Array.isArray(parsed)
          ? parsed.filter((v): v is string | number => typeof v === 'string' || typeof v === 'number')
          : [];
      } catch {
        values = [];
      }
    } else if (attr.Type.startsWith('Number')) values = [Number(attr.Value)];
    return keyMatches(conditions, values);
  });
}
