import { fileURLToPath } from 'node:url';
import { loadConfig } from '@gas/service-kit';
import { offlineExampleEnv, serviceAppChecks, snsWebhookRefusals } from '@gas/service-kit/testing';
import { afterAll, describe, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { ArchiverConfig, checkArchiverConfig } from '../src/config.ts';
import { refusesVaultBackendWithoutVault } from './support/vault-config.ts';

const envExample = fileURLToPath(new URL('../.env.example', import.meta.url));
// The documented example, pointed at a closed local port so dependency checks fail fast.
const env = offlineExampleEnv(envExample);
const app = await buildApp(loadConfig(ArchiverConfig, env, checkArchiverConfig));

afterAll(async () => {
  await app.close();
});

describe('archiver app', () => {
  const readyzFailed = ['dynamodb:jobs', 's3:results', 'sqs:job-completed', 'sqs:user-tier-changed'];
  const configKeys = Object.keys(ArchiverConfig.properties);
  for (const [title, check] of serviceAppChecks(app, { envExample, configKeys, readyzFailed }))
    it(title, check);
  it(...refusesVaultBackendWithoutVault((e) => loadConfig(ArchiverConfig, e, checkArchiverConfig), env));

  describe('the SNS webhook refuses what SNS did not sign', () => {
    const webhook = {
      path: '/sns/archiver',
      topicArn: env.JOB_COMPLETED_TOPIC_ARN!,
      certHost: env.SNS_CERT_HOSTS!,
    };
    for (const [title, check] of snsWebhookRefusals(app, webhook)) it(title, check);
  });
});
