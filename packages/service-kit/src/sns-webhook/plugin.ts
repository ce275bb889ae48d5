/**
 * The SNS HTTPS webhook: the doorbell of a service. SNS POSTs JSON with content-type
 * text/plain; the route reads any content type as text inside its own encapsulated scope
 * (the rest of the app keeps its parsers). Order of checks, cheapest first, each refusal
 * logged (warn) with its reason and answered 4xx (SNS does not retry 4xx):
 *   1. the body is an SNS envelope (contracts' `parseSnsHttpBody`)               400
 *   2. its TopicArn is one this service expects                                 403
 *   3. SigningCertURL is https on an allowed host, path *.pem                    403
 *   4. Timestamp is not older than the dedupe memory, nor > 5 min in the future  403
 *   5. the signature verifies (v1 SHA1withRSA / v2 SHA256withRSA) with the
 *      certificate fetched from SigningCertURL (cached)                          403
 *      (a certificate that cannot be fetched answers 503, so SNS retries)
 * Then by type:
 *   SubscriptionConfirmation: SubscribeURL must pass the same URL rule; it is fetched
 *     to confirm; 200 once confirmed, 502 if the confirmation call failed.
 *   UnsubscribeConfirmation: logged, 200, nothing done.
 *   Notification: MessageId is claimed in the dedupe store; a duplicate is answered
 *     200 `{accepted:false, reason:"duplicate"}` (already handed on; SNS must stop
 *     retrying) without calling the handler. The message is validated with its topic's
 *     schema (400 if invalid: retrying cannot fix it; the SQS copy goes to the DLQ).
 *     `onNotification` is awaited: 200 after it resolves; if it throws, the claim is
 *     released and the answer is 500, so SNS retries.
 */
import {
  parseSnsHttpBody,
  parseSnsMessage,
  type SnsHttpEnvelope,
  type SnsNotification,
  type TopicKey,
  type TopicMessage,
  topicMessages,
} from '@gas/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { CertificateCache, httpsGetText } from './certificates.ts';
import { InMemoryMessageIdStore, type MessageIdStore } from './dedupe.ts';
import { verifySnsSignature } from './signature.ts';
import { assertTrustedUrl, UntrustedUrlError } from './trusted-urls.ts';

export type VerifiedSnsNotification<K extends TopicKey> = {
  [T in K]: {
    topic: T;
    topicArn: string;
    messageId: string;
    timestamp: string;
    subject?: string;
    message: TopicMessage<T>;
  };
}[K];

export type SnsWebhookOptions<K extends TopicKey = TopicKey> = {
  /** Route path, from resources.json `webhooks.<service>.path`. */
  path: string;
  /** The topics (deployed ARNs) this webhook accepts, and which contract each carries. */
  topics: ReadonlyArray<{ arn: string; topic: K }>;
  /** Hosts allowed in SigningCertURL and SubscribeURL (`defaultSnsHosts(region)` in AWS). */
  allowedHosts: readonly string[];
  /** Extra CA (PEM) trusted for those fetches, for the local devcloud's own CA. */
  extraCaPem?: string;
  /** Hands the verified message on; the answer to SNS waits for it. */
  onNotification: (notification: VerifiedSnsNotification<K>, envelope: SnsNotification) => Promise<void>;
  messageIdStore?: MessageIdStore;
  /** Older messages are refused (default: 24 h, the default dedupe memory). */
  maxMessageAgeMs?: number;
  fetchTimeoutMs?: number;
  /** Clock, for tests of message age. */
  now?: () => number;
};

export type SnsWebhookInfo = { path: string; certificates: CertificateCache; messageIds: MessageIdStore };

declare module 'fastify' {
  interface FastifyInstance {
    snsWebhook: SnsWebhookInfo;
  }
}

const FUTURE_SKEW_MS = 5 * 60_000;

class Refusal extends Error {
  override readonly name = 'Refusal';
  readonly statusCode: number;
  constructor(statusCode: number, reason: string) {
    super(reason);
    this.statusCode = statusCode;
  }
}

async function snsWebhook(app: FastifyInstance, options: SnsWebhookOptions): Promise<void> {
  const certificates = new CertificateCache({
    ...(options.extraCaPem ? { extraCaPem: options.extraCaPem } : {}),
    timeoutMs: options.fetchTimeoutMs ?? 5000,
  });
  const messageIds = options.messageIdStore ?? new InMemoryMessageIdStore();
  const maxAgeMs = options.maxMessageAgeMs ?? 24 * 3600_000;
  const now = options.now ?? Date.now;
  const topicByArn = new Map(options.topics.map((entry) => [entry.arn, entry.topic]));
  app.decorate('snsWebhook', { path: options.path, certificates, messageIds });

  async function verify(envelope: SnsHttpEnvelope): Promise<TopicKey> {
    const topic = topicByArn.get(envelope.TopicArn);
    if (!topic) throw new Refusal(403, `unexpected topic ${envelope.TopicArn}`);
    let certUrl: URL;
    try {
      certUrl = assertTrustedUrl('SigningCertURL', envelope.SigningCertURL, options.allowedHosts, {
        requirePemPath: true,
      });
    } catch (error) {
      if (error instanceof UntrustedUrlError) throw new Refusal(403, error.message);
      throw error;
    }
    const sentAt = Date.parse(envelope.Timestamp);
    if (now() - sentAt > maxAgeMs)
      throw new Refusal(403, `message is too old (Timestamp ${envelope.Timestamp})`);
    if (sentAt - now() > FUTURE_SKEW_MS)
      throw new Refusal(403, `message is from the future (${envelope.Timestamp})`);
    let publicKey: Awaited<ReturnType<CertificateCache['publicKeyOf']>>;
    try {
      publicKey = await certificates.publicKeyOf(certUrl);
    } catch (error) {
      throw new Refusal(503, (error as Error).message);
    }
    if (!verifySnsSignature(envelope, publicKey)) {
      throw new Refusal(403, `signature does not verify (SignatureVersion ${envelope.SignatureVersion})`);
    }
    return topic;
  }

  async function confirm(envelope: SnsHttpEnvelope & { SubscribeURL: string }): Promise<void> {
    let url: URL;
    try {
      url = assertTrustedUrl('SubscribeURL', envelope.SubscribeURL, options.allowedHosts);
    } catch (error) {
      if (error instanceof UntrustedUrlError) throw new Refusal(403, error.message);
      throw error;
    }
    let status: number;
    try {
      status = (
        await httpsGetText(url, {
          ...(options.extraCaPem ? { extraCaPem: options.extraCaPem } : {}),
          timeoutMs: options.fetchTimeoutMs ?? 5000,
        })
      ).status;
    } catch (error) {
      throw new Refusal(502, `confirming the subscription failed: ${(error as Error).message}`);
    }
    if (status !== 200) throw new Refusal(502, `confirming the subscription failed: HTTP ${status}`);
  }

  async function handle(request: FastifyRequest, reply: FastifyReply) {
    const context: Record<string, unknown> = { webhook: options.path };
    try {
      let envelope: SnsHttpEnvelope;
      try {
        envelope = parseSnsHttpBody(request.body);
      } catch (error) {
        throw new Refusal(400, (error as Error).message);
      }
      Object.assign(context, {
        sns_type: envelope.Type,
        message_id: envelope.MessageId,
        topic_arn: envelope.TopicArn,
      });
      const headerType = request.headers['x-amz-sns-message-type'];
      if (headerType !== undefined && headerType !== envelope.Type) {
        throw new Refusal(
          400,
          `x-amz-sns-message-type ${String(headerType)} does not match Type ${envelope.Type}`,
        );
      }
      const topic = await verify(envelope);

      if (envelope.Type === 'SubscriptionConfirmation') {
        await confirm(envelope);
        request.log.info(context, 'SNS subscription confirmed');
        return reply.status(200).send({ confirmed: true });
      }
      if (envelope.Type === 'UnsubscribeConfirmation') {
        request.log.warn(context, 'SNS unsubscribe confirmation received; nothing done');
        return reply.status(200).send({ accepted: true });
      }

      if (!(await messageIds.claim(envelope.MessageId))) {
        request.log.warn({ ...context, reason: 'duplicate MessageId' }, 'SNS message refused');
        return reply.status(200).send({ accepted: false, reason: 'duplicate' });
      }
      let message: unknown;
      try {
        message = parseSnsMessage(envelope, topicMessages[topic]);
      } catch (error) {
        request.log.error({ ...context, reason: (error as Error).message }, 'SNS message refused');
        return reply.status(400).send({ accepted: false, reason: (error as Error).message });
      }
      const notification = {
        topic,
        topicArn: envelope.TopicArn,
        messageId: envelope.MessageId,
        timestamp: envelope.Timestamp,
        ...(envelope.Subject !== undefined ? { subject: envelope.Subject } : {}),
        message,
      } as VerifiedSnsNotification<TopicKey>;
      try {
        await options.onNotification(notification, envelope);
      } catch (error) {
        await messageIds.release(envelope.MessageId);
        request.log.error({ ...context, err: error }, 'SNS message handler failed; SNS will retry');
        return reply.status(500).send({ accepted: false, reason: 'handler failed', request_id: request.id });
      }
      request.log.info(context, 'SNS message accepted');
      return reply.status(200).send({ accepted: true });
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      request.log.warn(
        { ...context, reason: error.message, statusCode: error.statusCode },
        'SNS message refused',
      );
      return reply.status(error.statusCode).send({ accepted: false, reason: error.message });
    }
  }

  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_request, body, done) => {
      done(null, body);
    });
    scope.post(options.path, handle);
  });
}

/**
 * Registers the webhook route. Generic over the topic keys so `onNotification` gets a
 * union it can switch on: `if (n.topic === 'jobCompleted') n.message.status ...`.
 */
export const snsWebhookPlugin = fp(snsWebhook, { name: 'gas-sns-webhook', fastify: '5.x' }) as unknown as <
  K extends TopicKey,
>(
  app: FastifyInstance,
  options: SnsWebhookOptions<K>,
) => Promise<void>;
