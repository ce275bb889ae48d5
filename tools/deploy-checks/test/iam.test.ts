/**
 * Least privilege, checked both ways for each service's task role (terraform/services.tf):
 * it grants every AWS call the service's code makes (SDK commands found in services/<name>/src
 * and the service-kit files it imports) and every call the design gives it (aws-design.ts,
 * on the right resource), and nothing more: no action, and no (action, resource) pair, that
 * neither the code nor the design needs; no wildcards.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  describeResource,
  designedGrants,
  Evaluator,
  grantTarget,
  iamActionsFor,
  loadModule,
  planModule,
  repoRoot,
  type ServiceName,
  sdkCallsInFile,
  sdkCallsInUse,
  sdkCallsOfService,
  serviceKitFilesUsedBy,
  serviceKitUsedBy,
  serviceModuleInputs,
  serviceNames,
  terraformRoot,
  type Value,
  workspaceCodeUsedBy,
} from '../src/index.ts';

interface Statement {
  sid: string;
  actions: string[];
  resources: string[];
}

const prefix = 'gas-ci';
const statements = new Map<ServiceName, Statement[]>();

beforeAll(async () => {
  const evaluator = new Evaluator(
    await loadModule(terraformRoot),
    { prefix, bucket_suffix: '123456789012', domain_name: 'gas.example.org' },
    { symbolic: true },
  );
  const { modules, errors } = await planModule(evaluator);
  expect(errors).toEqual([]);
  for (const [service, inputs] of serviceModuleInputs(modules))
    statements.set(service, inputs.task_role_statements as unknown as Statement[]);
});

const grants = (granted: Statement[], action: string, matches: (resource: string) => boolean = () => true) =>
  granted.some(
    (s) => s.actions.includes(action) && s.resources.some((r) => typeof r === 'string' && matches(r)),
  );

/** Designed calls the statements do not grant on the designed resource. */
function missingDesignedGrants(service: ServiceName, granted: Statement[]): string[] {
  return designedGrants[service].flatMap((g) =>
    g.actions
      .filter((action) => !grants(granted, action, grantTarget(g.on, prefix)))
      .map((action) => `${action} on ${describeResource(g.on)} (${g.why})`),
  );
}

/** Calls found in the service's code that the statements do not grant. */
function missingCodeGrants(service: ServiceName, granted: Statement[]): string[] {
  return sdkCallsOfService(service).flatMap((call) =>
    call.actions
      .filter((a) => !grants(granted, a))
      .map((a) => `${call.file}:${call.line} ${call.name} needs ${a}`),
  );
}

/** (action, resource) pairs granted that neither the code nor the design needs. */
function extraGrants(service: ServiceName, granted: Statement[]): string[] {
  const fromCode = new Set(sdkCallsOfService(service).flatMap((c) => c.actions));
  const extra: string[] = [];
  for (const s of granted) {
    for (const action of s.actions) {
      for (const resource of s.resources) {
        const designed = designedGrants[service].some(
          (g) => g.actions.includes(action) && grantTarget(g.on, prefix)(String(resource)),
        );
        if (!designed && !fromCode.has(action)) extra.push(`${s.sid}: ${action} on ${String(resource)}`);
      }
    }
  }
  return extra;
}

describe.each(serviceNames.map((s) => [s]))('%s task role', (service) => {
  const granted = () => statements.get(service)!;

  it('grants every call the design gives the service, on the designed resource', () => {
    expect(missingDesignedGrants(service, granted())).toEqual([]);
  });

  it('grants every AWS call found in the code', () => {
    expect(missingCodeGrants(service, granted())).toEqual([]);
  });

  it('grants nothing that neither the code nor the design needs', () => {
    expect(extraGrants(service, granted())).toEqual([]);
  });

  it('uses no wildcard actions or resources', () => {
    for (const s of granted()) {
      for (const a of s.actions) expect(a, s.sid).toMatch(/^[a-z0-9]+:[A-Za-z0-9]+$/);
      for (const r of s.resources as Value[]) {
        expect(typeof r, `${s.sid}: a resource only AWS knows must still be a declared one`).toBe('string');
        expect(String(r), s.sid).not.toBe('*');
        expect(String(r), s.sid).toMatch(/^(«|arn:)/);
      }
    }
  });
});

describe('the task role checks fail on a changed role', () => {
  const without = (granted: Statement[], action: string) =>
    granted.map((s) => ({ ...s, actions: s.actions.filter((a) => a !== action) }));

  it('a service that loses a permission its design needs (notifier without ses:SendEmail)', () => {
    const notifier = without(statements.get('notifier')!, 'ses:SendEmail');
    expect(missingDesignedGrants('notifier', notifier)).toEqual([
      expect.stringMatching(/^ses:SendEmail on the SES sender identity/),
    ]);
    expect(missingCodeGrants('notifier', notifier).join('\n')).toMatch(
      /SendEmailCommand needs ses:SendEmail/,
    );
  });

  it('a service that loses a permission on one resource only (thawer publishing ArchiveRestored)', () => {
    const thawer = statements
      .get('thawer')!
      .map((s) =>
        s.sid === 'PublishArchiveRestored'
          ? { ...s, resources: ['«aws_sns_topic.topic["jobCompleted"].arn»'] }
          : s,
      );
    expect(missingDesignedGrants('thawer', thawer).join('\n')).toMatch(
      /sns:Publish on the archiveRestored topic/,
    );
  });

  it('a service that gains a permission it does not need (annotator deleting inputs)', () => {
    const annotator = [
      ...statements.get('annotator')!,
      { sid: 'Extra', actions: ['s3:DeleteObject'], resources: ['«aws_s3_bucket.bucket["inputs"].arn»/*'] },
    ];
    expect(extraGrants('annotator', annotator)).toEqual([
      'Extra: s3:DeleteObject on «aws_s3_bucket.bucket["inputs"].arn»/*',
    ]);
  });
});

describe('the SDK call scan', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gas-sdk-scan-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('maps commands to IAM actions, including the ones that differ from the operation name', () => {
    expect(iamActionsFor('@aws-sdk/client-s3', 'HeadObjectCommand')).toEqual(['s3:GetObject']);
    expect(iamActionsFor('@aws-sdk/client-s3', 'CopyObjectCommand')).toEqual([
      's3:GetObject',
      's3:PutObject',
    ]);
    expect(iamActionsFor('@aws-sdk/client-s3', 'ListObjectsV2Command')).toEqual(['s3:ListBucket']);
    expect(iamActionsFor('@aws-sdk/client-s3', 'RestoreObjectCommand')).toEqual(['s3:RestoreObject']);
    expect(iamActionsFor('@aws-sdk/lib-dynamodb', 'UpdateCommand')).toEqual(['dynamodb:UpdateItem']);
    expect(iamActionsFor('@aws-sdk/client-dynamodb', 'QueryCommand')).toEqual(['dynamodb:Query']);
    expect(iamActionsFor('@aws-sdk/client-sqs', 'DeleteMessageBatchCommand')).toEqual(['sqs:DeleteMessage']);
    expect(iamActionsFor('@aws-sdk/client-sesv2', 'SendEmailCommand')).toEqual(['ses:SendEmail']);
    expect(iamActionsFor('@aws-sdk/client-glacier', 'InitiateJobCommand')).toEqual(['glacier:InitiateJob']);
    expect(iamActionsFor('@aws-sdk/client-s3', 'paginateListObjectsV2')).toEqual(['s3:ListBucket']);
  });

  it('finds commands by import (aliases, namespaces, helpers) with file and line, and ignores type-only imports', () => {
    const path = file(
      'sample.ts',
      [
        "import { HeadObjectCommand, CopyObjectCommand as Copy, type GetObjectCommandOutput } from '@aws-sdk/client-s3';",
        "import * as ddb from '@aws-sdk/lib-dynamodb';",
        "import { createPresignedPost } from '@aws-sdk/s3-presigned-post';",
        "import type { PublishCommand } from '@aws-sdk/client-sns';",
        'export async function f(s3: any, doc: any) {',
        '  await s3.send(new HeadObjectCommand({ Bucket: "b", Key: "k" }));',
        '  await s3.send(new Copy({}));',
        '  await doc.send(new ddb.UpdateCommand({}));',
        '  return createPresignedPost(s3, { Bucket: "b", Key: "k" });',
        '}',
        'const notACall: PublishCommand | undefined = undefined;',
      ].join('\n'),
    );
    const calls = sdkCallsInFile(path).map((c) => `${c.line} ${c.name} ${c.actions.join('+')}`);
    expect(calls.sort()).toEqual(
      [
        '6 HeadObjectCommand s3:GetObject',
        '7 CopyObjectCommand s3:GetObject+s3:PutObject',
        '8 UpdateCommand dynamodb:UpdateItem',
        '9 createPresignedPost s3:PutObject',
      ].sort(),
    );
  });

  it('follows imports into service-kit: a queue consumer gets the drainer, a config-only service does not', () => {
    const consumer = file(
      'consumer.ts',
      "import { createQueueDrainer } from '@gas/service-kit';\nexport { createQueueDrainer };\n",
    );
    const configOnly = file(
      'config-only.ts',
      "import { loadConfig } from '@gas/service-kit';\nexport { loadConfig };\n",
    );
    const calls = (f: string) =>
      serviceKitUsedBy([f])
        .flatMap((u) => sdkCallsInUse(u))
        .flatMap((c) => c.actions);
    expect(calls(consumer)).toEqual(
      expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']),
    );
    expect(calls(configOnly)).toEqual([]);
    expect(serviceKitFilesUsedBy([consumer]).every((f) => f.startsWith(join(repoRoot, 'packages')))).toBe(
      true,
    );
  });

  it('takes a file export by export: importing one readiness check brings only its call', () => {
    const probe = file(
      'probe.ts',
      "import { tableReady } from '@gas/service-kit';\nexport { tableReady };\n",
    );
    const actions = serviceKitUsedBy([probe])
      .flatMap((u) => sdkCallsInUse(u))
      .flatMap((c) => c.actions);
    expect(actions).toEqual(['dynamodb:DescribeTable']);
  });

  it('counts a class method only when the service invokes it (one cold-storage class, two services)', () => {
    file(
      'store.ts',
      [
        "import { PutObjectCommand, RestoreObjectCommand, DeleteObjectCommand } from '@aws-sdk/client-s3';",
        'export class Store {',
        '  constructor(private s3: any) {}',
        '  async archive(key: string) {',
        '    await this.s3.send(new PutObjectCommand({ Key: key }));',
        '    await this.#tidy(key);',
        '  }',
        '  async startRestore(key: string) {',
        '    await this.s3.send(new RestoreObjectCommand({ Key: key }));',
        '  }',
        '  async #tidy(key: string) {',
        '    await this.s3.send(new DeleteObjectCommand({ Key: key }));',
        '  }',
        '}',
      ].join('\n'),
    );
    const archiver = file(
      'archiver.ts',
      "import { Store } from './store.ts';\nexport const run = (s: Store) => s.archive('k');\n",
    );
    const thawer = file(
      'thawer.ts',
      "import { Store } from './store.ts';\nexport const run = (s: Store) => s.startRestore('k');\n",
    );
    const actionsOf = (entry: string) => {
      const uses = workspaceCodeUsedBy([entry]);
      return uses
        .flatMap((u) =>
          sdkCallsInUse(
            u,
            new Set(
              ['archive', 'startRestore'].filter((m) => readFileSync(entry, 'utf8').includes(`.${m}(`)),
            ),
          ),
        )
        .flatMap((c) => c.actions)
        .sort();
    };
    expect(actionsOf(archiver)).toEqual(['s3:DeleteObject', 's3:PutObject']);
    expect(actionsOf(thawer)).toEqual(['s3:RestoreObject']);
  });
});
