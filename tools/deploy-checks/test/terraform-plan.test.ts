/**
 * terraform/ evaluated (names, for_each expansion, literal attributes) as `terraform plan`
 * would see them before AWS fills in ids: the names agree with the devcloud provisioning plan
 * (both read packages/contracts/resources.json), and the resources have the properties the
 * design asks for. Values only AWS knows stay symbolic (`«aws_s3_bucket.bucket["results"].arn»`).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import resources from '../../../packages/contracts/resources.json' with { type: 'json' };
import { planResources } from '../../devcloud/src/provision/plan.ts';
import {
  Evaluator,
  loadModule,
  type PlannedInstance,
  planModule,
  type ServiceName,
  serviceModuleInputs,
  terraformRoot,
  type Value,
} from '../src/index.ts';

const inputs = {
  prefix: 'gas-ci',
  bucket_suffix: '123456789012',
  domain_name: 'gas.example.org',
  image_tag: '0123abc',
  certificate_arn: 'arn:aws:acm:us-east-1:123456789012:certificate/x',
  oidc_issuer_url: 'https://login.example.org/',
  oidc_client_id: 'gas-web',
  stripe_price_id: 'price_x',
  mail_from: 'no-reply@gas.example.org',
};

let instances: PlannedInstance[] = [];
let modules: PlannedInstance[] = [];
let data: PlannedInstance[] = [];
let errors: string[] = [];

beforeAll(async () => {
  const plan = await planModule(new Evaluator(await loadModule(terraformRoot), inputs, { symbolic: true }));
  ({ instances, modules, errors, data } = plan);
});

const ofType = (type: string) => instances.filter((i) => i.type === type);
const one = (address: string) => {
  const found = instances.find((i) => i.address === address);
  if (!found) throw new Error(`no ${address} in the plan`);
  return found.attributes;
};
const block = (v: Value | undefined): Record<string, Value> =>
  Array.isArray(v) ? (v[0] as Record<string, Value>) : {};
const plannedNames = planResources(inputs.prefix, inputs.bucket_suffix);

describe('evaluation', () => {
  it('every attribute of every resource evaluates (keys exist in resources.json, functions known)', () => {
    expect(errors).toEqual([]);
    expect(instances.length).toBeGreaterThan(100);
  });
});

describe('names agree with the devcloud provisioning plan', () => {
  it('topics', () => {
    const names = Object.fromEntries(
      ofType('aws_sns_topic')
        .filter((t) => t.name === 'topic')
        .map((t) => [t.key, t.attributes.name]),
    );
    expect(names).toEqual(Object.fromEntries(plannedNames.topics.map((t) => [t.key, t.name])));
  });

  it('queues and dead-letter queues', () => {
    const queues = ofType('aws_sqs_queue');
    const main = Object.fromEntries(
      queues.filter((q) => q.name === 'queue').map((q) => [q.key, q.attributes.name]),
    );
    const dlq = Object.fromEntries(
      queues.filter((q) => q.name === 'dead_letter').map((q) => [q.key, q.attributes.name]),
    );
    expect(main).toEqual(Object.fromEntries(plannedNames.queues.map((q) => [q.key, q.name])));
    expect(dlq).toEqual(Object.fromEntries(plannedNames.queues.map((q) => [q.key, q.deadLetterName])));
  });

  it('jobs table and its indexes', () => {
    const table = one('aws_dynamodb_table.jobs');
    expect(table.name).toBe(plannedNames.jobsTable.name);
    expect(table.hash_key).toBe(plannedNames.jobsTable.hashKey);
    const indexes = (table.global_secondary_index as Record<string, Value>[]).map((i) => ({
      name: i.name,
      hashKey: i.hash_key,
      rangeKey: i.range_key,
    }));
    expect(indexes).toEqual(
      plannedNames.jobsTable.indexes.map(({ name, hashKey, rangeKey }) => ({ name, hashKey, rangeKey })),
    );
  });

  it('buckets (with the account suffix)', () => {
    const buckets = Object.fromEntries(ofType('aws_s3_bucket').map((b) => [b.key, b.attributes.bucket]));
    expect(buckets).toEqual(plannedNames.buckets);
  });

  it('the Glacier vault name', async () => {
    const vaultOnly = await planModule(
      new Evaluator(
        await loadModule(terraformRoot),
        { ...inputs, cold_storage_backend: 'glacier-vault' },
        { symbolic: true },
      ),
    );
    const vault = vaultOnly.instances.find((i) => i.type === 'aws_glacier_vault');
    expect(vault?.attributes.name).toBe(plannedNames.resultsVault);
    expect(ofType('aws_glacier_vault')).toEqual([]); // none with the default s3-glacier backend
  });

  it('no resources.json name is written out literally in terraform', async () => {
    const root = await loadModule(terraformRoot);
    const literalNames = [
      ...Object.values(resources.topics),
      ...Object.values(resources.queues).map((q) => q.name),
      ...Object.values(resources.webhooks).map((w) => w.path),
      ...Object.values(resources.tables.jobs.indexes).map((i) => i.name),
      resources.vaults.results,
    ];
    const text = JSON.stringify(root.files.map((f) => f.json));
    expect(literalNames.filter((n) => text.includes(`"${n}"`) || text.includes(`-${n}"`))).toEqual([]);
  });
});

describe('messaging', () => {
  it('every topic signs with SignatureVersion 2', () => {
    for (const t of ofType('aws_sns_topic')) expect(t.attributes.signature_version, t.address).toBe(2);
  });

  it('every queue redrives to its own dead-letter queue after maxReceiveCount', () => {
    for (const q of ofType('aws_sqs_queue').filter((x) => x.name === 'queue')) {
      const spec = resources.queues[q.key as keyof typeof resources.queues];
      expect(JSON.parse(String(q.attributes.redrive_policy)), q.address).toEqual({
        deadLetterTargetArn: `«aws_sqs_queue.dead_letter["${q.key}"].arn»`,
        maxReceiveCount: spec.maxReceiveCount,
      });
      expect(q.attributes.visibility_timeout_seconds).toBe(spec.visibilityTimeoutSeconds);
    }
  });

  it('each queue is subscribed to its topic, keeping the SNS envelope', () => {
    const subs = ofType('aws_sns_topic_subscription').filter((s) => s.name === 'queue');
    expect(subs.map((s) => s.key).sort()).toEqual(Object.keys(resources.queues).sort());
    for (const s of subs) {
      const spec = resources.queues[s.key as keyof typeof resources.queues];
      expect(s.attributes).toMatchObject({
        protocol: 'sqs',
        topic_arn: `«aws_sns_topic.topic["${spec.topic}"].arn»`,
        endpoint: `«aws_sqs_queue.queue["${s.key}"].arn»`,
        raw_message_delivery: false,
      });
    }
  });

  it('each queue policy lets only its own topic send', () => {
    const policies = ofType('aws_sqs_queue_policy');
    expect(policies.map((p) => p.key).sort()).toEqual(Object.keys(resources.queues).sort());
    for (const p of policies) {
      expect(p.attributes.policy).toBe(`«data.aws_iam_policy_document.queue["${p.key}"].json»`);
      const doc = data.find((d) => d.address === `data.aws_iam_policy_document.queue["${p.key}"]`)!;
      const statements = doc.attributes.statement as Record<string, Value>[];
      expect(statements).toHaveLength(1);
      const topic = resources.queues[p.key as keyof typeof resources.queues].topic;
      expect(statements[0]).toMatchObject({
        actions: ['sqs:SendMessage'],
        resources: [`«aws_sqs_queue.queue["${p.key}"].arn»`],
        principals: [{ type: 'Service', identifiers: ['sns.amazonaws.com'] }],
        condition: [
          { test: 'ArnEquals', variable: 'aws:SourceArn', values: [`«aws_sns_topic.topic["${topic}"].arn»`] },
        ],
      });
    }
  });

  it('each webhook gets an HTTPS subscription per topic, through the public name', () => {
    const subs = ofType('aws_sns_topic_subscription').filter((s) => s.name === 'webhook');
    const expected = Object.entries(resources.webhooks).flatMap(([service, hook]) =>
      hook.topics.map((topic) => ({
        key: `${service}-${topic}`,
        protocol: 'https',
        topic_arn: `«aws_sns_topic.topic["${topic}"].arn»`,
        endpoint: `https://${inputs.domain_name}${hook.path}`,
      })),
    );
    expect(
      subs
        .map((s) => ({
          key: s.key,
          protocol: s.attributes.protocol,
          topic_arn: s.attributes.topic_arn,
          endpoint: s.attributes.endpoint,
        }))
        .sort((a, b) => String(a.key).localeCompare(String(b.key))),
    ).toEqual(expected.sort((a, b) => a.key.localeCompare(b.key)));
  });

  it('the ALB routes each webhook path (POST) to its service and everything else to web', () => {
    const rules = ofType('aws_lb_listener_rule');
    expect(rules.map((r) => r.key).sort()).toEqual(Object.keys(resources.webhooks).sort());
    for (const r of rules) {
      const path = resources.webhooks[r.key as keyof typeof resources.webhooks].path;
      const conditions = r.attributes.condition as Record<string, Value>[];
      expect(conditions).toContainEqual({ path_pattern: [{ values: [path] }] });
      expect(block(r.attributes.action).target_group_arn).toBe(
        `«aws_lb_target_group.service["${r.key}"].arn»`,
      );
    }
    const priorities = rules.map((r) => r.attributes.priority);
    expect(new Set(priorities).size).toBe(priorities.length);
    expect(block(one('aws_lb_listener.https').default_action).target_group_arn).toBe(
      '«aws_lb_target_group.service["web"].arn»',
    );
  });

  it('HTTP redirects to HTTPS; HTTPS uses the certificate variable', () => {
    const redirect = block(block(one('aws_lb_listener.http_redirect').default_action).redirect);
    expect(redirect).toMatchObject({ protocol: 'HTTPS', port: '443', status_code: 'HTTP_301' });
    expect(one('aws_lb_listener.https')).toMatchObject({
      protocol: 'HTTPS',
      port: 443,
      certificate_arn: inputs.certificate_arn,
    });
  });

  it('target groups health-check /healthz on each service port from resources.json', () => {
    const groups = ofType('aws_lb_target_group');
    expect(groups.map((g) => g.key).sort()).toEqual(['annotator', 'archiver', 'notifier', 'thawer', 'web']);
    for (const g of groups) {
      expect(g.attributes.port).toBe(resources.ports[g.key as keyof typeof resources.ports]);
      expect(block(g.attributes.health_check).path).toBe('/healthz');
    }
  });
});

describe('storage', () => {
  it('the jobs table has point-in-time recovery and encryption', () => {
    const table = one('aws_dynamodb_table.jobs');
    expect(block(table.point_in_time_recovery).enabled).toBe(true);
    expect(block(table.server_side_encryption).enabled).toBe(true);
  });

  it('every bucket: public access blocked, owner-enforced, encrypted, TLS only', () => {
    const keys = Object.keys(resources.buckets).sort();
    const byKey = (type: string) =>
      ofType(type)
        .map((i) => i.key)
        .sort();
    for (const type of [
      'aws_s3_bucket_public_access_block',
      'aws_s3_bucket_ownership_controls',
      'aws_s3_bucket_server_side_encryption_configuration',
      'aws_s3_bucket_policy',
    ])
      expect(byKey(type), type).toEqual(keys);
    for (const b of ofType('aws_s3_bucket_public_access_block'))
      expect(b.attributes).toMatchObject({
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      });
    for (const b of ofType('aws_s3_bucket_ownership_controls'))
      expect(block(b.attributes.rule).object_ownership).toBe('BucketOwnerEnforced');
    for (const key of keys) {
      const doc = data.find((d) => d.address === `data.aws_iam_policy_document.bucket_tls_only["${key}"]`)!;
      expect(block(doc.attributes.statement)).toMatchObject({
        effect: 'Deny',
        actions: ['s3:*'],
        condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
      });
    }
  });

  it('incomplete multipart uploads are aborted in the inputs (2 days) and results (1 day) buckets', () => {
    const rules = ofType('aws_s3_bucket_lifecycle_configuration').map((c) => [
      c.attributes.bucket,
      block(block(c.attributes.rule).abort_incomplete_multipart_upload).days_after_initiation,
    ]);
    expect(rules).toEqual([
      ['«aws_s3_bucket.bucket["inputs"].id»', 2],
      ['«aws_s3_bucket.bucket["results"].id»', 1],
    ]);
  });

  it('the inputs bucket allows the browser POST from the site (CORS)', () => {
    const rule = block(one('aws_s3_bucket_cors_configuration.inputs').cors_rule);
    expect(rule.allowed_methods).toContain('POST');
    expect(rule.allowed_origins).toEqual([`https://${inputs.domain_name}`]);
    expect(one('aws_s3_bucket_cors_configuration.inputs').bucket).toBe('«aws_s3_bucket.bucket["inputs"].id»');
  });

  it('restore-completed events of the results bucket go to the cold-storage-events topic, which lets S3 publish', () => {
    const notification = one('aws_s3_bucket_notification.results_restore_completed');
    expect(notification.bucket).toBe('«aws_s3_bucket.bucket["results"].id»');
    expect(block(notification.topic)).toMatchObject({
      topic_arn: '«aws_sns_topic.topic["coldStorageEvents"].arn»',
      events: ['s3:ObjectRestore:Completed'],
    });
    expect(one('aws_sns_topic_policy.cold_storage_events').arn).toBe(
      '«aws_sns_topic.topic["coldStorageEvents"].arn»',
    );
  });

  it('one ECR repository per service, immutable tags, scanned on push', () => {
    const repos = ofType('aws_ecr_repository');
    expect(repos.map((r) => r.attributes.name).sort()).toEqual(
      ['annotator', 'archiver', 'notifier', 'thawer', 'web'].map((s) => `gas-ci/${s}`),
    );
    for (const r of repos) {
      expect(r.attributes.image_tag_mutability).toBe('IMMUTABLE');
      expect(block(r.attributes.image_scanning_configuration).scan_on_push).toBe(true);
    }
  });
});

describe('database, secrets, network', () => {
  it('RDS PostgreSQL is private, encrypted, in the private subnets, password kept by RDS', () => {
    const db = one('aws_db_instance.accounts');
    expect(db).toMatchObject({
      engine: 'postgres',
      publicly_accessible: false,
      storage_encrypted: true,
      manage_master_user_password: true,
    });
    expect(db.password).toBeUndefined();
    expect(one('aws_db_subnet_group.accounts').subnet_ids).toEqual([
      '«aws_subnet.private[0].id»',
      '«aws_subnet.private[1].id»',
    ]);
  });

  it('Secrets Manager holds the OIDC client secret, Stripe keys and session secret, with no value in terraform', () => {
    expect(
      ofType('aws_secretsmanager_secret')
        .map((s) => s.key)
        .sort(),
    ).toEqual(['oidc-client-secret', 'session-secret', 'stripe-secret-key', 'stripe-webhook-secret']);
    expect(ofType('aws_secretsmanager_secret_version')).toEqual([]);
  });

  it('the VPC has public and private subnets in two zones, private ones without public IPs', () => {
    expect(
      ofType('aws_subnet')
        .map((s) => s.address)
        .sort(),
    ).toEqual([
      'aws_subnet.private[0]',
      'aws_subnet.private[1]',
      'aws_subnet.public[0]',
      'aws_subnet.public[1]',
    ]);
    expect(
      ofType('aws_route').find((r) => r.address === 'aws_route.private_nat[0]')?.attributes.nat_gateway_id,
    ).toBe('«aws_nat_gateway.main[0].id»');
  });

  it('the database admits PostgreSQL only from the security groups of its client services', () => {
    const rules = ofType('aws_vpc_security_group_ingress_rule').filter(
      (r) => r.name === 'database_from_services',
    );
    expect(
      rules.map((r) => [r.key, r.attributes.referenced_security_group_id, r.attributes.from_port]),
    ).toEqual([['web', '«module.service["web"].security_group_id»', 5432]]);
  });

  it('the ECS cluster has Container Insights (the annotator backlog metric needs RunningTaskCount)', () => {
    expect(block(one('aws_ecs_cluster.main').setting)).toEqual({
      name: 'containerInsights',
      value: 'enabled',
    });
  });

  it('alarms: one per dead-letter queue, and the ALB 5xx rate', () => {
    const alarms = ofType('aws_cloudwatch_metric_alarm');
    expect(
      alarms
        .filter((a) => a.name === 'dead_letter_depth')
        .map((a) => a.key)
        .sort(),
    ).toEqual(Object.keys(resources.queues).sort());
    const rate = alarms.find((a) => a.name === 'alb_5xx_rate')!;
    const metrics = (rate.attributes.metric_query as Record<string, Value>[]).flatMap((q) =>
      Array.isArray(q.metric) ? [(q.metric[0] as Record<string, Value>).metric_name] : [],
    );
    expect(metrics.sort()).toEqual(['HTTPCode_ELB_5XX_Count', 'HTTPCode_Target_5XX_Count', 'RequestCount']);
  });
});

describe('services', () => {
  const call = (name: string) => serviceModuleInputs(modules).get(name as ServiceName)!;

  it('each service is one instance of modules/service, keyed and named by the service', () => {
    expect(
      modules
        .filter((m) => m.attributes.source === './modules/service')
        .map((m) => [m.key, m.attributes.name])
        .sort(),
    ).toEqual(['annotator', 'archiver', 'notifier', 'thawer', 'web'].map((name) => [name, name]));
  });

  it('sizes and counts come from service_sizes; only the annotator gets a larger disk and stop timeout', () => {
    expect(call('annotator')).toMatchObject({ cpu: 2048, memory: 8192, min_capacity: 1, max_capacity: 10 });
    expect(call('web')).toMatchObject({ cpu: 512, memory: 1024, min_capacity: 2, desired_count: 2 });
    expect(call('annotator')).toMatchObject({
      ephemeral_storage_gib: 50,
      stop_timeout_seconds: 120,
      health_check_grace_period_seconds: 180,
    });
    for (const name of ['web', 'notifier', 'archiver', 'thawer'])
      expect(call(name), name).toMatchObject({
        ephemeral_storage_gib: null,
        stop_timeout_seconds: null,
        health_check_grace_period_seconds: null,
        queue_backlog: null,
      });
  });

  it('web scales on CPU and on ALB requests per target', () => {
    expect(call('web').cpu_target_percent).toBe(60);
    expect(call('web').requests_per_target).toBe(1000);
    expect(call('web').alb_resource_label).toBe(
      '«aws_lb.main.arn_suffix»/«aws_lb_target_group.service["web"].arn_suffix»',
    );
  });

  it('the annotator scales on its queue backlog per task', () => {
    expect(call('annotator').queue_backlog).toEqual({
      queue_name: '«aws_sqs_queue.queue["annotatorJobRequests"].name»',
      target_messages_per_task: 2,
    });
  });

  it('secrets reach web as ECS secrets from Secrets Manager, never as plain environment', () => {
    const env = call('web').environment as Record<string, Value>;
    const secrets = call('web').secrets as Record<string, Value>;
    expect(Object.keys(env).filter((k) => /SECRET|PASSWORD|TOKEN/.test(k))).toEqual([]);
    for (const key of ['OIDC_CLIENT_SECRET', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'SESSION_SECRET'])
      expect(String(secrets[key]), key).toMatch(/^«aws_secretsmanager_secret\.app\["[a-z-]+"\]\.arn»$/);
  });

  it('each service listens on its port from resources.json', () => {
    for (const name of ['web', 'annotator', 'notifier', 'archiver', 'thawer'])
      expect(call(name).container_port).toBe(resources.ports[name as keyof typeof resources.ports]);
  });
});

describe('cold storage topic policy', () => {
  it('lets Glacier publish retrieval-job completions only with the vault backend', async () => {
    const sids = async (backend: string) => {
      const plan = await planModule(
        new Evaluator(
          await loadModule(terraformRoot),
          { ...inputs, cold_storage_backend: backend },
          { symbolic: true },
        ),
      );
      const doc = plan.data.find((d) => d.address === 'data.aws_iam_policy_document.cold_storage_topic')!;
      return (doc.attributes.statement as Record<string, Value>[]).map((s) => s.sid);
    };
    expect(await sids('glacier-vault')).toContain('GlacierPublishesRetrievalJobs');
    expect(await sids('s3-glacier')).not.toContain('GlacierPublishesRetrievalJobs');
    expect(await sids('s3-glacier')).toContain('S3PublishesRestoreEvents');
  });

  it('lets S3 publish only for the results bucket of this account', () => {
    const doc = data.find((d) => d.address === 'data.aws_iam_policy_document.cold_storage_topic')!;
    const s3 = (doc.attributes.statement as Record<string, Value>[]).find(
      (s) => s.sid === 'S3PublishesRestoreEvents',
    );
    expect(s3).toMatchObject({
      actions: ['sns:Publish'],
      principals: [{ type: 'Service', identifiers: ['s3.amazonaws.com'] }],
    });
    expect(s3?.condition).toContainEqual({
      test: 'ArnLike',
      variable: 'aws:SourceArn',
      values: ['«aws_s3_bucket.bucket["results"].arn»'],
    });
  });
});

describe('modules/service as the root calls it', () => {
  const serviceModuleDir = `${terraformRoot}/modules/service`;
  const planned = new Map<string, Awaited<ReturnType<typeof planModule>>>();
  beforeAll(async () => {
    const child = await loadModule(serviceModuleDir);
    for (const [name, inputs] of serviceModuleInputs(modules))
      planned.set(name, await planModule(new Evaluator(child, inputs, { symbolic: true })));
  });
  const resourceOf = (service: string, address: string) => {
    const found = planned.get(service)!.instances.find((i) => i.address === address);
    if (!found) throw new Error(`${service}: no ${address}`);
    return found.attributes;
  };

  it('evaluates for each of the five calls', () => {
    expect([...planned.keys()].sort()).toEqual(['annotator', 'archiver', 'notifier', 'thawer', 'web']);
    for (const [name, p] of planned) expect(p.errors, name).toEqual([]);
  });

  it('the container gets environment as values and secrets as Secrets Manager references', () => {
    const [container] = JSON.parse(
      String(resourceOf('web', 'aws_ecs_task_definition.service').container_definitions),
    ) as {
      environment: { name: string; value: string }[];
      secrets: { name: string; valueFrom: string }[];
      healthCheck: { command: string[] };
      linuxParameters: { initProcessEnabled: boolean };
      portMappings: { containerPort: number }[];
    }[];
    expect(container!.secrets.map((s) => s.name)).toContain('SESSION_SECRET');
    expect(container!.environment.map((e) => e.name)).not.toContain('SESSION_SECRET');
    expect(container!.secrets.every((s) => s.valueFrom.startsWith('«aws_'))).toBe(true);
    expect(container!.linuxParameters.initProcessEnabled).toBe(true);
    expect(container!.portMappings).toEqual([{ containerPort: 4433, protocol: 'tcp' }]);
    expect(container!.healthCheck.command.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    expect(container!.healthCheck.command[3]).toContain("'http://127.0.0.1:4433/healthz'");
  });

  it('tasks run in the private subnets without public IPs, behind their target group', () => {
    for (const name of planned.keys()) {
      const service = resourceOf(name, 'aws_ecs_service.service');
      expect(block(service.network_configuration)).toMatchObject({
        assign_public_ip: false,
        subnets: ['«aws_subnet.private[0].id»', '«aws_subnet.private[1].id»'],
      });
      expect(block(service.load_balancer).target_group_arn).toBe(
        `«aws_lb_target_group.service["${name}"].arn»`,
      );
      expect(block(service.deployment_circuit_breaker)).toEqual({ enable: true, rollback: true });
    }
  });

  it('the task security group admits only the ALB, on the container port', () => {
    const ingress = resourceOf('notifier', 'aws_vpc_security_group_ingress_rule.from_alb');
    expect(ingress).toMatchObject({
      referenced_security_group_id: '«aws_security_group.alb.id»',
      from_port: 4102,
      to_port: 4102,
    });
  });

  it('the execution role may read only the secrets of its own service', () => {
    const webSecrets = planned
      .get('web')!
      .data.find((d) => d.address === 'data.aws_iam_policy_document.execution_secrets[0]');
    const statement = (webSecrets!.attributes.statement as Record<string, Value>[])[0]!;
    expect(statement.actions).toEqual(['secretsmanager:GetSecretValue']);
    expect((statement.resources as string[]).sort()).toEqual(
      [
        '«aws_db_instance.accounts.master_user_secret[0].secret_arn»',
        '«aws_secretsmanager_secret.app["oidc-client-secret"].arn»',
        '«aws_secretsmanager_secret.app["session-secret"].arn»',
        '«aws_secretsmanager_secret.app["stripe-secret-key"].arn»',
        '«aws_secretsmanager_secret.app["stripe-webhook-secret"].arn»',
      ].sort(),
    );
    const thawerSecrets = planned.get('thawer')!.data.filter((d) => d.name === 'execution_secrets');
    expect(thawerSecrets).toEqual([]);
  });

  it('a null input takes the module default (nullable = false), as Terraform does', () => {
    const storage = (name: string) =>
      block(resourceOf(name, 'aws_ecs_task_definition.service').ephemeral_storage).size_in_gib;
    expect(storage('notifier')).toBe(21);
    expect(storage('annotator')).toBe(50);
    const [notifier] = JSON.parse(
      String(resourceOf('notifier', 'aws_ecs_task_definition.service').container_definitions),
    ) as { stopTimeout: number }[];
    expect(notifier!.stopTimeout).toBe(60);
  });

  it('autoscaling: web on CPU + requests, the annotator on backlog per task by metric math', () => {
    const policies = (name: string) =>
      planned
        .get(name)!
        .instances.filter((i) => i.type === 'aws_appautoscaling_policy')
        .map((i) => ({
          policy: i.attributes.name,
          config: block(i.attributes.target_tracking_scaling_policy_configuration),
        }));
    const predefined = (name: string) =>
      policies(name).map(({ policy, config }) => [
        policy,
        config.target_value,
        block(config.predefined_metric_specification).predefined_metric_type,
        block(config.predefined_metric_specification).resource_label,
      ]);
    expect(predefined('web')).toEqual([
      ['gas-ci-web-cpu', 60, 'ECSServiceAverageCPUUtilization', null],
      [
        'gas-ci-web-requests',
        1000,
        'ALBRequestCountPerTarget',
        '«aws_lb.main.arn_suffix»/«aws_lb_target_group.service["web"].arn_suffix»',
      ],
    ]);
    for (const name of ['notifier', 'archiver', 'thawer'])
      expect(predefined(name)).toEqual([[`gas-ci-${name}-cpu`, 70, 'ECSServiceAverageCPUUtilization', null]]);
    expect(policies('annotator').map(({ policy }) => policy)).toEqual(['gas-ci-annotator-queue-backlog']);
    const config = block(
      resourceOf('annotator', 'aws_appautoscaling_policy.target_tracking["queue-backlog"]')
        .target_tracking_scaling_policy_configuration,
    );
    expect(config.target_value).toBe(2);
    expect(config.predefined_metric_specification).toEqual([]);
    const spec = block(config.customized_metric_specification);
    const metrics = spec.metrics as Record<string, Value>[];
    const stat = (id: string) => block(block(metrics.find((m) => m.id === id)!.metric_stat).metric);
    expect(stat('visible')).toMatchObject({
      namespace: 'AWS/SQS',
      metric_name: 'ApproximateNumberOfMessagesVisible',
    });
    expect(stat('tasks')).toMatchObject({
      namespace: 'ECS/ContainerInsights',
      metric_name: 'RunningTaskCount',
    });
    expect(metrics.find((m) => m.return_data === true)).toMatchObject({ expression: 'visible / tasks' });
  });
});
