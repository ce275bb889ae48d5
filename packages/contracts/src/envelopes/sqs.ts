/**
 * Opening a message received from an SQS queue subscribed to an SNS topic, in one place.
 *
 * Non-raw delivery (the SNS default): the SQS body is the SNS Notification JSON and the GAS
 * message is its `Message` string. Raw delivery: the body IS the GAS message (the topic is
 * then known only from which queue it came from). `delivery: 'auto'` (default) recognises
 * the SNS wrapper by `Type: "Notification"` + `TopicArn` + string `Message`; GAS messages
 * use lower-case `type`, so they cannot be mistaken for it.
 *
 * Errors name the record: `SQS message 3 (id …) body.Message: /job_id is required`.
 */
import Type, { type Static, type TSchema } from 'typebox';
import { EnvelopeError, MessageValidationError } from '../errors.ts';
import { parseWith } from '../validate.ts';
import { SnsMessageAttribute, SnsTopicArn } from './sns-http.ts';

/** SNS-in-SQS wrapper. Signature fields are optional here: SQS access is authorised by IAM. */
export const SnsSqsEnvelope = Type.Object(
  {
    Type: Type.Literal('Notification'),
    MessageId: Type.String({ minLength: 1 }),
    TopicArn: SnsTopicArn,
    Message: Type.String(),
    Timestamp: Type.String({ format: 'date-time' }),
    Subject: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    SignatureVersion: Type.Optional(Type.String()),
    Signature: Type.Optional(Type.String()),
    SigningCertURL: Type.Optional(Type.String()),
    UnsubscribeURL: Type.Optional(Type.String()),
    MessageAttributes: Type.Optional(Type.Record(Type.String(), SnsMessageAttribute)),
  },
  { title: 'SnsSqsEnvelope' },
);
export type SnsSqsEnvelope = Static<typeof SnsSqsEnvelope>;

/** The fields of an SQS message this module reads; `@aws-sdk/client-sqs`'s `Message` fits. */
export type SqsMessageLike = {
  MessageId?: string | undefined;
  ReceiptHandle?: string | undefined;
  Body?: string | undefined;
};

export type SqsDelivery = 'auto' | 'raw' | 'sns';

export type UnwrappedSqsMessage<T> = {
  message: T;
  delivery: 'raw' | 'sns';
  sqsMessageId: string;
  /** Non-raw delivery only. */
  snsMessageId?: string;
  topicArn?: string;
};

export type UnwrapOptions = {
  delivery?: SqsDelivery;
  /** Position in the received batch, for error messages. */
  index?: number;
};

function looksLikeSnsEnvelope(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    record.Type === 'Notification' &&
    typeof record.TopicArn === 'string' &&
    typeof record.Message === 'string'
  );
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new EnvelopeError(where, `is not JSON (${(cause as Error).message})`, { cause });
  }
}

/**
 * Opens one SQS message and validates the GAS message inside with `schema`.
 * Throws `EnvelopeError` or `MessageValidationError`, both naming the record.
 */
export function unwrapSqsMessage<S extends TSchema>(
  sqsMessage: SqsMessageLike,
  schema: S,
  options: UnwrapOptions = {},
): UnwrappedSqsMessage<Static<S>> {
  const sqsMessageId = sqsMessage.MessageId ?? '(no id)';
  const record = `SQS message ${options.index ?? 0} (id ${sqsMessageId})`;
  if (sqsMessage.Body === undefined || sqsMessage.Body === '')
    throw new EnvelopeError(`${record} body`, 'is empty');
  const body = parseJson(sqsMessage.Body, `${record} body`);
  const delivery = options.delivery ?? 'auto';
  const isSns = delivery === 'sns' || (delivery === 'auto' && looksLikeSnsEnvelope(body));
  if (!isSns) {
    return { message: parseWith(schema, body, `${record} body`), delivery: 'raw', sqsMessageId };
  }
  const envelope = parseWith(SnsSqsEnvelope, body, `${record} body (SNS envelope)`);
  const inner = parseJson(envelope.Message, `${record} body.Message`);
  return {
    message: parseWith(schema, inner, `${record} body.Message`),
    delivery: 'sns',
    sqsMessageId,
    snsMessageId: envelope.MessageId,
    topicArn: envelope.TopicArn,
  };
}

export type SqsBatchFailure = {
  index: number;
  sqsMessageId: string;
  receiptHandle?: string;
  error: EnvelopeError | MessageValidationError;
};

/**
 * Opens every message of a received batch; one bad message never fails the others.
 * Returns the good ones (with their index and receipt handle) and the failures.
 */
export function unwrapSqsBatch<S extends TSchema>(
  sqsMessages: readonly SqsMessageLike[],
  schema: S,
  options: { delivery?: SqsDelivery } = {},
): {
  ok: Array<UnwrappedSqsMessage<Static<S>> & { index: number; receiptHandle?: string }>;
  failed: SqsBatchFailure[];
} {
  const ok: Array<UnwrappedSqsMessage<Static<S>> & { index: number; receiptHandle?: string }> = [];
  const failed: SqsBatchFailure[] = [];
  sqsMessages.forEach((sqsMessage, index) => {
    try {
      const unwrapped = unwrapSqsMessage(sqsMessage, schema, { ...options, index });
      ok.push({
        ...unwrapped,
        index,
        ...(sqsMessage.ReceiptHandle ? { receiptHandle: sqsMessage.ReceiptHandle } : {}),
      });
    } catch (error) {
      if (!(error instanceof EnvelopeError || error instanceof MessageValidationError)) throw error;
      failed.push({
        index,
        sqsMessageId: sqsMessage.MessageId ?? '(no id)',
        ...(sqsMessage.ReceiptHandle ? { receiptHandle: sqsMessage.ReceiptHandle } : {}),
        error,
      });
    }
  });
  return { ok, failed };
}
