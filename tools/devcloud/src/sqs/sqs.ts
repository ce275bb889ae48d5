/**
 * Amazon SQS, JSON protocol (`x-amz-target: AmazonSQS.<Operation>`, as @aws-sdk/client-sqs v3
 * sends it; the SDK may post to the queue URL's path, so the path is ignored), and the legacy
 * query protocol mapped onto the same operations (query-protocol.ts).
 *
 * Model: each queue holds its messages in memory; a message is visible when `visibleAt <= now`
 * (covers DelaySeconds and the visibility timeout alike). Receiving a visible message bumps its
 * receive count and hides it for the visibility timeout under a fresh receipt handle; when a
 * queue has a RedrivePolicy, a message that was already received `maxReceiveCount` times is
 * moved to the dead-letter queue instead of being returned. Long polls wait on a per-queue
 * signal (a send, or the next message becoming visible) and return as soon as one message is there.
 * The whole state is written as a JSON snapshot after each change and on close.
 *
 * Test-only duplicates (faults/faults.ts `sqs-duplicate-receives`): on its first receive a
 * message leaves a copy behind, visible at once, with the same MessageId and body (as when an
 * SQS server holding a copy missed the receive). Copies share the MessageId, so a receipt
 * handle names its copy by its receive nonce: ChangeMessageVisibility and DeleteMessage act on
 * the copy received with that handle (a handle of no current copy deletes every copy, as an
 * older handle of a message deletes it).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { jsonError } from '../edge/errors.ts';
import { JsonSnapshot } from '../edge/snapshot.ts';
import type { DevcloudContext, EdgeRequest, EdgeResponse, EmulatedService } from '../edge/types.ts';
import type { FaultInjector } from '../faults/faults.ts';
import { splitUrl } from '../sigv4/sigv4.ts';
import { outputToXml, queryErrorBody, queryResponse, queryToInput } from './query-protocol.ts';

export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string; // base64 on the wire
}

interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  md5OfMessageAttributes: string | null;
  messageAttributes: Record<string, MessageAttributeValue>;
  systemAttributes: Record<string, string>;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt: number | null;
  /** Nonce of the latest receive; a receipt handle is valid for ChangeMessageVisibility only while it matches. */
  receiptNonce: string | null;
  /** True once it has been received and not yet deleted (in flight while invisible). */
  delayed: boolean;
}

interface Queue {
  name: string;
  createdAt: number;
  modifiedAt: number;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  messages: StoredMessage[];
}

interface SqsSnapshot {
  queues: Queue[];
}

class SqsError extends Error {
  readonly type: string;
  readonly queryCode: string;
  readonly status: number;
  constructor(type: string, message: string, queryCode = type, status = 400) {
    super(message);
    this.type = type;
    this.queryCode = queryCode;
    this.status = status;
  }
}

const DEFAULT_ATTRIBUTES: Record<string, string> = {
  VisibilityTimeout: '30',
  DelaySeconds: '0',
  MaximumMessageSize: '262144',
  MessageRetentionPeriod: '345600',
  ReceiveMessageWaitTimeSeconds: '0',
  SqsManagedSseEnabled: 'true',
};
const SETTABLE = new Set([
  'VisibilityTimeout',
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'Policy',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'SqsManagedSseEnabled',
]);
const RANGES: Record<string, [number, number]> = {
  VisibilityTimeout: [0, 43_200],
  DelaySeconds: [0, 900],
  MaximumMessageSize: [1024, 262_144],
  MessageRetentionPeriod: [60, 1_209_600],
  ReceiveMessageWaitTimeSeconds: [0, 20],
};
const READ_ONLY = new Set([
  'QueueArn',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
]);

const md5Hex = (data: Buffer | string): string => createHash('md5').update(data).digest('hex');

/** MD5 of message attributes as SQS computes it (sorted by name; length-prefixed fields). */
export function md5OfMessageAttributes(attrs: Record<string, MessageAttributeValue>): string | null {
  const names = Object.keys(attrs).sort();
  if (names.length === 0) return null;
  const parts: Buffer[] = [];
  const lenPrefixed = (b: Buffer): void => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    parts.push(len, b);
  };
  for (const name of names) {
    const v = attrs[name] as MessageAttributeValue;
    lenPrefixed(Buffer.from(name, 'utf8'));
    lenPrefixed(Buffer.from(v.DataType, 'utf8'));
    if (v.BinaryValue !== undefined) {
      parts.push(Buffer.from([2]));
      lenPrefixed(Buffer.from(v.BinaryValue, 'base64'));
    } else {
      parts.push(Buffer.from([1]));
      lenPrefixed(Buffer.from(v.StringValue ?? '', 'utf8'));
    }
  }
  return md5Hex(Buffer.concat(parts));
}

function validateMessageAttributes(attrs: unknown): Record<string, MessageAttributeValue> {
  if (attrs === undefined || attrs === null) return {};
  if (typeof attrs !== 'object')
    throw new SqsError('InvalidParameterValue', 'MessageAttributes must be a map.');
  const out: Record<string, MessageAttributeValue> = {};
  const entries = Object.entries(attrs as Record<string, MessageAttributeValue>);
  if (entries.length > 10)
    throw new SqsError(
      'InvalidParameterValue',
      'Number of message attributes [' + entries.length + '] exceeds the allowed maximum [10].',
    );
  for (const [name, v] of entries) {
    if (
      !/^[A-Za-z0-9_.-]{1,256}$/.test(name) ||
      name.toLowerCase().startsWith('aws.') ||
      name.toLowerCase().startsWith('amazon.')
    ) {
      throw new SqsError('InvalidParameterValue', `Message attribute name '${name}' is invalid.`);
    }
    const type = v?.DataType ?? '';
    const base = type.split('.')[0];
    if (base !== 'String' && base !== 'Number' && base !== 'Binary') {
      throw new SqsError(
        'InvalidParameterValue',
        `The type of message attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
      );
    }
    if (base === 'Binary' ? v.BinaryValue === undefined : v.StringValue === undefined) {
      throw new SqsError(
        'InvalidParameterValue',
        `Message attribute '${name}' must contain a non-empty message attribute value for message attribute type '${type}'.`,
      );
    }
    out[name] =
      base === 'Binary'
        ? { DataType: type, BinaryValue: v.BinaryValue }
        : { DataType: type, StringValue: v.StringValue };
  }
  return out;
}

interface ReceiptHandle {
  q: string;
  m: string;
  n: string;
}

function encodeHandle(h: ReceiptHandle): string {
  return Buffer.from(JSON.stringify(h)).toString('base64url');
}

function decodeHandle(raw: unknown): ReceiptHandle {
  if (typeof raw !== 'string' || raw === '')
    throw new SqsError('ReceiptHandleIsInvalid', 'The input receipt handle is invalid.');
  try {
    const h = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as ReceiptHandle;
    if (typeof h.q === 'string' && typeof h.m === 'string' && typeof h.n === 'string') return h;
  } catch {
    // falls through
  }
  throw new SqsError(
    'ReceiptHandleIsInvalid',
    `The input receipt handle "${raw.slice(0, 40)}" is not a valid receipt handle.`,
  );
}

export class SqsService implements EmulatedService {
  readonly signingNames = ['sqs'];
  readonly #ctx: DevcloudContext;
  readonly #queues = new Map<string, Queue>();
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #snapshot: JsonSnapshot<SqsSnapshot>;
  #closed = false;
  /** Finished redrive tasks (moves complete at once here), newest last; in memory only. */
  readonly #moveTasks: Array<Record<string, unknown>> = [];

  readonly #faults: FaultInjector | undefined;

  constructor(ctx: DevcloudContext, faults?: FaultInjector) {
    this.#ctx = ctx;
    this.#faults = faults;
    this.#snapshot = new JsonSnapshot(
      join(ctx.dataDir, 'sqs', 'state.json'),
      () => ({ queues: [...this.#queues.values()] }),
      (err) => ctx.log.error({ err }, 'sqs: could not write the state snapshot'),
    );
    for (const q of this.#snapshot.load()?.queues ?? []) this.#queues.set(q.name, q);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const set of this.#waiters.values()) for (const wake of set) wake();
    await this.#snapshot.flush();
  }

  queueUrl(name: string): string {
    return `${this.#ctx.edgeUrl}/${this.#ctx.accountId}/${name}`;
  }

  queueArn(name: string): string {
    return `arn:aws:sqs:${this.#ctx.region}:${this.#ctx.accountId}:${name}`;
  }

  #queueFromUrl(url: unknown): Queue {
    if (typeof url !== 'string' || url === '')
      throw new SqsError('MissingParameter', 'The request must contain the parameter QueueUrl.');
    const name = url.replace(/\/+$/, '').split('/').pop() ?? '';
    const q = this.#queues.get(name);
    if (!q)
      throw new SqsError(
        'QueueDoesNotExist',
        'The specified queue does not exist.',
        'AWS.SimpleQueueService.NonExistentQueue',
      );
    return q;
  }

  /** Queue by ARN, for SNS deliveries. */
  queueByArn(arn: string): string | null {
    const name = arn.split(':').pop() ?? '';
    return this.#queues.has(name) && this.queueArn(name) === arn ? name : null;
  }

  async handle(req: EdgeRequest): Promise<EdgeResponse> {
    const target = req.headers['x-amz-target'] ?? '';
    if (!target.startsWith('AmazonSQS.')) return this.#handleQueryProtocol(req);
    const op = target.slice('AmazonSQS.'.length);
    let input: Record<string, unknown>;
    try {
      input = req.body.length === 0 ? {} : (JSON.parse(req.body.toString('utf8')) as Record<string, unknown>);
    } catch {
      return jsonError(
        400,
        'com.amazonaws.sqs#InvalidParameterValue',
        'The request body is not valid JSON.',
        { 'x-amzn-query-error': 'InvalidParameterValue;Sender' },
      );
    }
    try {
      const out = await this.#dispatch(op, input, req.signal);
      return {
        status: 200,
        headers: { 'content-type': 'application/x-amz-json-1.0' },
        body: JSON.stringify(out),
      };
    } catch (err) {
      if (err instanceof SqsError) {
        return jsonError(err.status, `com.amazonaws.sqs#${err.type}`, err.message, {
          'x-amzn-query-error': `${err.queryCode};Sender`,
        });
      }
      throw err;
    }
  }

  /** The legacy query protocol: same operations, form-encoded in, XML out. */
  async #handleQueryProtocol(req: EdgeRequest): Promise<EdgeResponse> {
    const { path, rawQuery } = splitUrl(req.url);
    const params = new URLSearchParams(req.method === 'GET' ? rawQuery : req.body.toString('utf8'));
    const action = params.get('Action') ?? '';
    const requestId = randomUUID();
    const xml = (status: number, body: string): EdgeResponse => ({
      status,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
      body,
    });
    if (action === '') {
      return xml(
        400,
        queryErrorBody(
          'MissingAction',
          'The request needs an Action (query protocol) or an x-amz-target header (JSON protocol).',
          requestId,
        ),
      );
    }
    const pathQueue = /^\/\d+\/[A-Za-z0-9_-]+\/?$/.test(path)
      ? `${this.#ctx.edgeUrl}${path.replace(/\/$/, '')}`
      : null;
    try {
      const out = (await this.#dispatch(action, queryToInput(action, params, pathQueue))) as Record<
        string,
        unknown
      >;
      return xml(200, queryResponse(action, outputToXml(action, out), requestId));
    } catch (err) {
      if (err instanceof SqsError)
        return xml(err.status, queryErrorBody(err.queryCode, err.message, requestId));
      throw err;
    }
  }

  async #dispatch(op: string, input: Record<string, unknown>, signal?: AbortSignal): Promise<unknown> {
    switch (op) {
      case 'CreateQueue':
        return this.createQueue(
          String(input.QueueName ?? ''),
          (input.Attributes ?? {}) as Record<string, string>,
          (input.tags ?? {}) as Record<string, string>,
        );
      case 'GetQueueUrl': {
        const name = String(input.QueueName ?? '');
        if (!this.#queues.has(name))
          throw new SqsError(
            'QueueDoesNotExist',
            'The specified queue does not exist.',
            'AWS.SimpleQueueService.NonExistentQueue',
          );
        return { QueueUrl: this.queueUrl(name) };
      }
      case 'DeleteQueue': {
        const q = this.#queueFromUrl(input.QueueUrl);
        this.#queues.delete(q.name);
        this.#signal(q.name);
        this.#snapshot.schedule();
        return {};
      }
      case 'ListQueues': {
        const prefix = String(input.QueueNamePrefix ?? '');
        const names = [...this.#queues.keys()].filter((n) => n.startsWith(prefix)).sort();
        return names.length === 0 ? {} : { QueueUrls: names.map((n) => this.queueUrl(n)) };
      }
      case 'GetQueueAttributes':
        return this.#getAttributes(
          this.#queueFromUrl(input.QueueUrl),
          (input.AttributeNames ?? []) as string[],
        );
      case 'SetQueueAttributes': {
        const q = this.#queueFromUrl(input.QueueUrl);
        const attrs = this.#validateAttributes((input.Attributes ?? {}) as Record<string, string>);
        Object.assign(q.attributes, attrs);
        q.modifiedAt = Date.now();
        this.#snapshot.schedule();
        return {};
      }
      case 'TagQueue': {
        const q = this.#queueFromUrl(input.QueueUrl);
        Object.assign(q.tags, input.Tags ?? {});
        this.#snapshot.schedule();
        return {};
      }
      case 'ListQueueTags':
        return { Tags: this.#queueFromUrl(input.QueueUrl).tags };
      case 'SendMessage': {
        const q = this.#queueFromUrl(input.QueueUrl);
        return this.#send(q, input);
      }
      case 'SendMessageBatch':
        return this.#batch(input, (q, entry) => this.#send(q, entry));
      case 'ReceiveMessage':
        return this.#receive(this.#queueFromUrl(input.QueueUrl), input, signal);
      case 'DeleteMessage':
        this.#delete(this.#queueFromUrl(input.QueueUrl), input.ReceiptHandle);
        return {};
      case 'DeleteMessageBatch':
        return this.#batch(input, (q, entry) => {
          this.#delete(q, entry.ReceiptHandle);
          return {};
        });
      case 'ChangeMessageVisibility':
        this.#changeVisibility(
          this.#queueFromUrl(input.QueueUrl),
          input.ReceiptHandle,
          input.VisibilityTimeout,
        );
        return {};
      case 'ChangeMessageVisibilityBatch':
        return this.#batch(input, (q, entry) => {
          this.#changeVisibility(q, entry.ReceiptHandle, entry.VisibilityTimeout);
          return {};
        });
      case 'PurgeQueue': {
        const q = this.#queueFromUrl(input.QueueUrl);
        q.messages = [];
        this.#snapshot.schedule();
        return {};
      }
      case 'ListDeadLetterSourceQueues': {
        const dlq = this.#queueFromUrl(input.QueueUrl);
        const arn = this.queueArn(dlq.name);
        const sources = [...this.#queues.values()]
          .filter(
            (q) =>
              q.attributes.RedrivePolicy &&
              (JSON.parse(q.attributes.RedrivePolicy) as { deadLetterTargetArn: string })
                .deadLetterTargetArn === arn,
          )
          .map((q) => this.queueUrl(q.name))
          .sort();
        return { queueUrls: sources };
      }
      case 'StartMessageMoveTask':
        return this.#moveMessages(input);
      case 'ListMessageMoveTasks': {
        const source = String(input.SourceArn ?? '');
        return { Results: this.#moveTasks.filter((t) => t.SourceArn === source).reverse() };
      }
      default:
        throw new SqsError(
          'UnsupportedOperation',
          `devcloud SQS does not implement ${op}.`,
          'AWS.SimpleQueueService.UnsupportedOperation',
        );
    }
  }

  createQueue(
    name: string,
    attributes: Record<string, string>,
    tags: Record<string, string> = {},
  ): { QueueUrl: string } {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
      if (name.endsWith('.fifo'))
        throw new SqsError('InvalidParameterValue', 'devcloud SQS does not emulate FIFO queues.');
      throw new SqsError(
        'InvalidParameterValue',
        'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    }
    if (attributes.FifoQueue === 'true')
      throw new SqsError('InvalidParameterValue', 'devcloud SQS does not emulate FIFO queues.');
    const attrs = this.#validateAttributes(attributes);
    const existing = this.#queues.get(name);
    if (existing) {
      for (const [k, v] of Object.entries(attrs)) {
        if ((existing.attributes[k] ?? DEFAULT_ATTRIBUTES[k]) !== v) {
          throw new SqsError(
            'QueueNameExists',
            `A queue already exists with the same name and a different value for attribute ${k}`,
            'QueueAlreadyExists',
          );
        }
      }
      return { QueueUrl: this.queueUrl(name) };
    }
    const now = Date.now();
    this.#queues.set(name, {
      name,
      createdAt: now,
      modifiedAt: now,
      attributes: { ...DEFAULT_ATTRIBUTES, ...attrs },
      tags: { ...tags },
      messages: [],
    });
    this.#snapshot.schedule();
    return { QueueUrl: this.queueUrl(name) };
  }

  #validateAttributes(attrs: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, raw] of Object.entries(attrs)) {
      const v = String(raw);
      if (k === 'FifoQueue' || k === 'ContentBasedDeduplication') {
        if (v === 'true')
          throw new SqsError('InvalidParameterValue', 'devcloud SQS does not emulate FIFO queues.');
        continue;
      }
      if (!SETTABLE.has(k)) throw new SqsError('InvalidAttributeName', `Unknown Attribute ${k}.`);
      const range = RANGES[k];
      if (range) {
        const n = Number(v);
        if (!Number.isInteger(n) || n < range[0] || n > range[1]) {
          throw new SqsError(
            'InvalidAttributeValue',
            `Invalid value for the parameter ${k}: must be a whole number from ${range[0]} to ${range[1]}.`,
          );
        }
      }
      if (k === 'RedrivePolicy' && v !== '') {
        let policy: { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
        try {
          policy = JSON.parse(v) as typeof policy;
        } catch {
          throw new SqsError(
            'InvalidAttributeValue',
            'Value for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map.',
          );
        }
        const max = Number(policy.maxReceiveCount);
        if (
          typeof policy.deadLetterTargetArn !== 'string' ||
          !Number.isInteger(max) ||
          max < 1 ||
          max > 1000
        ) {
          throw new SqsError(
            'InvalidAttributeValue',
            'Value for parameter RedrivePolicy is invalid. Reason: it needs deadLetterTargetArn and maxReceiveCount (1-1000).',
          );
        }
        if (this.queueByArn(policy.deadLetterTargetArn) === null) {
          throw new SqsError(
            'InvalidAttributeValue',
            `Value for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist: ${policy.deadLetterTargetArn}`,
          );
        }
      }
      out[k] = v;
    }
    return out;
  }

  #getAttributes(q: Queue, names: string[]): { Attributes?: Record<string, string> } {
    const now = Date.now();
    this.#expire(q, now);
    const all: Record<string, string> = {
      ...q.attributes,
      QueueArn: this.queueArn(q.name),
      ApproximateNumberOfMessages: String(q.messages.filter((m) => m.visibleAt <= now).length),
      ApproximateNumberOfMessagesNotVisible: String(
        q.messages.filter((m) => m.visibleAt > now && !m.delayed).length,
      ),
      ApproximateNumberOfMessagesDelayed: String(
        q.messages.filter((m) => m.visibleAt > now && m.delayed).length,
      ),
      CreatedTimestamp: String(Math.floor(q.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(q.modifiedAt / 1000)),
    };
    if (names.length === 0) return {};
    if (names.includes('All')) return { Attributes: all };
    const out: Record<string, string> = {};
    for (const n of names) {
      if (!(n in all) && !SETTABLE.has(n) && !READ_ONLY.has(n))
        throw new SqsError('InvalidAttributeName', `Unknown Attribute ${n}.`);
      const v = all[n];
      if (v !== undefined) out[n] = v;
    }
    return { Attributes: out };
  }

  #send(q: Queue, input: Record<string, unknown>): Record<string, string> {
    const body = input.MessageBody;
    if (typeof body !== 'string' || body === '')
      throw new SqsError('MissingParameter', 'The request must contain the parameter MessageBody.');
    if (/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(body)) {
      throw new SqsError(
        'InvalidMessageContents',
        'Invalid characters found in the message body (allowed: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF).',
      );
    }
    if (input.MessageGroupId !== undefined || input.MessageDeduplicationId !== undefined) {
      throw new SqsError(
        'InvalidParameterValue',
        'The request include parameter that is not valid for this queue type (MessageGroupId / MessageDeduplicationId are for FIFO queues, which devcloud does not emulate).',
      );
    }
    const attributes = validateMessageAttributes(input.MessageAttributes);
    const size = Buffer.byteLength(body, 'utf8');
    if (size > Number(q.attributes.MaximumMessageSize)) {
      throw new SqsError(
        'InvalidParameterValue',
        `One or more parameters are invalid. Reason: Message must be shorter than ${q.attributes.MaximumMessageSize} bytes.`,
      );
    }
    const delayRaw = input.DelaySeconds;
    const delay = delayRaw === undefined ? Number(q.attributes.DelaySeconds) : Number(delayRaw);
    if (!Number.isInteger(delay) || delay < 0 || delay > 900) {
      throw new SqsError(
        'InvalidParameterValue',
        `Value ${String(delayRaw)} for parameter DelaySeconds is invalid. Reason: must be between 0 and 900.`,
      );
    }
    return this.enqueue(q.name, body, attributes, delay);
  }

  /** Adds a message (also used by SNS deliveries). */
  enqueue(
    queueName: string,
    body: string,
    attributes: Record<string, MessageAttributeValue>,
    delaySeconds?: number,
    systemAttributes: Record<string, string> = {},
  ): Record<string, string> {
    const q = this.#queues.get(queueName);
    if (!q)
      throw new SqsError(
        'QueueDoesNotExist',
        'The specified queue does not exist.',
        'AWS.SimpleQueueService.NonExistentQueue',
      );
    const now = Date.now();
    const delay = delaySeconds ?? Number(q.attributes.DelaySeconds);
    const msg: StoredMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: md5Hex(body),
      md5OfMessageAttributes: md5OfMessageAttributes(attributes),
      messageAttributes: attributes,
      systemAttributes,
      sentAt: now,
      visibleAt: now + delay * 1000,
      receiveCount: 0,
      firstReceivedAt: null,
      receiptNonce: null,
      delayed: delay > 0,
    };
    q.messages.push(msg);
    this.#snapshot.schedule();
    this.#signal(q.name);
    const out: Record<string, string> = { MessageId: msg.messageId, MD5OfMessageBody: msg.md5OfBody };
    if (msg.md5OfMessageAttributes) out.MD5OfMessageAttributes = msg.md5OfMessageAttributes;
    return out;
  }

  /**
   * StartMessageMoveTask: moves every message of a dead-letter queue back to the queue it came
   * from (or to DestinationArn), at once; the task is reported COMPLETED.
   */
  #moveMessages(input: Record<string, unknown>): Record<string, string> {
    const sourceArn = String(input.SourceArn ?? '');
    const dlqName = this.queueByArn(sourceArn);
    if (dlqName === null)
      throw new SqsError(
        'ResourceNotFoundException',
        `The source queue ${sourceArn} does not exist.`,
        'ResourceNotFoundException',
      );
    const dlq = this.#queues.get(dlqName) as Queue;
    const destinationArn = input.DestinationArn === undefined ? null : String(input.DestinationArn);
    if (destinationArn !== null && this.queueByArn(destinationArn) === null) {
      throw new SqsError(
        'ResourceNotFoundException',
        `The destination queue ${destinationArn} does not exist.`,
        'ResourceNotFoundException',
      );
    }
    const now = Date.now();
    let moved = 0;
    const kept: StoredMessage[] = [];
    for (const msg of dlq.messages) {
      const target = this.queueByArn(destinationArn ?? msg.systemAttributes.DeadLetterQueueSourceArn ?? '');
      if (target === null) {
        kept.push(msg);
        continue;
      }
      const { DeadLetterQueueSourceArn: _source, ...systemAttributes } = msg.systemAttributes;
      this.#queues.get(target)?.messages.push({
        ...msg,
        systemAttributes,
        receiveCount: 0,
        firstReceivedAt: null,
        visibleAt: now,
        receiptNonce: null,
        delayed: false,
      });
      this.#signal(target);
      moved++;
    }
    if (kept.length === dlq.messages.length && dlq.messages.length > 0) {
      throw new SqsError(
        'InvalidParameterValue',
        'The messages of this queue did not come from a dead-letter redrive; give a DestinationArn.',
      );
    }
    dlq.messages = kept;
    this.#snapshot.schedule();
    const handle = randomUUID();
    this.#moveTasks.push({
      TaskHandle: handle,
      Status: 'COMPLETED',
      SourceArn: sourceArn,
      ...(destinationArn ? { DestinationArn: destinationArn } : {}),
      ApproximateNumberOfMessagesMoved: moved,
      ApproximateNumberOfMessagesToMove: moved,
      StartedTimestamp: now,
    });
    return { TaskHandle: handle };
  }

  #signal(queueName: string): void {
    const set = this.#waiters.get(queueName);
    if (!set) return;
    for (const wake of set) wake();
  }

  #expire(q: Queue, now: number): void {
    const retentionMs = Number(q.attributes.MessageRetentionPeriod) * 1000;
    const before = q.messages.length;
    q.messages = q.messages.filter((m) => m.sentAt + retentionMs > now);
    if (q.messages.length !== before) this.#snapshot.schedule();
  }

  async #receive(q: Queue, input: Record<string, unknown>, signal?: AbortSignal): Promise<unknown> {
    const max = input.MaxNumberOfMessages === undefined ? 1 : Number(input.MaxNumberOfMessages);
    if (!Number.isInteger(max) || max < 1 || max > 10) {
      throw new SqsError(
        'InvalidParameterValue',
        `Value ${String(input.MaxNumberOfMessages)} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`,
      );
    }
    const wait =
      input.WaitTimeSeconds === undefined
        ? Number(q.attributes.ReceiveMessageWaitTimeSeconds)
        : Number(input.WaitTimeSeconds);
    if (!Number.isInteger(wait) || wait < 0 || wait > 20) {
      throw new SqsError(
        'InvalidParameterValue',
        `Value ${String(input.WaitTimeSeconds)} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`,
      );
    }
    const visibility =
      input.VisibilityTimeout === undefined
        ? Number(q.attributes.VisibilityTimeout)
        : Number(input.VisibilityTimeout);
    if (!Number.isInteger(visibility) || visibility < 0 || visibility > 43_200) {
      throw new SqsError(
        'InvalidParameterValue',
        `Value ${String(input.VisibilityTimeout)} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.`,
      );
    }
    const wanted = new Set([
      ...((input.AttributeNames ?? []) as string[]),
      ...((input.MessageSystemAttributeNames ?? []) as string[]),
    ]);
    const wantedMessageAttrs = (input.MessageAttributeNames ?? []) as string[];
    const deadline = Date.now() + wait * 1000;
    for (;;) {
      // A consumer that hung up (stopped, crashed) must not be handed messages it never sees:
      // they would stay invisible for the whole visibility timeout.
      if (signal?.aborted) return {};
      const picked = this.#take(q.name, max, visibility);
      if (picked.length > 0 || this.#closed || Date.now() >= deadline || !this.#queues.has(q.name)) {
        if (picked.length === 0) return {};
        return {
          Messages: picked.map(({ msg, handle }) => this.#render(msg, handle, wanted, wantedMessageAttrs)),
        };
      }
      await this.#waitForChange(q.name, deadline, signal);
    }
  }

  #waitForChange(queueName: string, deadline: number, signal?: AbortSignal): Promise<void> {
    const q = this.#queues.get(queueName);
    const now = Date.now();
    const nextVisible = Math.min(
      ...(q?.messages.map((m) => (m.visibleAt > now ? m.visibleAt : Number.POSITIVE_INFINITY)) ?? []),
    );
    const until = Math.min(deadline, nextVisible);
    return new Promise((resolve) => {
      let set = this.#waiters.get(queueName);
      if (!set) {
        set = new Set();
        this.#waiters.set(queueName, set);
      }
      const done = (): void => {
        clearTimeout(timer);
        set.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, until - Date.now()));
      set.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  #take(
    queueName: string,
    max: number,
    visibilitySeconds: number,
  ): Array<{ msg: StoredMessage; handle: string }> {
    const q = this.#queues.get(queueName);
    if (!q) return [];
    const now = Date.now();
    this.#expire(q, now);
    const redrive = q.attributes.RedrivePolicy
      ? (JSON.parse(q.attributes.RedrivePolicy) as { deadLetterTargetArn: string; maxReceiveCount: number })
      : null;
    const out: Array<{ msg: StoredMessage; handle: string }> = [];
    for (const msg of [...q.messages]) {
      if (out.length >= max) break;
      if (msg.visibleAt > now) continue;
      if (redrive && msg.receiveCount >= Number(redrive.maxReceiveCount)) {
        const dlq = this.queueByArn(redrive.deadLetterTargetArn);
        if (dlq) {
          q.messages = q.messages.filter((m) => m !== msg);
          const target = this.#queues.get(dlq);
          target?.messages.push({
            ...msg,
            visibleAt: now,
            receiptNonce: null,
            delayed: false,
            systemAttributes: { ...msg.systemAttributes, DeadLetterQueueSourceArn: this.queueArn(q.name) },
          });
          this.#signal(dlq);
          this.#ctx.log.info(
            { queue: q.name, dlq, messageId: msg.messageId },
            'sqs: message moved to the dead-letter queue',
          );
          continue;
        }
      }
      if (msg.firstReceivedAt === null && this.#faults?.sqsDuplicateReceive(q.name)) {
        // The copy counts as received before (no copy of the copy), its own count starts at 0.
        q.messages.push({ ...msg, firstReceivedAt: now, visibleAt: now, receiptNonce: null, delayed: false });
        this.#signal(q.name);
      }
      msg.receiveCount += 1;
      msg.firstReceivedAt ??= now;
      msg.receiptNonce = randomBytes(8).toString('hex');
      msg.visibleAt = now + visibilitySeconds * 1000;
      msg.delayed = false;
      out.push({ msg, handle: encodeHandle({ q: q.name, m: msg.messageId, n: msg.receiptNonce }) });
    }
    if (out.length > 0 || redrive) this.#snapshot.schedule();
    return out;
  }

  #render(
    msg: StoredMessage,
    handle: string,
    wanted: Set<string>,
    wantedAttrs: string[],
  ): Record<string, unknown> {
    const system: Record<string, string> = {
      SenderId: this.#ctx.accountId,
      SentTimestamp: String(msg.sentAt),
      ApproximateReceiveCount: String(msg.receiveCount),
      ApproximateFirstReceiveTimestamp: String(msg.firstReceivedAt ?? Date.now()),
      ...msg.systemAttributes,
    };
    const out: Record<string, unknown> = {
      MessageId: msg.messageId,
      ReceiptHandle: handle,
      MD5OfBody: msg.md5OfBody,
      Body: msg.body,
    };
    if (wanted.size > 0) {
      const attrs: Record<string, string> = {};
      for (const [k, v] of Object.entries(system)) if (wanted.has('All') || wanted.has(k)) attrs[k] = v;
      out.Attributes = attrs;
    }
    if (wantedAttrs.length > 0) {
      const selected: Record<string, MessageAttributeValue> = {};
      for (const [name, v] of Object.entries(msg.messageAttributes)) {
        const match = wantedAttrs.some(
          (w) =>
            w === 'All' || w === '.*' || w === name || (w.endsWith('.*') && name.startsWith(w.slice(0, -1))),
        );
        if (match) selected[name] = v;
      }
      if (Object.keys(selected).length > 0) {
        out.MessageAttributes = selected;
        out.MD5OfMessageAttributes = md5OfMessageAttributes(selected);
      }
    }
    return out;
  }

  #delete(q: Queue, raw: unknown): void {
    const h = decodeHandle(raw);
    if (h.q !== q.name)
      throw new SqsError('ReceiptHandleIsInvalid', 'The receipt handle belongs to another queue.');
    // Like SQS, deleting with an older receipt handle of the same message still deletes it;
    // deleting a message that is already gone succeeds.
    const before = q.messages.length;
    const copy = q.messages.find((m) => m.messageId === h.m && m.receiptNonce === h.n);
    q.messages = copy ? q.messages.filter((m) => m !== copy) : q.messages.filter((m) => m.messageId !== h.m);
    if (q.messages.length !== before) this.#snapshot.schedule();
  }

  #changeVisibility(q: Queue, raw: unknown, timeoutRaw: unknown): void {
    const h = decodeHandle(raw);
    const timeout = Number(timeoutRaw);
    if (!Number.isInteger(timeout) || timeout < 0 || timeout > 43_200) {
      throw new SqsError(
        'InvalidParameterValue',
        `Value ${String(timeoutRaw)} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.`,
      );
    }
    const msg = q.messages.find((m) => m.messageId === h.m && m.receiptNonce === h.n);
    const now = Date.now();
    if (!msg || h.q !== q.name || msg.visibleAt <= now) {
      throw new SqsError(
        'MessageNotInflight',
        'The message referred to is not in flight.',
        'AWS.SimpleQueueService.MessageNotInflight',
      );
    }
    msg.visibleAt = now + timeout * 1000;
    this.#snapshot.schedule();
    if (timeout === 0) this.#signal(q.name);
  }

  async #batch(
    input: Record<string, unknown>,
    run: (
      q: Queue,
      entry: Record<string, unknown>,
    ) => Record<string, string> | Promise<Record<string, string>>,
  ): Promise<unknown> {
    const q = this.#queueFromUrl(input.QueueUrl);
    const entries = (input.Entries ?? []) as Array<Record<string, unknown>>;
    if (entries.length === 0)
      throw new SqsError(
        'EmptyBatchRequest',
        'There should be at least one SendMessageBatchRequestEntry in the request.',
        'AWS.SimpleQueueService.EmptyBatchRequest',
      );
    if (entries.length > 10)
      throw new SqsError(
        'TooManyEntriesInBatchRequest',
        `Maximum number of entries per request are 10. You have sent ${entries.length}.`,
        'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
      );
    const ids = entries.map((e) => String(e.Id ?? ''));
    if (new Set(ids).size !== ids.length)
      throw new SqsError(
        'BatchEntryIdsNotDistinct',
        'Two or more batch entries in the request have the same Id.',
        'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
      );
    for (const id of ids) {
      if (!/^[A-Za-z0-9_-]{1,80}$/.test(id))
        throw new SqsError(
          'InvalidBatchEntryId',
          `A batch entry id can only contain alphanumeric characters, hyphens and underscores: '${id}'.`,
          'AWS.SimpleQueueService.InvalidBatchEntryId',
        );
    }
    const Successful: unknown[] = [];
    const Failed: unknown[] = [];
    for (const entry of entries) {
      try {
        Successful.push({ Id: entry.Id, ...(await run(q, entry)) });
      } catch (err) {
        if (!(err instanceof SqsError)) throw err;
        Failed.push({ Id: entry.Id, SenderFault: true, Code: err.type, Message: err.message });
      }
    }
    return { Successful, Failed };
  }
}

export function createSqsService(ctx: DevcloudContext, faults?: FaultInjector): SqsService {
  return new SqsService(ctx, faults);
}
