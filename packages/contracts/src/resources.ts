/**
 * Typed access to `resources.json`, the one list of GAS cloud resource names and ports.
 *
 * The JSON file is shared with tools/devcloud and terraform/, so it stays plain JSON; this
 * module gives TypeScript code typed keys (`TopicKey`, `QueueKey`, ...) and builds the names
 * that are actually deployed: `<prefix>-<name>` (prefix per environment, `gas` locally), plus
 * the dead-letter suffix for queues and an optional global suffix for buckets.
 */
import resourcesJson from '../resources.json' with { type: 'json' };

export const resources = resourcesJson;

export type TopicKey = keyof typeof resources.topics;
export type QueueKey = keyof typeof resources.queues;
export type TableKey = keyof typeof resources.tables;
export type BucketKey = keyof typeof resources.buckets;
export type VaultKey = keyof typeof resources.vaults;
export type ServiceName = keyof typeof resources.ports;
export type WebhookService = keyof typeof resources.webhooks;

export type QueueSpec = {
  name: string;
  topic: TopicKey;
  service: ServiceName;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
};

export const topicKeys = Object.keys(resources.topics) as TopicKey[];
export const queueKeys = Object.keys(resources.queues) as QueueKey[];

/** `<prefix>-<name>`: the name a resource has once deployed in one environment. */
export function deployedName(prefix: string, name: string): string {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(prefix)) {
    throw new RangeError(`resource prefix "${prefix}" must be lower-case letters, digits and dashes`);
  }
  return `${prefix}-${name}`;
}

export function topicName(prefix: string, topic: TopicKey): string {
  return deployedName(prefix, resources.topics[topic]);
}

/** SNS topic ARN, `arn:<partition>:sns:<region>:<account>:<prefix>-<name>`. */
export function topicArn(
  topic: TopicKey,
  where: { prefix: string; region: string; accountId: string; partition?: string },
): string {
  return `arn:${where.partition ?? 'aws'}:sns:${where.region}:${where.accountId}:${topicName(where.prefix, topic)}`;
}

export function queueSpec(queue: QueueKey): QueueSpec {
  return resources.queues[queue] as QueueSpec;
}

export function queueName(prefix: string, queue: QueueKey): string {
  return deployedName(prefix, resources.queues[queue].name);
}

export function deadLetterQueueName(prefix: string, queue: QueueKey): string {
  return queueName(prefix, queue) + resources.deadLetterSuffix;
}

/** The queues a service consumes, from resources.json. */
export function queuesOfService(service: ServiceName): QueueKey[] {
  return queueKeys.filter((key) => resources.queues[key].service === service);
}

export function tableName(prefix: string, table: TableKey): string {
  return deployedName(prefix, resources.tables[table].name);
}

/** Bucket names are global in AWS, so deployments may add a suffix (account id, random). */
export function bucketName(prefix: string, bucket: BucketKey, globalSuffix?: string): string {
  const base = deployedName(prefix, resources.buckets[bucket]);
  return globalSuffix ? `${base}-${globalSuffix}` : base;
}

export function vaultName(prefix: string, vault: VaultKey): string {
  return deployedName(prefix, resources.vaults[vault]);
}

export function servicePort(service: ServiceName): number {
  return resources.ports[service];
}

/** The SNS webhook path of a service and the topics it accepts there. */
export function webhookOf(service: WebhookService): { path: string; topics: TopicKey[] } {
  const hook = resources.webhooks[service];
  return { path: hook.path, topics: hook.topics as TopicKey[] };
}
