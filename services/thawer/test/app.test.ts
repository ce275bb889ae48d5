import { fileURLToPath } from 'node:url';
import { loadConfig } from '@gas/service-kit';
import { offlineExampleEnv, serviceAppChecks, snsWebhookRefusals } from '@gas/service-kit/testing';
import { afterAll, describe, it } from 'vitest';
import { refusesVaultBackendWithoutVault } from '../../archiver/test/support/vault-config.ts';
import { buildApp } from '../src/app.ts';
import { checkThawerConfig, ThawerConfig } from '../src/config.ts';

const envExample = fileURLToPath(new URL('../.env.example', import.meta.url));
// The documented example, pointed at a closed local port so dependency checks fail fast.
const env = offlineExampleEnv(envExample);
const app = await buildApp(loadConfig(ThawerConfig, env, checkThawerConfig));

afterAll(async () => {
  await app.close();
});

describe('thawer app', () => {
  const readyzFailed = [
    'sns:archive-restored',
    'dynamodb:jobs',
    's3:results',
    'sqs:user-tier-changed',
    'sqs:cold-storage-events',
  ];
  const configKeys = Object.keys(ThawerConfig.properties);
  for (const [title, check] of serviceAppChecks(app, { envExample, configKeys, readyzFailed }))
    it(title, check);
  it(...refusesVaultBackendWithoutVault((e) => loadConfig(ThawerConfig, e, checkThawerConfig), env));

  describe('the SNS webhook refuses what SNS did not sign', () => {
    const webhook = {
      path: '/sns/thawer',
      topicArn: env.COLD_STORAGE_EVENTS_TOPIC_ARN!,
      certHost: env.SNS_CERT_HOSTS!,
    };
    for (const [title, check] of snsWebhookRefusals(app, webhook)) it(title, check);
  });
});
