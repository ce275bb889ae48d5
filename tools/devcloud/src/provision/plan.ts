/**
 * What GAS needs in a cloud account, derived from `packages/contracts/resources.json`
 * (the one list of names, also read by Terraform). Pure: no SDK calls here, so the same
 * plan drives devcloud, LocalStack (docker-compose) and the check that Terraform agrees.
 *
 * Deployed names are `<prefix>-<name>`; the prefix is per environment (`gas` locally).
 */
import resources from '../../../../packages/contracts/resources.json' with { type: 'json' };

export type ServiceName = 'web' | 'annotator' | 'notifier' | 'archiver' | 'thawer';
export type TopicKey = keyof typeof resources.topics;
export type QueueKey = keyof typeof resources.queues;

export interface PlannedQueue {
  key: QueueKey;
  name: string;
  deadLetterName: string;
  topicKey: TopicKey;
  service: ServiceName;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
}

export interface PlannedWebhook {
  service: ServiceName;
  path: string;
  topicKeys: TopicKey[];
}

export interface ProvisionPlan {
  prefix: string;
  topics: { key: TopicKey; name: string }[];
  queues: PlannedQueue[];
  webhooks: PlannedWebhook[];
  jobsTable: {
    name: string;
    hashKey: string;
    indexes: { key: string; name: string; hashKey: string; rangeKey: string }[];
  };
  buckets: { inputs: string; results: string; reference: string };
  resultsVault: string;
}

export function deployedName(prefix: string, name: string): string {
  return `${prefix}-${name}`;
}

/** `bucketSuffix` makes bucket names globally unique in AWS (e.g. the account id); none locally. */
export function planResources(prefix: string, bucketSuffix = ''): ProvisionPlan {
  const n = (name: string) => deployedName(prefix, name);
  const b = (name: string) => n(name) + (bucketSuffix ? `-${bucketSuffix}` : '');
  return {
    prefix,
    topics: (Object.keys(resources.topics) as TopicKey[]).map((key) => ({
      key,
      name: n(resources.topics[key]),
    })),
    queues: (Object.keys(resources.queues) as QueueKey[]).map((key) => {
      const q = resources.queues[key];
      return {
        key,
        name: n(q.name),
        deadLetterName: n(q.name + resources.deadLetterSuffix),
        topicKey: q.topic as TopicKey,
        service: q.service as ServiceName,
        visibilityTimeoutSeconds: q.visibilityTimeoutSeconds,
        maxReceiveCount: q.maxReceiveCount,
      };
    }),
    webhooks: (Object.entries(resources.webhooks) as [ServiceName, { path: string; topics: string[] }][]).map(
      ([service, w]) => ({ service, path: w.path, topicKeys: w.topics as TopicKey[] }),
    ),
    jobsTable: {
      name: n(resources.tables.jobs.name),
      hashKey: resources.tables.jobs.hashKey,
      indexes: Object.entries(resources.tables.jobs.indexes).map(([key, ix]) => ({ key, ...ix })),
    },
    buckets: {
      inputs: b(resources.buckets.inputs),
      results: b(resources.buckets.results),
      reference: b(resources.buckets.reference),
    },
    resultsVault: n(resources.vaults.results),
  };
}
