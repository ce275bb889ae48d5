/**
 * The terraform readers on small fixtures, so a passing run over terraform/ means something:
 * a syntax error names the file and line, an unresolved reference or a module argument the
 * module does not declare is reported, and the evaluator refuses a key the map lacks.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Evaluator,
  loadModule,
  parseTerraformFile,
  planModule,
  unknown,
  unresolvedReferences,
} from '../src/index.ts';

function fixture(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'gas-tf-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe('terraform readers', () => {
  it('a syntax error names the file and the line', async () => {
    const dir = fixture({ 'main.tf': 'locals {\n  a = 1\n\nresource "x" "y" {\n' });
    await expect(parseTerraformFile(join(dir, 'main.tf'))).rejects.toThrow(
      /main\.tf.*does not parse.*main\.tf:\d+/s,
    );
  });

  it('reports references to undeclared things, and bad module calls', async () => {
    const dir = fixture({
      'main.tf': [
        'variable "prefix" {',
        '  type = string',
        '}',
        'locals {',
        '  names = { for k, v in { a = 1 } : k => "${var.prefix}-${k}" }',
        '}',
        'resource "aws_sqs_queue" "q" {',
        '  for_each = local.names',
        '  name     = each.value',
        '  policy   = data.aws_iam_policy_document.missing.json',
        '  tags     = { Env = var.prefx, Other = local.nope }',
        '}',
        'resource "aws_sns_topic" "t" {',
        '  name = aws_sqs_queue.queu["a"].name',
        '  dynamic "x" {',
        '    for_each = [1]',
        '    content { v = x.value }',
        '  }',
        '}',
        'module "m" {',
        '  source = "./child"',
        '  wrong  = 1',
        '}',
        'output "o" {',
        '  value = module.m.absent',
        '}',
      ].join('\n'),
      'child/main.tf':
        'variable "needed" {\n  type = string\n}\noutput "present" {\n  value = var.needed\n}\n',
    });
    const problems = (await unresolvedReferences(dir)).join('\n');
    expect(problems).toContain('no data block "data.aws_iam_policy_document.missing"');
    expect(problems).toContain('no variable "prefx"');
    expect(problems).toContain('no local "nope"');
    expect(problems).toContain('no resource "aws_sqs_queue.queu"');
    expect(problems).toContain('module "m" has no output "absent"');
    expect(problems).toContain('passes "wrong", which the module does not declare');
    expect(problems).toContain('does not pass "needed", which has no default');
    expect(problems).not.toMatch(/"x"|each|"k"|"v"/);
  });

  it('the evaluator expands for_each from resources-like JSON and refuses a missing key', async () => {
    const dir = fixture({
      'names.json': JSON.stringify({ topics: { jobRequests: 'job-requests' } }),
      'main.tf': [
        'variable "prefix" {',
        '  type    = string',
        '  default = "gas"',
        '}',
        'locals {',
        '  r      = jsondecode(file("${path.module}/names.json"))',
        '  topics = { for k, n in local.r.topics : k => "${var.prefix}-${n}" }',
        '}',
        'resource "aws_sns_topic" "t" {',
        '  for_each = local.topics',
        '  name     = each.value',
        '}',
        'resource "aws_sqs_queue" "q" {',
        '  name = "${aws_sns_topic.t["jobRequest"].name}-q"',
        '}',
      ].join('\n'),
    });
    const plan = await planModule(new Evaluator(await loadModule(dir), { prefix: 'ci' }));
    expect(plan.instances.find((i) => i.type === 'aws_sns_topic')?.attributes.name).toBe('ci-job-requests');
    expect(plan.errors.join('\n')).toMatch(/aws_sqs_queue\.q: .*no key "jobRequest" \(has: jobRequests\)/);
    const symbolic = await planModule(new Evaluator(await loadModule(dir), {}, { symbolic: true }));
    expect(symbolic.instances.find((i) => i.type === 'aws_sns_topic')?.attributes.name).toBe(
      'gas-job-requests',
    );
    expect(unknown).toBeTypeOf('symbol');
  });
});
