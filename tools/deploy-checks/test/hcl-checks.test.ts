/**
 * The terraform readers on small fixtures, so a passing run over terraform/ means something:
 * a syntax error names the file and line, an unresolved reference or a module argument the
 * module does not declare is reported, and the evaluator refuses a key the map lacks.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  Evaluator,
  loadModule,
  parseTerraformFile,
  planModule,
  providerSchemaProblems,
  unknown,
  unresolvedReferences,
} from '../src/index.ts';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

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
    const dir = join(fixtures, 'unresolved');
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
    const dir = join(fixtures, 'evaluate');
    const plan = await planModule(new Evaluator(await loadModule(dir), { prefix: 'ci' }));
    expect(plan.instances.find((i) => i.type === 'aws_sns_topic')?.attributes.name).toBe('ci-job-requests');
    expect(plan.errors.join('\n')).toMatch(/aws_sqs_queue\.q: .*no key "jobRequest" \(has: jobRequests\)/);
    const symbolic = await planModule(new Evaluator(await loadModule(dir), {}, { symbolic: true }));
    expect(symbolic.instances.find((i) => i.type === 'aws_sns_topic')?.attributes.name).toBe(
      'gas-job-requests',
    );
    expect(unknown).toBeTypeOf('symbol');
  });

  it('a block type given both as blocks and by a dynamic block keeps both', async () => {
    const dir = fixture({
      'main.tf': [
        'resource "aws_cloudwatch_metric_alarm" "a" {',
        '  metric_query {',
        '    id = "rate"',
        '  }',
        '  dynamic "metric_query" {',
        '    for_each = { errors = "E", requests = "R" }',
        '    content {',
        '      id = metric_query.key',
        '      metric {',
        '        metric_name = metric_query.value',
        '      }',
        '    }',
        '  }',
        '}',
      ].join('\n'),
    });
    const plan = await planModule(new Evaluator(await loadModule(dir)));
    expect(plan.errors).toEqual([]);
    expect(plan.instances[0]!.attributes.metric_query).toEqual([
      { id: 'rate' },
      { id: 'errors', metric: [{ metric_name: 'E' }] },
      { id: 'requests', metric: [{ metric_name: 'R' }] },
    ]);
  });

  it('refuses count/for_each that depend on values known only after apply', async () => {
    const dir = join(fixtures, 'plan-time');
    const plan = await planModule(
      new Evaluator(
        await loadModule(dir),
        { secret_arns: { A: '«aws_secretsmanager_secret.a.arn»' } },
        { symbolic: true },
      ),
    );
    const errors = plan.errors.join('\n');
    expect(errors).toMatch(/count of aws_iam_role_policy\.p depends on values known only after apply/);
    expect(errors).toMatch(/for_each of aws_sns_topic\.t depends on values known only after apply/);
    expect(errors).not.toMatch(/aws_sqs_queue\.fine/);
    expect(plan.instances.filter((i) => i.type === 'aws_sqs_queue').map((i) => i.attributes.name)).toEqual([
      'q0',
    ]);
  });

  it('reports arguments, blocks and attributes the AWS provider does not have', async () => {
    const problems = (await providerSchemaProblems(join(fixtures, 'provider-schema'))).join('\n');
    expect(problems).toContain('aws_sqs_queue.q: no argument or block "visibility_timeout"');
    expect(problems).toContain('aws_lb_listener.l.default_action.redirect: no argument or block "protocl"');
    expect(problems).toContain('aws_dynamodb_table.t: dynamic "atribute": no such block');
    expect(problems).toContain('aws_sqs_queue.q.arnn: aws_sqs_queue has no attribute "arnn"');
    expect(problems).toContain('resource type aws_not_a_type is not in aws-provider-schema.json');
    expect(problems).toContain(
      'aws_sns_topic_subscription.s: the required argument or block "endpoint" is missing',
    );
    expect(problems).not.toMatch(
      /aws_sns_topic_subscription\.s: the required argument or block "(protocol|topic_arn)"/,
    );
    expect(problems).not.toContain('AnyKey');
    expect(problems).not.toMatch(/"status_code"|"type"|"name"/);
  });
});
