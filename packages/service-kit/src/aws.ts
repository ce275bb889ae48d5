/**
 * AWS SDK v3 clients built from validated config. With `AWS_ENDPOINT_URL` set (devcloud,
 * LocalStack, fauxqs) every client talks to that endpoint, S3 uses path-style addressing
 * (no bucket sub-domains on localhost), and the SDK only computes/validates checksums when
 * an operation requires them (`WHEN_REQUIRED`): emulators do not all implement the newer
 * default CRC32 trailers. Without an endpoint the SDK defaults apply (real AWS).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { AwsConfig } from './config.ts';

export type AwsClientConfig = {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  forcePathStyle?: boolean;
  requestChecksumCalculation?: 'WHEN_REQUIRED' | 'WHEN_SUPPORTED';
  responseChecksumValidation?: 'WHEN_REQUIRED' | 'WHEN_SUPPORTED';
};

/** The constructor options for any SDK v3 client (S3, SQS, SNS, DynamoDB, SES, Glacier...). */
export function awsClientConfig(config: AwsConfig): AwsClientConfig {
  const options: AwsClientConfig = { region: config.AWS_REGION };
  if (config.AWS_ACCESS_KEY_ID && config.AWS_SECRET_ACCESS_KEY) {
    options.credentials = {
      accessKeyId: config.AWS_ACCESS_KEY_ID,
      secretAccessKey: config.AWS_SECRET_ACCESS_KEY,
      ...(config.AWS_SESSION_TOKEN ? { sessionToken: config.AWS_SESSION_TOKEN } : {}),
    };
  }
  if (config.AWS_ENDPOINT_URL) {
    options.endpoint = config.AWS_ENDPOINT_URL;
    options.requestChecksumCalculation = 'WHEN_REQUIRED';
    options.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  return options;
}

export function createS3Client(config: AwsConfig): S3Client {
  const options = awsClientConfig(config);
  return new S3Client({ ...options, forcePathStyle: Boolean(options.endpoint) });
}

export function createSqsClient(config: AwsConfig): SQSClient {
  return new SQSClient(awsClientConfig(config));
}

export function createSnsClient(config: AwsConfig): SNSClient {
  return new SNSClient(awsClientConfig(config));
}

export function createDynamoDbClient(config: AwsConfig): DynamoDBClient {
  return new DynamoDBClient(awsClientConfig(config));
}
