import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListMessageMoveTasksCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  type SQSClient,
  type SQSServiceException,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedFetch, sqsClient, startTestCloud, type TestCloud } from './helpers.ts';

let t: TestCloud;
let sqs: SQSClient;

beforeAll(async () => {
  t = await startTestCloud();
  sqs = sqsClient(t.cloud, t.credentials);
});
afterAll(async () => {
  sqs.destroy();
  await t.dispose();
});

async function errorOf(p: Promise<unknown>): Promise<SQSServiceException> {
  try {
    await p;
  } catch (err) {
    return err as SQSServiceException;
  }
  throw new Error('expected the call to fail');
}

async function attrs(QueueUrl: string): Promise<Record<string, string>> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
  return out.Attributes ?? {};
}

describe('SQS queues', () => {
  it('creates (idempotently), finds, lists, configures and deletes queues', async () => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'lifecycle', Attributes: { VisibilityTimeout: '45' } }),
    );
    expect(QueueUrl).toBe(`${t.cloud.url}/${t.cloud.accountId}/lifecycle`);
    const again = await sqs.send(
      new CreateQueueCommand({ QueueName: 'lifecycle', Attributes: { VisibilityTimeout: '45' } }),
    );
    expect(again.QueueUrl).toBe(QueueUrl);
    const clash = await errorOf(
      sqs.send(new CreateQueueCommand({ QueueName: 'lifecycle', Attributes: { VisibilityTimeout: '10' } })),
    );
    expect(clash.name).toBe('QueueNameExists');
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: 'lifecycle' }))).QueueUrl).toBe(QueueUrl);
    expect((await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'life' }))).QueueUrls).toEqual([
      QueueUrl,
    ]);
    const a = await attrs(QueueUrl!);
    expect(a.VisibilityTimeout).toBe('45');
    expect(a.QueueArn).toBe(`arn:aws:sqs:${t.cloud.region}:${t.cloud.accountId}:lifecycle`);
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl,
        Attributes: { DelaySeconds: '2', ReceiveMessageWaitTimeSeconds: '1' },
      }),
    );
    expect((await attrs(QueueUrl!)).DelaySeconds).toBe('2');
    const badAttr = await errorOf(
      sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { VisibilityTimeout: '99999' } })),
    );
    expect(badAttr.name).toBe('InvalidAttributeValue');
    await sqs.send(new DeleteQueueCommand({ QueueUrl }));
    const missing = await errorOf(sqs.send(new GetQueueUrlCommand({ QueueName: 'lifecycle' })));
    expect(missing.name).toBe('QueueDoesNotExist');
  });
});

describe('SQS messages', () => {
  it('sends with message attributes (MD5s the SDK checks) and receives body, attributes and receive count', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'basic' }));
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: '{"job":"j-1"}',
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: 'JobRequested' },
          n: { DataType: 'Number', StringValue: '3' },
          b: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
        },
      }),
    );
    expect(sent.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    const got = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    expect(got.Messages).toHaveLength(1);
    const m = got.Messages![0]!;
    expect(m.Body).toBe('{"job":"j-1"}');
    expect(m.MessageId).toBe(sent.MessageId);
    expect(m.MessageAttributes?.kind?.StringValue).toBe('JobRequested');
    expect(Buffer.from(m.MessageAttributes?.b?.BinaryValue ?? []).equals(Buffer.from([1, 2, 3]))).toBe(true);
    expect(m.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(m.Attributes?.ApproximateReceiveCount).toBe('1');
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
    expect((await attrs(QueueUrl!)).ApproximateNumberOfMessages).toBe('0');
    const badHandle = await errorOf(
      sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: 'garbage' })),
    );
    expect(badHandle.name).toBe('ReceiptHandleIsInvalid');
  });

  it('hides a received message for the visibility timeout and shows it again with a higher receive count', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'visibility' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'once' }));
    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 60 }));
    expect(first.Messages).toHaveLength(1);
    const hidden = await attrs(QueueUrl!);
    expect(hidden.ApproximateNumberOfMessages).toBe('0');
    expect(hidden.ApproximateNumberOfMessagesNotVisible).toBe('1');
    const empty = await sqs.send(new ReceiveMessageCommand({ QueueUrl }));
    expect(empty.Messages ?? []).toHaveLength(0);
    // Shorten the remaining invisibility to 1 s (a heartbeat in reverse); the long poll sees it return.
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl,
        ReceiptHandle: first.Messages![0]!.ReceiptHandle,
        VisibilityTimeout: 1,
      }),
    );
    const second = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        WaitTimeSeconds: 5,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    expect(second.Messages?.[0]?.Body).toBe('once');
    expect(second.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    // A stale receipt handle no longer changes visibility.
    const stale = await errorOf(
      sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl,
          ReceiptHandle: first.Messages![0]!.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      ),
    );
    expect(stale.name).toBe('MessageNotInflight');
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl,
        ReceiptHandle: second.Messages![0]!.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const third = await sqs.send(new ReceiveMessageCommand({ QueueUrl }));
    expect(third.Messages?.[0]?.Body).toBe('once');
  });

  it('long-polls: a receive waiting up to 20 s returns as soon as a message is sent', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'longpoll' }));
    const started = Date.now();
    const waiting = sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20 }));
    await new Promise((r) => setTimeout(r, 300));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'ding' }));
    const got = await waiting;
    expect(got.Messages?.[0]?.Body).toBe('ding');
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('delays a message by DelaySeconds (counted as delayed, then visible)', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'delayed' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'later', DelaySeconds: 3 }));
    const a = await attrs(QueueUrl!);
    expect(a.ApproximateNumberOfMessagesDelayed).toBe('1');
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages ?? []).toHaveLength(0);
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 10 }));
    expect(got.Messages?.[0]?.Body).toBe('later');
  });

  it('handles batches: send, receive up to MaxNumberOfMessages, change visibility and delete', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'batch' }));
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: Array.from({ length: 5 }, (_, i) => ({ Id: `m${i}`, MessageBody: `body-${i}` })),
      }),
    );
    expect(sent.Successful).toHaveLength(5);
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 3 }));
    expect(got.Messages).toHaveLength(3);
    const changed = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl,
        Entries: got.Messages!.map((m, i) => ({
          Id: `c${i}`,
          ReceiptHandle: m.ReceiptHandle,
          VisibilityTimeout: 60,
        })),
      }),
    );
    expect(changed.Successful).toHaveLength(3);
    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: got.Messages!.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
      }),
    );
    expect(deleted.Successful).toHaveLength(3);
    expect((await attrs(QueueUrl!)).ApproximateNumberOfMessages).toBe('2');
    const tooMany = await errorOf(
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl,
          Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `x${i}`, MessageBody: 'x' })),
        }),
      ),
    );
    expect(tooMany.name).toBe('TooManyEntriesInBatchRequest');
    await sqs.send(new PurgeQueueCommand({ QueueUrl }));
    expect((await attrs(QueueUrl!)).ApproximateNumberOfMessages).toBe('0');
  });

  it('moves a message to the dead-letter queue after maxReceiveCount receives', async () => {
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'work-dlq' }));
    const dlqArn = (await attrs(dlq.QueueUrl!)).QueueArn;
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({
        QueueName: 'work',
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }) },
      }),
    );
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'poison' }));
    for (let i = 0; i < 2; i++) {
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 0 }));
      expect(got.Messages?.[0]?.Body).toBe('poison');
    }
    const third = await sqs.send(new ReceiveMessageCommand({ QueueUrl }));
    expect(third.Messages ?? []).toHaveLength(0);
    const dead = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlq.QueueUrl, MessageSystemAttributeNames: ['All'] }),
    );
    expect(dead.Messages?.[0]?.Body).toBe('poison');
    expect(dead.Messages?.[0]?.MessageId).toBe(sent.MessageId);
    expect(dead.Messages?.[0]?.Attributes?.DeadLetterQueueSourceArn).toMatch(/:work$/);

    // The operator's redrive: find the source queues, move the messages back.
    const sources = await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq.QueueUrl }));
    expect(sources.queueUrls).toEqual([QueueUrl]);
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: dlq.QueueUrl,
        ReceiptHandle: dead.Messages![0]!.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }));
    const tasks = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }));
    expect(tasks.Results?.[0]).toMatchObject({ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 1 });
    const back = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
    );
    expect(back.Messages?.[0]?.MessageId).toBe(sent.MessageId);
    expect(back.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('1');
    const badPolicy = await errorOf(
      sqs.send(
        new CreateQueueCommand({
          QueueName: 'work2',
          Attributes: {
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:nope',
              maxReceiveCount: 2,
            }),
          },
        }),
      ),
    );
    expect(badPolicy.name).toBe('InvalidAttributeValue');
  });
});

describe('SQS legacy query protocol', () => {
  const form = (params: Record<string, string>, path = '/') =>
    signedFetch(t.cloud, t.credentials, {
      service: 'sqs',
      path,
      body: new URLSearchParams({ Version: '2012-11-05', ...params }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    });

  it('creates a queue, sends to the queue URL path with an attribute, and receives it, in XML', async () => {
    const created = await form({
      Action: 'CreateQueue',
      QueueName: 'legacy',
      'Attribute.1.Name': 'VisibilityTimeout',
      'Attribute.1.Value': '40',
    });
    expect(created.status).toBe(200);
    const createdXml = await created.text();
    expect(createdXml).toContain(`<QueueUrl>${t.cloud.url}/${t.cloud.accountId}/legacy</QueueUrl>`);
    const sent = await form(
      {
        Action: 'SendMessage',
        MessageBody: 'from an old client',
        'MessageAttribute.1.Name': 'kind',
        'MessageAttribute.1.Value.DataType': 'String',
        'MessageAttribute.1.Value.StringValue': 'legacy',
      },
      `/${t.cloud.accountId}/legacy`,
    );
    const sentXml = await sent.text();
    expect(sentXml).toMatch(/<MD5OfMessageBody>[0-9a-f]{32}<\/MD5OfMessageBody>/);
    const attributes = await form({
      Action: 'GetQueueAttributes',
      QueueUrl: `${t.cloud.url}/${t.cloud.accountId}/legacy`,
      'AttributeName.1': 'All',
    });
    expect(await attributes.text()).toContain(
      '<Attribute><Name>VisibilityTimeout</Name><Value>40</Value></Attribute>',
    );
    const received = await form({
      Action: 'ReceiveMessage',
      QueueUrl: `${t.cloud.url}/${t.cloud.accountId}/legacy`,
      'MessageAttributeName.1': 'All',
    });
    const receivedXml = await received.text();
    expect(receivedXml).toContain('<Body>from an old client</Body>');
    expect(receivedXml).toContain(
      '<MessageAttribute><Name>kind</Name><Value><DataType>String</DataType><StringValue>legacy</StringValue></Value></MessageAttribute>',
    );
    // The same message through the JSON protocol's view of the queue.
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'legacy' }));
    expect((await attrs(QueueUrl!)).ApproximateNumberOfMessagesNotVisible).toBe('1');
  });

  it('answers errors with the query error codes', async () => {
    const res = await form({ Action: 'GetQueueUrl', QueueName: 'no-such-queue' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<Code>AWS.SimpleQueueService.NonExistentQueue</Code>');
  });
});

describe('SQS authentication and persistence', () => {
  it('refuses a wrong secret with InvalidSignatureException and an unknown key with UnrecognizedClientException', async () => {
    const wrong = sqsClient(t.cloud, { accessKeyId: t.credentials.accessKeyId, secretAccessKey: 'wrong' });
    const err = await errorOf(wrong.send(new ListQueuesCommand({})));
    expect(err.name).toBe('InvalidSignatureException');
    const unknown = sqsClient(t.cloud, { accessKeyId: 'AKIANOBODY', secretAccessKey: t.secret });
    const err2 = await errorOf(unknown.send(new ListQueuesCommand({})));
    expect(err2.name).toBe('UnrecognizedClientException');
    wrong.destroy();
    unknown.destroy();
  });

  it('keeps queues, attributes and messages across a restart', async () => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'durable', Attributes: { VisibilityTimeout: '77' } }),
    );
    await sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: 'survivor',
        MessageAttributes: { a: { DataType: 'String', StringValue: 'b' } },
      }),
    );
    const cloud = await t.restart();
    sqs.destroy();
    sqs = sqsClient(cloud, t.credentials);
    const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: 'durable' }))).QueueUrl!;
    expect((await attrs(url)).VisibilityTimeout).toBe('77');
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MessageAttributeNames: ['All'] }));
    expect(got.Messages?.[0]?.Body).toBe('survivor');
    expect(got.Messages?.[0]?.MessageAttributes?.a?.StringValue).toBe('b');
  });
});

describe('SQS long poll and a consumer that hangs up', () => {
  it('hands nothing to a long poll whose client went away: the message stays visible for the next consumer', async () => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'hang-up', Attributes: { VisibilityTimeout: '120' } }),
    );
    const stopping = new AbortController();
    const abandoned = sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20 }), {
      abortSignal: stopping.signal,
    });
    await new Promise((r) => setTimeout(r, 300));
    stopping.abort();
    await expect(abandoned).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 100));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'for whoever is still listening' }));
    const next = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 2 }));
    expect(next.Messages?.map((m) => m.Body)).toEqual(['for whoever is still listening']);
  });
});
