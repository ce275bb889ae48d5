/**
 * Does every reference in a Terraform module point at something declared? The check
 * `terraform validate` would make, without the binary: `var.x` needs a variable, `local.x` a
 * local, `data.t.n` a data block, `t.n` a resource, `module.m.o` a module call whose source
 * declares output `o`; a module call may pass only variables its source declares and must
 * pass every variable without a default. Built-in roots (`each`, `count`, `path`, `self`,
 * `terraform`) and iterator names are not references.
 */
import { join, relative } from 'node:path';
import { loadModule, moduleReferences, type TerraformModule } from './hcl.ts';
import { repoRoot } from './paths.ts';

const builtInRoots = new Set(['each', 'count', 'path', 'self', 'terraform']);
/** Arguments of a module block that are meta-arguments, not input variables. */
const moduleMetaArguments = new Set(['source', 'version', 'providers', 'count', 'for_each', 'depends_on']);

export async function unresolvedReferences(dir: string): Promise<string[]> {
  const mod = await loadModule(dir);
  const problems: string[] = [];
  for (const ref of await moduleReferences(mod)) {
    const [root, second, third] = ref.parts;
    const name = root?.name ?? '';
    const where = `${ref.file} (${ref.at.slice(1)})`;
    if (builtInRoots.has(name)) continue;
    if (name === 'var') {
      if (!second?.name || !mod.variables.has(second.name))
        problems.push(`${where}: ${ref.text}: no variable "${second?.name}"`);
    } else if (name === 'local') {
      if (!second?.name || !mod.locals.has(second.name))
        problems.push(`${where}: ${ref.text}: no local "${second?.name}"`);
    } else if (name === 'data') {
      const key = `data.${second?.name}.${third?.name}`;
      if (!mod.data.has(key)) problems.push(`${where}: ${ref.text}: no data block "${key}"`);
    } else if (name === 'module') {
      const call = second?.name ? mod.modules.get(second.name) : undefined;
      if (!call) {
        problems.push(`${where}: ${ref.text}: no module "${second?.name}"`);
        continue;
      }
      if (third?.name) {
        const child = await loadModule(join(mod.dir, String(call.body.source)));
        if (!child.outputs.has(third.name))
          problems.push(`${where}: ${ref.text}: module "${second?.name}" has no output "${third.name}"`);
      }
    } else {
      const key = `${name}.${second?.name}`;
      if (!second?.name || !mod.resources.has(key))
        problems.push(`${where}: ${ref.text}: no resource "${key}"`);
    }
  }
  problems.push(...(await moduleCallProblems(mod)));
  return problems;
}

async function moduleCallProblems(mod: TerraformModule): Promise<string[]> {
  const problems: string[] = [];
  for (const [name, call] of mod.modules) {
    const source = String(call.body.source ?? '');
    if (!source.startsWith('./') && !source.startsWith('../')) {
      problems.push(
        `${call.file}: module "${name}" has source "${source}": only local modules are expected here`,
      );
      continue;
    }
    const child = await loadModule(join(mod.dir, source));
    const where = `${call.file}: module "${name}" (${relative(repoRoot, child.dir)})`;
    for (const argument of Object.keys(call.body)) {
      if (!moduleMetaArguments.has(argument) && !child.variables.has(argument))
        problems.push(`${where}: passes "${argument}", which the module does not declare`);
    }
    for (const [variable, declared] of child.variables) {
      if (!('default' in declared.body) && !(variable in call.body))
        problems.push(`${where}: does not pass "${variable}", which has no default`);
    }
  }
  return problems;
}
