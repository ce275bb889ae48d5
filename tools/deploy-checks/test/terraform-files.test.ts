/**
 * terraform/ as files: every .tf parses with HashiCorp's HCL parser, every reference resolves
 * to something declared, the module layout is the one the team agreed on, every variable and
 * output is documented, and terraform.tfvars.example sets every variable that has no default.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  loadModule,
  parseTerraformFile,
  providerSchemaProblems,
  providerVersion,
  repoRoot,
  terraformFilesIn,
  terraformModuleDirs,
  terraformRoot,
  unresolvedReferences,
} from '../src/index.ts';

const moduleDirs = terraformModuleDirs();
const allFiles = moduleDirs.flatMap(terraformFilesIn);

describe('terraform/ parses', () => {
  it('has the root module and modules/service', () => {
    expect(moduleDirs.map((d) => relative(repoRoot, d))).toEqual(['terraform', 'terraform/modules/service']);
  });

  it.each(allFiles.map((f) => [relative(repoRoot, f), f]))('%s parses', async (_shown, path) => {
    const parsed = await parseTerraformFile(path);
    expect(Object.keys(parsed.json).length).toBeGreaterThan(0);
  });
});

describe('every reference resolves', () => {
  it.each(moduleDirs.map((d) => [relative(repoRoot, d), d]))('%s', async (_shown, dir) => {
    expect(await unresolvedReferences(dir)).toEqual([]);
  });
});

describe('the AWS provider schema has every argument, block and attribute used', () => {
  it.each(moduleDirs.map((d) => [relative(repoRoot, d), d]))(
    `%s (${providerVersion})`,
    async (_shown, dir) => {
      expect(await providerSchemaProblems(dir)).toEqual([]);
    },
  );
});

describe('module layout', () => {
  it.each(moduleDirs.map((d) => [relative(repoRoot, d), d]))(
    '%s has main, variables, outputs, versions, README',
    (_s, dir) => {
      for (const file of ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf', 'README.md']) {
        expect(existsSync(join(dir, file)), `${relative(repoRoot, dir)}/${file}`).toBe(true);
      }
    },
  );

  it.each(allFiles.map((f) => [relative(repoRoot, f), f]))('%s opens with a banner comment', (_s, path) => {
    const text = readFileSync(path, 'utf8');
    expect(text.startsWith('# ====')).toBe(true);
  });

  it('the root module uses modules/service in one block, for_each over the services', async () => {
    const root = await loadModule(terraformRoot);
    const calls = [...root.modules].map(([name, call]) => [name, call.body.source]);
    expect(calls).toEqual([['service', './modules/service']]);
    expect(String(root.modules.get('service')!.body.for_each)).toContain('local.services');
  });
});

describe('documentation of inputs and outputs', () => {
  it.each(moduleDirs.map((d) => [relative(repoRoot, d), d]))(
    '%s: every variable has a description and a type',
    async (_s, dir) => {
      const mod = await loadModule(dir);
      const undocumented = [...mod.variables]
        .filter(
          ([, v]) =>
            typeof v.body.description !== 'string' || String(v.body.description).length < 10 || !v.body.type,
        )
        .map(([name]) => name);
      expect(undocumented).toEqual([]);
    },
  );

  it.each(moduleDirs.map((d) => [relative(repoRoot, d), d]))(
    '%s: every output has a description',
    async (_s, dir) => {
      const mod = await loadModule(dir);
      const undocumented = [...mod.outputs]
        .filter(([, o]) => typeof o.body.description !== 'string')
        .map(([n]) => n);
      expect(undocumented).toEqual([]);
    },
  );

  it('terraform.tfvars.example sets every root variable that has no default, and only declared ones', async () => {
    const root = await loadModule(terraformRoot);
    const example = await parseTerraformFile(join(terraformRoot, 'terraform.tfvars.example'));
    const set = Object.keys(example.json);
    const required = [...root.variables].filter(([, v]) => !('default' in v.body)).map(([n]) => n);
    expect(required.filter((n) => !set.includes(n))).toEqual([]);
    expect(set.filter((n) => !root.variables.has(n))).toEqual([]);
  });

  it('outputs include the URL and the topic and queue ARNs', async () => {
    const root = await loadModule(terraformRoot);
    for (const name of ['url', 'topic_arns', 'queue_arns', 'dead_letter_queue_arns'])
      expect(root.outputs.has(name), name).toBe(true);
  });

  it('the README gives the apply steps in order', () => {
    const readme = readFileSync(join(terraformRoot, 'README.md'), 'utf8');
    const steps = [
      'terraform init',
      'terraform apply -target=aws_ecr_repository.service',
      'docker build --build-arg SERVICE=',
      'docker push',
      'aws secretsmanager put-secret-value',
      'terraform apply -var image_tag=',
    ];
    const positions = steps.map((s) => readme.indexOf(s));
    expect(
      positions.every((p) => p >= 0),
      JSON.stringify(Object.fromEntries(steps.map((s, i) => [s, positions[i]]))),
    ).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });
});
