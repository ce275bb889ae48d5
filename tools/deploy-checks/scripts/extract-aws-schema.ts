/**
 * Writes src/aws-provider-schema.json: for every resource and data source type terraform/
 * uses, its argument names (with nested blocks, level by level) and its attribute names, as
 * published in the prebuilt AWS provider bindings for CDKTF (generated from the provider's
 * own schema; the version is recorded in the file). The tests check terraform/ against it,
 * since no terraform binary can fetch the provider schema here.
 *
 *   mkdir -p /tmp/pa && cd /tmp/pa && npm pack @cdktf/provider-aws@21.22.1 && tar xzf cdktf-provider-aws-*.tgz
 *   pnpm exec tsx tools/deploy-checks/scripts/extract-aws-schema.ts /tmp/pa/package
 *
 * Run it again when terraform/ starts using a type that is not in the file.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModule, terraformModuleDirs } from '../src/hcl.ts';

export interface BlockSchema {
  /** Argument name -> nested block schema (blocks) or null (plain arguments). */
  args: Record<string, BlockSchema | null>;
  /** Arguments and blocks the provider requires. */
  required: string[];
}
export interface TypeSchema extends BlockSchema {
  /** Attributes readable as `type.name.<attribute>` (arguments and computed attributes). */
  attributes: string[];
}

const packageDir = process.argv[2];
if (!packageDir) {
  process.stderr.write('usage: extract-aws-schema.ts <extracted @cdktf/provider-aws package folder>\n');
  process.exit(2);
}
const lib = join(packageDir, 'lib');
const providerVersion = /hashicorp\/aws\/(\d+\.\d+\.\d+)\//.exec(
  readFileSync(join(lib, 'sqs-queue', 'index.d.ts'), 'utf8'),
)![1]!;

const snake = (camel: string) => camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Body lines of `export interface Name ... {` up to its closing line. */
function interfaceBody(source: string, name: string): string | null {
  const start = source.search(new RegExp(`^export interface ${name}(?: extends [^{]+)? \\{`, 'm'));
  if (start < 0) return null;
  const end = source.indexOf('\n}', start);
  return source.slice(start, end);
}

function blockSchema(source: string, name: string, seen: Set<string>): BlockSchema {
  const body = interfaceBody(source, name) ?? '';
  const args: Record<string, BlockSchema | null> = {};
  const required: string[] = [];
  // A doc comment naming the terraform argument, then the property (`?` when optional).
  for (const m of body.matchAll(
    /#([a-z0-9_]+) [A-Za-z0-9]+#[a-z0-9_]+\}[\s\S]*?readonly (\w+)(\??): ([^;]+);/g,
  )) {
    const arg = m[1]!;
    if (!m[3]) required.push(arg);
    const nested = /\b([A-Z]\w+)(?:\[\])?(?:\s*\|\s*cdktf\.IResolvable)?$/.exec(m[4]!.trim());
    const typeName = nested?.[1];
    if (typeName && typeName !== name && !seen.has(typeName) && interfaceBody(source, typeName)) {
      args[arg] = blockSchema(source, typeName, new Set([...seen, typeName]));
    } else {
      args[arg] = null;
    }
  }
  return { args, required };
}

function classAttributes(source: string, className: string): string[] {
  const start = source.search(
    new RegExp(`^export declare class ${className} extends cdktf\\.Terraform`, 'm'),
  );
  const body = source.slice(start, source.indexOf('\n}', start));
  const getters = [...body.matchAll(/^\s+get (\w+)\(\)/gm)].map((m) => m[1]!);
  return [
    ...new Set(
      getters.filter((g) => !g.endsWith('Input') && g !== 'fqn' && g !== 'friendlyUniqueId').map(snake),
    ),
  ].sort();
}

/** The folder and class of a terraform type, found by its tfResourceType (data sources share it). */
function findType(type: string, kind: 'resource' | 'data'): { dir: string; className: string } {
  const base = kind === 'resource' ? 'TerraformResource' : 'TerraformDataSource';
  for (const dir of readdirSync(lib)) {
    let source: string;
    try {
      source = readFileSync(join(lib, dir, 'index.d.ts'), 'utf8');
    } catch {
      continue;
    }
    const m = new RegExp(
      `export declare class (\\w+) extends cdktf\\.${base} \\{\\n\\s+static readonly tfResourceType = "${type}";`,
    ).exec(source);
    if (m) return { dir, className: m[1]! };
  }
  throw new Error(`${type} is not in ${packageDir}`);
}

const used = { resource: new Set<string>(), data: new Set<string>() };
for (const dir of terraformModuleDirs()) {
  const mod = await loadModule(dir);
  for (const address of mod.resources.keys()) used.resource.add(address.split('.')[0]!);
  for (const address of mod.data.keys()) used.data.add(address.split('.')[1]!);
}

const out = {
  $comment: `Argument and attribute names of the AWS provider types terraform/ uses, from @cdktf/provider-aws (hashicorp/aws ${providerVersion}); written by scripts/extract-aws-schema.ts.`,
  provider: `hashicorp/aws ${providerVersion}`,
  resource: {} as Record<string, TypeSchema>,
  data: {} as Record<string, TypeSchema>,
};
for (const kind of ['resource', 'data'] as const) {
  for (const type of [...used[kind]].sort()) {
    const { dir, className } = findType(type, kind);
    const source = readFileSync(join(lib, dir, 'index.d.ts'), 'utf8');
    const schema = blockSchema(source, `${className}Config`, new Set());
    out[kind][type] = { ...schema, attributes: classAttributes(source, className) };
  }
}
const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'aws-provider-schema.json');
writeFileSync(target, `${JSON.stringify(out, null, 1)}\n`);
process.stdout.write(
  `wrote ${target}: ${used.resource.size} resource and ${used.data.size} data types (${out.provider})\n`,
);
