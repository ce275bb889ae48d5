/**
 * Fault injection: TEST-ONLY. Lets a test make devcloud misbehave the way the real cloud
 * sometimes does, so that GAS's fault tests (test/faults/) can prove nothing is lost:
 *
 *   s3-error              S3 answers `status` (500) with `code` (InternalError) instead of doing
 *                         the request, for requests matching bucket / key prefix / operation.
 *   sns-http-failure      SNS HTTP(S) deliveries (notifications, not confirmations) to endpoints
 *                         starting with `endpointPrefix` fail as if the endpoint had answered
 *                         `status` (500); SNS then retries them with its delivery policy.
 *   duplicate-deliveries  every SNS delivery (to SQS queues and to HTTP(S) endpoints) is made
 *                         twice: two SQS messages, two POSTs, one SNS MessageId, as SNS's
 *                         at-least-once delivery allows.
 *   sqs-duplicate-receives  every SQS message (of queues whose name starts with `queuePrefix`)
 *                         is received twice: its first receive leaves a copy with the same
 *                         MessageId visible at once (SQS's own at-least-once delivery).
 *
 * Every rule applies `times` times (absent: until removed) and counts how often it fired.
 * Control: the unsigned edge route `/_devcloud/faults` (POST a rule -> 201 with its id; GET the
 * rules and their counts; DELETE `/_devcloud/faults` or `/_devcloud/faults/<id>`), or the
 * `faults` object of a started devcloud. Nothing is persisted: a restart has no faults.
 */
import { randomUUID } from 'node:crypto';

/** S3 operations a rule can name (the API's own operation names). */
export const S3_FAULT_OPERATIONS = [
  'PutObject',
  'PostObject',
  'CopyObject',
  'GetObject',
  'HeadObject',
  'DeleteObject',
  'CreateMultipartUpload',
  'UploadPart',
  'CompleteMultipartUpload',
  'AbortMultipartUpload',
  'RestoreObject',
  'ListObjects',
  'Other',
] as const;
export type S3FaultOperation = (typeof S3_FAULT_OPERATIONS)[number];

export type FaultRuleInput =
  | {
      kind: 's3-error';
      bucket?: string;
      keyPrefix?: string;
      /** Only these operations (default: every operation). */
      operations?: S3FaultOperation[];
      status?: number;
      code?: string;
      times?: number;
    }
  | { kind: 'sns-http-failure'; endpointPrefix: string; status?: number; times?: number }
  | { kind: 'duplicate-deliveries'; times?: number }
  | { kind: 'sqs-duplicate-receives'; queuePrefix?: string; times?: number };

export type FaultRule = FaultRuleInput & {
  id: string;
  /** How often it fired so far. */
  injected: number;
};

export class FaultRuleError extends Error {
  override readonly name = 'FaultRuleError';
}

/** Which S3 operation a request is (method, key present, sub-resources, copy header). */
export function s3OperationOf(
  method: string,
  key: string | null,
  query: Map<string, string>,
  headers: Record<string, string | undefined>,
): S3FaultOperation {
  if (key === null) {
    if (method === 'POST' && (headers['content-type'] ?? '').startsWith('multipart/form-data'))
      return 'PostObject';
    if (method === 'GET' && query.size === 0) return 'ListObjects';
    if (method === 'GET' && (query.has('list-type') || query.has('prefix'))) return 'ListObjects';
    return 'Other';
  }
  if (method === 'POST' && query.has('uploads')) return 'CreateMultipartUpload';
  if (query.has('uploadId')) {
    if (method === 'PUT') return 'UploadPart';
    if (method === 'POST') return 'CompleteMultipartUpload';
    if (method === 'DELETE') return 'AbortMultipartUpload';
    return 'Other';
  }
  if (method === 'POST' && query.has('restore')) return 'RestoreObject';
  if ([...query.keys()].some((k) => k === 'tagging' || k === 'acl')) return 'Other';
  if (method === 'PUT') return headers['x-amz-copy-source'] !== undefined ? 'CopyObject' : 'PutObject';
  if (method === 'GET') return 'GetObject';
  if (method === 'HEAD') return 'HeadObject';
  if (method === 'DELETE') return 'DeleteObject';
  return 'Other';
}

function validate(input: unknown): FaultRuleInput {
  const rule = input as Record<string, unknown>;
  const times = rule?.times;
  if (times !== undefined && (!Number.isInteger(times) || (times as number) < 1))
    throw new FaultRuleError('times must be a positive integer (or absent: until the rule is removed).');
  const status = rule?.status;
  if (
    status !== undefined &&
    (!Number.isInteger(status) || (status as number) < 400 || (status as number) > 599)
  )
    throw new FaultRuleError('status must be an HTTP error status (400-599).');
  switch (rule?.kind) {
    case 's3-error': {
      const ops = rule.operations;
      if (
        ops !== undefined &&
        (!Array.isArray(ops) || ops.some((op) => !S3_FAULT_OPERATIONS.includes(op as S3FaultOperation)))
      )
        throw new FaultRuleError(`operations must be a list of: ${S3_FAULT_OPERATIONS.join(', ')}.`);
      return rule as FaultRuleInput;
    }
    case 'sns-http-failure':
      if (typeof rule.endpointPrefix !== 'string' || !/^https?:\/\//.test(rule.endpointPrefix))
        throw new FaultRuleError('endpointPrefix must be an http(s) URL prefix of the subscribed endpoint.');
      return rule as FaultRuleInput;
    case 'duplicate-deliveries':
      return rule as FaultRuleInput;
    case 'sqs-duplicate-receives':
      if (rule.queuePrefix !== undefined && typeof rule.queuePrefix !== 'string')
        throw new FaultRuleError('queuePrefix must be the start of queue names.');
      return rule as FaultRuleInput;
    default:
      throw new FaultRuleError(
        'kind must be s3-error, sns-http-failure, duplicate-deliveries or sqs-duplicate-receives.',
      );
  }
}

export class FaultInjector {
  readonly #rules: FaultRule[] = [];

  add(input: unknown): FaultRule {
    const rule = { ...validate(input), id: randomUUID(), injected: 0 } as FaultRule;
    this.#rules.push(rule);
    return rule;
  }

  list(): FaultRule[] {
    return this.#rules.map((r) => ({ ...r }));
  }

  /** Removes one rule (by id) or all; returns how many were removed. */
  remove(id?: string): number {
    const before = this.#rules.length;
    const kept = id === undefined ? [] : this.#rules.filter((r) => r.id !== id);
    this.#rules.splice(0, this.#rules.length, ...kept);
    return before - kept.length;
  }

  /** The first live rule of this kind that matches; counts it as fired. */
  #fire<K extends FaultRule['kind']>(
    kind: K,
    matches: (rule: Extract<FaultRule, { kind: K }>) => boolean,
  ): Extract<FaultRule, { kind: K }> | undefined {
    for (const rule of this.#rules) {
      if (rule.kind !== kind) continue;
      const typed = rule as Extract<FaultRule, { kind: K }>;
      if (typed.times !== undefined && typed.injected >= typed.times) continue;
      if (!matches(typed)) continue;
      typed.injected++;
      return typed;
    }
    return undefined;
  }

  /** An error to answer instead of this S3 request, or undefined to serve it. */
  s3Error(request: {
    operation: S3FaultOperation;
    bucket: string | null;
    key: string | null;
  }): { status: number; code: string } | undefined {
    const rule = this.#fire(
      's3-error',
      (r) =>
        (r.bucket === undefined || r.bucket === request.bucket) &&
        (r.keyPrefix === undefined || (request.key ?? '').startsWith(r.keyPrefix)) &&
        (r.operations === undefined || r.operations.includes(request.operation)),
    );
    return rule ? { status: rule.status ?? 500, code: rule.code ?? 'InternalError' } : undefined;
  }

  /** The HTTP status an SNS delivery to `endpoint` fails with, or undefined to deliver it. */
  snsHttpFailure(endpoint: string): number | undefined {
    const rule = this.#fire('sns-http-failure', (r) => endpoint.startsWith(r.endpointPrefix));
    return rule ? (rule.status ?? 500) : undefined;
  }

  /** Whether a message of this queue, received for the first time, leaves a copy behind. */
  sqsDuplicateReceive(queueName: string): boolean {
    return Boolean(this.#fire('sqs-duplicate-receives', (r) => queueName.startsWith(r.queuePrefix ?? '')));
  }

  /** How many times to make one SNS delivery (2 while a duplicate-deliveries rule is live). */
  deliveryCopies(): number {
    return this.#fire('duplicate-deliveries', () => true) ? 2 : 1;
  }
}

export const FAULTS_PREFIX = '/_devcloud/faults';

/** The control route (unsigned, like the mailbox): POST a rule, GET the rules, DELETE one or all. */
export function handleFaultsRequest(
  faults: FaultInjector,
  method: string,
  path: string,
  body: Buffer,
): { status: number; headers: Record<string, string>; body: string } {
  const json = (status: number, value: unknown) => ({
    status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(value),
  });
  const id =
    path.length > FAULTS_PREFIX.length + 1
      ? decodeURIComponent(path.slice(FAULTS_PREFIX.length + 1))
      : undefined;
  if (method === 'GET' && id === undefined) return json(200, { faults: faults.list() });
  if (method === 'DELETE') {
    const removed = faults.remove(id);
    if (id !== undefined && removed === 0) return json(404, { message: `no fault rule ${id}` });
    return json(200, { removed });
  }
  if (method === 'POST' && id === undefined) {
    let input: unknown;
    try {
      input = JSON.parse(body.toString('utf8'));
    } catch {
      return json(400, { message: 'the body must be one fault rule as JSON' });
    }
    try {
      return json(201, faults.add(input));
    } catch (err) {
      if (err instanceof FaultRuleError) return json(400, { message: err.message });
      throw err;
    }
  }
  return json(405, { message: `${method} ${path} is not a fault-injection operation` });
}
