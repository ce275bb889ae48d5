import {
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { JobRequested, unwrapSqsMessage } from '@gas/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createQueueDrainer,
  PoisonMessageError,
  type QueueDrainer,
  type QueueMessageHandler,
} from '../src/index.ts';
import { captureLog } from './support/log-capture.ts';
import { type SqsEndpoint, startSqsEndpoint } from './support/sqs-endpoint.ts';
import { waitFor } from './support/wait-for.ts';

let endpoint: SqsEndpoint;
const drainers: QueueDrainer[] = [];

beforeAll(async () => {
  endpoint = await startSqsEndpoint();
});

afterEach(async () => {
  await Promise.all(drainers.splice(0).map((drainer) => drainer.stop({ deadlineMs: 100 })));
});

afterAll(async () => {
  await endpoint.stop();
});

async function counts(queueUrl: string): Promise<{ visible: number; invisible: number }> {
  const result = await endpoint.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(result.Attributes?.ApproximateNumberOfMessages ?? 0),
    invisible: Number(result.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

async function send(queueUrl: string, body: string): Promise<string> {
  return (await endpoint.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body })))
    .MessageId!;
}

function drain(
  queueUrl: string,
  handler: QueueMessageHandler,
  options: Partial<Parameters<typeof createQueueDrainer>[0]> = {},
) {
  const log = captureLog('drainer-test');
  const drainer = createQueueDrainer({
    sqs: endpoint.sqs,
    queueUrl,
    handler,
    logger: log.logger,
    visibilityTimeoutSeconds: 30,
    waitTimeSeconds: 1,
    retryDelaySeconds: () => 0,
    ...options,
  });
  drainers.push(drainer);
  drainer.start();
  return { drainer, log };
}

describe('queue drainer against a real SQS-protocol server', () => {
  it('deletes a message whose handler succeeds', async () => {
    const { queueUrl } = await endpoint.createQueue('success');
    const id = await send(queueUrl, 'hello');
    const seen: Message[] = [];
    drain(queueUrl, async (message) => {
      seen.push(message);
    });
    await waitFor('the message to be deleted', async () => {
      const c = await counts(queueUrl);
      return seen.length === 1 && c.visible === 0 && c.invisible === 0;
    });
    expect(seen[0]!.MessageId).toBe(id);
    expect(seen[0]!.Body).toBe('hello');
  });

  it('leaves a failed message for redelivery, then deletes it when the retry succeeds', async () => {
    const { queueUrl } = await endpoint.createQueue('retry');
    await send(queueUrl, 'flaky');
    const receiveCounts: number[] = [];
    const { log } = drain(queueUrl, async (_message, { receiveCount }) => {
      receiveCounts.push(receiveCount);
      if (receiveCount === 1) throw new Error('database briefly unreachable');
    });
    await waitFor('the retry to succeed and delete', async () => {
      const c = await counts(queueUrl);
      return receiveCounts.length === 2 && c.visible + c.invisible === 0;
    });
    expect(receiveCounts).toEqual([1, 2]);
    expect(log.lines.some((l) => l.msg === 'message failed; it will be redelivered')).toBe(true);
  });

  it('one bad message in a batch does not fail the others', async () => {
    const { queueUrl } = await endpoint.createQueue('mixed', { deadLetter: { maxReceiveCount: 2 } });
    const valid = JSON.stringify({
      schema_version: 1,
      type: 'JobRequested',
      job_id: '7f0c2f44-3a43-4c55-9d5e-8f6a1b2c3d4e',
      user_id: 'u',
      user_email: 'u@example.org',
      user_tier: 'free',
      input_bucket: 'gas-inputs',
      input_key: 'inputs/u/x.vcf',
      input_file_name: 'x.vcf',
      input_size_bytes: 1,
      submitted_at: '2026-11-22T01:00:00.000Z',
    });
    await send(queueUrl, valid);
    await send(queueUrl, '{"not": "a job"}');
    await send(queueUrl, valid);
    const handledJobs: string[] = [];
    drain(
      queueUrl,
      async (message) => {
        handledJobs.push(unwrapSqsMessage(message, JobRequested).message.job_id);
      },
      { concurrency: 3 },
    );
    await waitFor('both valid messages to be handled and deleted', async () => {
      const c = await counts(queueUrl);
      return handledJobs.length === 2 && c.visible + c.invisible <= 1;
    });
    expect(handledJobs).toHaveLength(2);
  });

  it('moves a poison message to the dead-letter queue after maxReceiveCount receives', async () => {
    const { queueUrl, deadLetterQueueUrl } = await endpoint.createQueue('poison', {
      deadLetter: { maxReceiveCount: 3 },
    });
    const id = await send(queueUrl, 'never valid');
    const receiveCounts: number[] = [];
    const { log } = drain(queueUrl, async (_message, { receiveCount }) => {
      receiveCounts.push(receiveCount);
      throw new PoisonMessageError('body is not a JobRequested');
    });
    await waitFor(
      'the message to reach the dead-letter queue',
      async () => (await counts(deadLetterQueueUrl!)).visible === 1,
    );
    expect(receiveCounts).toEqual([1, 2, 3]);
    expect(await counts(queueUrl)).toEqual({ visible: 0, invisible: 0 });
    const dead = await endpoint.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: deadLetterQueueUrl, WaitTimeSeconds: 0 }),
    );
    expect(dead.Messages?.[0]?.MessageId).toBe(id);
    expect(dead.Messages?.[0]?.Body).toBe('never valid');
    expect(
      log.lines.filter((l) => l.msg === 'poison message; released for redrive to the dead-letter queue'),
    ).toHaveLength(3);
  });

  it('keeps a slow message invisible with its heartbeat while the handler runs', async () => {
    const { queueUrl } = await endpoint.createQueue('slow', { visibilityTimeoutSeconds: 2 });
    await send(queueUrl, 'slow job');
    let finish!: () => void;
    const started = new Promise<void>((resolveStarted) => {
      drain(
        queueUrl,
        (_message) =>
          new Promise<void>((resolve) => {
            finish = resolve;
            resolveStarted();
          }),
        { visibilityTimeoutSeconds: 2, heartbeatIntervalMs: 500 },
      );
    });
    await started;
    // A competing consumer polls for three visibility timeouts: the message must never reappear.
    const stolen: Message[] = [];
    const until = Date.now() + 6000;
    while (Date.now() < until) {
      const result = await endpoint.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }),
      );
      stolen.push(...(result.Messages ?? []));
    }
    expect(stolen).toEqual([]);
    finish();
    await waitFor('the slow message to be deleted', async () => {
      const c = await counts(queueUrl);
      return c.visible + c.invisible === 0;
    });
  });

  it('stop() releases an in-flight message at its deadline so another consumer gets it at once', async () => {
    const { queueUrl } = await endpoint.createQueue('release', { visibilityTimeoutSeconds: 300 });
    const id = await send(queueUrl, 'long job');
    let aborted = false;
    const started = new Promise<QueueDrainer>((resolveStarted) => {
      const { drainer } = drain(
        queueUrl,
        (_message, { signal }) =>
          new Promise<void>((resolve) => {
            signal.addEventListener('abort', () => {
              aborted = true;
              resolve();
            });
            resolveStarted(drainer);
          }),
        { visibilityTimeoutSeconds: 300 },
      );
    });
    const drainer = await started;
    const result = await drainer.stop({ deadlineMs: 200 });
    expect(result).toEqual({ finished: 0, released: 1 });
    expect(aborted).toBe(true);
    const again = await endpoint.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        WaitTimeSeconds: 2,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    expect(again.Messages?.[0]?.MessageId).toBe(id);
    expect(again.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
  });

  it('stop() lets a handler that finishes before the deadline delete its message', async () => {
    const { queueUrl } = await endpoint.createQueue('finish');
    await send(queueUrl, 'short job');
    let finish!: () => void;
    const started = new Promise<QueueDrainer>((resolveStarted) => {
      const { drainer } = drain(
        queueUrl,
        () =>
          new Promise<void>((resolve) => {
            finish = resolve;
            resolveStarted(drainer);
          }),
      );
    });
    const drainer = await started;
    const stopping = drainer.stop({ deadlineMs: 10_000 });
    finish();
    expect(await stopping).toEqual({ finished: 1, released: 0 });
    expect(await counts(queueUrl)).toEqual({ visible: 0, invisible: 0 });
  });

  it('ring() wakes an idle drainer instead of waiting for its slow timer', async () => {
    const { queueUrl } = await endpoint.createQueue('doorbell');
    const seen: string[] = [];
    const { drainer, log } = drain(
      queueUrl,
      async (message) => {
        seen.push(message.Body!);
      },
      { waitTimeSeconds: 0, idleDelayMs: 600_000 },
    );
    await waitFor('the drainer to go idle', () => log.lines.some((l) => l.msg === 'queue drainer started'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await send(queueUrl, 'ding');
    drainer.ring();
    await waitFor('the rung message to be handled', () => seen.includes('ding'), { withinMs: 10_000 });
  });

  it('never runs more handlers at once than its concurrency', async () => {
    const { queueUrl } = await endpoint.createQueue('bounded');
    for (let i = 0; i < 6; i++) await send(queueUrl, `m${i}`);
    let running = 0;
    let most = 0;
    const done: string[] = [];
    drain(
      queueUrl,
      async (message) => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 100));
        running--;
        done.push(message.Body!);
      },
      { concurrency: 2 },
    );
    await waitFor('all six messages', () => done.length === 6);
    expect(most).toBe(2);
  });
});
