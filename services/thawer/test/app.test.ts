import { fileURLToPath } from 'node:url';
import { loadConfig } from '@gas/service-kit';
import { readEnvExample, undocumentedKeys } from '@gas/service-kit/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { checkThawerConfig, ThawerConfig } from '../src/config.ts';

const envExample = fileURLToPath(new URL('../.env.example', import.meta.url));
// The documented example, pointed at a closed local port so dependency checks fail fast.
const env = {
  ...readEnvExample(envExample).values,
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  LOG_LEVEL: 'silent',
};
const app = await buildApp(loadConfig(ThawerConfig, env, checkThawerConfig));

afterAll(async () => {
  await app.close();
});

describe('thawer app', () => {
  it('answers /healthz', async () => {
    const response = await app.inject('/healthz');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('/readyz answers 503 naming each unreachable dependency', async () => {
    const response = await app.inject('/readyz');
    expect(response.statusCode).toBe(503);
    expect(response.json().failed).toEqual([
      'sns:archive-restored',
      'dynamodb:jobs',
      's3:results',
      'sqs:user-tier-changed',
      'sqs:cold-storage-events',
    ]);
  });

  it('refuses the vault backend without a vault name', () => {
    expect(() =>
      loadConfig(ThawerConfig, { ...env, COLD_STORAGE_BACKEND: 'glacier-vault' }, checkThawerConfig),
    ).toThrow(
      'Cannot start: RESULTS_VAULT is missing (required when COLD_STORAGE_BACKEND is glacier-vault).',
    );
    const withVault = { ...env, COLD_STORAGE_BACKEND: 'glacier-vault', RESULTS_VAULT: 'gas-results-archive' };
    expect(loadConfig(ThawerConfig, withVault, checkThawerConfig).RESULTS_VAULT).toBe('gas-results-archive');
  });

  it('.env.example documents every config key, each with a comment', () => {
    const { values, commented } = readEnvExample(envExample);
    expect([...Object.keys(values), ...commented].sort()).toEqual(
      Object.keys(ThawerConfig.properties).sort(),
    );
    expect(undocumentedKeys(envExample)).toEqual([]);
  });

  describe('the SNS webhook refuses what SNS did not sign', () => {
    const example: Record<string, string | undefined> = readEnvExample(envExample).values;
    const envelope = (overrides: Record<string, string>) =>
      JSON.stringify({
        Type: 'Notification',
        MessageId: crypto.randomUUID(),
        TopicArn: example.COLD_STORAGE_EVENTS_TOPIC_ARN,
        Message: '{}',
        Timestamp: new Date().toISOString(),
        SignatureVersion: '2',
        Signature: Buffer.from('forged').toString('base64'),
        SigningCertURL: `https://${example.SNS_CERT_HOSTS}/SimpleNotificationService.pem`,
        UnsubscribeURL: `https://${example.SNS_CERT_HOSTS}/?Action=Unsubscribe`,
        ...overrides,
      });
    const post = (body: string) =>
      app.inject({
        method: 'POST',
        url: '/sns/thawer',
        headers: { 'content-type': 'text/plain', 'x-amz-sns-message-type': 'Notification' },
        body,
      });

    it('a certificate from a host that is not SNS: 403', async () => {
      const response = await post(
        envelope({ SigningCertURL: 'https://attacker.example/SimpleNotificationService.pem' }),
      );
      expect(response.statusCode).toBe(403);
      expect(response.json().reason).toMatch(/SigningCertURL.*attacker\.example/);
    });

    it('a topic this service does not read: 403', async () => {
      const response = await post(
        envelope({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:someone-elses-topic' }),
      );
      expect(response.statusCode).toBe(403);
      expect(response.json().reason).toBe(
        'unexpected topic arn:aws:sns:us-east-1:000000000000:someone-elses-topic',
      );
    });

    it('not an SNS envelope: 400', async () => {
      const response = await post('{"hello":"world"}');
      expect(response.statusCode).toBe(400);
    });
  });
});
