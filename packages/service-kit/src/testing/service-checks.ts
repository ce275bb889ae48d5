/**
 * Test support: the checks every service's tests make the same way, each returned as a
 * `[title, check]` pair for the test file to register with its runner:
 *
 *   it(...refusesToStartWithoutConfig(serviceDir, ['JOB_COMPLETED_QUEUE_URL']));
 *
 * so the title and the assertions are written once and each service still has its own test
 * per check. What differs per service (the keys it needs, the dependencies /readyz names,
 * the webhook path and topic) is an argument. The checks assert with `node:assert` (this
 * package needs no test runner); the runner reports their failures with the diff.
 *
 * Server process checks run `src/server.ts` as an operator does (`spawnServer`); app checks
 * use the built app through `inject`.
 */
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { readEnvExample, undocumentedKeys } from './env-file.ts';
import { listeningPort, spawnServer } from './server-process.ts';

export type NamedCheck = [title: string, check: () => Promise<void>];

// ---------------------------------------------------------------------------------------------
// The service as a process
// ---------------------------------------------------------------------------------------------

/** With no configuration: exit 1, one sentence (AWS_REGION first, then each of `missingKeys`), no stack trace. */
export function refusesToStartWithoutConfig(serviceDir: string, missingKeys: string[]): NamedCheck {
  return [
    'refuses to start without config: exit 1, one sentence naming the keys, no stack trace',
    async () => {
      const server = spawnServer('src/server.ts', {}, serviceDir);
      assert.equal((await server.exited).code, 1);
      const stderr = server.stderr();
      assert.match(stderr, /^Cannot start: AWS_REGION is missing \(AWS region, e\.g\. us-east-1\); .*\.\n$/);
      for (const key of missingKeys) assert.ok(stderr.includes(`${key} is missing`), `${key} in: ${stderr}`);
      assert.equal(stderr.split('\n').length, 2, stderr);
      assert.doesNotMatch(stderr, /\n\s+at /);
    },
  ];
}

/** With its `.env.example` on port 0: listens, /healthz is 200 {status: ok}, SIGTERM exits 0, logs name the service. */
export function bootsAnswersHealthzAndStops(serviceDir: string, service: string): NamedCheck {
  return [
    'boots with the example config, answers /healthz over HTTP, exits 0 on SIGTERM',
    async () => {
      const example = readEnvExample(`${serviceDir}/.env.example`).values;
      const server = spawnServer('src/server.ts', { ...example, PORT: '0', HOST: '127.0.0.1' }, serviceDir);
      const port = await listeningPort(server);
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { status: 'ok' });
      server.child.kill('SIGTERM');
      assert.deepEqual(await server.exited, { code: 0, signal: null });
      assert.ok(server.stdout().includes(`"service":"${service}"`), server.stdout());
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// The built app
// ---------------------------------------------------------------------------------------------

/**
 * A service's documented example configuration, pointed at a closed local port (so
 * dependency checks fail fast) and with logging silenced; `extra` overrides.
 */
export function offlineExampleEnv(
  envExample: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...readEnvExample(envExample).values,
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    LOG_LEVEL: 'silent',
    ...extra,
  };
}

export function answersHealthz(app: FastifyInstance, title = 'answers /healthz'): NamedCheck {
  return [
    title,
    async () => {
      const response = await app.inject('/healthz');
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), { status: 'ok' });
    },
  ];
}

/** With every dependency unreachable, /readyz is 503 and names exactly `failed`, in order. */
export function readyzNamesUnreachableDependencies(app: FastifyInstance, failed: string[]): NamedCheck {
  return [
    '/readyz answers 503 naming each unreachable dependency',
    async () => {
      const response = await app.inject('/readyz');
      assert.equal(response.statusCode, 503);
      assert.deepEqual(response.json().failed, failed);
    },
  ];
}

/** `.env.example` lists exactly the config schema's keys (set or commented out), each under a comment. */
export function envExampleDocumentsConfig(envExample: string, configKeys: string[]): NamedCheck {
  return [
    '.env.example documents every config key, each with a comment',
    async () => {
      const { values, commented } = readEnvExample(envExample);
      assert.deepEqual([...Object.keys(values), ...commented].sort(), [...configKeys].sort());
      assert.deepEqual(undocumentedKeys(envExample), []);
    },
  ];
}

/**
 * The checks every service's app test makes: /healthz answers, /readyz names exactly
 * `readyzFailed` when nothing is reachable, `.env.example` documents `configKeys`.
 */
export function serviceAppChecks(
  app: FastifyInstance,
  service: { envExample: string; configKeys: string[]; readyzFailed: string[]; healthzTitle?: string },
): NamedCheck[] {
  return [
    answersHealthz(app, service.healthzTitle),
    readyzNamesUnreachableDependencies(app, service.readyzFailed),
    envExampleDocumentsConfig(service.envExample, service.configKeys),
  ];
}

/**
 * What a service's SNS webhook (`path`, reading `topicArn`) refuses before any signature
 * work: a signing certificate from a host that is not SNS (403), a topic the service does not
 * read (403), a body that is not an SNS envelope (400). `certHost` is the configured SNS
 * certificate host, so only the field under test is wrong.
 */
export function snsWebhookRefusals(
  app: FastifyInstance,
  webhook: { path: string; topicArn: string; certHost: string },
): NamedCheck[] {
  const envelope = (overrides: Record<string, string>) =>
    JSON.stringify({
      Type: 'Notification',
      MessageId: crypto.randomUUID(),
      TopicArn: webhook.topicArn,
      Message: '{}',
      Timestamp: new Date().toISOString(),
      SignatureVersion: '2',
      Signature: Buffer.from('forged').toString('base64'),
      SigningCertURL: `https://${webhook.certHost}/SimpleNotificationService.pem`,
      UnsubscribeURL: `https://${webhook.certHost}/?Action=Unsubscribe`,
      ...overrides,
    });
  const post = (body: string) =>
    app.inject({
      method: 'POST',
      url: webhook.path,
      headers: { 'content-type': 'text/plain', 'x-amz-sns-message-type': 'Notification' },
      body,
    });
  return [
    [
      'a certificate from a host that is not SNS: 403',
      async () => {
        const response = await post(
          envelope({ SigningCertURL: 'https://attacker.example/SimpleNotificationService.pem' }),
        );
        assert.equal(response.statusCode, 403);
        assert.match(response.json().reason, /SigningCertURL.*attacker\.example/);
      },
    ],
    [
      'a topic this service does not read: 403',
      async () => {
        const foreign = 'arn:aws:sns:us-east-1:000000000000:someone-elses-topic';
        const response = await post(envelope({ TopicArn: foreign }));
        assert.equal(response.statusCode, 403);
        assert.equal(response.json().reason, `unexpected topic ${foreign}`);
      },
    ],
    [
      'not an SNS envelope: 400',
      async () => {
        const response = await post('{"hello":"world"}');
        assert.equal(response.statusCode, 400);
      },
    ],
  ];
}
