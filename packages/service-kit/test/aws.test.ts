import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClientConfig, createS3Client, createSqsClient } from '../src/index.ts';
import { type SqsEndpoint, startSqsEndpoint } from './support/sqs-endpoint.ts';

let emulator: SqsEndpoint;
beforeAll(async () => {
  emulator = await startSqsEndpoint();
});
afterAll(async () => {
  await emulator.stop();
});

describe('AWS clients from config', () => {
  it('with an emulator endpoint: endpoint, static credentials, checksums only when required, path-style S3', async () => {
    const config = {
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL: 'https://localhost.devcloud:4566',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'secret',
    };
    expect(awsClientConfig(config)).toEqual({
      region: 'eu-west-1',
      endpoint: 'https://localhost.devcloud:4566',
      credentials: { accessKeyId: 'test', secretAccessKey: 'secret' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const s3 = createS3Client(config);
    expect(s3.config.forcePathStyle).toBe(true);
    expect(await s3.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    expect(await s3.config.region()).toBe('eu-west-1');
    s3.destroy();
  });

  it('without an endpoint (AWS): SDK defaults, default credential chain', async () => {
    expect(awsClientConfig({ AWS_REGION: 'us-east-2' })).toEqual({ region: 'us-east-2' });
    const s3 = createS3Client({ AWS_REGION: 'us-east-2' });
    expect(s3.config.forcePathStyle).toBe(false);
    expect(await s3.config.requestChecksumCalculation()).toBe('WHEN_SUPPORTED');
    s3.destroy();
  });

  it('a client built from config talks to the emulator', async () => {
    const { queueUrl } = await emulator.createQueue('clients');
    const sqs = createSqsClient({
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: emulator.endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    const listed = await sqs.send(new ListQueuesCommand({}));
    expect(listed.QueueUrls).toContain(queueUrl);
    sqs.destroy();
  });
});
