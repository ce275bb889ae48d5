/**
 * docker-compose.yml without a Docker engine: valid against the Compose specification and
 * clean under every dclint rule; the stack the issue asks for (LocalStack with the services
 * GAS calls, PostgreSQL, the devcloud identity provider and Stripe stand-in, provisioning by
 * the devcloud code, the five images, web on https://localhost:4433); what each helper
 * container runs exists in the repo; resource names agree with the provisioning plan.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import resources from '../../../packages/contracts/resources.json' with { type: 'json' };
import { planResources } from '../../devcloud/src/provision/plan.ts';
import { LOCALSTACK_IMAGE, localStackEnvironment } from '../../devcloud/src/test-cloud/localstack.ts';
import { composeFile, devtoolsTargets, lintCompose, repoRoot, serviceNames } from '../src/index.ts';

const { name, services } = composeFile();
const plan = planResources('gas');

describe('docker-compose.yml lint', () => {
  it('is valid against the Compose schema and clean under every dclint rule', () => {
    expect(lintCompose()).toEqual([]);
  });

  it('dclint does report schema and rule violations (the check can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gas-compose-'));
    const path = join(dir, 'docker-compose.yml');
    writeFileSync(path, 'services:\n  web:\n    image: node\n    bild: .\n');
    expect(lintCompose(path).join('\n')).toMatch(/invalid-schema/);
    writeFileSync(path, 'name: x\nservices:\n  web:\n    image: node:latest\n    ports:\n      - 80:80\n');
    const findings = lintCompose(path).join('\n');
    expect(findings).toMatch(/service-image-require-explicit-tag/);
    expect(findings).toMatch(/no-unbound-port-interfaces/);
  });
});

describe('the stack', () => {
  it('is the gas project with LocalStack, PostgreSQL, the stand-ins, provisioning and the five services', () => {
    expect(name).toBe('gas');
    for (const s of [
      'localstack',
      'postgres',
      'identity',
      'stripe',
      'tls',
      'provision',
      'subscribe-webhooks',
      ...serviceNames,
    ])
      expect(Object.keys(services), s).toContain(s);
  });

  it('LocalStack runs a pinned image with S3, DynamoDB, SNS, SQS and SES', () => {
    const ls = services.localstack!;
    expect(ls.image).toMatch(/^localstack\/localstack:\d+\.\d+\.\d+$/);
    expect(ls.environment.SERVICES!.split(',').sort()).toEqual(
      ['dynamodb', 'ses', 'sns', 'sqs', 's3'].sort(),
    );
    expect(ls.healthcheck).toBeDefined();
  });

  it('LocalStack is the image and settings the tests start through testcontainers (one pinned version)', () => {
    const ls = services.localstack!;
    expect(ls.image).toBe(LOCALSTACK_IMAGE);
    const tests = localStackEnvironment('localhost.localstack.cloud:4566', {});
    expect(ls.environment.SERVICES).toBe(tests.SERVICES);
    expect(ls.environment.SQS_ENDPOINT_STRATEGY).toBe(tests.SQS_ENDPOINT_STRATEGY);
    expect(ls.environment.LOCALSTACK_HOST).toBe(tests.LOCALSTACK_HOST);
  });

  it('each GAS service is built from the one Dockerfile with SERVICE=<name>, default (runtime) target', () => {
    for (const s of serviceNames) {
      const build = services[s]!.build!;
      expect(build.context, s).toBe('.');
      expect(build.dockerfile ?? 'Dockerfile', s).toBe('Dockerfile');
      expect(build.args?.SERVICE, s).toBe(s);
      expect(build.target, s).toBeUndefined();
      expect(services[s]!.init, `${s}: an init process forwards SIGTERM`).toBe(true);
      expect(services[s]!.depends_on?.provision?.condition, s).toBe('service_completed_successfully');
    }
  });

  it('web is on https://localhost:4433: its namespace publishes 127.0.0.1:4433 to its port', () => {
    const web = services.web!;
    const owner = String(web.network_mode ?? '').replace(/^service:/, '') || 'web';
    const port = Number(web.environment.PORT ?? resources.ports.web);
    expect(port).toBe(4433);
    expect(services[owner]!.ports).toContain(`127.0.0.1:4433:${port}`);
    expect(web.environment.TLS_CERT_FILE).toMatch(/\.pem$/);
    expect(web.depends_on?.tls?.condition).toBe('service_completed_successfully');
  });

  it("the notifier's sender is the identity provisioning verifies, the upload origin is web's", () => {
    expect(services.provision!.environment.SENDER_EMAIL).toBe(services.notifier!.environment.MAIL_FROM);
    expect(services.provision!.environment.UPLOAD_ORIGINS).toBe(services.web!.environment.WEB_BASE_URL);
  });

  it('every published port binds 127.0.0.1 only', () => {
    const ports = Object.values(services).flatMap((s) => s.ports);
    expect(ports.length).toBeGreaterThan(0);
    expect(ports.filter((p) => !p.startsWith('127.0.0.1:'))).toEqual([]);
  });

  it('provisioning runs the devcloud provisioning code, then the webhooks once the services are healthy', () => {
    for (const s of ['provision', 'subscribe-webhooks']) {
      expect(services[s]!.build?.target, s).toBe('devtools');
      expect(devtoolsTargets(services[s]!), s).toEqual([
        { file: 'tools/devcloud/src/provision/main.ts', names: [] },
      ]);
      expect(services[s]!.environment.WITH_GLACIER_VAULT, `${s}: no Glacier in LocalStack's free plan`).toBe(
        'false',
      );
    }
    expect(services.provision!.depends_on?.localstack?.condition).toBe('service_healthy');
    const bases = Object.fromEntries(
      services['subscribe-webhooks']!.environment.WEBHOOK_BASE_URLS!.split(',').map((pair) =>
        pair.split('='),
      ),
    );
    for (const [service, hook] of Object.entries(resources.webhooks)) {
      const port = resources.ports[service as keyof typeof resources.ports];
      expect(bases[service], `${service} webhook (${hook.path})`).toBe(`http://${service}:${port}`);
      expect(services['subscribe-webhooks']!.depends_on?.[service]?.condition).toBe('service_healthy');
    }
  });

  it('no value has a $ that Compose would interpolate, except the LocalStack auth token', () => {
    const text = readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8');
    const dollars = text
      .split('\n')
      .map((line) => ({ text: line }))
      .filter((l) => l.text.includes('$') && !l.text.trim().startsWith('#'));
    const authToken = ['LOCALSTACK_AUTH_TOKEN: $', '{LOCALSTACK_AUTH_TOKEN:-}'].join('');
    expect(dollars.map((l) => l.text.trim())).toEqual([authToken]);
  });

  it('what each helper container runs exists: files, and the functions imported from them', () => {
    const problems: string[] = [];
    for (const [serviceName, service] of Object.entries(services)) {
      if (service.build?.target !== 'devtools') continue;
      const targets = devtoolsTargets(service);
      if (targets.length === 0) problems.push(`${serviceName}: runs nothing from the repo`);
      for (const { file, names } of targets) {
        const path = join(repoRoot, file);
        if (!existsSync(path)) {
          problems.push(`${serviceName}: ${file} does not exist`);
          continue;
        }
        const source = readFileSync(path, 'utf8');
        for (const n of names) {
          const exported = new RegExp(
            `export\\s+(?:async\\s+)?(?:function|const|class)\\s+${n}\\b|export\\s*\\{[^}]*\\b${n}\\b`,
          );
          if (!exported.test(source)) problems.push(`${serviceName}: ${file} does not export ${n}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('names agree with the provisioning plan (prefix gas)', () => {
  const env = Object.fromEntries(serviceNames.map((s) => [s, services[s]!.environment]));
  const queueNames = plan.queues.map((q) => q.name);
  const topicNames = plan.topics.map((t) => t.name);

  it('tables and buckets', () => {
    for (const s of serviceNames) {
      if (env[s]!.JOBS_TABLE) expect(env[s]!.JOBS_TABLE, s).toBe(plan.jobsTable.name);
      if (env[s]!.INPUTS_BUCKET) expect(env[s]!.INPUTS_BUCKET, s).toBe(plan.buckets.inputs);
      if (env[s]!.RESULTS_BUCKET) expect(env[s]!.RESULTS_BUCKET, s).toBe(plan.buckets.results);
    }
  });

  it('every queue URL names a provisioned queue of that service, every topic ARN a provisioned topic', () => {
    const problems: string[] = [];
    for (const s of serviceNames) {
      for (const [key, value] of Object.entries(env[s]!)) {
        if (key.endsWith('_QUEUE_URL')) {
          const queue = value.split('/').pop()!;
          const planned = plan.queues.find((q) => q.name === queue);
          if (!planned || planned.service !== s)
            problems.push(`${s} ${key}: ${queue} is not a queue of ${s} (${queueNames.join(', ')})`);
        }
        if (key.endsWith('_TOPIC_ARN') && !topicNames.includes(value.split(':').pop()!))
          problems.push(`${s} ${key}: ${value} is not a provisioned topic`);
      }
    }
    expect(problems).toEqual([]);
  });
});
