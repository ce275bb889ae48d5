import { fileURLToPath } from 'node:url';
import { loadConfig } from '@gas/service-kit';
import { offlineExampleEnv, serviceAppChecks } from '@gas/service-kit/testing';
import { afterAll, describe, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { WebConfig, webConfigRules } from '../src/config.ts';

const envExample = fileURLToPath(new URL('../.env.example', import.meta.url));
// The documented example, pointed at a closed local port so dependency checks fail fast.
const env = offlineExampleEnv(envExample, { DATABASE_URL: 'postgres://postgres@127.0.0.1:9/gas' });
const app = await buildApp(loadConfig(WebConfig, env, webConfigRules));

afterAll(async () => {
  await app.close();
});

describe('web app', () => {
  const readyzFailed = [
    'dynamodb:jobs',
    's3:inputs',
    's3:results',
    'sns:job-requests',
    'sns:user-tier-changed',
    'postgres',
  ];
  const configKeys = Object.keys(WebConfig.properties);
  for (const [title, check] of serviceAppChecks(app, {
    envExample,
    configKeys,
    readyzFailed,
    healthzTitle: 'answers /healthz (also over plain http: load balancer probes)',
  }))
    it(title, check);
});
