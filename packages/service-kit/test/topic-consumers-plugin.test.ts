// topicConsumersPlugin against real parts: fauxqs queues, a real HTTPS server serving the
// signing certificate, envelopes signed with RSA as SNS signs them, the real webhook route.
import { randomUUID } from 'node:crypto';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { ArchiveRestored } from '@gas/contracts';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AnyTopicConsumer,
  fastifyLogging,
  healthPlugin,
  type TopicConsumersOptions,
  type TopicMessageContext,
  topicConsumersPlugin,
  topicConsumersSettings,
} from '../src/index.ts';
import { type GeneratedCertificate, selfSignedCertificate } from './support/certificates.ts';
import { type RecordingServer, startHttpsServer } from './support/https-server.ts';
import { type CapturedLog, captureLog } from './support/log-capture.ts';
import { signEnvelope } from './support/sns-signer.ts';
import { type SqsEndpoint, startSqsEndpoint } from './support/sqs-endpoint.ts';
import { waitFor } from './support/wait-for.ts';

const completedTopicArn = 'arn:aws:sns:us-east-1:000000000000:gas-job-completed';
const restoredTopicArn = 'arn:aws:sns:us-east-1:000000000000:gas-archive-restored';
const certPath = '/SimpleNotificationService-0123456789abcdef.pem';

const job_id = '7f0c2f44-3a43-4c55-9d5e-8f6a1b2c3d4e';
const user_id = 'user-42';
const restored: ArchiveRestored = {
  schema_version: 1,
  type: 'ArchiveRestored',
  job_id,
  user_id,
  user_email: 'ada@example.org',
  results_bucket: 'gas-results',
  annotated_vcf_key: `results/${user_id}/${job_id}/sample.annot.vcf.gz`,
  restored_at: '2026-11-22T01:00:00.000Z',
};

let sqs: SqsEndpoint;
let sns: RecordingServer;
let signing: GeneratedCertificate;
/** ReceiveMessage calls answered, counted by an SDK middleware. */
let receives = 0;

beforeAll(async () => {
  sqs = await startSqsEndpoint();
  sqs.sqs.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'ReceiveMessageCommand') receives += 1;
      return result;
    },
    { step: 'initialize', name: 'countReceives' },
  );
  sns = await startHttpsServer();
  signing = await selfSignedCertificate('sns.us-east-1.amazonaws.com');
  sns.routes.set(certPath, { status: 200, body: signing.certPem });
});
afterAll(async () => {
  await sns.close();
  await sqs.stop();
});

type Handled = { message: ArchiveRestored; context: TopicMessageContext };

/** The notifier's wiring (two topics), with `restored` handled into `handled`. */
async function notifierIntake(
  options: { handled: Handled[]; log: CapturedLog } & Partial<TopicConsumersOptions>,
): Promise<{ app: FastifyInstance; restoredQueueUrl: string; doorbells: string[] }> {
  const run = randomUUID().slice(0, 8);
  const completedQueue = await sqs.createQueue(`completed-${run}`);
  const restoredQueue = await sqs.createQueue(`restored-${run}`, { deadLetter: { maxReceiveCount: 1 } });
  const doorbells: string[] = [];
  const consumers: AnyTopicConsumer[] = [
    {
      topic: 'jobCompleted',
      topicArn: completedTopicArn,
      queue: 'notifierJobCompleted',
      queueUrl: completedQueue.queueUrl,
      handle: async () => undefined,
    },
    {
      topic: 'archiveRestored',
      topicArn: restoredTopicArn,
      queue: 'notifierArchiveRestored',
      queueUrl: restoredQueue.queueUrl,
      handle: async (message, context) => {
        options.handled.push({ message, context });
      },
      onDoorbell: (message) => doorbells.push(message.job_id),
    },
  ];
  const app = Fastify(fastifyLogging(options.log.logger));
  await app.register(healthPlugin);
  await app.register(topicConsumersPlugin, {
    service: 'notifier',
    consumers,
    sqs: sqs.sqs,
    allowedHosts: [`localhost:${sns.port}`],
    extraCaPem: sns.tlsCertPem,
    // Only the doorbell can wake an idle loop within the test.
    idleDelayMs: 600_000,
    waitTimeSeconds: 0,
    ...options,
  });
  return { app, restoredQueueUrl: restoredQueue.queueUrl, doorbells };
}

function signedNotification(message: unknown) {
  return signEnvelope(
    {
      Type: 'Notification',
      MessageId: randomUUID(),
      TopicArn: restoredTopicArn,
      Message: JSON.stringify(message),
      Timestamp: new Date().toISOString(),
      SigningCertURL: `https://localhost:${sns.port}${certPath}`,
      UnsubscribeURL: `https://localhost:${sns.port}/?Action=Unsubscribe&SubscriptionArn=${restoredTopicArn}:1`,
    },
    signing.privateKey,
  );
}

describe('topic consumers plugin', () => {
  it('names a drainer and readiness check per topic; the doorbell wakes the idle loop, which hands on the validated message', async () => {
    const handled: Handled[] = [];
    const log = captureLog('notifier');
    const { app, restoredQueueUrl, doorbells } = await notifierIntake({ handled, log });
    receives = 0;
    await app.ready();
    expect(Object.keys(app.queueDrainers)).toEqual(['job-completed', 'archive-restored']);
    const ready = await app.inject('/readyz');
    expect(ready.json().checks.map((c: { name: string }) => c.name)).toEqual([
      'sqs:job-completed',
      'sqs:archive-restored',
    ]);
    // Both loops have received nothing and sleep on the idle timer.
    await waitFor('the first empty receives', () => receives >= 2);

    // The queue's copy as SNS delivers it (the SNS envelope), then the doorbell over HTTPS.
    const notification = signedNotification(restored);
    await sqs.sqs.send(
      new SendMessageCommand({ QueueUrl: restoredQueueUrl, MessageBody: JSON.stringify(notification) }),
    );
    const doorbell = await app.inject({
      method: 'POST',
      url: '/sns/notifier',
      payload: JSON.stringify(notification),
      headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' },
    });
    expect(doorbell.json(), doorbell.body).toEqual({ accepted: true });
    expect(doorbells).toEqual([restored.job_id]);

    await waitFor('the queued message to be handled', () => handled.length === 1);
    expect(handled[0]!.message).toEqual(restored);
    expect(handled[0]!.context.sqsMessage.MessageId).toBeTruthy();
    expect(handled[0]!.context.receiveCount).toBe(1);
    await app.close();
    expect(app.queueDrainers['archive-restored']!.running).toBe(false);
  });

  it('treats a queued message that breaks its topic contract as poison: never handled, redriven to the DLQ', async () => {
    const handled: Handled[] = [];
    const log = captureLog('notifier');
    const { app, restoredQueueUrl } = await notifierIntake({ handled, log, idleDelayMs: 50 });
    await sqs.sqs.send(
      new SendMessageCommand({
        QueueUrl: restoredQueueUrl,
        MessageBody: JSON.stringify({ ...restored, job_id: 'not a job id' }),
      }),
    );
    await app.ready();
    await waitFor('the poison message to be released', () =>
      log.lines.some((l) => l.msg === 'poison message; released for redrive to the dead-letter queue'),
    );
    await waitFor('the queue to be empty', async () => {
      const attributes = await sqs.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: restoredQueueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return (
        attributes.Attributes?.ApproximateNumberOfMessages === '0' &&
        attributes.Attributes?.ApproximateNumberOfMessagesNotVisible === '0'
      );
    });
    expect(handled).toEqual([]);
    await app.close();
  });

  it("leaves start and stop to the service with startAndStop: 'by-the-service'", async () => {
    const log = captureLog('notifier');
    const { app } = await notifierIntake({ handled: [], log, startAndStop: 'by-the-service' });
    await app.ready();
    const drainer = app.queueDrainers['archive-restored']!;
    expect(drainer.running).toBe(false);
    drainer.start();
    await app.close();
    expect(drainer.running).toBe(true);
    await drainer.stop({ deadlineMs: 1000 });
    expect(drainer.running).toBe(false);
  });

  it('derives the shared options from the config keys every consuming service has', () => {
    const config = { AWS_REGION: 'eu-west-1', DRAIN_IDLE_SECONDS: 30, STOP_TIMEOUT_SECONDS: 2.5 };
    expect(topicConsumersSettings(config, 20)).toEqual({
      allowedHosts: ['sns.eu-west-1.amazonaws.com'],
      idleDelayMs: 30_000,
      waitTimeSeconds: 20,
      stopDeadlineMs: 2500,
    });
  });

  it('refuses wiring that does not match resources.json, with a sentence', async () => {
    const app = Fastify();
    await app.register(healthPlugin);
    const wrong: AnyTopicConsumer = {
      topic: 'jobCompleted',
      topicArn: completedTopicArn,
      queue: 'archiverJobCompleted',
      queueUrl: 'http://127.0.0.1:9/000000000000/q',
      handle: async () => undefined,
    };
    await expect(
      app.register(topicConsumersPlugin, {
        service: 'notifier',
        consumers: [wrong],
        sqs: sqs.sqs,
        allowedHosts: ['sns.us-east-1.amazonaws.com'],
        idleDelayMs: 0,
        waitTimeSeconds: 0,
      }),
    ).rejects.toThrow(
      'notifier topic consumers are miswired: queue archiverJobCompleted belongs to archiver; the notifier webhook carries jobCompleted, archiveRestored, the consumers read jobCompleted',
    );
    await app.close();
  });
});
