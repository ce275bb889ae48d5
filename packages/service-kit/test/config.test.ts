import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import { awsConfig, baseConfig, ConfigError, commaList, loadConfig, queueDrainConfig } from '../src/index.ts';

const Schema = Type.Object({
  ...baseConfig(4101),
  ...awsConfig,
  JOB_REQUESTS_QUEUE_URL: Type.String({
    format: 'uri',
    description: 'SQS queue URL of annotator-job-requests',
  }),
  STRIPE_SECRET_KEY: Type.String({ minLength: 10 }),
  DRY_RUN: Type.Boolean({ default: false }),
});

const good = {
  AWS_REGION: 'us-east-1',
  JOB_REQUESTS_QUEUE_URL: 'http://127.0.0.1:4566/000000000000/gas-annotator-job-requests',
  STRIPE_SECRET_KEY: 'sk_test_0123456789',
};

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(Schema, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies defaults and converts strings to numbers and booleans', () => {
    const config = loadConfig(Schema, { ...good, PORT: '8080', DRY_RUN: 'true', UNRELATED: 'x' });
    expect(config).toEqual({ ...good, PORT: 8080, HOST: '0.0.0.0', LOG_LEVEL: 'info', DRY_RUN: true });
    expect(loadConfig(Schema, good).PORT).toBe(4101);
  });

  it('stops with one sentence naming a missing key and what it is', () => {
    const error = configError({ ...good, AWS_REGION: undefined });
    expect(error.name).toBe('ConfigError');
    expect(error.keys).toEqual(['AWS_REGION']);
    expect(error.message).toBe('Cannot start: AWS_REGION is missing (AWS region, e.g. us-east-1).');
  });

  it('treats an empty value as missing', () => {
    expect(configError({ ...good, JOB_REQUESTS_QUEUE_URL: '  ' }).message).toBe(
      'Cannot start: JOB_REQUESTS_QUEUE_URL is missing (SQS queue URL of annotator-job-requests).',
    );
  });

  it('names every bad key, with the value it got, in one line', () => {
    const error = configError({ ...good, PORT: 'eighty', LOG_LEVEL: 'loud', AWS_ENDPOINT_URL: 'not a url' });
    expect(error.keys).toEqual(['PORT', 'LOG_LEVEL', 'AWS_ENDPOINT_URL']);
    expect(error.message).toBe(
      'Cannot start: PORT must be an integer between 0 and 65535 (got "eighty"); ' +
        'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud"); ' +
        'AWS_ENDPOINT_URL must be a valid uri (got "not a url").',
    );
    expect(error.message).not.toContain('\n');
  });

  it('never echoes a secret value', () => {
    const error = configError({ ...good, STRIPE_SECRET_KEY: 'sk_short' });
    expect(error.keys).toEqual(['STRIPE_SECRET_KEY']);
    expect(error.message).not.toContain('sk_short');
  });

  it('never echoes a URL that carries credentials', () => {
    const error = configError({
      ...good,
      JOB_REQUESTS_QUEUE_URL: 'mysql://admin:pw@db',
      AWS_ENDPOINT_URL: 'bad://u:p@x y',
    });
    expect(error.keys).toEqual(['AWS_ENDPOINT_URL']);
    expect(error.message).not.toContain('p@x');
  });

  it('reports every missing key for an empty environment', () => {
    expect(configError({}).keys).toEqual(['AWS_REGION', 'JOB_REQUESTS_QUEUE_URL', 'STRIPE_SECRET_KEY']);
  });
});

describe('queueDrainConfig', () => {
  it("gives the service's long-poll key and DRAIN_IDLE_SECONDS, in that order, with defaults and limits", () => {
    const Drain = Type.Object({ ...queueDrainConfig('RECEIVE_WAIT_SECONDS', 'long poll') });
    expect(Object.keys(Drain.properties)).toEqual(['RECEIVE_WAIT_SECONDS', 'DRAIN_IDLE_SECONDS']);
    expect(loadConfig(Drain, {})).toEqual({ RECEIVE_WAIT_SECONDS: 20, DRAIN_IDLE_SECONDS: 30 });
    expect(() => loadConfig(Drain, { RECEIVE_WAIT_SECONDS: '21' })).toThrow(
      'Cannot start: RECEIVE_WAIT_SECONDS must be an integer between 0 and 20 (got "21").',
    );
  });
});

describe('commaList', () => {
  it('splits and trims', () => {
    expect(commaList(' a, b,,c ')).toEqual(['a', 'b', 'c']);
    expect(commaList(undefined)).toEqual([]);
  });
});
