/**
 * The intake of a service that consumes SNS topics, as one plugin. For each topic it reads:
 *   - the SQS queue subscribed to the topic is drained (the durable path; `queueDrainersPlugin`:
 *     a slow idle timer as the safety net, a readiness check per queue, a graceful stop);
 *   - the service's one SNS webhook (path from resources.json `webhooks.<service>`) accepts the
 *     topic and is only the doorbell: a verified notification wakes the drain loop of that
 *     topic's queue. The work is always done from the queue's copy, so a lost or duplicated
 *     doorbell changes nothing, and a message that arrives both ways is handled once by the
 *     consumer's own idempotency (conditional writes on the record).
 *
 * Per message, the drain loop opens the SQS message with contracts' `unwrapTopicMessage`
 * (validated against its topic's schema; a message that breaks the contract is poison: released
 * at once, redriven to the dead-letter queue) and awaits `handle(message, context)`. Resolving
 * deletes it; throwing retries it with backoff (queue-drainer.ts).
 *
 * A drainer is named after its topic's resource name (`job-completed`): `app.queueDrainers[name]`,
 * readiness check `sqs:<name>`, `drainer: <name>` on its log lines. Wiring mistakes stop the boot
 * with a sentence: a queue that is not subscribed to its consumer's topic or belongs to another
 * service, two consumers of one topic, or topics other than those resources.json routes to the
 * service's webhook.
 *
 * Lifecycle: by default the drainers start when the app is ready and stop on close (in-flight
 * messages get `stopDeadlineMs`). With `startAndStop: 'by-the-service'` the service starts and
 * stops them itself (the annotator: once its reference data is in place, and inside its own
 * close sequence).
 */
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import {
  type QueueKey,
  queueSpec,
  resources,
  type TopicKey,
  type TopicMessage,
  unwrapTopicMessage,
  type WebhookService,
  webhookOf,
} from '@gas/contracts';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { QueueMessageContext } from './queue-drainer.ts';
import { queueDrainersPlugin } from './queue-drainer-plugin.ts';
import { snsWebhookPlugin, type VerifiedSnsNotification } from './sns-webhook/plugin.ts';
import { snsTrustFromConfig } from './sns-webhook/trust-config.ts';

/** What a consumer's `handle` gets besides the message: the drainer's context and the raw SQS message. */
export type TopicMessageContext = QueueMessageContext & { sqsMessage: Message };

/** One subscribed topic: where its messages come from and what the service does with each. */
export type TopicConsumer<T extends TopicKey> = {
  /** The topic (contracts key); its schema checks both the webhook's and the queue's copy. */
  topic: T;
  /** The topic's deployed ARN (config): the webhook accepts only listed ARNs. */
  topicArn: string;
  /** The queue subscribed to the topic (contracts key) and its deployed URL (config). */
  queue: QueueKey;
  queueUrl: string;
  /** The work for one message. Resolve: deleted. Throw: retried (PoisonMessageError: dead-letter queue). */
  handle: (message: TopicMessage<T>, context: TopicMessageContext) => Promise<void>;
  /** Called with each verified doorbell notification before the drain loop is woken. */
  onDoorbell?: (message: TopicMessage<T>) => void;
  /** Messages handled at once (default 4). */
  concurrency?: number;
  /** Visibility per receive, renewed by the heartbeat (default: the queue's, resources.json). */
  visibilityTimeoutSeconds?: number;
};

/** A consumer of any one topic (`handle` typed by the `topic` it names). */
export type AnyTopicConsumer = { [T in TopicKey]: TopicConsumer<T> }[TopicKey];

export type TopicConsumersOptions = {
  /** The service whose webhook and queues these are (resources.json). */
  service: WebhookService;
  consumers: readonly AnyTopicConsumer[];
  sqs: SQSClient;
  /** Hosts allowed in SigningCertURL/SubscribeURL and the extra CA (services: `topicConsumersSettings`). */
  allowedHosts: readonly string[];
  extraCaPem?: string;
  /** Pause after an empty receive (the slow safety-net timer); the doorbell cuts it short. */
  idleDelayMs: number;
  /** Long poll per ReceiveMessage, 0..20 s. */
  waitTimeSeconds: number;
  /** On close, in-flight messages may finish this long before they are released. */
  stopDeadlineMs?: number;
  /** 'with-the-app' (default): start on ready, stop on close. 'by-the-service': the service does both. */
  startAndStop?: 'with-the-app' | 'by-the-service';
};

/**
 * The plugin options every consuming service derives from its config the same way: the SNS
 * trust (`snsTrustFromConfig`: SNS_CERT_HOSTS, SNS_EXTRA_CA_FILE), the idle timer
 * (DRAIN_IDLE_SECONDS) and the stop deadline (STOP_TIMEOUT_SECONDS). The long poll is passed in:
 * services name that key differently (QUEUE_WAIT_SECONDS, RECEIVE_WAIT_SECONDS).
 */
export function topicConsumersSettings(
  config: Parameters<typeof snsTrustFromConfig>[0] & {
    DRAIN_IDLE_SECONDS: number;
    STOP_TIMEOUT_SECONDS: number;
  },
  waitTimeSeconds: number,
): Pick<
  TopicConsumersOptions,
  'allowedHosts' | 'extraCaPem' | 'idleDelayMs' | 'waitTimeSeconds' | 'stopDeadlineMs'
> {
  return {
    ...snsTrustFromConfig(config),
    idleDelayMs: config.DRAIN_IDLE_SECONDS * 1000,
    waitTimeSeconds,
    stopDeadlineMs: config.STOP_TIMEOUT_SECONDS * 1000,
  };
}

/** The drainer (and readiness check) name of a topic's queue: the topic's resource name. */
export function drainerNameOf(topic: TopicKey): string {
  return resources.topics[topic];
}

function checkWiring(service: WebhookService, consumers: readonly AnyTopicConsumer[]): void {
  const problems: string[] = [];
  for (const consumer of consumers) {
    const spec = queueSpec(consumer.queue);
    if (spec.topic !== consumer.topic)
      problems.push(`queue ${consumer.queue} is subscribed to ${spec.topic}, not ${consumer.topic}`);
    if (spec.service !== service) problems.push(`queue ${consumer.queue} belongs to ${spec.service}`);
  }
  const topics = consumers.map((consumer) => consumer.topic);
  const expected = webhookOf(service).topics;
  if (new Set(topics).size !== topics.length)
    problems.push(`a topic has two consumers (${topics.join(', ')})`);
  if ([...topics].sort().join() !== [...expected].sort().join())
    problems.push(
      `the ${service} webhook carries ${expected.join(', ')}, the consumers read ${topics.join(', ')}`,
    );
  if (problems.length) throw new Error(`${service} topic consumers are miswired: ${problems.join('; ')}`);
}

async function topicConsumers(app: FastifyInstance, options: TopicConsumersOptions): Promise<void> {
  const { service, consumers } = options;
  checkWiring(service, consumers);
  const byTheService = options.startAndStop === 'by-the-service';
  await app.register(queueDrainersPlugin, {
    autoStart: !byTheService,
    autoStop: !byTheService,
    ...(options.stopDeadlineMs !== undefined ? { stopDeadlineMs: options.stopDeadlineMs } : {}),
    queues: Object.fromEntries(
      consumers.map((consumer) => [
        drainerNameOf(consumer.topic),
        {
          sqs: options.sqs,
          queueUrl: consumer.queueUrl,
          idleDelayMs: options.idleDelayMs,
          waitTimeSeconds: options.waitTimeSeconds,
          ...(consumer.concurrency !== undefined ? { concurrency: consumer.concurrency } : {}),
          visibilityTimeoutSeconds:
            consumer.visibilityTimeoutSeconds ?? queueSpec(consumer.queue).visibilityTimeoutSeconds,
          handler: async (sqsMessage: Message, context: QueueMessageContext) => {
            const { message } = unwrapTopicMessage(sqsMessage, consumer.topic);
            const handle = consumer.handle as (m: typeof message, c: TopicMessageContext) => Promise<void>;
            await handle(message, { ...context, sqsMessage });
          },
        },
      ]),
    ),
  });

  const consumerOf = new Map(consumers.map((consumer) => [consumer.topic, consumer]));
  await app.register(snsWebhookPlugin, {
    path: webhookOf(service).path,
    topics: consumers.map((consumer) => ({ arn: consumer.topicArn, topic: consumer.topic })),
    allowedHosts: options.allowedHosts,
    ...(options.extraCaPem !== undefined ? { extraCaPem: options.extraCaPem } : {}),
    onNotification: async (notification: VerifiedSnsNotification<TopicKey>) => {
      const onDoorbell = consumerOf.get(notification.topic)?.onDoorbell as
        | ((message: typeof notification.message) => void)
        | undefined;
      onDoorbell?.(notification.message);
      app.queueDrainers[drainerNameOf(notification.topic)]!.ring();
    },
  });
}

export const topicConsumersPlugin = fp(topicConsumers, {
  name: 'gas-topic-consumers',
  fastify: '5.x',
  dependencies: ['gas-health'],
});
