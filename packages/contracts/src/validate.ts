/**
 * Validation with TypeBox's JIT compiler, one compiled validator per schema (cached).
 *
 * `parseWith` returns the value typed by the schema or throws `MessageValidationError`
 * whose issues carry JSON-pointer paths. TypeBox reports every branch of a union, which
 * buries the real problem; for unions built with `discriminatedUnion` the name of their tag
 * property is remembered, and errors are then reported against the branch the tag selects.
 */
import Type, { type Static, type TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import { MessageValidationError, type SchemaIssue } from './errors.ts';

const validators = new WeakMap<TSchema, Validator>();

function validatorOf(schema: TSchema): Validator {
  let validator = validators.get(schema);
  if (!validator) {
    validator = Compile(schema) as unknown as Validator;
    validators.set(schema, validator);
  }
  return validator;
}

/** Tag property of each union built by `discriminatedUnion`, kept beside the schema (not in
 * it) so the schema stays plain JSON Schema that Fastify's Ajv (strict mode) accepts. */
const discriminators = new WeakMap<TSchema, string>();

/**
 * A union of object schemas told apart by one literal property (`type`, `status`, `Type`).
 * Validates like `Type.Union`, but errors name the fields of the selected branch.
 */
export function discriminatedUnion<const Branches extends TSchema[]>(
  tag: string,
  branches: [...Branches],
  options: { $id?: string; title?: string; description?: string } = {},
) {
  const union = Type.Union(branches, options);
  discriminators.set(union, tag);
  return union;
}

function tagValues(branch: TSchema, tag: string): unknown[] {
  const property = (branch as { properties?: Record<string, { const?: unknown; enum?: unknown[] }> })
    .properties?.[tag];
  if (!property) return [];
  if ('const' in property) return [property.const];
  return property.enum ?? [];
}

/** The problems of `value` against `schema`, with JSON-pointer paths ('' = the value itself). */
export function issuesOf(schema: TSchema, value: unknown): SchemaIssue[] {
  const tag = discriminators.get(schema);
  const branches = (schema as { anyOf?: TSchema[] }).anyOf;
  if (typeof tag === 'string' && branches && typeof value === 'object' && value !== null) {
    const actual = (value as Record<string, unknown>)[tag];
    const branch = branches.find((candidate) => tagValues(candidate, tag).includes(actual));
    if (!branch) {
      const allowed = branches.flatMap((candidate) => tagValues(candidate, tag));
      return [
        {
          path: `/${tag}`,
          message: `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')} (got ${JSON.stringify(actual)})`,
        },
      ];
    }
    return issuesOf(branch, value);
  }
  return validatorOf(schema)
    .Errors(value)
    .flatMap((error) => {
      if (error.keyword === 'required') {
        const missing = (error.params as { requiredProperties: string[] }).requiredProperties;
        return missing.map((name) => ({ path: `${error.instancePath}/${name}`, message: 'is required' }));
      }
      if (error.keyword === 'additionalProperties') {
        const extra = (error.params as { additionalProperties: string[] }).additionalProperties;
        return extra.map((name) => ({ path: `${error.instancePath}/${name}`, message: 'is not allowed' }));
      }
      return [{ path: error.instancePath, message: error.message }];
    });
}

export function isValid<S extends TSchema>(schema: S, value: unknown): value is Static<S> {
  return validatorOf(schema).Check(value);
}

/**
 * Returns `value` typed by `schema`, or throws `MessageValidationError` naming `subject`
 * and the failing paths. The value is not copied or coerced.
 */
export function parseWith<S extends TSchema>(schema: S, value: unknown, subject: string): Static<S> {
  if (validatorOf(schema).Check(value)) return value as Static<S>;
  throw new MessageValidationError(subject, issuesOf(schema, value));
}

/** Parses JSON text, then validates; a JSON syntax error becomes a MessageValidationError too. */
export function parseJsonWith<S extends TSchema>(schema: S, text: string, subject: string): Static<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new MessageValidationError(
      subject,
      [{ path: '', message: `is not JSON (${(cause as Error).message})` }],
      {
        cause,
      },
    );
  }
  return parseWith(schema, value, subject);
}
