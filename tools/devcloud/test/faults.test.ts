/**
 * Test-only fault injection (src/faults/faults.ts), driven through the edge's
 * `/_devcloud/faults` route and observed through the real SDK v3 clients.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  ConfirmSubscriptionCommand,
  CreateTopicCommand,
  PublishCommand,
  type SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultRule } from '../src/index.ts';
import { clientConfig, s3Client, snsClient, sqsClient, startTestCloud, type TestCloud } from './helpers.ts';

/** What the control route answers (a rule, the list, a removal count or an error). */
type ControlAnswer = Partial<FaultRule> & { faults: FaultRule[]; removed?: number; message?: string };

let t: TestCloud;
let s3: S3Client;
let sns: SNSClient;
let sqs: SQSClient;

beforeAll(async () => {
  t = await startTestCloud({ snsDeliveryRetry: { attempts: 4, baseDelayMs: 50, maxDelayMs: 200 } });
  s3 = s3Client(t.cloud, t.credentials);
  sns = snsClient(t.cloud, t.credentials);
  sqs = sqsClient(t.cloud, t.credentials);
  await s3.send(new CreateBucketCommand({ Bucket: 'results' }));
});

afterAll(async () => {
  await t?.dispose();
});

async function control(
  method: string,
  path = '',
  body?: unknown,
): Promise<{ status: number; json: ControlAnswer }> {
  const res = await fetch(`${t.cloud.url}/_devcloud/faults${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.status, json: (await res.json()) as ControlAnswer };
}

async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const limit = Date.now() + 10_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > limit) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** An HTTP endpoint that records the SNS requests it gets (always 200). */
async function startEndpoint() {
  const received: { type: string; messageId: string; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({
        type: String(req.headers['x-amz-sns-message-type']),
        messageId: String(req.headers['x-amz-sns-message-id']),
        body,
      });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sns`,
    received,
    notifications: () => received.filter((r) => r.type === 'Notification'),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function subscribeHttp(topicArn: string, endpoint: Awaited<ReturnType<typeof startEndpoint>>) {
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: endpoint.url }));
  const confirmation = await until('the confirmation', () =>
    endpoint.received.find((r) => r.type === 'SubscriptionConfirmation'),
  );
  const { Token } = JSON.parse(confirmation.body) as { Token: string };
  await sns.send(new ConfirmSubscriptionCommand({ TopicArn: topicArn, Token }));
}

describe('fault injection (test-only)', () => {
  it('refuses a rule it does not understand, with the reason', async () => {
    const bad = await control('POST', '', { kind: 's3-error', operations: ['Explode'] });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/operations must be a list of/);
    expect((await control('POST', '', { kind: 'nothing' })).status).toBe(400);
    expect((await control('POST', '', { kind: 'sns-http-failure', endpointPrefix: 'x' })).status).toBe(400);
  });

  it('S3 answers 500 InternalError once for the matching bucket, prefix and operation only', async () => {
    const rule = await control('POST', '', {
      kind: 's3-error',
      bucket: 'results',
      keyPrefix: 'results/',
      operations: ['PutObject'],
      times: 1,
    });
    expect(rule.status).toBe(201);
    const noRetry = new S3Client({
      ...clientConfig(t.cloud, t.credentials),
      forcePathStyle: true,
      maxAttempts: 1,
    });
    // Another prefix and another operation are served.
    await noRetry.send(new PutObjectCommand({ Bucket: 'results', Key: 'inputs/a.vcf', Body: 'a' }));
    const failed = await noRetry
      .send(new PutObjectCommand({ Bucket: 'results', Key: 'results/u/j/out.vcf', Body: 'x' }))
      .then(
        () => undefined,
        (err: { name: string; $metadata: { httpStatusCode: number } }) => err,
      );
    expect(failed?.name).toBe('InternalError');
    expect(failed?.$metadata.httpStatusCode).toBe(500);
    // Once only: the next attempt is stored and readable.
    await noRetry.send(new PutObjectCommand({ Bucket: 'results', Key: 'results/u/j/out.vcf', Body: 'y' }));
    const got = await noRetry.send(new GetObjectCommand({ Bucket: 'results', Key: 'results/u/j/out.vcf' }));
    expect(await got.Body?.transformToString()).toBe('y');
    const listed = await control('GET');
    expect(listed.json.faults).toEqual([
      expect.objectContaining({ id: rule.json.id, injected: 1, times: 1 }),
    ]);
    noRetry.destroy();
  });

  it("a single 500 is absorbed by the SDK's own retry", async () => {
    await control('DELETE');
    await control('POST', '', { kind: 's3-error', bucket: 'results', operations: ['PutObject'], times: 1 });
    await s3.send(new PutObjectCommand({ Bucket: 'results', Key: 'results/retried', Body: 'z' }));
    expect((await control('GET')).json.faults[0]?.injected).toBe(1);
    await control('DELETE');
  });

  it('SNS HTTP deliveries fail N times and are retried; the endpoint gets the message once', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'faulty-webhook' }));
    const endpoint = await startEndpoint();
    await subscribeHttp(TopicArn!, endpoint);
    const rule = await control('POST', '', {
      kind: 'sns-http-failure',
      endpointPrefix: endpoint.url,
      times: 2,
    });
    await sns.send(new PublishCommand({ TopicArn, Message: 'ring' }));
    await until('the delivery after the retries', () => endpoint.notifications()[0]);
    const fired = await until('two failures counted', async () => {
      const listed = (await control('GET')).json.faults.find((f) => f.id === rule.json.id);
      return listed?.injected === 2 ? listed : undefined;
    });
    expect(fired.injected).toBe(2);
    expect(endpoint.notifications()).toHaveLength(1);
    expect((await control('DELETE', `/${rule.json.id}`)).json.removed).toBe(1);
    expect((await control('DELETE', `/${rule.json.id}`)).status).toBe(404);
    await endpoint.close();
  });

  it('duplicate deliveries: every SQS and HTTP delivery twice, with one SNS MessageId, until removed', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'twice' }));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'twice' }));
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await sns.send(
      new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: attrs.Attributes!.QueueArn! }),
    );
    const endpoint = await startEndpoint();
    await subscribeHttp(TopicArn!, endpoint);
    await control('POST', '', { kind: 'duplicate-deliveries' });
    const { MessageId } = await sns.send(new PublishCommand({ TopicArn, Message: 'once' }));
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    const envelopes = (received.Messages ?? []).map((m) => JSON.parse(m.Body!) as { MessageId: string });
    expect(envelopes.map((e) => e.MessageId)).toEqual([MessageId, MessageId]);
    expect(new Set(received.Messages?.map((m) => m.MessageId)).size).toBe(2);
    await until('two HTTP deliveries', () => (endpoint.notifications().length === 2 ? true : undefined));
    expect(endpoint.notifications().map((n) => n.messageId)).toEqual([MessageId, MessageId]);

    await control('DELETE');
    await sns.send(new PublishCommand({ TopicArn, Message: 'single' }));
    await until('the third HTTP delivery', () => (endpoint.notifications().length === 3 ? true : undefined));
    const after = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    expect(after.Messages).toHaveLength(1);
    // The programmatic handle is the same injector.
    expect(t.cloud.faults.list()).toEqual([]);
    await endpoint.close();
  });

  it('SQS duplicate receives: a message is received twice under one MessageId, each copy deleted by its own handle', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'received-twice' }));
    const { QueueUrl: other } = await sqs.send(new CreateQueueCommand({ QueueName: 'other-once' }));
    await control('POST', '', { kind: 'sqs-duplicate-receives', queuePrefix: 'received-' });
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'job' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: other, MessageBody: 'job' }));
    const receive = async (url = QueueUrl) =>
      (
        await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
        )
      ).Messages ?? [];
    const [first] = await receive();
    const [second] = await receive();
    expect(first?.MessageId).toBe(sent.MessageId);
    expect(second?.MessageId).toBe(sent.MessageId);
    expect(second?.ReceiptHandle).not.toBe(first?.ReceiptHandle);
    expect(await receive()).toEqual([]); // a copy is never copied again
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first!.ReceiptHandle }));
    // The other copy is still in flight under its own handle.
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl,
        ReceiptHandle: second!.ReceiptHandle,
        VisibilityTimeout: 30,
      }),
    );
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: second!.ReceiptHandle }));
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }),
    );
    expect(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible).toBe('0');
    // Queues outside the prefix are not touched.
    expect(await receive(other)).toHaveLength(1);
    expect(await receive(other)).toEqual([]);
    await control('DELETE');
  });
});
