/**
 * Amazon SNS, query protocol (form-encoded `Action=...` requests, XML answers), with deliveries
 * to SQS queues of this devcloud and to HTTP(S) endpoints exactly as SNS sends them:
 *
 * - an HTTP(S) subscription starts `PendingConfirmation`; SNS POSTs a SubscriptionConfirmation
 *   whose SubscribeURL (and every UnsubscribeURL) points back at devcloud's HTTPS listener,
 *   answered there without a signature, as AWS does;
 * - each message is JSON sent as `text/plain; charset=UTF-8` with the `x-amz-sns-*` headers,
 *   signed with SignatureVersion 2 (SHA256withRSA; `1` = SHA1withRSA when the topic says so)
 *   over the canonical "Key\nValue\n" string of the message type, and the signing certificate
 *   (issued by devcloud's local CA) is served over HTTPS at SigningCertURL;
 * - a failed delivery (connection error, timeout, non-2xx) is retried with exponential backoff,
 *   a bounded number of times: the subscription's or topic's DeliveryPolicy when set, else
 *   devcloud's configured default (in memory, so retries pending at shutdown are lost);
 * - SQS subscriptions get the same JSON envelope, or the bare message with its attributes turned
 *   into SQS message attributes when RawMessageDelivery is true;
 * - a subscription's FilterPolicy (filter-policy.ts) decides whether it gets a message at all;
 * - tests may make HTTP deliveries fail or every delivery happen twice (faults/faults.ts).
 *
 * Topics and subscriptions are persisted as a JSON snapshot.
 */
import { createSign, randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { queryError, SNS_XMLNS, xmlEscape } from '../edge/errors.ts';
import { JsonSnapshot } from '../edge/snapshot.ts';
import type { DevcloudContext, EdgeRequest, EdgeResponse, EmulatedService } from '../edge/types.ts';
import type { FaultInjector } from '../faults/faults.ts';
import { splitUrl } from '../sigv4/sigv4.ts';
import type { MessageAttributeValue, SqsService } from '../sqs/sqs.ts';
import { FilterPolicyError, parseFilterPolicy, passesFilter } from './filter-policy.ts';

export interface DeliveryRetryPolicy {
  /** Total attempts including the first (AWS HTTP default is 1 + 3 + ...; devcloud default 6). */
  attempts: number;
  /** Delay before the first retry; doubles each retry up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per-attempt timeout. */
  timeoutMs: number;
}

export interface SnsOptions {
  sqs: SqsService;
  /** PEM private key and certificate that sign messages. */
  signingKeyPem: string;
  signingCertPem: string;
  /** HTTPS base URL of devcloud for SigningCertURL / SubscribeURL / UnsubscribeURL, e.g. https://localhost:4567 */
  publicHttpsUrl: string;
  /** CAs trusted for HTTPS deliveries, on top of the system roots (devcloud's local CA at least). */
  trustedCaPems: string[];
  retry: DeliveryRetryPolicy;
  /** Test-only fault injection: failing HTTP deliveries, duplicate deliveries (faults/faults.ts). */
  faults?: FaultInjector;
}

export const SIGNING_CERT_PATH = '/_devcloud/sns/SimpleNotificationService-devcloud.pem';
export const DEFAULT_DELIVERY_RETRY: DeliveryRetryPolicy = {
  attempts: 6,
  baseDelayMs: 1000,
  maxDelayMs: 20_000,
  timeoutMs: 15_000,
};

interface Topic {
  arn: string;
  name: string;
  attributes: Record<string, string>;
  tags: Record<string, string>;
}

interface Subscription {
  arn: string;
  topicArn: string;
  protocol: 'http' | 'https' | 'sqs';
  endpoint: string;
  pending: boolean;
  token: string | null;
  attributes: Record<string, string>;
}

interface SnsSnapshot {
  topics: Topic[];
  subscriptions: Subscription[];
}

export interface SnsMessageAttribute {
  Type: string;
  Value: string;
}

class SnsError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

const TOPIC_SETTABLE = new Set([
  'DisplayName',
  'Policy',
  'DeliveryPolicy',
  'KmsMasterKeyId',
  'SignatureVersion',
  'TracingConfig',
  'FifoTopic',
  'ArchivePolicy',
  'DataProtectionPolicy',
]);
const SUBSCRIPTION_SETTABLE = new Set([
  'RawMessageDelivery',
  'FilterPolicy',
  'FilterPolicyScope',
  'RedrivePolicy',
  'DeliveryPolicy',
  'SubscriptionRoleArn',
]);

/** `Attributes.entry.1.key=...&Attributes.entry.1.value=...` -> record. */
function entryMap(
  params: URLSearchParams,
  prefix: string,
  keyName = 'key',
  valueName = 'value',
): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 1; ; i++) {
    const key = params.get(`${prefix}.entry.${i}.${keyName}`);
    if (key === null) break;
    out[key] = params.get(`${prefix}.entry.${i}.${valueName}`) ?? '';
  }
  return out;
}

function attributesXml(attrs: Record<string, string>): string {
  return `<Attributes>${Object.entries(attrs)
    .map(([k, v]) => `<entry><key>${xmlEscape(k)}</key><value>${xmlEscape(v)}</value></entry>`)
    .join('')}</Attributes>`;
}

/** `<prefix>.entry.N.Name` + `.Value.DataType/StringValue/BinaryValue` -> message attributes, validated. */
function messageAttributesFrom(p: URLSearchParams, prefix: string): Record<string, SnsMessageAttribute> {
  const attributes: Record<string, SnsMessageAttribute> = {};
  for (let i = 1; p.get(`${prefix}.entry.${i}.Name`) !== null; i++) {
    const name = p.get(`${prefix}.entry.${i}.Name`) ?? '';
    const type = p.get(`${prefix}.entry.${i}.Value.DataType`) ?? '';
    const value =
      p.get(`${prefix}.entry.${i}.Value.StringValue`) ?? p.get(`${prefix}.entry.${i}.Value.BinaryValue`);
    if (!/^(String|Number|Binary)(\..+)?$/.test(type)) {
      throw new SnsError(
        'ParameterValueInvalid',
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
    if (value === null) {
      throw new SnsError(
        'ParameterValueInvalid',
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`,
      );
    }
    attributes[name] = { Type: type, Value: value };
  }
  return attributes;
}

/** The string SNS signs for a message of this type (keys in this order, Subject only when present). */
export function snsStringToSign(msg: Record<string, string | undefined>): string {
  const keys =
    msg.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return keys
    .filter((k) => msg[k] !== undefined)
    .map((k) => `${k}\n${msg[k]}\n`)
    .join('');
}

export class SnsService implements EmulatedService {
  readonly signingNames = ['sns'];
  readonly #ctx: DevcloudContext;
  readonly #opts: SnsOptions;
  readonly #topics = new Map<string, Topic>();
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #snapshot: JsonSnapshot<SnsSnapshot>;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inflight = new Set<http.ClientRequest>();
  readonly #agent: https.Agent;
  /** One connection per delivery attempt (no keep-alive), so a failed attempt never poisons the next. */
  readonly #httpAgent = new http.Agent({ keepAlive: false });
  #closed = false;

  constructor(ctx: DevcloudContext, opts: SnsOptions) {
    this.#ctx = ctx;
    this.#opts = opts;
    this.#agent = new https.Agent({ ca: [...rootCertificates, ...opts.trustedCaPems], keepAlive: false });
    this.#snapshot = new JsonSnapshot(
      join(ctx.dataDir, 'sns', 'state.json'),
      () => ({ topics: [...this.#topics.values()], subscriptions: [...this.#subscriptions.values()] }),
      (err) => ctx.log.error({ err }, 'sns: could not write the state snapshot'),
    );
    const state = this.#snapshot.load();
    for (const t of state?.topics ?? []) this.#topics.set(t.arn, t);
    for (const s of state?.subscriptions ?? []) this.#subscriptions.set(s.arn, s);
    // Sanity: the signing certificate must match the key.
    new X509Certificate(opts.signingCertPem);
  }

  get signingCertUrl(): string {
    return `${this.#opts.publicHttpsUrl}${SIGNING_CERT_PATH}`;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const r of this.#inflight) r.destroy();
    this.#agent.destroy();
    this.#httpAgent.destroy();
    await this.#snapshot.flush();
  }

  topicArn(name: string): string {
    return `arn:aws:sns:${this.#ctx.region}:${this.#ctx.accountId}:${name}`;
  }

  async handle(req: EdgeRequest): Promise<EdgeResponse> {
    const { path, rawQuery } = splitUrl(req.url);
    if (req.accessKeyId === null) {
      // Public, unsigned: the signing certificate and the links SNS puts in its messages.
      if (req.method === 'GET' && path === SIGNING_CERT_PATH) {
        return {
          status: 200,
          headers: { 'content-type': 'application/x-x509-ca-cert' },
          body: this.#opts.signingCertPem,
        };
      }
      const params = new URLSearchParams(rawQuery);
      const action = params.get('Action');
      if (req.method === 'GET' && (action === 'ConfirmSubscription' || action === 'Unsubscribe')) {
        return this.#run(action, params);
      }
      return queryError(
        403,
        'AuthorizationError',
        'devcloud SNS requires SigV4-signed requests (only the SubscribeURL / UnsubscribeURL links are public).',
        SNS_XMLNS,
      );
    }
    const params = new URLSearchParams(req.method === 'GET' ? rawQuery : req.body.toString('utf8'));
    const action = params.get('Action') ?? '';
    return this.#run(action, params);
  }

  async #run(action: string, params: URLSearchParams): Promise<EdgeResponse> {
    try {
      const inner = await this.#dispatch(action, params);
      const requestId = randomUUID();
      const result = inner === null ? '' : `<${action}Result>${inner}</${action}Result>`;
      return {
        status: 200,
        headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
        body: `<${action}Response xmlns="${SNS_XMLNS}">${result}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
      };
    } catch (err) {
      if (err instanceof SnsError) return queryError(err.status, err.code, err.message, SNS_XMLNS);
      throw err;
    }
  }

  #topic(arn: string | null): Topic {
    if (!arn) throw new SnsError('InvalidParameter', 'Invalid parameter: TopicArn');
    const t = this.#topics.get(arn);
    if (!t) throw new SnsError('NotFound', 'Topic does not exist', 404);
    return t;
  }

  #subscription(arn: string | null): Subscription {
    if (!arn) throw new SnsError('InvalidParameter', 'Invalid parameter: SubscriptionArn');
    const s = this.#subscriptions.get(arn);
    if (!s) throw new SnsError('NotFound', 'Subscription does not exist', 404);
    return s;
  }

  async #dispatch(action: string, p: URLSearchParams): Promise<string | null> {
    switch (action) {
      case 'CreateTopic': {
        const name = p.get('Name') ?? '';
        if (!/^[A-Za-z0-9_-]{1,256}$/.test(name)) {
          throw new SnsError(
            'InvalidParameter',
            'Invalid parameter: Topic Name (1-256 letters, digits, hyphens, underscores; FIFO topics are not emulated)',
          );
        }
        const attributes = this.#validTopicAttributes(entryMap(p, 'Attributes'));
        const arn = this.topicArn(name);
        const existing = this.#topics.get(arn);
        if (existing) {
          for (const [k, v] of Object.entries(attributes)) {
            if (existing.attributes[k] !== v)
              throw new SnsError(
                'InvalidParameter',
                `Invalid parameter: Attributes Reason: Topic already exists with different attributes (${k})`,
              );
          }
        } else {
          this.#topics.set(arn, {
            arn,
            name,
            attributes: { DisplayName: '', SignatureVersion: '2', ...attributes },
            tags: entryMap(p, 'Tags', 'Key', 'Value'),
          });
          this.#snapshot.schedule();
        }
        return `<TopicArn>${xmlEscape(arn)}</TopicArn>`;
      }
      case 'DeleteTopic': {
        const arn = p.get('TopicArn') ?? '';
        this.#topics.delete(arn);
        for (const s of [...this.#subscriptions.values()])
          if (s.topicArn === arn) this.#subscriptions.delete(s.arn);
        this.#snapshot.schedule();
        return null;
      }
      case 'ListTopics':
        return `<Topics>${[...this.#topics.keys()]
          .sort()
          .map((arn) => `<member><TopicArn>${xmlEscape(arn)}</TopicArn></member>`)
          .join('')}</Topics>`;
      case 'GetTopicAttributes': {
        const t = this.#topic(p.get('TopicArn'));
        const subs = [...this.#subscriptions.values()].filter((s) => s.topicArn === t.arn);
        return attributesXml({
          ...t.attributes,
          TopicArn: t.arn,
          Owner: this.#ctx.accountId,
          SubscriptionsConfirmed: String(subs.filter((s) => !s.pending).length),
          SubscriptionsPending: String(subs.filter((s) => s.pending).length),
          SubscriptionsDeleted: '0',
          EffectiveDeliveryPolicy: JSON.stringify({
            http: {
              defaultHealthyRetryPolicy: {
                numRetries: this.#opts.retry.attempts - 1,
                minDelayTarget: Math.ceil(this.#opts.retry.baseDelayMs / 1000),
                maxDelayTarget: Math.ceil(this.#opts.retry.maxDelayMs / 1000),
                backoffFunction: 'exponential',
              },
            },
          }),
        });
      }
      case 'SetTopicAttributes': {
        const t = this.#topic(p.get('TopicArn'));
        const name = p.get('AttributeName') ?? '';
        Object.assign(t.attributes, this.#validTopicAttributes({ [name]: p.get('AttributeValue') ?? '' }));
        this.#snapshot.schedule();
        return null;
      }
      case 'TagResource': {
        const t = this.#topic(p.get('ResourceArn'));
        for (let i = 1; p.get(`Tags.member.${i}.Key`) !== null; i++)
          t.tags[p.get(`Tags.member.${i}.Key`) ?? ''] = p.get(`Tags.member.${i}.Value`) ?? '';
        this.#snapshot.schedule();
        return null;
      }
      case 'Subscribe':
        return this.#subscribe(p);
      case 'ConfirmSubscription': {
        const t = this.#topic(p.get('TopicArn'));
        const token = p.get('Token');
        const sub = [...this.#subscriptions.values()].find(
          (s) => s.topicArn === t.arn && s.token !== null && s.token === token,
        );
        if (!sub) throw new SnsError('InvalidParameter', 'Invalid token');
        sub.pending = false;
        sub.attributes.ConfirmationWasAuthenticated =
          p.get('AuthenticateOnUnsubscribe') === 'true' ? 'true' : 'false';
        this.#snapshot.schedule();
        this.#ctx.log.info({ subscription: sub.arn }, 'sns: subscription confirmed');
        return `<SubscriptionArn>${xmlEscape(sub.arn)}</SubscriptionArn>`;
      }
      case 'Unsubscribe': {
        const s = this.#subscription(p.get('SubscriptionArn'));
        this.#subscriptions.delete(s.arn);
        this.#snapshot.schedule();
        return null;
      }
      case 'ListSubscriptions':
      case 'ListSubscriptionsByTopic': {
        const topicArn = action === 'ListSubscriptionsByTopic' ? this.#topic(p.get('TopicArn')).arn : null;
        const members = [...this.#subscriptions.values()]
          .filter((s) => topicArn === null || s.topicArn === topicArn)
          .map(
            (s) =>
              `<member><TopicArn>${xmlEscape(s.topicArn)}</TopicArn><Protocol>${s.protocol}</Protocol><SubscriptionArn>${xmlEscape(s.pending ? 'PendingConfirmation' : s.arn)}</SubscriptionArn><Owner>${this.#ctx.accountId}</Owner><Endpoint>${xmlEscape(s.endpoint)}</Endpoint></member>`,
          )
          .join('');
        return `<Subscriptions>${members}</Subscriptions>`;
      }
      case 'GetSubscriptionAttributes': {
        const s = this.#subscription(p.get('SubscriptionArn'));
        return attributesXml({
          RawMessageDelivery: 'false',
          ConfirmationWasAuthenticated: 'false',
          ...s.attributes,
          SubscriptionArn: s.arn,
          TopicArn: s.topicArn,
          Owner: this.#ctx.accountId,
          Protocol: s.protocol,
          Endpoint: s.endpoint,
          PendingConfirmation: String(s.pending),
        });
      }
      case 'SetSubscriptionAttributes': {
        const s = this.#subscription(p.get('SubscriptionArn'));
        const name = p.get('AttributeName') ?? '';
        Object.assign(
          s.attributes,
          this.#validSubscriptionAttributes({ [name]: p.get('AttributeValue') ?? '' }),
        );
        this.#snapshot.schedule();
        return null;
      }
      case 'Publish': {
        const topicArn = p.get('TopicArn') ?? p.get('TargetArn');
        if (p.get('PhoneNumber') !== null)
          throw new SnsError(
            'InvalidParameter',
            'Invalid parameter: devcloud SNS does not send SMS (PhoneNumber).',
          );
        const message = p.get('Message');
        if (message === null || message === '')
          throw new SnsError('InvalidParameter', 'Invalid parameter: Empty message');
        const subject = p.get('Subject') ?? undefined;
        const attributes = messageAttributesFrom(p, 'MessageAttributes');
        const structure = p.get('MessageStructure');
        const messageId = await this.publish(
          this.#topic(topicArn).arn,
          message,
          subject,
          attributes,
          structure === 'json',
        );
        return `<MessageId>${messageId}</MessageId>`;
      }
      case 'PublishBatch': {
        const topic = this.#topic(p.get('TopicArn'));
        const prefix = 'PublishBatchRequestEntries.member';
        const ids: string[] = [];
        for (let i = 1; p.get(`${prefix}.${i}.Id`) !== null; i++) ids.push(p.get(`${prefix}.${i}.Id`) ?? '');
        if (ids.length === 0)
          throw new SnsError('EmptyBatchRequest', 'The batch request does not contain any entries.');
        if (ids.length > 10)
          throw new SnsError(
            'TooManyEntriesInBatchRequest',
            'The batch request contains more entries than permissible (10).',
          );
        if (new Set(ids).size !== ids.length)
          throw new SnsError(
            'BatchEntryIdsNotDistinct',
            'Two or more batch entries in the request have the same Id.',
          );
        const ok: string[] = [];
        const failed: string[] = [];
        for (const [index, id] of ids.entries()) {
          const entry = `${prefix}.${index + 1}`;
          try {
            const message = p.get(`${entry}.Message`);
            if (message === null || message === '')
              throw new SnsError('InvalidParameter', 'Invalid parameter: Empty message');
            const messageId = await this.publish(
              topic.arn,
              message,
              p.get(`${entry}.Subject`) ?? undefined,
              messageAttributesFrom(p, `${entry}.MessageAttributes`),
              p.get(`${entry}.MessageStructure`) === 'json',
            );
            ok.push(`<member><Id>${xmlEscape(id)}</Id><MessageId>${messageId}</MessageId></member>`);
          } catch (err) {
            if (!(err instanceof SnsError)) throw err;
            failed.push(
              `<member><Id>${xmlEscape(id)}</Id><Code>${err.code}</Code><Message>${xmlEscape(err.message)}</Message><SenderFault>true</SenderFault></member>`,
            );
          }
        }
        return `<Successful>${ok.join('')}</Successful><Failed>${failed.join('')}</Failed>`;
      }
      default:
        throw new SnsError(
          'InvalidAction',
          `devcloud SNS does not implement the action ${action || '(none)'}.`,
        );
    }
  }

  #validTopicAttributes(attrs: Record<string, string>): Record<string, string> {
    for (const [k, v] of Object.entries(attrs)) {
      if (!TOPIC_SETTABLE.has(k))
        throw new SnsError('InvalidParameter', `Invalid parameter: AttributeName (${k})`);
      if (k === 'FifoTopic' && v === 'true')
        throw new SnsError(
          'InvalidParameter',
          'Invalid parameter: devcloud SNS does not emulate FIFO topics.',
        );
      if (k === 'SignatureVersion' && v !== '1' && v !== '2')
        throw new SnsError('InvalidParameter', 'Invalid parameter: SignatureVersion must be 1 or 2.');
      if (k === 'DeliveryPolicy' && v !== '') assertDeliveryPolicy(v, 'http');
    }
    return attrs;
  }

  #validSubscriptionAttributes(attrs: Record<string, string>): Record<string, string> {
    for (const [k, v] of Object.entries(attrs)) {
      if (!SUBSCRIPTION_SETTABLE.has(k))
        throw new SnsError('InvalidParameter', `Invalid parameter: AttributeName (${k})`);
      if (k === 'RawMessageDelivery' && v !== 'true' && v !== 'false')
        throw new SnsError(
          'InvalidParameter',
          'Invalid parameter: RawMessageDelivery must be true or false.',
        );
      if (k === 'DeliveryPolicy' && v !== '') assertDeliveryPolicy(v, 'healthyRetryPolicy');
      if (k === 'FilterPolicy' && v !== '') {
        try {
          parseFilterPolicy(v);
        } catch (err) {
          if (err instanceof FilterPolicyError)
            throw new SnsError('InvalidParameter', `Invalid parameter: FilterPolicy: ${err.message}`);
          throw err;
        }
      }
      if (k === 'FilterPolicyScope' && v !== 'MessageAttributes' && v !== 'MessageBody') {
        throw new SnsError(
          'InvalidParameter',
          'Invalid parameter: FilterPolicyScope must be MessageAttributes or MessageBody.',
        );
      }
    }
    return attrs;
  }

  #subscribe(p: URLSearchParams): string {
    const topic = this.#topic(p.get('TopicArn'));
    const protocol = p.get('Protocol') ?? '';
    const endpoint = p.get('Endpoint') ?? '';
    if (protocol !== 'http' && protocol !== 'https' && protocol !== 'sqs') {
      throw new SnsError(
        'InvalidParameter',
        `Invalid parameter: Protocol (devcloud SNS delivers to http, https and sqs, not '${protocol}')`,
      );
    }
    if (protocol !== 'sqs') {
      let url: URL;
      try {
        url = new URL(endpoint);
      } catch {
        throw new SnsError('InvalidParameter', 'Invalid parameter: Endpoint must be an absolute URL');
      }
      if (url.protocol !== `${protocol}:`)
        throw new SnsError(
          'InvalidParameter',
          `Invalid parameter: Endpoint must match the specified protocol (${protocol})`,
        );
    } else if (this.#opts.sqs.queueByArn(endpoint) === null) {
      throw new SnsError(
        'InvalidParameter',
        `Invalid parameter: SQS endpoint ARN ${endpoint} is not a queue of this devcloud (region ${this.#ctx.region}, account ${this.#ctx.accountId})`,
      );
    }
    const attributes = this.#validSubscriptionAttributes(entryMap(p, 'Attributes'));
    const returnArn = p.get('ReturnSubscriptionArn') === 'true';
    const existing = [...this.#subscriptions.values()].find(
      (s) => s.topicArn === topic.arn && s.protocol === protocol && s.endpoint === endpoint,
    );
    if (existing) {
      Object.assign(existing.attributes, attributes);
      this.#snapshot.schedule();
      if (existing.pending) this.#sendConfirmation(existing, topic);
      return `<SubscriptionArn>${xmlEscape(existing.pending && !returnArn ? 'pending confirmation' : existing.arn)}</SubscriptionArn>`;
    }
    const sub: Subscription = {
      arn: `${topic.arn}:${randomUUID()}`,
      topicArn: topic.arn,
      protocol,
      endpoint,
      pending: protocol !== 'sqs',
      token: protocol === 'sqs' ? null : randomBytes(96).toString('hex'),
      attributes,
    };
    this.#subscriptions.set(sub.arn, sub);
    this.#snapshot.schedule();
    if (sub.pending) this.#sendConfirmation(sub, topic);
    return `<SubscriptionArn>${xmlEscape(sub.pending && !returnArn ? 'pending confirmation' : sub.arn)}</SubscriptionArn>`;
  }

  #sign(
    topic: Topic | undefined,
    msg: Record<string, string | undefined>,
  ): Record<string, string | undefined> {
    const version = topic?.attributes.SignatureVersion === '1' ? '1' : '2';
    const signer = createSign(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256');
    signer.update(snsStringToSign(msg), 'utf8');
    return {
      ...msg,
      SignatureVersion: version,
      Signature: signer.sign(this.#opts.signingKeyPem, 'base64'),
      SigningCertURL: this.signingCertUrl,
    };
  }

  #sendConfirmation(sub: Subscription, topic: Topic): void {
    const token = sub.token ?? '';
    const base = this.#opts.publicHttpsUrl;
    const msg = this.#sign(topic, {
      Type: 'SubscriptionConfirmation',
      MessageId: randomUUID(),
      Token: token,
      TopicArn: topic.arn,
      Message: `You have chosen to subscribe to the topic ${topic.arn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
      SubscribeURL: `${base}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(topic.arn)}&Token=${token}`,
      Timestamp: new Date().toISOString(),
    });
    this.#deliverHttp(sub, orderEnvelope(msg), false);
  }

  /**
   * Publishes to every confirmed subscription of the topic (deliveries run in the background).
   * With `jsonStructure`, `message` is a JSON object with a `default` key and optional per-protocol keys.
   */
  async publish(
    topicArn: string,
    message: string,
    subject?: string,
    attributes: Record<string, SnsMessageAttribute> = {},
    jsonStructure = false,
  ): Promise<string> {
    const topic = this.#topics.get(topicArn);
    if (!topic) throw new SnsError('NotFound', `Topic does not exist: ${topicArn}`, 404);
    if (subject !== undefined && (subject.length > 100 || /[\r\n]/.test(subject))) {
      throw new SnsError(
        'InvalidParameter',
        'Invalid parameter: Subject must be at most 100 printable characters without line breaks.',
      );
    }
    if (Buffer.byteLength(message, 'utf8') > 262_144)
      throw new SnsError('InvalidParameter', 'Invalid parameter: Message too long');
    if (Object.keys(attributes).length > 10)
      throw new SnsError(
        'InvalidParameter',
        'Invalid parameter: Number of message attributes exceeds the allowed maximum [10].',
      );
    let perProtocol: Record<string, string> | null = null;
    if (jsonStructure) {
      try {
        perProtocol = JSON.parse(message) as Record<string, string>;
      } catch {
        throw new SnsError(
          'InvalidParameter',
          'Invalid parameter: Message Structure - JSON message body failed to parse',
        );
      }
      if (typeof perProtocol.default !== 'string')
        throw new SnsError(
          'InvalidParameter',
          'Invalid parameter: Message Structure - No default entry in JSON message body',
        );
    }
    const messageId = randomUUID();
    const timestamp = new Date().toISOString();
    for (const sub of this.#subscriptions.values()) {
      if (sub.topicArn !== topicArn || sub.pending) continue;
      const text = perProtocol ? (perProtocol[sub.protocol] ?? perProtocol.default ?? '') : message;
      const filter = sub.attributes.FilterPolicy;
      if (filter) {
        const scope =
          sub.attributes.FilterPolicyScope === 'MessageBody' ? 'MessageBody' : 'MessageAttributes';
        if (!passesFilter(parseFilterPolicy(filter), scope, text, attributes)) continue;
      }
      const raw = sub.attributes.RawMessageDelivery === 'true';
      const envelope = this.#sign(topic, {
        Type: 'Notification',
        MessageId: messageId,
        TopicArn: topicArn,
        Subject: subject,
        Message: text,
        Timestamp: timestamp,
      });
      const full: Record<string, unknown> = {
        ...envelope,
        UnsubscribeURL: `${this.#opts.publicHttpsUrl}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(sub.arn)}`,
      };
      if (Object.keys(attributes).length > 0) full.MessageAttributes = attributes;
      const copies = this.#opts.faults?.deliveryCopies() ?? 1;
      for (let copy = 0; copy < copies; copy++) {
        if (sub.protocol === 'sqs')
          this.#deliverSqs(sub, raw ? text : JSON.stringify(orderEnvelope(full)), raw ? attributes : {});
        else this.#deliverHttp(sub, raw ? text : orderEnvelope(full), true, messageId, raw);
      }
    }
    return messageId;
  }

  #deliverSqs(sub: Subscription, body: string, attributes: Record<string, SnsMessageAttribute>): void {
    const queue = this.#opts.sqs.queueByArn(sub.endpoint);
    if (queue === null) {
      this.#ctx.log.warn(
        { subscription: sub.arn, endpoint: sub.endpoint },
        'sns: subscribed queue no longer exists; message dropped',
      );
      return;
    }
    const sqsAttributes: Record<string, MessageAttributeValue> = {};
    for (const [name, a] of Object.entries(attributes)) {
      sqsAttributes[name] = a.Type.startsWith('Binary')
        ? { DataType: a.Type, BinaryValue: a.Value }
        : { DataType: a.Type === 'String.Array' ? 'String' : a.Type, StringValue: a.Value };
    }
    this.#opts.sqs.enqueue(queue, body, sqsAttributes, 0);
  }

  #deliverHttp(
    sub: Subscription,
    message: Record<string, unknown> | string,
    isNotification: boolean,
    messageId?: string,
    raw = false,
  ): void {
    const body = typeof message === 'string' ? message : JSON.stringify(message);
    const type = typeof message === 'string' ? 'Notification' : String(message.Type);
    const headers: Record<string, string> = {
      'content-type': 'text/plain; charset=UTF-8',
      'user-agent': 'Amazon Simple Notification Service Agent',
      'x-amz-sns-message-type': type,
      'x-amz-sns-message-id':
        messageId ?? (typeof message === 'string' ? randomUUID() : String(message.MessageId)),
      'x-amz-sns-topic-arn': sub.topicArn,
    };
    if (isNotification) headers['x-amz-sns-subscription-arn'] = sub.arn;
    if (raw) headers['x-amz-sns-rawdelivery'] = 'true';
    const attempt = (n: number): void => {
      if (this.#closed) return;
      const injected = isNotification ? this.#opts.faults?.snsHttpFailure(sub.endpoint) : undefined;
      if (injected !== undefined) {
        this.#retry(sub, n, `HTTP ${injected} (injected fault)`, attempt);
        return;
      }
      this.#post(sub.endpoint, headers, body).then(
        (status) => {
          if (status >= 200 && status < 300) return;
          this.#retry(sub, n, `HTTP ${status}`, attempt);
        },
        (err: Error) => this.#retry(sub, n, err.message, attempt),
      );
    };
    attempt(1);
  }

  /**
   * The retry policy for a subscription: its DeliveryPolicy `healthyRetryPolicy`, else the
   * topic's `http.defaultHealthyRetryPolicy`, else devcloud's configured default. Of AWS's
   * policy only numRetries, minDelayTarget and maxDelayTarget are applied (exponential backoff
   * from min to max; the no-delay / min-delay / max-delay phases are not modelled).
   */
  #retryPolicy(sub: Subscription): DeliveryRetryPolicy {
    const parse = (json: string | undefined): Record<string, unknown> | null => {
      if (!json) return null;
      try {
        return JSON.parse(json) as Record<string, unknown>;
      } catch {
        return null;
      }
    };
    const fromSub = parse(sub.attributes.DeliveryPolicy)?.healthyRetryPolicy as
      | Record<string, unknown>
      | undefined;
    const topicHttp = parse(this.#topics.get(sub.topicArn)?.attributes.DeliveryPolicy)?.http as
      | Record<string, unknown>
      | undefined;
    const policy = fromSub ?? (topicHttp?.defaultHealthyRetryPolicy as Record<string, unknown> | undefined);
    if (!policy) return this.#opts.retry;
    const num = (v: unknown, fallback: number): number =>
      typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fallback;
    return {
      attempts: num(policy.numRetries, this.#opts.retry.attempts - 1) + 1,
      baseDelayMs: num(policy.minDelayTarget, this.#opts.retry.baseDelayMs / 1000) * 1000,
      maxDelayMs: num(policy.maxDelayTarget, this.#opts.retry.maxDelayMs / 1000) * 1000,
      timeoutMs: this.#opts.retry.timeoutMs,
    };
  }

  #retry(sub: Subscription, n: number, reason: string, attempt: (n: number) => void): void {
    const { attempts, baseDelayMs, maxDelayMs } = this.#retryPolicy(sub);
    if (n >= attempts || this.#closed) {
      this.#ctx.log.warn(
        { subscription: sub.arn, endpoint: sub.endpoint, attempts: n, reason },
        'sns: delivery failed; giving up',
      );
      return;
    }
    const delay = Math.min(maxDelayMs, baseDelayMs * 2 ** (n - 1));
    this.#ctx.log.info(
      { subscription: sub.arn, attempt: n, reason, retryInMs: delay },
      'sns: delivery failed; will retry',
    );
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      attempt(n + 1);
    }, delay);
    this.#timers.add(timer);
  }

  #post(endpoint: string, headers: Record<string, string>, body: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const url = new URL(endpoint);
      const lib = url.protocol === 'https:' ? https : http;
      const req = lib.request(
        url,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          timeout: this.#opts.retry.timeoutMs,
          agent: url.protocol === 'https:' ? this.#agent : this.#httpAgent,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            this.#inflight.delete(req);
            resolve(res.statusCode ?? 0);
          });
        },
      );
      this.#inflight.add(req);
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (err) => {
        this.#inflight.delete(req);
        reject(err);
      });
      req.end(body);
    });
  }
}

/** Refuses a DeliveryPolicy that is not JSON or whose retry numbers are not non-negative numbers. */
function assertDeliveryPolicy(json: string, retryKey: 'healthyRetryPolicy' | 'http'): void {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(json) as Record<string, unknown>;
  } catch {
    throw new SnsError('InvalidParameter', 'Invalid parameter: DeliveryPolicy: failed to parse JSON.');
  }
  const policy = (
    retryKey === 'http'
      ? (doc.http as Record<string, unknown> | undefined)?.defaultHealthyRetryPolicy
      : doc.healthyRetryPolicy
  ) as Record<string, unknown> | undefined;
  for (const key of ['numRetries', 'minDelayTarget', 'maxDelayTarget']) {
    const v = policy?.[key];
    if (v !== undefined && (typeof v !== 'number' || v < 0)) {
      throw new SnsError(
        'InvalidParameter',
        `Invalid parameter: DeliveryPolicy: ${key} must be a non-negative number.`,
      );
    }
  }
}

/** Field order of SNS's JSON (cosmetic, but lets a diff against AWS's samples line up). */
function orderEnvelope(m: Record<string, unknown>): Record<string, unknown> {
  const order = [
    'Type',
    'MessageId',
    'Token',
    'TopicArn',
    'Subject',
    'Message',
    'SubscribeURL',
    'Timestamp',
    'SignatureVersion',
    'Signature',
    'SigningCertURL',
    'UnsubscribeURL',
    'MessageAttributes',
  ];
  const out: Record<string, unknown> = {};
  for (const k of order) if (m[k] !== undefined) out[k] = m[k];
  return out;
}

export function createSnsService(ctx: DevcloudContext, opts: SnsOptions): SnsService {
  return new SnsService(ctx, opts);
}
