/**
 * The three JSON documents SNS POSTs to an HTTP(S) subscriber (with content-type
 * text/plain), and the one place they are opened. Checking the signature, the certificate
 * URL and the topic is the service-kit webhook plugin's job; this module only says what a
 * well-formed envelope is and turns its `Message` into a typed GAS message.
 */
import Type, { type Static, type TSchema } from 'typebox';
import { EnvelopeError } from '../errors.ts';
import { discriminatedUnion, parseJsonWith, parseWith } from '../validate.ts';

export const SnsTopicArn = Type.String({ pattern: '^arn:[a-z-]+:sns:[a-z0-9-]*:[0-9]*:[A-Za-z0-9_.-]+$' });

export const SnsMessageAttribute = Type.Object({ Type: Type.String(), Value: Type.String() });

const signedFields = {
  MessageId: Type.String({ minLength: 1 }),
  TopicArn: SnsTopicArn,
  Message: Type.String(),
  Timestamp: Type.String({ format: 'date-time' }),
  SignatureVersion: Type.Enum(['1', '2']),
  Signature: Type.String({ minLength: 1 }),
  SigningCertURL: Type.String({ minLength: 1 }),
};

export const SnsNotification = Type.Object(
  {
    Type: Type.Literal('Notification'),
    ...signedFields,
    Subject: Type.Optional(Type.String()),
    UnsubscribeURL: Type.String({ minLength: 1 }),
    MessageAttributes: Type.Optional(Type.Record(Type.String(), SnsMessageAttribute)),
  },
  { title: 'SnsNotification' },
);
export type SnsNotification = Static<typeof SnsNotification>;

export const SnsSubscriptionConfirmation = Type.Object(
  {
    Type: Type.Literal('SubscriptionConfirmation'),
    ...signedFields,
    Token: Type.String({ minLength: 1 }),
    SubscribeURL: Type.String({ minLength: 1 }),
  },
  { title: 'SnsSubscriptionConfirmation' },
);
export type SnsSubscriptionConfirmation = Static<typeof SnsSubscriptionConfirmation>;

export const SnsUnsubscribeConfirmation = Type.Object(
  {
    Type: Type.Literal('UnsubscribeConfirmation'),
    ...signedFields,
    Token: Type.String({ minLength: 1 }),
    SubscribeURL: Type.String({ minLength: 1 }),
  },
  { title: 'SnsUnsubscribeConfirmation' },
);
export type SnsUnsubscribeConfirmation = Static<typeof SnsUnsubscribeConfirmation>;

export const SnsHttpEnvelope = discriminatedUnion(
  'Type',
  [SnsNotification, SnsSubscriptionConfirmation, SnsUnsubscribeConfirmation],
  { title: 'SnsHttpEnvelope' },
);
export type SnsHttpEnvelope = Static<typeof SnsHttpEnvelope>;

/**
 * Parses the body SNS POSTed (the raw text, a Buffer, or an already-parsed object).
 * Throws `EnvelopeError` (not JSON) or `MessageValidationError` (naming the field).
 */
export function parseSnsHttpBody(body: unknown): SnsHttpEnvelope {
  const subject = 'SNS HTTP body';
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    const text = body.toString();
    if (text.trim() === '') throw new EnvelopeError(subject, 'is empty');
    return parseJsonWith(SnsHttpEnvelope, text, subject);
  }
  if (typeof body !== 'object' || body === null) throw new EnvelopeError(subject, 'is not a JSON object');
  return parseWith(SnsHttpEnvelope, body, subject);
}

/** The GAS message inside a Notification, validated by `schema` (e.g. `JobRequested`). */
export function parseSnsMessage<S extends TSchema>(notification: SnsNotification, schema: S): Static<S> {
  return parseJsonWith(
    schema,
    notification.Message,
    `SNS message ${notification.MessageId} from ${notification.TopicArn}: Message`,
  );
}
