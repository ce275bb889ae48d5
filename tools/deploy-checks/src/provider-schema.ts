/**
 * terraform/ against the AWS provider's schema, without the terraform binary: every argument
 * and nested block of every resource and data block (dynamic blocks included) must exist at
 * its level, and every `type.name.attribute` reference must name an attribute of the type.
 * The names come from aws-provider-schema.json (scripts/extract-aws-schema.ts, generated from
 * the prebuilt provider bindings; the provider version is in the file), and every argument
 * the provider requires must be given. Value types and conflicts are not checked.
 */

import schemaJson from './aws-provider-schema.json' with { type: 'json' };
import { asArray, asObject, type Body, type Json, loadModule, moduleReferences } from './hcl.ts';

interface BlockSchema {
  args: Record<string, BlockSchema | null>;
  required: string[];
}
interface TypeSchema extends BlockSchema {
  attributes: string[];
}
const schema = schemaJson as unknown as {
  provider: string;
  resource: Record<string, TypeSchema>;
  data: Record<string, TypeSchema>;
};
export const providerVersion = schema.provider;

const metaArguments = new Set([
  'count',
  'for_each',
  'depends_on',
  'lifecycle',
  'provider',
  'provisioner',
  'connection',
]);

function blockProblems(body: Body, block: BlockSchema, where: string): string[] {
  const problems: string[] = [];
  const given = new Set([...Object.keys(body), ...Object.keys(asObject(body.dynamic))]);
  for (const name of block.required)
    if (!given.has(name))
      problems.push(`${where}: the required argument or block "${name}" is missing (${schema.provider})`);
  for (const [key, value] of Object.entries(body)) {
    if (metaArguments.has(key)) continue;
    if (key === 'dynamic') {
      for (const [label, blocks] of Object.entries(asObject(value))) {
        const nested = block.args[label];
        if (!nested) {
          problems.push(`${where}: dynamic "${label}": no such block (${schema.provider})`);
          continue;
        }
        for (const dyn of asArray(blocks)) {
          for (const content of asArray(asObject(dyn).content)) {
            problems.push(...blockProblems(asObject(content), nested, `${where}.${label}`));
          }
        }
      }
      continue;
    }
    if (!(key in block.args)) {
      problems.push(`${where}: no argument or block "${key}" (${schema.provider})`);
      continue;
    }
    const nested = block.args[key];
    if (nested && Array.isArray(value)) {
      for (const item of value as Json[])
        problems.push(...blockProblems(asObject(item), nested, `${where}.${key}`));
    }
  }
  return problems;
}

/** Problems of one module directory: unknown types, arguments, blocks and attributes. */
export async function providerSchemaProblems(dir: string): Promise<string[]> {
  const mod = await loadModule(dir);
  const problems: string[] = [];
  const typeOf = (kind: 'resource' | 'data', type: string, where: string): TypeSchema | null => {
    const found = schema[kind][type];
    if (!found)
      problems.push(
        `${where}: ${kind} type ${type} is not in aws-provider-schema.json (run scripts/extract-aws-schema.ts)`,
      );
    return found ?? null;
  };
  for (const [address, { file, body }] of mod.resources) {
    const type = typeOf('resource', address.split('.')[0]!, `${file}: ${address}`);
    if (type) problems.push(...blockProblems(body, type, `${file}: ${address}`));
  }
  for (const [address, { file, body }] of mod.data) {
    const type = typeOf('data', address.split('.')[1]!, `${file}: ${address}`);
    if (type) problems.push(...blockProblems(body, type, `${file}: ${address}`));
  }
  for (const ref of await moduleReferences(mod)) {
    const names = ref.parts;
    const root = names[0]?.name;
    if (!root || ['var', 'local', 'module', 'each', 'count', 'path', 'self', 'terraform'].includes(root))
      continue;
    const isData = root === 'data';
    const type = isData ? names[1]?.name : root;
    const rest = names.slice(isData ? 3 : 2);
    const attribute = rest.find((p) => p.name !== undefined)?.name;
    if (!type || !attribute) continue;
    const found = schema[isData ? 'data' : 'resource'][type];
    if (found && !found.attributes.includes(attribute) && !(attribute in found.args))
      problems.push(`${ref.file}: ${ref.text}: ${type} has no attribute "${attribute}" (${schema.provider})`);
  }
  return problems;
}
