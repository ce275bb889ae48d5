import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GlacierClient } from '@aws-sdk/client-glacier';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type AwsConfig, awsClientConfig } from '@gas/service-kit';
import type { ProvisionClients } from './apply.ts';

/** The provisioning clients, configured exactly as the services configure theirs. */
export function createProvisionClients(aws: AwsConfig, withGlacier: boolean): ProvisionClients {
  const options = awsClientConfig(aws);
  return {
    s3: new S3Client({ ...options, forcePathStyle: Boolean(options.endpoint) }),
    sqs: new SQSClient(options),
    sns: new SNSClient(options),
    dynamodb: new DynamoDBClient(options),
    sesv2: new SESv2Client(options),
    ...(withGlacier ? { glacier: new GlacierClient(options) } : {}),
  };
}

export function destroyProvisionClients(clients: ProvisionClients): void {
  for (const client of Object.values(clients)) client?.destroy();
}
