/**
 * The SQS drain loop every consumer uses (the queue is the durable buffer; the SNS webhook
 * only rings the doorbell).
 *
 * Loop: while running, receive up to min(10, free slots) messages with a long poll
 * (`WaitTimeSeconds`); hand each to the handler, at most `concurrency` at once. An empty
 * receive sleeps `idleDelayMs` (the slow timer) unless `ring()` is called, which wakes the
 * loop at once (a ring during a poll makes the next empty receive skip the sleep).
 *
 * Per message, never per batch:
 *   - handler resolves          -> DeleteMessage.
 *   - handler throws            -> the message stays; its visibility is set to
 *                                  `retryDelaySeconds(receiveCount)` (default backoff 5 s,
 *                                  10 s, 20 s ... 15 min) so it is redelivered later.
 *   - handler throws PoisonMessageError (or a contracts EnvelopeError /
 *     MessageValidationError: the message can never be handled)
 *                               -> visibility 0, so it is received again at once and the
 *                                  queue's redrive policy moves it to the dead-letter queue
 *                                  after maxReceiveCount receives. We rely on the redrive
 *                                  (not an explicit SendMessage to the DLQ): it is atomic,
 *                                  keeps the original message id and attributes, and is the
 *                                  same path as for a message that crashes its consumer.
 * Heartbeat: while a handler runs, ChangeMessageVisibility(visibilityTimeoutSeconds) every
 * `heartbeatIntervalMs` (default a third of the timeout) keeps the message invisible. If a
 * heartbeat fails (the receipt handle is no longer valid), the handler's AbortSignal fires.
 * stop(deadlineMs): stop receiving (the current long poll is aborted), wait for running
 * handlers up to the deadline, then abort the rest and release their messages (visibility
 * 0) so another consumer takes them over at once.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { EnvelopeError, MessageValidationError } from '@gas/contracts';
import type { FastifyBaseLogger as Logger } from 'fastify';

/** Thrown by a handler for a message that can never be handled (goes to the DLQ via redrive). */
export class PoisonMessageError extends Error {
  override readonly name = 'PoisonMessageError';
}

export type QueueMessageContext = {
  /** Fires when the drainer gives the message up (stop deadline, lost heartbeat). */
  signal: AbortSignal;
  /** ApproximateReceiveCount: 1 on the first delivery. */
  receiveCount: number;
  logger: Logger;
};

export type QueueMessageHandler = (message: Message, context: QueueMessageContext) => Promise<void>;

export type QueueDrainerOptions = {
  sqs: SQSClient;
  queueUrl: string;
  handler: QueueMessageHandler;
  logger: Logger;
  concurrency?: number;
  /** Long poll per ReceiveMessage, 0..20 s. */
  waitTimeSeconds?: number;
  /** Pause after an empty receive (the slow timer); `ring()` cuts it short. */
  idleDelayMs?: number;
  /** Visibility requested on receive and renewed by the heartbeat. */
  visibilityTimeoutSeconds: number;
  heartbeatIntervalMs?: number;
  retryDelaySeconds?: (receiveCount: number) => number;
  /** Pause after a failed ReceiveMessage (network, throttling). */
  errorDelayMs?: number;
};

export type StopResult = { finished: number; released: number };

export type QueueDrainer = {
  start(): void;
  /** Doorbell: poll now instead of waiting for the idle timer. */
  ring(): void;
  stop(options?: { deadlineMs?: number }): Promise<StopResult>;
  readonly running: boolean;
  readonly inFlight: number;
};

type InFlight = { message: Message; abort: AbortController; done: Promise<void> };

const defaultRetryDelay = (receiveCount: number) => Math.min(900, 5 * 2 ** Math.max(0, receiveCount - 1));

function isPoison(error: unknown): boolean {
  return (
    error instanceof PoisonMessageError ||
    error instanceof EnvelopeError ||
    error instanceof MessageValidationError
  );
}

export function createQueueDrainer(options: QueueDrainerOptions): QueueDrainer {
  const { sqs, queueUrl, handler, logger } = options;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const waitTimeSeconds = options.waitTimeSeconds ?? 20;
  const idleDelayMs = options.idleDelayMs ?? 0;
  const visibility = options.visibilityTimeoutSeconds;
  const heartbeatMs = options.heartbeatIntervalMs ?? Math.max(1000, (visibility * 1000) / 3);
  const retryDelay = options.retryDelaySeconds ?? defaultRetryDelay;
  const errorDelayMs = options.errorDelayMs ?? 1000;
  const log = logger.child({ queue: queueUrl.split('/').pop() });

  const inFlight = new Map<string, InFlight>();
  let running = false;
  let loop: Promise<void> | undefined;
  let pollAbort: AbortController | undefined;
  let rung = false;
  let wake: (() => void) | undefined;
  let slotFreed: (() => void) | undefined;

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const changeVisibility = (message: Message, seconds: number) =>
    sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: message.ReceiptHandle,
        VisibilityTimeout: seconds,
      }),
    );

  async function handleOne(message: Message, abort: AbortController): Promise<void> {
    const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? '1');
    const messageLog = log.child({ sqs_message_id: message.MessageId, receive_count: receiveCount });
    const heartbeat = setInterval(() => {
      changeVisibility(message, visibility).then(
        () => messageLog.debug('visibility extended'),
        (error: unknown) => {
          messageLog.error({ err: error }, 'heartbeat failed; giving the message up');
          abort.abort(new Error('visibility heartbeat failed'));
        },
      );
    }, heartbeatMs);
    try {
      await handler(message, { signal: abort.signal, receiveCount, logger: messageLog });
      clearInterval(heartbeat);
      if (abort.signal.aborted) return; // released by stop(); another consumer owns it now
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      messageLog.debug('message handled and deleted');
    } catch (error) {
      clearInterval(heartbeat);
      if (abort.signal.aborted) return;
      const poison = isPoison(error);
      const delay = poison ? 0 : retryDelay(receiveCount);
      if (poison) {
        messageLog.error({ err: error }, 'poison message; released for redrive to the dead-letter queue');
      } else {
        messageLog.warn({ err: error, retry_in_s: delay }, 'message failed; it will be redelivered');
      }
      await changeVisibility(message, delay).catch((changeError: unknown) =>
        messageLog.warn({ err: changeError }, 'could not change visibility after failure'),
      );
    }
  }

  function dispatch(message: Message): void {
    const id = message.ReceiptHandle ?? message.MessageId ?? String(Math.random());
    const abort = new AbortController();
    const done = handleOne(message, abort)
      .catch((error: unknown) => log.error({ err: error }, 'unexpected drainer error'))
      .finally(() => {
        inFlight.delete(id);
        slotFreed?.();
      });
    inFlight.set(id, { message, abort, done });
  }

  async function run(): Promise<void> {
    while (running) {
      const free = concurrency - inFlight.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => {
          slotFreed = () => {
            slotFreed = undefined;
            resolve();
          };
        });
        continue;
      }
      rung = false;
      pollAbort = new AbortController();
      let messages: Message[] = [];
      try {
        const result = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(10, free),
            WaitTimeSeconds: waitTimeSeconds,
            VisibilityTimeout: visibility,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
            // The deprecated field, for emulators that only know it ('All' is its only name that types).
            AttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: pollAbort.signal },
        );
        messages = result.Messages ?? [];
      } catch (error) {
        if (!running) break;
        log.error({ err: error }, 'ReceiveMessage failed');
        await pause(errorDelayMs);
        continue;
      }
      if (!running) {
        // Received while stopping: hand the messages straight back.
        await Promise.all(messages.map((m) => changeVisibility(m, 0).catch(() => undefined)));
        break;
      }
      for (const message of messages) dispatch(message);
      if (messages.length === 0 && !rung) await pause(idleDelayMs);
    }
  }

  return {
    get running() {
      return running;
    },
    get inFlight() {
      return inFlight.size;
    },
    start() {
      if (running) return;
      running = true;
      loop = run().catch((error: unknown) => {
        running = false;
        log.fatal({ err: error }, 'queue drainer loop crashed');
      });
      log.info({ concurrency, waitTimeSeconds, visibility }, 'queue drainer started');
    },
    ring() {
      rung = true;
      wake?.();
    },
    async stop({ deadlineMs = 10_000 } = {}) {
      if (!running && !loop) return { finished: 0, released: 0 };
      running = false;
      pollAbort?.abort();
      wake?.();
      slotFreed?.();
      await loop;
      loop = undefined;
      const pending = [...inFlight.values()];
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'deadline'>((resolve) => {
        timer = setTimeout(() => resolve('deadline'), deadlineMs);
      });
      await Promise.race([Promise.all(pending.map((p) => p.done)), deadline]);
      clearTimeout(timer);
      const left = [...inFlight.values()];
      await Promise.all(
        left.map(async (entry) => {
          entry.abort.abort(new Error('drainer stopped'));
          await changeVisibility(entry.message, 0).catch((error: unknown) =>
            log.warn({ err: error }, 'could not release a message on stop'),
          );
        }),
      );
      const result = { finished: pending.length - left.length, released: left.length };
      log.info(result, 'queue drainer stopped');
      return result;
    },
  };
}
