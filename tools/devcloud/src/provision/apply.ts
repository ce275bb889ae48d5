/**
 * Applies a ProvisionPlan to an account through the real AWS SDK, idempotently: every
 * step first looks for what it would create, so a second run changes nothing and a
 * half-finished run is completed by the next one. Works against devcloud, LocalStack and
 * AWS alike (the docker-compose stack runs this same code in a one-shot container).
 *
 * Order matters: queues and topics first, then SQS subscriptions (the durable path), then
 * buckets, table and vault. Webhook (HTTP/HTTPS) subscriptions are a separate step,
 * `subscribeWebhooks`, run once the services listen, because SNS sends the
 * SubscriptionConfirmation the moment it subscribes.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateVaultCommand, type GlacierClient } from '@aws-sdk/client-glacier';
import {
  CreateBucketCommand,
  HeadBucketCommand,
  PutBucketCorsCommand,
  PutBucketNotificationConfigurationCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CreateEmailIdentityCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import {
  CreateTopicCommand,
  ListSubscriptionsByTopicCommand,
  SetSubscriptionAttributesCommand,
  type SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { ProvisionPlan, QueueKey, ServiceName, TopicKey } from './plan.ts';

export interface ProvisionClients {
  s3: S3Client;
  sqs: SQSClient;
  sns: SNSClient;
  dynamodb: DynamoDBClient;
  sesv2: SESv2Client;
  /** Omitted where the account has no Glacier vault API (LocalStack community, new AWS accounts). */
  glacier?: GlacierClient;
}

export interface ProvisionOptions {
  /** Browser origins allowed to POST uploads straight to the inputs bucket. */
  uploadOrigins: string[];
  /** The address GAS sends e-mail from (an SES identity). */
  senderEmail: string;
}

export interface ProvisionedResources {
  topicArns: Record<TopicKey, string>;
  queueUrls: Record<QueueKey, string>;
  queueArns: Record<QueueKey, string>;
  deadLetterQueueUrls: Record<QueueKey, string>;
  buckets: ProvisionPlan['buckets'];
  jobsTable: string;
  resultsVault: string | null;
}

export async function applyPlan(
  plan: ProvisionPlan,
  clients: ProvisionClients,
  options: ProvisionOptions,
): Promise<ProvisionedResources> {
  const topicArns = {} as Record<TopicKey, string>;
  for (const topic of plan.topics) {
    // CreateTopic is idempotent by name; SignatureVersion 2 = SHA256withRSA signatures.
    const out = await clients.sns.send(
      new CreateTopicCommand({ Name: topic.name, Attributes: { SignatureVersion: '2' } }),
    );
    topicArns[topic.key] = out.TopicArn!;
  }

  const queueUrls = {} as Record<QueueKey, string>;
  const queueArns = {} as Record<QueueKey, string>;
  const deadLetterQueueUrls = {} as Record<QueueKey, string>;
  for (const queue of plan.queues) {
    const dlq = await ensureQueue(clients.sqs, queue.deadLetterName, { MessageRetentionPeriod: '1209600' });
    const topicArn = topicArns[queue.topicKey];
    const main = await ensureQueue(clients.sqs, queue.name, {
      VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
      ReceiveMessageWaitTimeSeconds: '20',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: queue.maxReceiveCount }),
    });
    // The access policy names the queue's own ARN, known only once the queue exists.
    await clients.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: main.url,
        Attributes: { Policy: JSON.stringify(snsMaySendPolicy(main.arn, topicArn)) },
      }),
    );
    queueUrls[queue.key] = main.url;
    queueArns[queue.key] = main.arn;
    deadLetterQueueUrls[queue.key] = dlq.url;
    // Enveloped (not raw) delivery: consumers see which topic a message came from and
    // unwrap it in one place (@gas/contracts).
    await ensureSubscription(clients.sns, topicArn, 'sqs', main.arn);
  }

  for (const bucket of Object.values(plan.buckets)) await ensureBucket(clients.s3, bucket);
  await clients.s3.send(
    new PutBucketCorsCommand({
      Bucket: plan.buckets.inputs,
      CORSConfiguration: {
        CORSRules: [
          {
            AllowedOrigins: options.uploadOrigins,
            AllowedMethods: ['POST', 'PUT'],
            AllowedHeaders: ['*'],
            ExposeHeaders: ['ETag', 'Location'],
            MaxAgeSeconds: 3000,
          },
        ],
      },
    }),
  );
  // The S3-storage-class cold backend learns that a restore finished from this event.
  await clients.s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: plan.buckets.results,
      NotificationConfiguration: {
        TopicConfigurations: [
          {
            Id: 'gas-restore-completed',
            TopicArn: topicArns.coldStorageEvents,
            Events: ['s3:ObjectRestore:Completed'],
          },
        ],
      },
    }),
  );

  await ensureJobsTable(clients.dynamodb, plan.jobsTable);

  let resultsVault: string | null = null;
  if (clients.glacier) {
    await clients.glacier.send(new CreateVaultCommand({ accountId: '-', vaultName: plan.resultsVault }));
    resultsVault = plan.resultsVault;
  }

  try {
    await clients.sesv2.send(new CreateEmailIdentityCommand({ EmailIdentity: options.senderEmail }));
  } catch (err) {
    if (!isNamed(err, 'AlreadyExistsException')) throw err;
  }

  return {
    topicArns,
    queueUrls,
    queueArns,
    deadLetterQueueUrls,
    buckets: plan.buckets,
    jobsTable: plan.jobsTable.name,
    resultsVault,
  };
}

/**
 * Subscribes each service's webhook to its topics (http or https from the URL). Run once
 * the service listens: its SNS webhook plugin answers the SubscriptionConfirmation.
 * Re-subscribing an endpoint that is still pending makes SNS send the confirmation again.
 */
export async function subscribeWebhooks(
  plan: ProvisionPlan,
  sns: SNSClient,
  topicArns: Record<TopicKey, string>,
  serviceBaseUrls: Partial<Record<ServiceName, string>>,
): Promise<void> {
  for (const webhook of plan.webhooks) {
    const base = serviceBaseUrls[webhook.service];
    if (!base) continue;
    const endpoint = new URL(webhook.path, base).toString();
    const protocol = endpoint.startsWith('https:') ? 'https' : 'http';
    for (const topicKey of webhook.topicKeys) {
      await ensureSubscription(sns, topicArns[topicKey], protocol, endpoint);
    }
  }
}

function snsMaySendPolicy(queueArn: string, topicArn: string) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'topic-may-send',
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
      },
    ],
  };
}

async function ensureQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<{ url: string; arn: string }> {
  let url: string;
  try {
    url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl!;
  } catch (err) {
    // A queue that exists with other attributes: bring the attributes up to date.
    if (!isNamed(err, 'QueueAlreadyExists', 'QueueNameExists')) throw err;
    url = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
  }
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  return { url, arn: attrs.Attributes!.QueueArn! };
}

async function ensureSubscription(sns: SNSClient, topicArn: string, protocol: string, endpoint: string) {
  let next: string | undefined;
  do {
    const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: next }));
    const found = page.Subscriptions?.find((s) => s.Protocol === protocol && s.Endpoint === endpoint);
    // A pending http(s) subscription is subscribed again so that SNS re-sends the confirmation.
    if (found?.SubscriptionArn && found.SubscriptionArn !== 'PendingConfirmation') return;
    next = page.NextToken;
  } while (next);
  const out = await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: protocol,
      Endpoint: endpoint,
      ReturnSubscriptionArn: true,
    }),
  );
  if (protocol === 'sqs' && out.SubscriptionArn) {
    await sns.send(
      new SetSubscriptionAttributesCommand({
        SubscriptionArn: out.SubscriptionArn,
        AttributeName: 'RawMessageDelivery',
        AttributeValue: 'false',
      }),
    );
  }
}

async function ensureBucket(s3: S3Client, bucket: string) {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch (err) {
    if (
      !isNamed(err, 'NotFound', 'NoSuchBucket') &&
      (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404
    )
      throw err;
  }
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if (!isNamed(err, 'BucketAlreadyOwnedByYou')) throw err;
  }
}

async function ensureJobsTable(dynamodb: DynamoDBClient, table: ProvisionPlan['jobsTable']) {
  try {
    const existing = await dynamodb.send(new DescribeTableCommand({ TableName: table.name }));
    // A table made by an older version lacks the indexes added since: add them, one per call.
    const have = new Set((existing.Table?.GlobalSecondaryIndexes ?? []).map((ix) => ix.IndexName));
    for (const ix of table.indexes.filter((i) => !have.has(i.name))) {
      try {
        await dynamodb.send(
          new UpdateTableCommand({
            TableName: table.name,
            AttributeDefinitions: [
              { AttributeName: ix.hashKey, AttributeType: 'S' },
              { AttributeName: ix.rangeKey, AttributeType: 'S' },
            ],
            GlobalSecondaryIndexUpdates: [
              {
                Create: {
                  IndexName: ix.name,
                  KeySchema: [
                    { AttributeName: ix.hashKey, KeyType: 'HASH' },
                    { AttributeName: ix.rangeKey, KeyType: 'RANGE' },
                  ],
                  Projection: { ProjectionType: 'ALL' },
                },
              },
            ],
          }),
        );
      } catch (err) {
        throw new Error(
          `The jobs table ${table.name} lacks the index ${ix.name} and it could not be added (${(err as Error).message}). ` +
            'Locally: stop the stack and remove the data dir (.gas/) to start from a fresh one.',
        );
      }
    }
    return;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException) && !isNamed(err, 'ResourceNotFoundException')) throw err;
  }
  const attributeNames = new Set<string>([table.hashKey]);
  for (const ix of table.indexes) {
    attributeNames.add(ix.hashKey);
    attributeNames.add(ix.rangeKey);
  }
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: table.name,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: table.hashKey, KeyType: 'HASH' }],
        AttributeDefinitions: [...attributeNames].map((name) => ({
          AttributeName: name,
          AttributeType: 'S',
        })),
        GlobalSecondaryIndexes: table.indexes.map((ix) => ({
          IndexName: ix.name,
          KeySchema: [
            { AttributeName: ix.hashKey, KeyType: 'HASH' },
            { AttributeName: ix.rangeKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
      }),
    );
  } catch (err) {
    if (!isNamed(err, 'ResourceInUseException')) throw err;
  }
}

function isNamed(err: unknown, ...names: string[]): boolean {
  const e = err as { name?: string; Code?: string; code?: string } | null;
  return !!e && names.some((n) => e.name === n || e.Code === n || e.code === n);
}
