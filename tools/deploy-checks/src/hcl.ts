/**
 * Reading Terraform without terraform: every `.tf` file of a module directory is parsed by
 * HashiCorp's own HCL parser compiled to WebAssembly (`@cdktf/hcl2json`, offline), into the
 * JSON shape of Terraform's JSON syntax. Attribute values that are expressions come back as
 * their source text (`"${aws_lb.main.arn}"`); `expressionAst` turns such a string into the
 * parser's syntax tree, which `references` walks (respecting `for` and `dynamic` iterator
 * names) and `hcl-eval.ts` evaluates.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { getExpressionAst, parse } from '@cdktf/hcl2json';
import type { ExpressionAst } from '@cdktf/hcl2json/lib/syntax-tree.js';
import { repoRoot } from './paths.ts';

export type Ast = ExpressionAst;
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type Body = { [key: string]: Json };

export class TerraformParseError extends Error {
  override name = 'TerraformParseError';
}

export interface TerraformFile {
  /** Path relative to the repository root, for messages. */
  path: string;
  json: Body;
}

/** The blocks of one module (all its `.tf` files), by kind. Bodies keep the file they came from. */
export interface TerraformModule {
  dir: string;
  files: TerraformFile[];
  resources: Map<string, Located>; // "aws_sqs_queue.queue"
  data: Map<string, Located>; // "data.aws_region.current"
  modules: Map<string, Located>; // "web"
  variables: Map<string, Located>;
  outputs: Map<string, Located>;
  locals: Map<string, { file: string; value: Json }>;
}

export interface Located {
  file: string;
  body: Body;
}

/** Every `.tf` file directly in `dir` (not subdirectories: those are other modules). */
export function terraformFilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.tf'))
    .sort()
    .map((name) => join(dir, name));
}

/** Every directory under terraform/ that holds `.tf` files (the root and each module). */
export function terraformModuleDirs(root = join(repoRoot, 'terraform')): string[] {
  const dirs: string[] = [];
  const walk = (dir: string) => {
    const entries = readdirSync(dir, { withFileTypes: true });
    if (entries.some((e) => e.isFile() && e.name.endsWith('.tf'))) dirs.push(dir);
    for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.')) walk(join(dir, e.name));
  };
  walk(root);
  return dirs;
}

/** Parses one file; a syntax error names the file, line and column (the parser's message). */
export async function parseTerraformFile(path: string): Promise<TerraformFile> {
  const shown = relative(repoRoot, path);
  try {
    return { path: shown, json: (await parse(shown, readFileSync(path, 'utf8'))) as Body };
  } catch (err) {
    throw new TerraformParseError(`${shown} does not parse: ${(err as Error).message}`, { cause: err });
  }
}

const cache = new Map<string, Promise<TerraformModule>>();

export function loadModule(dir: string): Promise<TerraformModule> {
  let loaded = cache.get(dir);
  if (!loaded) {
    loaded = readModule(dir);
    cache.set(dir, loaded);
  }
  return loaded;
}

async function readModule(dir: string): Promise<TerraformModule> {
  const files = await Promise.all(terraformFilesIn(dir).map(parseTerraformFile));
  const mod: TerraformModule = {
    dir,
    files,
    resources: new Map(),
    data: new Map(),
    modules: new Map(),
    variables: new Map(),
    outputs: new Map(),
    locals: new Map(),
  };
  const declare = (map: Map<string, Located>, key: string, file: string, bodies: Json) => {
    if (map.has(key))
      throw new TerraformParseError(`${file}: "${key}" is declared twice (also in ${map.get(key)!.file})`);
    map.set(key, { file, body: firstBody(bodies) });
  };
  for (const { path, json } of files) {
    for (const [type, byName] of Object.entries(asObject(json.resource)))
      for (const [name, bodies] of Object.entries(asObject(byName)))
        declare(mod.resources, `${type}.${name}`, path, bodies);
    for (const [type, byName] of Object.entries(asObject(json.data)))
      for (const [name, bodies] of Object.entries(asObject(byName)))
        declare(mod.data, `data.${type}.${name}`, path, bodies);
    for (const [name, bodies] of Object.entries(asObject(json.module)))
      declare(mod.modules, name, path, bodies);
    for (const [name, bodies] of Object.entries(asObject(json.variable)))
      declare(mod.variables, name, path, bodies);
    for (const [name, bodies] of Object.entries(asObject(json.output)))
      declare(mod.outputs, name, path, bodies);
    for (const block of asArray(json.locals)) {
      for (const [name, value] of Object.entries(asObject(block))) {
        if (mod.locals.has(name)) throw new TerraformParseError(`${path}: local "${name}" is declared twice`);
        mod.locals.set(name, { file: path, value });
      }
    }
  }
  return mod;
}

export function asObject(value: Json | undefined): { [key: string]: Json } {
  return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
}

export function asArray(value: Json | undefined): Json[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

/** hcl2json gives each block as a one-element array of bodies. */
export function firstBody(value: Json | undefined): Body {
  return asObject(Array.isArray(value) ? value[0] : value);
}

// ---------------------------------------------------------------------------------------------
// Expressions
// ---------------------------------------------------------------------------------------------

/** True when a string from hcl2json holds an expression or template rather than a literal. */
export function isExpression(value: string): boolean {
  return value.includes('${') || value.includes('%{');
}

const astCache = new Map<string, Promise<Ast | null>>();

/**
 * The syntax tree of an attribute value as hcl2json printed it: `${expr}` (the whole value is
 * one expression) parses as `expr`; anything else is a template and parses inside quotes.
 */
export function expressionAst(value: string, file = 'expression.tf'): Promise<Ast | null> {
  const source = wholeInterpolation(value) ?? `"${value}"`;
  let ast = astCache.get(source);
  if (!ast) {
    ast = getExpressionAst(file, source).catch((err: Error) => {
      throw new TerraformParseError(`${file}: cannot read the expression ${value}: ${err.message}`, {
        cause: err,
      });
    }) as Promise<Ast | null>;
    astCache.set(source, ast);
  }
  return ast;
}

/** Parses HCL expression source (no `${}` wrapper), e.g. the sub-expressions in AST metadata. */
export function sourceAst(source: string, file = 'expression.tf'): Promise<Ast | null> {
  return expressionAst(`\${${source}}`, file);
}

/** `"${a.b}"` -> `a.b` when one interpolation spans the whole string, else null. */
function wholeInterpolation(value: string): string | null {
  if (!value.startsWith('${') || !value.endsWith('}')) return null;
  let depth = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0 && i !== value.length - 1) return null;
    }
  }
  return depth === 0 ? value.slice(2, -1) : null;
}

export interface Reference {
  /** Dotted traversal as written, index keys as `["key"]` / `[0]` (e.g. `aws_sqs_queue.queue["x"].arn`). */
  text: string;
  /** Traversal segments: names, and index keys already unquoted. */
  parts: { name?: string; index?: string | number }[];
}

/**
 * Every scope traversal in a tree that is not one of the iterator names bound around it
 * (`for` expressions' key/value names, `dynamic` block labels given in `bound`).
 */
export function referencesIn(ast: Ast | null, bound: ReadonlySet<string> = new Set()): Reference[] {
  const found: Reference[] = [];
  const visit = (node: Ast | null | undefined, scope: ReadonlySet<string>) => {
    if (!node) return;
    if (node.type === 'scopeTraversal') {
      const meta = node.meta as { traversal: { type: string; segment: string }[] };
      const parts = meta.traversal.map((t) =>
        t.type === 'nameTraversal' ? { name: t.segment } : { index: indexKey(t.segment) },
      );
      if (parts[0]?.name && !scope.has(parts[0].name))
        found.push({ text: (node.meta as { value: string }).value, parts });
      return;
    }
    let inner = scope;
    if (node.type === 'for') {
      const meta = node.meta as { keyVar: string; valVar: string };
      inner = new Set([...scope, meta.keyVar, meta.valVar].filter(Boolean));
      // The collection is evaluated outside the loop's names.
      visit(node.children[0], scope);
      for (const child of node.children.slice(1)) visit(child, inner);
      return;
    }
    for (const child of node.children ?? []) visit(child, inner);
  };
  visit(ast, bound);
  return found;
}

function indexKey(segment: string): string | number {
  if (segment.startsWith('"') && segment.endsWith('"')) return JSON.parse(segment) as string;
  const n = Number(segment);
  return Number.isInteger(n) ? n : segment;
}

export interface FoundReference extends Reference {
  file: string;
  /** Where in the file's JSON the expression sits, e.g. `resource.aws_lb.main.subnets`. */
  at: string;
}

/** Attributes whose value is a list of attribute names, not of references. */
const notExpressions = new Set(['lifecycle.ignore_changes']);

/** `variable "x" { type = ... }` holds a type constraint (`string`, `object({...})`), not a value. */
function isTypeConstraint(at: string, key: string): boolean {
  return key === 'type' && /^\.variable\.[^.]+$/.test(at);
}

/**
 * Walks every value of every block and collects the references, with `dynamic "x"` labels
 * (and their `iterator` names) bound inside their `content`.
 */
export async function moduleReferences(mod: TerraformModule): Promise<FoundReference[]> {
  const out: FoundReference[] = [];
  const pending: Promise<void>[] = [];
  const walk = (value: Json, file: string, at: string, bound: ReadonlySet<string>) => {
    if (typeof value === 'string') {
      if (!isExpression(value)) return;
      pending.push(
        expressionAst(value, file).then((ast) => {
          for (const ref of referencesIn(ast, bound)) out.push({ ...ref, file, at });
        }),
      );
      return;
    }
    if (Array.isArray(value)) {
      for (const item of value) walk(item, file, at, bound);
      return;
    }
    if (value && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (key === 'dynamic') {
          for (const [label, blocks] of Object.entries(asObject(child))) {
            for (const block of asArray(blocks)) {
              const body = asObject(block);
              const iterator = typeof body.iterator === 'string' ? body.iterator : label;
              for (const [k, v] of Object.entries(body)) {
                walk(
                  v,
                  file,
                  `${at}.dynamic.${label}.${k}`,
                  k === 'content' ? new Set([...bound, iterator]) : bound,
                );
              }
            }
          }
        } else if (
          !notExpressions.has(`${at}.${key}`.split('.').slice(-2).join('.')) &&
          !isTypeConstraint(at, key)
        ) {
          walk(child, file, `${at}.${key}`, bound);
        }
      }
    }
  };
  for (const { path, json } of mod.files) walk(json, path, '', new Set());
  await Promise.all(pending);
  return out;
}
