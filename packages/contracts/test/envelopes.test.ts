import { describe, expect, it } from 'vitest';
import {
  EnvelopeError,
  JobRequested,
  MessageValidationError,
  parseSnsHttpBody,
  parseSnsMessage,
  unwrapSqsBatch,
  unwrapSqsMessage,
} from '../src/index.ts';
import { jobRequested, variant } from './examples.ts';

const topicArn = 'arn:aws:sns:us-east-1:000000000000:gas-job-requests';

const signed = {
  MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
  TopicArn: topicArn,
  Timestamp: '2026-11-22T01:00:00.123Z',
  SignatureVersion: '2',
  Signature:
    'EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q=',
  SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem',
};

const notification = {
  Type: 'Notification',
  ...signed,
  Message: JSON.stringify(jobRequested),
  UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x',
};

const subscriptionConfirmation = {
  Type: 'SubscriptionConfirmation',
  ...signed,
  Token: '2336412f37fb687f5d51e6e241d7700ae02f7124',
  Message: 'You have chosen to subscribe to the topic. To confirm, visit the SubscribeURL.',
  SubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=2336412f',
};

const unsubscribeConfirmation = { ...subscriptionConfirmation, Type: 'UnsubscribeConfirmation' };

function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('SNS over HTTP', () => {
  it('parses the three envelope types from raw text (SNS sends text/plain)', () => {
    for (const envelope of [notification, subscriptionConfirmation, unsubscribeConfirmation]) {
      expect(parseSnsHttpBody(JSON.stringify(envelope))).toEqual(envelope);
      expect(parseSnsHttpBody(Buffer.from(JSON.stringify(envelope)))).toEqual(envelope);
    }
  });

  it('opens the Notification message with the topic schema', () => {
    const envelope = parseSnsHttpBody(JSON.stringify(notification));
    if (envelope.Type !== 'Notification') throw new Error('expected a Notification');
    expect(parseSnsMessage(envelope, JobRequested)).toEqual(jobRequested);
  });

  it('refuses a body that is not JSON, is empty, or has an unknown Type', () => {
    const notJson = thrown(() => parseSnsHttpBody('{"Type": "Notif'));
    expect(notJson).toBeInstanceOf(MessageValidationError);
    expect(notJson.message).toMatch(/^SNS HTTP body is invalid: \(root\) is not JSON/);
    expect(thrown(() => parseSnsHttpBody('  '))).toBeInstanceOf(EnvelopeError);
    expect(thrown(() => parseSnsHttpBody(42))).toBeInstanceOf(EnvelopeError);
    const unknown = thrown(() => parseSnsHttpBody(JSON.stringify({ ...notification, Type: 'Hello' })));
    expect(unknown.message).toContain('/Type must be one of "Notification", "SubscriptionConfirmation"');
  });

  it('names the missing field of each envelope type', () => {
    expect(thrown(() => parseSnsHttpBody(variant(notification, (e) => delete e.Signature))).message).toBe(
      'SNS HTTP body is invalid: /Signature is required',
    );
    expect(
      thrown(() => parseSnsHttpBody(variant(subscriptionConfirmation, (e) => delete e.SubscribeURL))).message,
    ).toBe('SNS HTTP body is invalid: /SubscribeURL is required');
    expect(
      thrown(() => parseSnsHttpBody(variant(unsubscribeConfirmation, (e) => delete e.Token))).message,
    ).toBe('SNS HTTP body is invalid: /Token is required');
    expect(
      thrown(() => parseSnsHttpBody(variant(notification, (e) => (e.SignatureVersion = '3')))).message,
    ).toContain('/SignatureVersion');
    expect(
      thrown(() => parseSnsHttpBody(variant(notification, (e) => (e.TopicArn = 'topic')))).message,
    ).toContain('/TopicArn');
  });

  it('names the message id and topic when the inner message is invalid', () => {
    const bad = {
      ...notification,
      Message: JSON.stringify(variant(jobRequested, (m) => delete m.input_key)),
    };
    const envelope = parseSnsHttpBody(bad);
    if (envelope.Type !== 'Notification') throw new Error('expected a Notification');
    expect(thrown(() => parseSnsMessage(envelope, JobRequested)).message).toBe(
      `SNS message ${signed.MessageId} from ${topicArn}: Message is invalid: /input_key is required`,
    );
  });
});

describe('SNS in SQS', () => {
  const nonRaw = { MessageId: 'sqs-1', ReceiptHandle: 'rh-1', Body: JSON.stringify(notification) };
  const raw = { MessageId: 'sqs-2', ReceiptHandle: 'rh-2', Body: JSON.stringify(jobRequested) };

  it('opens non-raw delivery (SNS envelope in the body) and keeps the SNS ids', () => {
    expect(unwrapSqsMessage(nonRaw, JobRequested)).toEqual({
      message: jobRequested,
      delivery: 'sns',
      sqsMessageId: 'sqs-1',
      snsMessageId: signed.MessageId,
      topicArn,
    });
  });

  it('opens raw delivery (the message is the body)', () => {
    expect(unwrapSqsMessage(raw, JobRequested)).toEqual({
      message: jobRequested,
      delivery: 'raw',
      sqsMessageId: 'sqs-2',
    });
    expect(unwrapSqsMessage(raw, JobRequested, { delivery: 'raw' }).delivery).toBe('raw');
  });

  it('accepts a non-raw envelope without signature fields (LocalStack-style) and with Subject null', () => {
    const { Signature: _s, SigningCertURL: _c, SignatureVersion: _v, ...unsigned } = notification;
    const body = JSON.stringify({ ...unsigned, Subject: null });
    expect(unwrapSqsMessage({ MessageId: 'sqs-3', Body: body }, JobRequested).message).toEqual(jobRequested);
  });

  it('names the record and the field that failed', () => {
    const bad = {
      MessageId: 'sqs-9',
      Body: JSON.stringify({ ...notification, Message: JSON.stringify({ ...jobRequested, job_id: 7 }) }),
    };
    const error = thrown(() => unwrapSqsMessage(bad, JobRequested, { index: 3 }));
    expect(error).toBeInstanceOf(MessageValidationError);
    expect(error.message).toBe('SQS message 3 (id sqs-9) body.Message is invalid: /job_id must be string');
  });

  it('refuses a body that is not JSON, an empty body, and a broken SNS envelope', () => {
    expect(thrown(() => unwrapSqsMessage({ MessageId: 'a', Body: 'hello' }, JobRequested)).message).toMatch(
      /^SQS message 0 \(id a\) body: is not JSON/,
    );
    expect(thrown(() => unwrapSqsMessage({ MessageId: 'b', Body: '' }, JobRequested))).toBeInstanceOf(
      EnvelopeError,
    );
    const forcedSns = thrown(() => unwrapSqsMessage(raw, JobRequested, { delivery: 'sns' }));
    expect(forcedSns.message).toContain(
      'SQS message 0 (id sqs-2) body (SNS envelope) is invalid: /Type is required',
    );
    const innerNotJson = { MessageId: 'c', Body: JSON.stringify({ ...notification, Message: 'plain text' }) };
    expect(thrown(() => unwrapSqsMessage(innerNotJson, JobRequested)).message).toMatch(
      /^SQS message 0 \(id c\) body.Message: is not JSON/,
    );
  });

  it('a batch keeps the good messages and reports each bad one by index', () => {
    const batch = [nonRaw, { MessageId: 'x', ReceiptHandle: 'rh-x', Body: '{' }, raw];
    const { ok, failed } = unwrapSqsBatch(batch, JobRequested);
    expect(ok.map((m) => [m.index, m.receiptHandle, m.delivery])).toEqual([
      [0, 'rh-1', 'sns'],
      [2, 'rh-2', 'raw'],
    ]);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ index: 1, sqsMessageId: 'x', receiptHandle: 'rh-x' });
    expect(failed[0]!.error.message).toMatch(/^SQS message 1 \(id x\) body: is not JSON/);
  });
});
