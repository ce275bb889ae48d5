import { verify, X509Certificate } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  ConfirmSubscriptionCommand,
  CreateTopicCommand,
  DeleteTopicCommand,
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTopicsCommand,
  PublishBatchCommand,
  PublishCommand,
  SetSubscriptionAttributesCommand,
  SetTopicAttributesCommand,
  type SNSClient,
  type SNSServiceException,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, snsClient, sqsClient, startTestCloud, type TestCloud } from './helpers.ts';

let t: TestCloud;
let sns: SNSClient;
let sqs: SQSClient;

beforeAll(async () => {
  t = await startTestCloud({
    snsDeliveryRetry: { attempts: 5, baseDelayMs: 50, maxDelayMs: 200, timeoutMs: 5000 },
  });
  sns = snsClient(t.cloud, t.credentials);
  sqs = sqsClient(t.cloud, t.credentials);
});
afterAll(async () => {
  sns.destroy();
  sqs.destroy();
  await t.dispose();
});

async function errorOf(p: Promise<unknown>): Promise<SNSServiceException> {
  try {
    await p;
  } catch (err) {
    return err as SNSServiceException;
  }
  throw new Error('expected the call to fail');
}

async function queueWithArn(name: string): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { url: QueueUrl!, arn: a.Attributes!.QueueArn! };
}

async function receiveOne(QueueUrl: string) {
  const got = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 10, MessageAttributeNames: ['All'] }),
  );
  expect(got.Messages).toHaveLength(1);
  return got.Messages![0]!;
}

/** GET over https trusting devcloud's CA only (what a service configured with the CA file does). */
function httpsGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca: t.cloud.ca.certPem }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/**
 * A minimal SNS receiver that verifies like a careful service: the cert URL must be https on the
 * allowed host, the certificate must chain to devcloud's CA, the SignatureVersion 2 signature
 * must verify over AWS's canonical string.
 */
async function verifySnsMessage(msg: Record<string, string>): Promise<boolean> {
  const certUrl = new URL(msg.SigningCertURL ?? '');
  if (certUrl.protocol !== 'https:' || certUrl.host !== t.cloud.snsCertHost) return false;
  const pem = (await httpsGet(certUrl.toString())).body;
  const cert = new X509Certificate(pem);
  if (!cert.verify(new X509Certificate(t.cloud.ca.certPem).publicKey)) return false;
  const keys =
    msg.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  const canonical = keys
    .filter((k) => msg[k] !== undefined)
    .map((k) => `${k}\n${msg[k]}\n`)
    .join('');
  return verify(
    msg.SignatureVersion === '1' ? 'sha1' : 'sha256',
    Buffer.from(canonical),
    cert.publicKey,
    Buffer.from(msg.Signature ?? '', 'base64'),
  );
}

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  status: number;
}

/** An HTTP(S) endpoint that records requests; answers with queued `statuses` (then 200) and can drop connections. */
async function startEndpoint(secure: boolean) {
  const received: Received[] = [];
  const statuses: number[] = [];
  let toDrop = 0;
  let dropped = 0;
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      const status = statuses.shift() ?? 200;
      received.push({ headers: req.headers, body, status });
      res.statusCode = status;
      res.end();
    });
  };
  let server: http.Server;
  if (secure) {
    const cert = await t.cloud.issueServerCertificate('test-endpoint', ['localhost', '127.0.0.1']);
    server = https.createServer({ key: cert.keyPem, cert: cert.certPem }, handler);
  } else server = http.createServer(handler);
  server.on('connection', (socket) => {
    if (toDrop > 0) {
      toDrop--;
      dropped++;
      socket.destroy();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${secure ? 'https' : 'http'}://localhost:${port}/sns/hook`,
    received,
    statuses,
    dropNextConnections(n: number) {
      toDrop = n;
    },
    get dropped() {
      return dropped;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** Subscribes an http endpoint and confirms it with the token from the SubscriptionConfirmation. */
async function confirmHttp(
  TopicArn: string,
  endpoint: Awaited<ReturnType<typeof startEndpoint>>,
): Promise<void> {
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'http', Endpoint: endpoint.url }));
  const confirmation = await eventually(
    async () => endpoint.received.find((r) => r.headers['x-amz-sns-topic-arn'] === TopicArn),
    'the confirmation',
  );
  const token = (JSON.parse(confirmation.body) as Record<string, string>).Token;
  await sns.send(new ConfirmSubscriptionCommand({ TopicArn, Token: token }));
}

describe('SNS topics', () => {
  it('creates, lists, reads and updates topic attributes, and deletes a topic', async () => {
    const { TopicArn } = await sns.send(
      new CreateTopicCommand({ Name: 'lifecycle-topic', Attributes: { DisplayName: 'Life' } }),
    );
    expect(TopicArn).toBe(`arn:aws:sns:${t.cloud.region}:${t.cloud.accountId}:lifecycle-topic`);
    expect((await sns.send(new CreateTopicCommand({ Name: 'lifecycle-topic' }))).TopicArn).toBe(TopicArn);
    const list = await sns.send(new ListTopicsCommand({}));
    expect(list.Topics?.map((x) => x.TopicArn)).toContain(TopicArn);
    await sns.send(
      new SetTopicAttributesCommand({ TopicArn, AttributeName: 'DisplayName', AttributeValue: 'Renamed' }),
    );
    const attrs = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
    expect(attrs.Attributes?.DisplayName).toBe('Renamed');
    expect(attrs.Attributes?.TopicArn).toBe(TopicArn);
    await sns.send(new DeleteTopicCommand({ TopicArn }));
    const gone = await errorOf(sns.send(new GetTopicAttributesCommand({ TopicArn })));
    expect(gone.name).toBe('NotFoundException');
    const badPublish = await errorOf(sns.send(new PublishCommand({ TopicArn, Message: 'x' })));
    expect(badPublish.name).toBe('NotFoundException');
  });

  it('refuses a wrong secret and an unknown access key', async () => {
    const wrong = snsClient(t.cloud, { accessKeyId: t.credentials.accessKeyId, secretAccessKey: 'wrong' });
    expect((await errorOf(wrong.send(new ListTopicsCommand({})))).name).toBe('SignatureDoesNotMatch');
    const unknown = snsClient(t.cloud, { accessKeyId: 'AKIANOBODY', secretAccessKey: t.secret });
    expect((await errorOf(unknown.send(new ListTopicsCommand({})))).name).toBe('InvalidClientTokenId');
    wrong.destroy();
    unknown.destroy();
  });
});

describe('SNS to SQS', () => {
  it('delivers the signed SNS JSON envelope with Subject and MessageAttributes', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'fanout' }));
    const q = await queueWithArn('fanout-envelope');
    const { SubscriptionArn } = await sns.send(
      new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: q.arn }),
    );
    expect(SubscriptionArn).toMatch(new RegExp(`^${TopicArn}:`));
    const pub = await sns.send(
      new PublishCommand({
        TopicArn,
        Message: '{"job_id":"j1"}',
        Subject: 'JobRequested',
        MessageAttributes: { type: { DataType: 'String', StringValue: 'JobRequested' } },
      }),
    );
    const m = await receiveOne(q.url);
    const envelope = JSON.parse(m.Body ?? '{}') as Record<string, string> & {
      MessageAttributes: Record<string, { Type: string; Value: string }>;
    };
    expect(envelope.Type).toBe('Notification');
    expect(envelope.MessageId).toBe(pub.MessageId);
    expect(envelope.TopicArn).toBe(TopicArn);
    expect(envelope.Subject).toBe('JobRequested');
    expect(envelope.Message).toBe('{"job_id":"j1"}');
    expect(envelope.SignatureVersion).toBe('2');
    expect(envelope.MessageAttributes.type).toEqual({ Type: 'String', Value: 'JobRequested' });
    expect(envelope.UnsubscribeURL).toContain('Action=Unsubscribe');
    expect(await verifySnsMessage(envelope)).toBe(true);
    const subs = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
    expect(subs.Subscriptions?.map((s) => s.Endpoint)).toContain(q.arn);
  });

  it('publishes a batch: each entry delivered, a bad entry reported in Failed', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'batch-topic' }));
    const q = await queueWithArn('batch-topic-queue');
    await sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: 'sqs',
        Endpoint: q.arn,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );
    const out = await sns.send(
      new PublishBatchCommand({
        TopicArn,
        PublishBatchRequestEntries: [
          { Id: 'a', Message: 'first', MessageAttributes: { n: { DataType: 'Number', StringValue: '1' } } },
          { Id: 'b', Message: 'second' },
          { Id: 'c', Message: 'bad', MessageAttributes: { x: { DataType: 'Nonsense', StringValue: '1' } } },
        ],
      }),
    );
    expect(out.Successful?.map((e) => e.Id)).toEqual(['a', 'b']);
    expect(out.Failed?.map((e) => [e.Id, e.Code])).toEqual([['c', 'ParameterValueInvalid']]);
    const got = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: q.url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 5,
        MessageAttributeNames: ['All'],
      }),
    );
    const bodies = (got.Messages ?? []).map((m) => m.Body).sort();
    expect(bodies).toEqual(['first', 'second']);
  });

  it('delivers the bare message with SQS message attributes when RawMessageDelivery is true, and stops after Unsubscribe', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'raw' }));
    const q = await queueWithArn('raw-queue');
    const { SubscriptionArn } = await sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: 'sqs',
        Endpoint: q.arn,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );
    const attrs = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn }));
    expect(attrs.Attributes?.RawMessageDelivery).toBe('true');
    await sns.send(
      new PublishCommand({
        TopicArn,
        Message: 'plain text',
        MessageAttributes: { n: { DataType: 'Number', StringValue: '7' } },
      }),
    );
    const m = await receiveOne(q.url);
    expect(m.Body).toBe('plain text');
    expect(m.MessageAttributes?.n).toMatchObject({ DataType: 'Number', StringValue: '7' });

    await sns.send(
      new SetSubscriptionAttributesCommand({
        SubscriptionArn,
        AttributeName: 'RawMessageDelivery',
        AttributeValue: 'false',
      }),
    );
    await sns.send(new PublishCommand({ TopicArn, Message: 'wrapped' }));
    expect(JSON.parse((await receiveOne(q.url)).Body ?? '{}').Message).toBe('wrapped');

    await sns.send(new UnsubscribeCommand({ SubscriptionArn }));
    await sns.send(new PublishCommand({ TopicArn, Message: 'nobody hears this' }));
    const after = await sqs.send(new ReceiveMessageCommand({ QueueUrl: q.url, WaitTimeSeconds: 1 }));
    expect(after.Messages ?? []).toHaveLength(0);
  });

  it('applies a FilterPolicy on message attributes and on the message body, and refuses operators it does not know', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'filtered' }));
    const byAttrs = await queueWithArn('filtered-attrs');
    const byBody = await queueWithArn('filtered-body');
    await sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: 'sqs',
        Endpoint: byAttrs.arn,
        Attributes: {
          FilterPolicy: JSON.stringify({
            kind: ['JobCompleted'],
            size: [{ numeric: ['>', 10] }],
            tier: [{ 'anything-but': 'premium' }],
          }),
        },
      }),
    );
    await sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: 'sqs',
        Endpoint: byBody.arn,
        Attributes: {
          FilterPolicyScope: 'MessageBody',
          FilterPolicy: JSON.stringify({ job: { status: ['FAILED'], user: [{ prefix: 'u-' }] } }),
        },
      }),
    );
    const attrs = (kind: string, size: string, tier: string) => ({
      kind: { DataType: 'String', StringValue: kind },
      size: { DataType: 'Number', StringValue: size },
      tier: { DataType: 'String', StringValue: tier },
    });
    await sns.send(
      new PublishCommand({
        TopicArn,
        Message: '{"job":{"status":"COMPLETED","user":"u-1"}}',
        MessageAttributes: attrs('JobCompleted', '5', 'free'),
      }),
    );
    await sns.send(
      new PublishCommand({
        TopicArn,
        Message: '{"job":{"status":"FAILED","user":"x-1"}}',
        MessageAttributes: attrs('JobCompleted', '50', 'premium'),
      }),
    );
    await sns.send(
      new PublishCommand({
        TopicArn,
        Message: '{"job":{"status":"FAILED","user":"u-2"}}',
        MessageAttributes: attrs('JobCompleted', '50', 'free'),
      }),
    );
    const a = await receiveOne(byAttrs.url);
    expect(JSON.parse(a.Body ?? '{}').Message).toBe('{"job":{"status":"FAILED","user":"u-2"}}');
    const b = await receiveOne(byBody.url);
    expect(JSON.parse(b.Body ?? '{}').Message).toBe('{"job":{"status":"FAILED","user":"u-2"}}');
    const none = await sqs.send(new ReceiveMessageCommand({ QueueUrl: byAttrs.url, WaitTimeSeconds: 1 }));
    expect(none.Messages ?? []).toHaveLength(0);
    const err = await errorOf(
      sns.send(
        new SubscribeCommand({
          TopicArn,
          Protocol: 'sqs',
          Endpoint: byAttrs.arn,
          Attributes: { FilterPolicy: '{"ip":[{"cidr":"10.0.0.0/8"}]}' },
        }),
      ),
    );
    expect(err.name).toBe('InvalidParameterException');
    expect(err.message).toContain('Unrecognized match type cidr');
  });
});

describe('SNS to HTTP(S)', () => {
  it('confirms an https subscription and delivers signed notifications exactly as AWS does', async () => {
    const endpoint = await startEndpoint(true);
    try {
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'webhook-topic' }));
      const sub = await sns.send(
        new SubscribeCommand({ TopicArn, Protocol: 'https', Endpoint: endpoint.url }),
      );
      expect(sub.SubscriptionArn).toBe('pending confirmation');
      const confirmation = await eventually(async () => endpoint.received[0], 'the SubscriptionConfirmation');
      expect(confirmation.headers['content-type']).toBe('text/plain; charset=UTF-8');
      expect(confirmation.headers['x-amz-sns-message-type']).toBe('SubscriptionConfirmation');
      expect(confirmation.headers['x-amz-sns-topic-arn']).toBe(TopicArn);
      const confirm = JSON.parse(confirmation.body) as Record<string, string>;
      expect(confirm.Type).toBe('SubscriptionConfirmation');
      expect(confirmation.headers['x-amz-sns-message-id']).toBe(confirm.MessageId);
      expect(await verifySnsMessage(confirm)).toBe(true);
      expect(new URL(confirm.SubscribeURL ?? '').host).toBe(t.cloud.snsCertHost);

      // Notifications are not delivered before confirmation.
      await sns.send(new PublishCommand({ TopicArn, Message: 'too early' }));
      const confirmed = await httpsGet(confirm.SubscribeURL ?? '');
      expect(confirmed.status).toBe(200);
      expect(confirmed.body).toContain('<SubscriptionArn>');
      const subs = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
      const arn = subs.Subscriptions?.[0]?.SubscriptionArn ?? '';
      expect(arn).toMatch(new RegExp(`^${TopicArn}:`));

      const pub = await sns.send(
        new PublishCommand({
          TopicArn,
          Message: '{"job_id":"j2"}',
          Subject: 'Done',
          MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } },
        }),
      );
      const delivery = await eventually(
        async () => endpoint.received.find((r) => r.headers['x-amz-sns-message-type'] === 'Notification'),
        'the notification',
      );
      expect(endpoint.received.filter((r) => r.body.includes('too early'))).toHaveLength(0);
      expect(delivery.headers['x-amz-sns-message-id']).toBe(pub.MessageId);
      expect(delivery.headers['x-amz-sns-subscription-arn']).toBe(arn);
      expect(delivery.headers['content-type']).toBe('text/plain; charset=UTF-8');
      const note = JSON.parse(delivery.body) as Record<string, string>;
      expect(note).toMatchObject({
        Type: 'Notification',
        Message: '{"job_id":"j2"}',
        Subject: 'Done',
        TopicArn,
        SignatureVersion: '2',
      });
      expect(await verifySnsMessage(note)).toBe(true);
      // The verifier is not a rubber stamp: a changed message fails.
      expect(await verifySnsMessage({ ...note, Message: '{"job_id":"evil"}' })).toBe(false);

      // The UnsubscribeURL works unsigned, as in AWS.
      const unsub = await httpsGet(note.UnsubscribeURL ?? '');
      expect(unsub.status).toBe(200);
      expect(
        (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }))).Subscriptions ?? [],
      ).toHaveLength(0);
    } finally {
      await endpoint.close();
    }
  });

  it('retries a failed delivery (connection dropped, then HTTP 500) until the endpoint answers 2xx', async () => {
    const endpoint = await startEndpoint(false);
    try {
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'flaky' }));
      await confirmHttp(TopicArn!, endpoint);
      const before = endpoint.received.length;
      endpoint.dropNextConnections(1);
      endpoint.statuses.push(500);
      const pub = await sns.send(new PublishCommand({ TopicArn, Message: 'try again' }));
      const deliveries = await eventually(async () => {
        const got = endpoint.received.slice(before);
        return got.length === 2 ? got : undefined;
      }, 'the delivery after retries');
      expect(endpoint.dropped).toBe(1);
      expect(deliveries.map((d) => d.headers['x-amz-sns-message-id'])).toEqual([
        pub.MessageId,
        pub.MessageId,
      ]);
      expect(deliveries.map((d) => d.status)).toEqual([500, 200]);
    } finally {
      await endpoint.close();
    }
  });

  it('gives up after the configured number of attempts', async () => {
    const endpoint = await startEndpoint(false);
    try {
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'always-failing' }));
      await confirmHttp(TopicArn!, endpoint);
      const before = endpoint.received.length;
      endpoint.statuses.push(500, 500, 500, 500, 500, 500, 500, 500);
      await sns.send(new PublishCommand({ TopicArn, Message: 'never accepted' }));
      await eventually(
        async () => (endpoint.received.length - before === 5 ? true : undefined),
        'five attempts',
      );
      // The policy allows 5 attempts (1 s of backoff in all here); wait past another backoff step.
      await new Promise((r) => setTimeout(r, 600));
      expect(endpoint.received.length - before).toBe(5);
    } finally {
      await endpoint.close();
    }
  });
});

describe('SNS delivery policy', () => {
  it('applies a subscription DeliveryPolicy (numRetries) over the default, and refuses a malformed one', async () => {
    const endpoint = await startEndpoint(false);
    try {
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'policy-topic' }));
      await confirmHttp(TopicArn!, endpoint);
      const subs = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
      const SubscriptionArn = subs.Subscriptions?.[0]?.SubscriptionArn;
      const bad = await errorOf(
        sns.send(
          new SetSubscriptionAttributesCommand({
            SubscriptionArn,
            AttributeName: 'DeliveryPolicy',
            AttributeValue: '{not json',
          }),
        ),
      );
      expect(bad.name).toBe('InvalidParameterException');
      await sns.send(
        new SetSubscriptionAttributesCommand({
          SubscriptionArn,
          AttributeName: 'DeliveryPolicy',
          AttributeValue: JSON.stringify({
            healthyRetryPolicy: { numRetries: 1, minDelayTarget: 0.05, maxDelayTarget: 0.05 },
          }),
        }),
      );
      const before = endpoint.received.length;
      endpoint.statuses.push(500, 500, 500, 500);
      await sns.send(new PublishCommand({ TopicArn, Message: 'two tries only' }));
      await eventually(
        async () => (endpoint.received.length - before === 2 ? true : undefined),
        'two attempts',
      );
      await new Promise((r) => setTimeout(r, 500));
      expect(endpoint.received.length - before).toBe(2);
    } finally {
      await endpoint.close();
    }
  });
});

describe('SNS persistence', () => {
  it('keeps topics and subscriptions across a restart', async () => {
    const { TopicArn } = await sns.send(
      new CreateTopicCommand({ Name: 'durable-topic', Attributes: { DisplayName: 'Durable' } }),
    );
    const q = await queueWithArn('durable-sub');
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: q.arn }));
    const cloud = await t.restart();
    sns.destroy();
    sqs.destroy();
    sns = snsClient(cloud, t.credentials);
    sqs = sqsClient(cloud, t.credentials);
    expect((await sns.send(new GetTopicAttributesCommand({ TopicArn }))).Attributes?.DisplayName).toBe(
      'Durable',
    );
    await sns.send(new PublishCommand({ TopicArn, Message: 'after restart' }));
    expect(
      JSON.parse((await receiveOne(q.url.replace(/^http:\/\/[^/]+/, cloud.url))).Body ?? '{}').Message,
    ).toBe('after restart');
  });
});
