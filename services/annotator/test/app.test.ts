import { fileURLToPath } from 'node:url';
import { loadConfig } from '@gas/service-kit';
import { readEnvExample, undocumentedKeys } from '@gas/service-kit/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { AnnotatorConfig } from '../src/config.ts';

const envExample = fileURLToPath(new URL('../.env.example', import.meta.url));
// The documented example, pointed at a closed local port so dependency checks fail fast.
const env = {
  ...readEnvExample(envExample).values,
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  LOG_LEVEL: 'silent',
};
const app = await buildApp(loadConfig(AnnotatorConfig, env));

afterAll(async () => {
  await app.close();
});

describe('annotator app', () => {
  it('answers /healthz', async () => {
    const response = await app.inject('/healthz');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('/readyz answers 503 naming each unreachable dependency', async () => {
    const response = await app.inject('/readyz');
    expect(response.statusCode).toBe(503);
    expect(response.json().failed).toEqual([
      'sqs:job-requests',
      'sns:job-completed',
      'dynamodb:jobs',
      's3:inputs',
      's3:results',
      'engine:reference',
    ]);
  });

  it('.env.example documents every config key, each with a comment', () => {
    const { values, commented } = readEnvExample(envExample);
    expect([...Object.keys(values), ...commented].sort()).toEqual(
      Object.keys(AnnotatorConfig.properties).sort(),
    );
    expect(undocumentedKeys(envExample)).toEqual([]);
  });
});
