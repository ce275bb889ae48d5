import { fileURLToPath } from 'node:url';
import { loadConfig } from '@gas/service-kit';
import { offlineExampleEnv, serviceAppChecks } from '@gas/service-kit/testing';
import { afterAll, describe, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { NotifierConfig } from '../src/config.ts';

const envExample = fileURLToPath(new URL('../.env.example', import.meta.url));
// The documented example, pointed at a closed local port so dependency checks fail fast.
const env = offlineExampleEnv(envExample);
const app = await buildApp(loadConfig(NotifierConfig, env));

afterAll(async () => {
  await app.close();
});

describe('notifier app', () => {
  const readyzFailed = ['sqs:job-completed', 'sqs:archive-restored', 'dynamodb:jobs'];
  const configKeys = Object.keys(NotifierConfig.properties);
  for (const [title, check] of serviceAppChecks(app, { envExample, configKeys, readyzFailed }))
    it(title, check);
});
