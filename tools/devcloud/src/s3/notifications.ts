/**
 * S3 event notifications to SNS topics: the bucket's NotificationConfiguration (only
 * TopicConfiguration is emulated; queue and Lambda destinations are refused so nothing is
 * silently dropped), event-name matching (`s3:ObjectCreated:*` style wildcards), prefix/suffix
 * filters, and the event record JSON in the shape S3 publishes (eventVersion 2.1).
 */
import { randomUUID } from 'node:crypto';
import type { ObjectMeta } from './store.ts';
import { asArray, MalformedXmlError, parseXml, text } from './xml.ts';

export const TEST_EVENT_SUBJECT = 'Amazon S3 Notification';

const KNOWN_EVENTS = [
  's3:ObjectCreated:*',
  's3:ObjectCreated:Put',
  's3:ObjectCreated:Post',
  's3:ObjectCreated:Copy',
  's3:ObjectCreated:CompleteMultipartUpload',
  's3:ObjectRemoved:*',
  's3:ObjectRemoved:Delete',
  's3:ObjectRestore:*',
  's3:ObjectRestore:Post',
  's3:ObjectRestore:Completed',
];

export interface NotificationTarget {
  id: string;
  topicArn: string;
  events: string[];
  prefix: string;
  suffix: string;
  /** `eventName` without the `s3:` prefix, e.g. `ObjectCreated:Put`. */
  matches(eventName: string, key: string): boolean;
}

export function parseNotificationConfiguration(body: Buffer): NotificationTarget[] {
  const doc = parseXml(body);
  const rawConfig = doc.NotificationConfiguration as unknown;
  if (rawConfig === undefined) {
    if (Object.keys(doc).length === 0) return [];
    throw new MalformedXmlError(
      'The XML you provided was not well-formed: expected a NotificationConfiguration element.',
    );
  }
  if (typeof rawConfig !== 'object' || rawConfig === null) return [];
  const config = rawConfig as Record<string, unknown>;
  for (const unsupported of [
    'QueueConfiguration',
    'CloudFunctionConfiguration',
    'LambdaFunctionConfiguration',
  ]) {
    if (asArray(config[unsupported] as unknown[]).length > 0) {
      throw new MalformedXmlError(
        `devcloud emulates only TopicConfiguration destinations; ${unsupported} is not supported.`,
      );
    }
  }
  return asArray(config.TopicConfiguration as Record<string, unknown>[] | undefined).map((c, i) => {
    const topicArn = text(c.Topic) ?? '';
    if (!topicArn.startsWith('arn:aws:sns:'))
      throw new MalformedXmlError(`TopicConfiguration ${i + 1} needs a Topic ARN (arn:aws:sns:...).`);
    const events = asArray(c.Event as string[]).map(String);
    if (events.length === 0)
      throw new MalformedXmlError(`TopicConfiguration ${i + 1} needs at least one Event.`);
    for (const e of events) {
      if (!KNOWN_EVENTS.includes(e))
        throw new MalformedXmlError(`The event is not supported for notifications: ${e}`);
    }
    let prefix = '';
    let suffix = '';
    const filter = (c.Filter as Record<string, unknown> | undefined)?.S3Key as
      | Record<string, unknown>
      | undefined;
    for (const rule of asArray(filter?.FilterRule as Record<string, unknown>[] | undefined)) {
      const name = (text(rule.Name) ?? '').toLowerCase();
      if (name === 'prefix') prefix = text(rule.Value) ?? '';
      else if (name === 'suffix') suffix = text(rule.Value) ?? '';
      else throw new MalformedXmlError(`FilterRule names must be prefix or suffix, not ${text(rule.Name)}.`);
    }
    const id = text(c.Id) ?? randomUUID();
    return {
      id,
      topicArn,
      events,
      prefix,
      suffix,
      matches(eventName: string, key: string): boolean {
        const full = `s3:${eventName}`;
        const family = `${full.slice(0, full.lastIndexOf(':'))}:*`;
        return (
          (events.includes(full) || events.includes(family)) && key.startsWith(prefix) && key.endsWith(suffix)
        );
      },
    };
  });
}

/** S3 URL-encodes the key in event records (spaces as `+`). */
function eventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

export function s3EventMessage(args: {
  eventName: string;
  region: string;
  bucket: string;
  configurationId: string;
  principalId: string;
  object: ObjectMeta;
}): string {
  const now = Date.now();
  const o = args.object;
  const object: Record<string, unknown> = {
    key: eventKey(o.key),
    sequencer: now.toString(16).toUpperCase().padStart(16, '0'),
  };
  if (!args.eventName.startsWith('ObjectRemoved')) {
    object.size = o.size;
    object.eTag = o.etag.replace(/"/g, '');
  }
  const record: Record<string, unknown> = {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: args.region,
    eventTime: new Date(now).toISOString(),
    eventName: args.eventName,
    userIdentity: { principalId: args.principalId },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: {
      'x-amz-request-id': randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase(),
      'x-amz-id-2': 'devcloud',
    },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: args.configurationId,
      bucket: {
        name: args.bucket,
        ownerIdentity: { principalId: 'devcloud' },
        arn: `arn:aws:s3:::${args.bucket}`,
      },
      object,
    },
  };
  if (args.eventName === 'ObjectRestore:Completed' && o.restore?.expiresAt) {
    record.glacierEventData = {
      restoreEventData: {
        lifecycleRestorationExpiryTime: new Date(o.restore.expiresAt).toISOString(),
        lifecycleRestoreStorageClass: o.storageClass,
      },
    };
  }
  return JSON.stringify({ Records: [record] });
}
