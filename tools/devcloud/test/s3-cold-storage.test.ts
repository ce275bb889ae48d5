import {
  CopyObjectCommand,
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  RestoreObjectCommand,
  type S3Client,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { CreateTopicCommand, type SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, s3Client, snsClient, sqsClient, startTestCloud, type TestCloud } from './helpers.ts';

let t: TestCloud;
let s3: S3Client;
let sns: SNSClient;
let sqs: SQSClient;

function connect(): void {
  s3 = s3Client(t.cloud, t.credentials);
  sns = snsClient(t.cloud, t.credentials);
  sqs = sqsClient(t.cloud, t.credentials);
}
function disconnect(): void {
  s3.destroy();
  sns.destroy();
  sqs.destroy();
}

beforeAll(async () => {
  // Long enough that the 'ongoing' checks right after RestoreObject hold on a loaded machine.
  t = await startTestCloud({ s3RestoreDelayMs: 2500 });
  connect();
  await s3.send(new CreateBucketCommand({ Bucket: 'results' }));
});
afterAll(async () => {
  disconnect();
  await t.dispose();
});

async function errorOf(p: Promise<unknown>): Promise<S3ServiceException> {
  try {
    await p;
  } catch (err) {
    return err as S3ServiceException;
  }
  throw new Error('expected the call to fail');
}

/** An SNS topic fanned out to an SQS queue, the way GAS wires cold-storage events. */
async function topicToQueue(name: string): Promise<{ topicArn: string; queueUrl: string }> {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-queue` }));
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] })))
    .Attributes?.QueueArn;
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: arn }));
  return { topicArn: TopicArn!, queueUrl: QueueUrl! };
}

interface S3EventRecord {
  eventName: string;
  eventSource: string;
  awsRegion: string;
  s3: {
    bucket: { name: string; arn: string };
    object: { key: string; size?: number; eTag?: string };
    configurationId: string;
  };
  glacierEventData?: {
    restoreEventData: { lifecycleRestorationExpiryTime: string; lifecycleRestoreStorageClass: string };
  };
}

/** Reads SNS envelopes from the queue until `count` S3 event records (skipping the s3:TestEvent) arrived. */
async function nextEvents(
  queueUrl: string,
  count: number,
): Promise<Array<{ subject: string; record: S3EventRecord }>> {
  const out: Array<{ subject: string; record: S3EventRecord }> = [];
  await eventually(async () => {
    const got = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 2, MaxNumberOfMessages: 10 }),
    );
    for (const m of got.Messages ?? []) {
      const envelope = JSON.parse(m.Body ?? '{}') as { Subject: string; Message: string };
      const message = JSON.parse(envelope.Message) as { Records?: S3EventRecord[]; Event?: string };
      if (message.Event === 's3:TestEvent') continue;
      for (const record of message.Records ?? []) out.push({ subject: envelope.Subject, record });
      const { DeleteMessageCommand } = await import('@aws-sdk/client-sqs');
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
    return out.length >= count ? out : undefined;
  }, `${count} S3 event(s)`);
  return out;
}

describe('S3 GLACIER storage class', () => {
  it('refuses GetObject on an archived object with InvalidObjectState until a restore completes', async () => {
    await s3.send(
      new PutObjectCommand({
        Bucket: 'results',
        Key: 'cold/a.vcf',
        Body: 'archived bytes',
        StorageClass: 'GLACIER',
      }),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'results', Key: 'cold/a.vcf' }));
    expect(head.StorageClass).toBe('GLACIER');
    expect(head.Restore).toBeUndefined();
    const before = await errorOf(s3.send(new GetObjectCommand({ Bucket: 'results', Key: 'cold/a.vcf' })));
    expect(before.name).toBe('InvalidObjectState');
    expect(before.$metadata.httpStatusCode).toBe(403);

    const restore = await s3.send(
      new RestoreObjectCommand({
        Bucket: 'results',
        Key: 'cold/a.vcf',
        RestoreRequest: { Days: 2, GlacierJobParameters: { Tier: 'Standard' } },
      }),
    );
    expect(restore.$metadata.httpStatusCode).toBe(202);
    const ongoing = await s3.send(new HeadObjectCommand({ Bucket: 'results', Key: 'cold/a.vcf' }));
    expect(ongoing.Restore).toBe('ongoing-request="true"');
    const again = await errorOf(
      s3.send(
        new RestoreObjectCommand({ Bucket: 'results', Key: 'cold/a.vcf', RestoreRequest: { Days: 2 } }),
      ),
    );
    expect(again.name).toBe('RestoreAlreadyInProgress');
    expect(
      (await errorOf(s3.send(new GetObjectCommand({ Bucket: 'results', Key: 'cold/a.vcf' })))).name,
    ).toBe('InvalidObjectState');

    const restored = await eventually(async () => {
      const h = await s3.send(new HeadObjectCommand({ Bucket: 'results', Key: 'cold/a.vcf' }));
      return h.Restore?.startsWith('ongoing-request="false"') ? h : undefined;
    }, 'the restore to complete');
    const expiry = /expiry-date="([^"]+)"/.exec(restored.Restore ?? '')?.[1] ?? '';
    expect(Date.parse(expiry) - Date.now()).toBeGreaterThan(86_400_000);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'results', Key: 'cold/a.vcf' }));
    expect(await got.Body?.transformToString()).toBe('archived bytes');
    expect(got.StorageClass).toBe('GLACIER');
  });

  it('archives with CopyObject to GLACIER and brings back with CopyObject to STANDARD after a restore', async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: 'results', Key: 'warm.vcf', Body: 'results', Metadata: { job: 'j9' } }),
    );
    await s3.send(
      new CopyObjectCommand({
        Bucket: 'results',
        Key: 'warm.vcf',
        CopySource: 'results/warm.vcf',
        StorageClass: 'GLACIER',
      }),
    );
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'results', Prefix: 'warm' }));
    expect(listed.Contents?.[0]?.StorageClass).toBe('GLACIER');
    expect((await errorOf(s3.send(new GetObjectCommand({ Bucket: 'results', Key: 'warm.vcf' })))).name).toBe(
      'InvalidObjectState',
    );
    const copyArchived = await errorOf(
      s3.send(
        new CopyObjectCommand({
          Bucket: 'results',
          Key: 'warm.vcf',
          CopySource: 'results/warm.vcf',
          StorageClass: 'STANDARD',
        }),
      ),
    );
    expect(copyArchived.name).toBe('InvalidObjectState');
    await s3.send(
      new RestoreObjectCommand({ Bucket: 'results', Key: 'warm.vcf', RestoreRequest: { Days: 1 } }),
    );
    await eventually(
      async () =>
        (await s3.send(new HeadObjectCommand({ Bucket: 'results', Key: 'warm.vcf' }))).Restore?.includes(
          '"false"',
        )
          ? true
          : undefined,
      'restore',
    );
    await s3.send(
      new CopyObjectCommand({
        Bucket: 'results',
        Key: 'warm.vcf',
        CopySource: 'results/warm.vcf',
        StorageClass: 'STANDARD',
      }),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'results', Key: 'warm.vcf' }));
    expect(head.StorageClass).toBeUndefined();
    expect(head.Restore).toBeUndefined();
    expect(head.Metadata).toEqual({ job: 'j9' });
    const restoreStandard = await errorOf(
      s3.send(new RestoreObjectCommand({ Bucket: 'results', Key: 'warm.vcf', RestoreRequest: { Days: 1 } })),
    );
    expect(restoreStandard.name).toBe('InvalidObjectState');
  });
});

describe('S3 event notifications to SNS', () => {
  it('refuses a configuration naming a topic that does not exist', async () => {
    const err = await errorOf(
      s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: 'results',
          NotificationConfiguration: {
            TopicConfigurations: [
              {
                TopicArn: `arn:aws:sns:${t.cloud.region}:${t.cloud.accountId}:missing`,
                Events: ['s3:ObjectCreated:*'],
              },
            ],
          },
        }),
      ),
    );
    expect(err.name).toBe('InvalidArgument');
  });

  it('publishes ObjectCreated (with the prefix filter) and ObjectRestore:Completed to a topic, arriving in SQS', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'events' }));
    const created = await topicToQueue('created-events');
    const cold = await topicToQueue('cold-storage-events');
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: 'events',
        NotificationConfiguration: {
          TopicConfigurations: [
            {
              Id: 'created',
              TopicArn: created.topicArn,
              Events: ['s3:ObjectCreated:*'],
              Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'results/' }] } },
            },
            { Id: 'restored', TopicArn: cold.topicArn, Events: ['s3:ObjectRestore:Completed'] },
          ],
        },
      }),
    );
    await s3.send(new PutObjectCommand({ Bucket: 'events', Key: 'inputs/ignored.vcf', Body: 'x' }));
    const put = await s3.send(
      new PutObjectCommand({ Bucket: 'events', Key: 'results/u1/j1 out.vcf', Body: 'annotated' }),
    );
    const [createdEvent] = await nextEvents(created.queueUrl, 1);
    expect(createdEvent?.subject).toBe('Amazon S3 Notification');
    const record = createdEvent!.record;
    expect(record).toMatchObject({
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      awsRegion: t.cloud.region,
    });
    expect(record.s3.bucket).toMatchObject({ name: 'events', arn: 'arn:aws:s3:::events' });
    expect(record.s3.object).toMatchObject({
      key: 'results/u1/j1+out.vcf',
      size: 9,
      eTag: put.ETag?.replace(/"/g, ''),
    });
    expect(record.s3.configurationId).toBe('created');

    await s3.send(
      new CopyObjectCommand({
        Bucket: 'events',
        Key: 'archive/r.vcf',
        CopySource: 'events/results/u1/j1 out.vcf',
        StorageClass: 'GLACIER',
      }),
    );
    await s3.send(
      new RestoreObjectCommand({ Bucket: 'events', Key: 'archive/r.vcf', RestoreRequest: { Days: 1 } }),
    );
    const [restoredEvent] = await nextEvents(cold.queueUrl, 1);
    expect(restoredEvent!.record.eventName).toBe('ObjectRestore:Completed');
    expect(restoredEvent!.record.s3.object.key).toBe('archive/r.vcf');
    expect(restoredEvent!.record.glacierEventData?.restoreEventData.lifecycleRestoreStorageClass).toBe(
      'GLACIER',
    );
    // Nothing else reached the created-events queue (the inputs/ object was filtered out, the copy is outside results/).
    const rest = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: created.queueUrl, WaitTimeSeconds: 1 }),
    );
    expect(rest.Messages ?? []).toHaveLength(0);
  });

  it('completes a restore that was running when devcloud stopped, after the restart', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'restart-restore' }));
    await s3.send(
      new PutObjectCommand({
        Bucket: 'restart-restore',
        Key: 'r.vcf',
        Body: 'deep',
        StorageClass: 'GLACIER',
      }),
    );
    await s3.send(
      new RestoreObjectCommand({ Bucket: 'restart-restore', Key: 'r.vcf', RestoreRequest: { Days: 1 } }),
    );
    disconnect();
    await t.restart();
    connect();
    expect(
      (await s3.send(new HeadObjectCommand({ Bucket: 'restart-restore', Key: 'r.vcf' }))).StorageClass,
    ).toBe('GLACIER');
    const body = await eventually(async () => {
      try {
        const got = await s3.send(new GetObjectCommand({ Bucket: 'restart-restore', Key: 'r.vcf' }));
        return await got.Body?.transformToString();
      } catch {
        return undefined;
      }
    }, 'the restored object after restart');
    expect(body).toBe('deep');
  });
});
