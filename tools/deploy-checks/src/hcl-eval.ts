/**
 * A small evaluator of Terraform expressions, enough to compute what a configuration declares
 * from its literal inputs: variables (given or defaulted), locals, `jsondecode(file(...))` of
 * resources.json, `for` expressions, templates, the collection functions this repo uses, and
 * `for_each`/`count` expansion of resources. Whatever only AWS knows (an ARN, an id, a data
 * source) evaluates to `unknown`, which propagates like Terraform's "known after apply".
 *
 * Strict where it matters: indexing a fully known object with a key it lacks is an error that
 * names the expression and the key. So evaluating every attribute of every resource instance
 * (`planModule`) catches `aws_sqs_queue.queue["annotatorJobRequest"]` (no such queue in
 * resources.json) or `local.resources.tables.job` before anyone runs `terraform plan`.
 *
 * Not a full HCL implementation: template directives (`%{ if }`), provider functions and
 * type conversion rules beyond the obvious are not modelled; an unsupported construct is an
 * error, not a silent guess.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Ast,
  asArray,
  asObject,
  type Body,
  expressionAst,
  isExpression,
  type Json,
  loadModule,
  sourceAst,
  type TerraformModule,
} from './hcl.ts';

export const unknown: unique symbol = Symbol('known after apply');
export type Value = typeof unknown | string | number | boolean | null | Value[] | { [key: string]: Value };
type Scope = ReadonlyMap<string, Value>;

export class HclEvalError extends Error {
  override name = 'HclEvalError';
}

const isObject = (v: Value): v is { [key: string]: Value } =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** True when a value (deeply) contains nothing unknown. */
export function isKnown(v: Value): boolean {
  if (v === unknown) return false;
  if (Array.isArray(v)) return v.every(isKnown);
  if (isObject(v)) return Object.values(v).every(isKnown);
  return true;
}

/**
 * In symbolic mode what AWS would fill in reads as `«address.attribute»` instead of
 * `unknown`, e.g. `«aws_s3_bucket.bucket["inputs"].arn»/*`: an IAM statement's resources
 * then say which declared resource they point at.
 */
export interface EvaluatorOptions {
  symbolic?: boolean;
}

const isSymbol = (v: Value): v is string => typeof v === 'string' && v.startsWith('«') && v.endsWith('»');

/** Symbols (values given by a symbolic caller) read as `unknown`. */
function opaque(v: Value): Value {
  if (isSymbol(v)) return unknown;
  if (Array.isArray(v)) return v.map(opaque);
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, opaque(x)]));
  return v;
}

export class Evaluator {
  readonly mod: TerraformModule;
  readonly vars: Record<string, Value>;
  readonly symbolic: boolean;
  private readonly locals = new Map<string, Promise<Value>>();

  constructor(mod: TerraformModule, vars: Record<string, Value> = {}, options: EvaluatorOptions = {}) {
    this.mod = mod;
    this.vars = vars;
    this.symbolic = options.symbolic ?? false;
  }

  /**
   * The same configuration with every value AWS fills in unknown (no symbols): what Terraform
   * knows at plan time, which is what `count` and `for_each` may depend on.
   */
  planTime(): Evaluator {
    return new Evaluator(this.mod, opaque(this.vars) as Record<string, Value>);
  }

  /** Evaluates an attribute value as hcl2json gives it (literal JSON, or an expression string). */
  async value(json: Json, scope: Scope = new Map(), file = 'expression.tf'): Promise<Value> {
    if (typeof json === 'string') {
      if (!isExpression(json)) return json;
      const ast = await expressionAst(json, file);
      if (!ast) throw new HclEvalError(`${file}: empty expression ${json}`);
      return this.ast(ast, scope, file);
    }
    if (Array.isArray(json)) return Promise.all(json.map((item) => this.value(item, scope, file)));
    if (json && typeof json === 'object') {
      const out: { [key: string]: Value } = {};
      for (const [k, v] of Object.entries(json)) out[k] = await this.value(v, scope, file);
      return out;
    }
    return json;
  }

  local(name: string): Promise<Value> {
    let v = this.locals.get(name);
    if (!v) {
      const declared = this.mod.locals.get(name);
      if (!declared) throw new HclEvalError(`no local "${name}"`);
      v = this.value(declared.value, new Map(), declared.file);
      this.locals.set(name, v);
    }
    return v;
  }

  variable(name: string): Value {
    const declared = this.mod.variables.get(name);
    const given = name in this.vars ? this.vars[name]! : undefined;
    // `nullable = false`: a null given for the variable takes its default, as in Terraform.
    const nullTakesDefault = given === null && declared?.body.nullable === false;
    if (given !== undefined && !nullTakesDefault) return given;
    if (!declared) throw new HclEvalError(`no variable "${name}"`);
    return 'default' in declared.body ? (declared.body.default as Value) : unknown;
  }

  private source(source: string, scope: Scope, file: string): Promise<Value> {
    return sourceAst(source, file).then((ast) => {
      if (!ast) throw new HclEvalError(`${file}: empty expression ${source}`);
      return this.ast(ast, scope, file);
    });
  }

  async ast(node: Ast, scope: Scope, file: string): Promise<Value> {
    const meta = node.meta as unknown as Record<string, unknown>;
    const text = String(meta?.value ?? '');
    const child = (i: number) => this.ast(node.children[i]!, scope, file);
    switch (node.type) {
      case 'literalValue':
        return literal(meta.type as string, meta.value as string);
      case 'template': {
        const parts = await Promise.all(node.children.map((c) => this.ast(c, scope, file)));
        if (parts.some((p) => p === unknown)) return unknown;
        return parts.map((p) => templatePart(p, text, file)).join('');
      }
      case 'templateWrap':
        return child(0);
      case 'tuple':
        return Promise.all(node.children.map((c) => this.ast(c, scope, file)));
      case 'object': {
        const out: { [key: string]: Value } = {};
        for (const [keySource, valueSource] of Object.entries(meta.items as Record<string, string>)) {
          const key = await this.objectKey(keySource, scope, file);
          if (key === unknown) return unknown;
          out[String(key)] = await this.source(valueSource, scope, file);
        }
        return out;
      }
      case 'scopeTraversal':
        return this.traversal(meta.traversal as Segment[], scope, file, text);
      case 'relativeTraversal':
        return this.walk(await child(0), meta.traversal as Segment[], file, text);
      case 'index': {
        const [collection, key] = await Promise.all([child(0), child(1)]);
        return this.step(collection, key, file, text);
      }
      case 'splat': {
        const source = await child(0);
        if (source === unknown) return unknown;
        const items = Array.isArray(source) ? source : source === null ? [] : [source];
        const each = node.children[1];
        const traversal = (each?.meta as unknown as { traversal?: Segment[] })?.traversal ?? [];
        return Promise.all(items.map((item) => this.walk(item, traversal, file, text)));
      }
      case 'function':
        return this.call(node, scope, file, text);
      case 'for':
        return this.forExpression(node, scope, file);
      case 'conditional': {
        const condition = await child(0);
        if (condition === unknown) return unknown;
        return condition ? child(1) : child(2);
      }
      case 'binaryOp':
        return binary(meta.operator as string, await child(0), await child(1), text, file);
      case 'unaryOp': {
        const v = await child(0);
        if (v === unknown) return unknown;
        if (meta.operator === 'logicalNot') return !v;
        if (meta.operator === 'negate') return -Number(v);
        throw new HclEvalError(`${file}: unsupported operator ${meta.operator} in ${text}`);
      }
      case 'parenthesis':
        return child(0);
      default:
        if (node.children.length === 1 && !node.type) return child(0);
        throw new HclEvalError(`${file}: cannot evaluate ${node.type || 'expression'} ${text}`);
    }
  }

  private async objectKey(keySource: string, scope: Scope, file: string): Promise<Value> {
    if (/^[A-Za-z_][\w-]*$/.test(keySource)) return keySource;
    if (keySource.startsWith('(') && keySource.endsWith(')'))
      return this.source(keySource.slice(1, -1), scope, file);
    return this.source(keySource, scope, file);
  }

  private async traversal(segments: Segment[], scope: Scope, file: string, text: string): Promise<Value> {
    const [root, ...rest] = segments;
    const name = root!.segment;
    if (scope.has(name)) return this.walk(scope.get(name)!, rest, file, text);
    const second = rest[0]?.segment;
    switch (name) {
      case 'var':
        return this.walk(this.variable(second!), rest.slice(1), file, text);
      case 'local':
        return this.walk(await this.local(second!), rest.slice(1), file, text);
      case 'path':
        return second === 'module' ? this.mod.dir : unknown;
      case 'each':
      case 'count':
        throw new HclEvalError(`${file}: ${text} is used outside for_each/count`);
      case 'data': {
        const address = `data.${second}.${rest[1]?.segment}`;
        const source = this.mod.data.get(address);
        if (!source) throw new HclEvalError(`${file}: ${text}: no data block ${address}`);
        return this.walk(
          await this.resourceShape(address, source.body, source.file),
          rest.slice(2),
          file,
          text,
        );
      }
      case 'module':
        return this.walk(await this.moduleShape(second!, file, text), rest.slice(1), file, text);
      case 'terraform':
      case 'self':
        return unknown;
      default: {
        const address = `${name}.${second}`;
        const resource = this.mod.resources.get(address);
        if (!resource) throw new HclEvalError(`${file}: ${text}: no resource ${address}`);
        return this.walk(
          await this.resourceShape(address, resource.body, resource.file),
          rest.slice(1),
          file,
          text,
        );
      }
    }
  }

  /** What `type.name` evaluates to before apply: an object by for_each key, a list by count, else unknown. */
  private async resourceShape(address: string, body: Body, file: string): Promise<Value> {
    const instance = (key: string | number | null): Value =>
      this.symbolic ? `«${address}${key === null ? '' : `[${JSON.stringify(key)}]`}»` : unknown;
    if ('for_each' in body) {
      const keys = await this.value(body.for_each!, new Map(), file);
      if (keys === unknown) return unknown;
      const names = Array.isArray(keys) ? keys.map(String) : Object.keys(asValueObject(keys, file));
      return Object.fromEntries(names.map((k) => [k, instance(k)]));
    }
    if ('count' in body) {
      const n = await this.value(body.count!, new Map(), file);
      return typeof n === 'number' ? Array.from({ length: n }, (_, i) => instance(i)) : unknown;
    }
    return instance(null);
  }

  /**
   * What `module.name` evaluates to before apply: each instance (by for_each key or count
   * index, or the one instance) is an object of the child module's declared outputs, so a
   * reference to an output the module lacks is an error like a missing map key.
   */
  private async moduleShape(name: string, file: string, text: string): Promise<Value> {
    const call = this.mod.modules.get(name);
    if (!call) throw new HclEvalError(`${file}: ${text}: no module "${name}"`);
    const child = await loadModule(join(this.mod.dir, String(call.body.source)));
    const instance = (key: string | number | null): Value => {
      const address = `module.${name}${key === null ? '' : `[${JSON.stringify(key)}]`}`;
      return Object.fromEntries(
        [...child.outputs.keys()].map((output) => [
          output,
          this.symbolic ? `«${address}.${output}»` : unknown,
        ]),
      );
    };
    if ('for_each' in call.body) {
      const keys = await this.value(call.body.for_each!, new Map(), call.file);
      if (keys === unknown) return unknown;
      const names = Array.isArray(keys) ? keys.map(String) : Object.keys(asValueObject(keys, call.file));
      return Object.fromEntries(names.map((k) => [k, instance(k)]));
    }
    if ('count' in call.body) {
      const n = await this.value(call.body.count!, new Map(), call.file);
      return typeof n === 'number' ? Array.from({ length: n }, (_, i) => instance(i)) : unknown;
    }
    return instance(null);
  }

  private async walk(start: Value, segments: Segment[], file: string, text: string): Promise<Value> {
    let v = start;
    for (const s of segments) {
      v = this.step(v, s.type === 'indexTraversal' ? indexKey(s.segment) : s.segment, file, text);
    }
    return v;
  }

  private step(v: Value, key: Value, file: string, text: string): Value {
    if (v === unknown || key === unknown) return unknown;
    if (isSymbol(v)) return `${v.slice(0, -1)}${typeof key === 'number' ? `[${key}]` : `.${String(key)}`}»`;
    if (Array.isArray(v)) {
      const i = Number(key);
      if (!Number.isInteger(i) || i < 0 || i >= v.length)
        throw new HclEvalError(`${file}: ${text}: index ${String(key)} is out of range (${v.length} items)`);
      return v[i]!;
    }
    if (isObject(v)) {
      const k = String(key);
      if (!(k in v))
        throw new HclEvalError(
          `${file}: ${text}: no key "${k}" (has: ${Object.keys(v).join(', ') || 'none'})`,
        );
      return v[k]!;
    }
    throw new HclEvalError(
      `${file}: ${text}: cannot read "${String(key)}" of a ${v === null ? 'null' : typeof v}`,
    );
  }

  private async forExpression(node: Ast, scope: Scope, file: string): Promise<Value> {
    const meta = node.meta as unknown as {
      keyVar: string;
      valVar: string;
      collectionExpression: string;
      keyExpression: string;
      valueExpression: string;
      conditionalExpression: string;
      openRangeValue: string;
      groupedValue: boolean;
      value: string;
    };
    const collection = await this.source(meta.collectionExpression, scope, file);
    if (collection === unknown) return unknown;
    const entries: [Value, Value][] = Array.isArray(collection)
      ? collection.map((v, i) => [i, v])
      : Object.entries(asValueObject(collection, file));
    const asObjectResult = meta.openRangeValue === '{';
    const out: { [key: string]: Value } = {};
    const list: Value[] = [];
    for (const [k, v] of entries) {
      const inner = new Map(scope);
      if (meta.keyVar) inner.set(meta.keyVar, k);
      inner.set(meta.valVar, v);
      if (meta.conditionalExpression) {
        const keep = await this.source(meta.conditionalExpression, inner, file);
        if (keep === unknown) return unknown;
        if (!keep) continue;
      }
      const value = await this.source(meta.valueExpression, inner, file);
      if (asObjectResult) {
        const key = await this.source(meta.keyExpression, inner, file);
        if (key === unknown) return unknown;
        if (meta.groupedValue) {
          const group = (out[String(key)] as Value[] | undefined) ?? [];
          group.push(value);
          out[String(key)] = group;
        } else {
          if (String(key) in out)
            throw new HclEvalError(`${file}: duplicate key "${String(key)}" in ${meta.value}`);
          out[String(key)] = value;
        }
      } else {
        list.push(value);
      }
    }
    return asObjectResult ? out : list;
  }

  private async call(node: Ast, scope: Scope, file: string, text: string): Promise<Value> {
    const meta = node.meta as unknown as { name: string; expandedFinalArgument: boolean };
    let args = await Promise.all(node.children.map((c) => this.ast(c, scope, file)));
    if (meta.expandedFinalArgument) {
      const last = args.pop()!;
      if (last === unknown) return unknown;
      args = [...args, ...(last as Value[])];
    }
    const fn = functions[meta.name];
    if (!fn) throw new HclEvalError(`${file}: function ${meta.name}() is not modelled (in ${text})`);
    if (meta.name !== 'file' && meta.name !== 'try' && args.some((a) => a === unknown)) return unknown;
    // A symbol stands for a value only AWS knows: functions that look inside it cannot answer.
    if (inspectsItsArguments.has(meta.name) && args.some(isSymbol)) return unknown;
    // Deduplicating or ordering needs every element (Terraform answers unknown otherwise).
    if (needsKnownElements.has(meta.name) && !args.every(isKnown)) return unknown;
    return fn(args, { dir: this.mod.dir, file, text });
  }
}

type Segment = { type: 'nameTraversal' | 'indexTraversal'; segment: string };

function indexKey(segment: string): Value {
  if (segment.startsWith('"')) return JSON.parse(segment) as string;
  const n = Number(segment);
  return Number.isFinite(n) ? n : segment;
}

function literal(type: string, value: string): Value {
  if (type === 'number') return Number(value);
  if (type === 'bool') return value === 'true';
  if (type === 'string') return value;
  return null;
}

function templatePart(v: Value, text: string, file: string): string {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new HclEvalError(
    `${file}: ${text}: a ${v === null ? 'null' : Array.isArray(v) ? 'list' : 'map'} inside a string`,
  );
}

function asValueObject(v: Value, file: string): { [key: string]: Value } {
  if (isObject(v)) return v;
  throw new HclEvalError(`${file}: expected a map, got ${JSON.stringify(v)}`);
}

function binary(op: string, a: Value, b: Value, text: string, file: string): Value {
  if (op === 'logicalAnd' && a === false) return false;
  if (op === 'logicalOr' && a === true) return true;
  if (a === unknown || b === unknown) return unknown;
  const n = (v: Value) => Number(v);
  switch (op) {
    case 'equal':
      return JSON.stringify(a) === JSON.stringify(b);
    case 'notEqual':
      return JSON.stringify(a) !== JSON.stringify(b);
    case 'add':
      return n(a) + n(b);
    case 'subtract':
      return n(a) - n(b);
    case 'multiply':
      return n(a) * n(b);
    case 'divide':
      return n(a) / n(b);
    case 'modulo':
      return n(a) % n(b);
    case 'greaterThan':
      return n(a) > n(b);
    case 'greaterThanOrEqual':
      return n(a) >= n(b);
    case 'lessThan':
      return n(a) < n(b);
    case 'lessThanOrEqual':
      return n(a) <= n(b);
    case 'logicalAnd':
      return Boolean(a) && Boolean(b);
    case 'logicalOr':
      return Boolean(a) || Boolean(b);
    default:
      throw new HclEvalError(`${file}: unsupported operator ${op} in ${text}`);
  }
}

const inspectsItsArguments = new Set([
  'slice',
  'split',
  'length',
  'index',
  'contains',
  'keys',
  'values',
  'flatten',
  'distinct',
  'sort',
  'toset',
  'lookup',
  'element',
  'tonumber',
  'jsondecode',
  'replace',
  'regex',
  'can',
  'cidrsubnet',
]);

const needsKnownElements = new Set(['distinct', 'toset', 'sort', 'index', 'contains']);

type Fn = (args: Value[], at: { dir: string; file: string; text: string }) => Value;
const list = (v: Value): Value[] => (Array.isArray(v) ? v : isObject(v) ? Object.values(v) : [v]);
const sortedUnique = (items: Value[]) => [...new Set(items.map(String))].sort();

const functions: Record<string, Fn> = {
  file: ([path], at) => {
    if (path === unknown) return unknown;
    try {
      return readFileSync(join(String(path)), 'utf8');
    } catch (err) {
      throw new HclEvalError(
        `${at.file}: ${at.text}: cannot read ${String(path)}: ${(err as Error).message}`,
      );
    }
  },
  jsondecode: ([text]) => JSON.parse(String(text)) as Value,
  jsonencode: ([v]) => JSON.stringify(v),
  keys: ([v], at) => Object.keys(asValueObject(v!, at.file)).sort(),
  values: ([v], at) => {
    const o = asValueObject(v!, at.file);
    return Object.keys(o)
      .sort()
      .map((k) => o[k]!);
  },
  length: ([v]) => (typeof v === 'string' ? v.length : list(v!).length),
  sort: ([v]) => list(v!).map(String).sort(),
  distinct: ([v]) =>
    list(v!).filter((x, i, all) => all.findIndex((y) => JSON.stringify(y) === JSON.stringify(x)) === i),
  concat: (args) => args.flatMap((a) => list(a)),
  flatten: ([v]) => (list(v!) as Value[]).flat(Number.POSITIVE_INFINITY as 1) as Value[],
  merge: (args, at) =>
    Object.assign({}, ...args.filter((a) => a !== null).map((a) => asValueObject(a, at.file))),
  toset: ([v]) => sortedUnique(list(v!)),
  tolist: ([v]) => list(v!),
  tomap: ([v], at) => asValueObject(v!, at.file),
  tostring: ([v]) => String(v),
  tonumber: ([v]) => Number(v),
  index: ([l, v], at) => {
    const i = list(l!).findIndex((x) => JSON.stringify(x) === JSON.stringify(v));
    if (i < 0) throw new HclEvalError(`${at.file}: ${at.text}: ${JSON.stringify(v)} is not in the list`);
    return i;
  },
  contains: ([l, v]) => list(l!).some((x) => JSON.stringify(x) === JSON.stringify(v)),
  lookup: ([m, k, d], at) => {
    const o = asValueObject(m!, at.file);
    return String(k) in o ? o[String(k)]! : (d ?? null);
  },
  slice: ([l, from, to]) => list(l!).slice(Number(from), Number(to)),
  split: ([sep, s]) => String(s).split(String(sep)),
  join: ([sep, l]) => list(l!).map(String).join(String(sep)),
  replace: ([s, find, by]) => String(s).split(String(find)).join(String(by)),
  lower: ([s]) => String(s).toLowerCase(),
  upper: ([s]) => String(s).toUpperCase(),
  format: ([f, ...rest]) => {
    let i = 0;
    return String(f).replace(/%[sd]/g, () => String(rest[i++]));
  },
  cidrsubnet: () => unknown,
  can: () => unknown,
  regex: () => unknown,
  try: (args) => args.find((a) => a !== unknown) ?? unknown,
  floor: ([v]) => Math.floor(Number(v)),
  ceil: ([v]) => Math.ceil(Number(v)),
  min: (args) => Math.min(...args.map(Number)),
  max: (args) => Math.max(...args.map(Number)),
};

// ---------------------------------------------------------------------------------------------
// Planning: every resource instance with its attributes evaluated
// ---------------------------------------------------------------------------------------------

export interface PlannedInstance {
  /** e.g. `aws_sqs_queue.queue["annotatorJobRequests"]` */
  address: string;
  type: string;
  name: string;
  key: string | number | null;
  attributes: { [key: string]: Value };
  file: string;
}

/**
 * Expands every resource by for_each/count and evaluates all of its attributes and nested
 * blocks (dynamic blocks expanded). Errors (a missing key, an unknown function) are collected
 * with the resource address, so one bad reference does not hide the others.
 */
export async function planModule(evaluator: Evaluator): Promise<{
  instances: PlannedInstance[];
  data: PlannedInstance[];
  modules: PlannedInstance[];
  errors: string[];
}> {
  const errors: string[] = [];
  const data: PlannedInstance[] = [];
  const instances: PlannedInstance[] = [];
  const modules: PlannedInstance[] = [];
  const guard = async <T>(address: string, work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await work();
    } catch (err) {
      if (!(err instanceof HclEvalError)) throw err;
      errors.push(`${address}: ${err.message}`);
      return undefined;
    }
  };
  const planTime = evaluator.planTime();
  /** Terraform refuses count/for_each that depend on values known only after apply. */
  const knownAtPlan = async (address: string, argument: 'count' | 'for_each', json: Json, file: string) => {
    const v = await planTime.value(json, new Map(), file);
    const keysKnown =
      v !== unknown && (argument === 'count' || isObject(v) || (Array.isArray(v) && v.every(isKnown)));
    if (!keysKnown)
      throw new HclEvalError(
        `${file}: ${argument} of ${address} depends on values known only after apply (${String(json)})`,
      );
  };
  const expand = async (
    address: string,
    body: Body,
    file: string,
  ): Promise<{ key: string | number | null; scope: Scope }[]> => {
    if ('for_each' in body) await knownAtPlan(address, 'for_each', body.for_each!, file);
    if ('count' in body) await knownAtPlan(address, 'count', body.count!, file);
    if ('for_each' in body) {
      const each = await evaluator.value(body.for_each!, new Map(), file);
      if (each === unknown)
        return [{ key: null, scope: new Map([['each', { key: unknown, value: unknown }]]) }];
      const entries: [string, Value][] = Array.isArray(each)
        ? each.map((v) => [String(v), v])
        : Object.entries(asValueObject(each, file));
      return entries.map(([key, value]) => ({ key, scope: new Map([['each', { key, value }]]) }));
    }
    if ('count' in body) {
      const n = await evaluator.value(body.count!, new Map(), file);
      if (typeof n !== 'number') return [{ key: null, scope: new Map([['count', { index: unknown }]]) }];
      return Array.from({ length: n }, (_, index) => ({
        key: index,
        scope: new Map([['count', { index }]]),
      }));
    }
    return [{ key: null, scope: new Map() }];
  };
  const block = async (body: Body, scope: Scope, file: string): Promise<{ [key: string]: Value }> => {
    const out: { [key: string]: Value } = {};
    for (const [k, v] of Object.entries(body)) {
      if (k === 'for_each' || k === 'count' || k === 'depends_on' || k === 'lifecycle' || k === 'provider')
        continue;
      if (k === 'dynamic') {
        for (const [label, blocks] of Object.entries(asObject(v))) {
          const dyn = asObject(asArray(blocks)[0]);
          const items = await evaluator.value(dyn.for_each!, scope, file);
          const iterator = typeof dyn.iterator === 'string' ? dyn.iterator : label;
          const generated: Value[] = [];
          if (items !== unknown) {
            const entries: [Value, Value][] = Array.isArray(items)
              ? items.map((item, i) => [i, item])
              : Object.entries(asValueObject(items, file));
            for (const [key, value] of entries) {
              const inner = new Map(scope).set(iterator, { key, value });
              generated.push(await block(asObject(asArray(dyn.content)[0]), inner, file));
            }
          }
          out[label] = [...((out[label] as Value[]) ?? []), ...generated];
        }
        continue;
      }
      if (
        Array.isArray(v) &&
        v.length > 0 &&
        v.every((b) => b && typeof b === 'object' && !Array.isArray(b))
      ) {
        // Nested blocks (hcl2json gives each as an array of bodies) or a list of objects. Blocks a
        // `dynamic` of the same type generated (hcl2json puts `dynamic` first) come after them.
        const nested = await Promise.all(v.map((b) => evalNested(b as Body, scope, file)));
        out[k] = [...nested, ...((out[k] as Value[] | undefined) ?? [])];
        continue;
      }
      out[k] = await evaluator.value(v, scope, file);
    }
    return out;
  };
  const evalNested = (b: Body, scope: Scope, file: string) => block(b, scope, file);

  for (const [address, { body, file }] of evaluator.mod.resources) {
    const [type, name] = address.split('.') as [string, string];
    await guard(address, async () => {
      for (const { key, scope } of await expand(address, body, file)) {
        const full = key === null ? address : `${address}[${JSON.stringify(key)}]`;
        const attributes = await guard(full, () => block(body, scope, file));
        if (attributes) instances.push({ address: full, type, name, key, attributes, file });
      }
    });
  }
  for (const [address, { body, file }] of evaluator.mod.data) {
    const [, type, name] = address.split('.') as [string, string, string];
    await guard(address, async () => {
      for (const { key, scope } of await expand(address, body, file)) {
        const full = key === null ? address : `${address}[${JSON.stringify(key)}]`;
        const attributes = await guard(full, () => block(body, scope, file));
        if (attributes) data.push({ address: full, type, name, key, attributes, file });
      }
    });
  }
  for (const [name, { body, file }] of evaluator.mod.modules) {
    const address = `module.${name}`;
    await guard(address, async () => {
      for (const { key, scope } of await expand(address, body, file)) {
        const full = key === null ? address : `${address}[${JSON.stringify(key)}]`;
        const attributes = await guard(full, () => block(body, scope, file));
        if (attributes) modules.push({ address: full, type: 'module', name, key, attributes, file });
      }
    });
  }
  for (const name of evaluator.mod.locals.keys()) await guard(`local.${name}`, () => evaluator.local(name));
  return { instances, data, modules, errors };
}
