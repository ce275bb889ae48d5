import { fileURLToPath } from 'node:url';
import { loadConfig } from '@gas/service-kit';
import { offlineExampleEnv, serviceAppChecks } from '@gas/service-kit/testing';
import { afterAll, describe, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { AnnotatorConfig } from '../src/config.ts';

const envExample = fileURLToPath(new URL('../.env.example', import.meta.url));
// The documented example, pointed at a closed local port so dependency checks fail fast.
const env = offlineExampleEnv(envExample);
const app = await buildApp(loadConfig(AnnotatorConfig, env));

afterAll(async () => {
  await app.close();
});

describe('annotator app', () => {
  const readyzFailed = [
    'sqs:job-requests',
    'sns:job-completed',
    'dynamodb:jobs',
    's3:inputs',
    's3:results',
    'engine:reference',
  ];
  const configKeys = Object.keys(AnnotatorConfig.properties);
  for (const [title, check] of serviceAppChecks(app, { envExample, configKeys, readyzFailed }))
    it(title, check);
});
