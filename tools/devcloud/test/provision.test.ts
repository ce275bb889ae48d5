/**
 * Provisioning from resources.json on the test cloud (startTestCloud: devcloud here, LocalStack
 * where a Docker engine answers), so the same checks cover the compose stack's LocalStack; the
 * refusal of an index change is devcloud's own and runs on a devcloud of its own.
 */
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetBucketCorsCommand, GetBucketNotificationConfigurationCommand } from '@aws-sdk/client-s3';
import { ListSubscriptionsByTopicCommand, ListTopicsCommand, PublishCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, ListQueuesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { unwrapSqsMessage } from '@gas/contracts';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProvisionClients } from '../src/provision/apply.ts';
import { applyPlan } from '../src/provision/apply.ts';
import { planResources } from '../src/provision/plan.ts';
import { startTestCloud, type TestCloud } from '../src/test-cloud/index.ts';

let t: TestCloud;
let clients: ProvisionClients;
const plan = planResources('gastest');
const options = { uploadOrigins: ['https://localhost:4433'], senderEmail: 'gas@example.org' };

beforeAll(async () => {
  t = await startTestCloud({ uploadOrigins: options.uploadOrigins });
  clients = t.clients;
});
afterAll(async () => {
  await t?.dispose();
});

describe('provisioning from resources.json', () => {
  it('creates every resource, and a second run changes nothing', async () => {
    const first = await applyPlan(plan, clients, options);
    const second = await applyPlan(plan, clients, options);
    expect(second).toEqual(first);

    const topics = (await clients.sns.send(new ListTopicsCommand({}))).Topics!.map((x) => x.TopicArn);
    // The cloud also holds what startTestCloud provisioned (prefix gas-).
    expect(topics.filter((arn) => arn!.includes(':gastest-')).sort()).toEqual(
      Object.values(first.topicArns).sort(),
    );

    const queues = (await clients.sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'gastest-' })))
      .QueueUrls!;
    // Each consumer queue has its dead-letter queue.
    expect(queues).toHaveLength(plan.queues.length * 2);

    // One SQS subscription per queue, not two after the second run.
    const subs = await clients.sns.send(
      new ListSubscriptionsByTopicCommand({ TopicArn: first.topicArns.jobCompleted }),
    );
    expect(subs.Subscriptions!.filter((s) => s.Protocol === 'sqs')).toHaveLength(
      plan.queues.filter((q) => q.topicKey === 'jobCompleted').length,
    );

    const redrive = await clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: first.queueUrls.annotatorJobRequests,
        AttributeNames: ['All'],
      }),
    );
    expect(JSON.parse(redrive.Attributes!.RedrivePolicy!)).toMatchObject({ maxReceiveCount: 5 });

    const table = await clients.dynamodb.send(new DescribeTableCommand({ TableName: first.jobsTable }));
    expect(table.Table!.GlobalSecondaryIndexes!.map((ix) => ix.IndexName).sort()).toEqual(
      plan.jobsTable.indexes.map((ix) => ix.name).sort(),
    );

    const cors = await clients.s3.send(new GetBucketCorsCommand({ Bucket: first.buckets.inputs }));
    expect(cors.CORSRules![0]!.AllowedOrigins).toEqual(['https://localhost:4433']);
    const notifications = await clients.s3.send(
      new GetBucketNotificationConfigurationCommand({ Bucket: first.buckets.results }),
    );
    expect(notifications.TopicConfigurations![0]!.Events).toEqual(['s3:ObjectRestore:Completed']);
  });

  it('says so, naming the index, when an older jobs table lacks one that devcloud cannot add', async () => {
    // AWS adds the index (UpdateTable); devcloud's dynalite cannot, and refuses rather than ignore it.
    // On devcloud already (no Docker) the file's cloud serves; on LocalStack, a devcloud of its own.
    const own =
      t.backend === 'devcloud'
        ? null
        : await startTestCloud({ uploadOrigins: options.uploadOrigins, env: { GAS_TEST_CLOUD: 'devcloud' } });
    const devcloud = own ?? t;
    try {
      const older = planResources('gasolder');
      const fewer = {
        ...older,
        jobsTable: { ...older.jobsTable, indexes: older.jobsTable.indexes.slice(0, 1) },
      };
      await applyPlan(fewer, devcloud.clients, options);
      const missing = older.jobsTable.indexes[1]!.name;
      await expect(applyPlan(older, devcloud.clients, options)).rejects.toThrow(
        new RegExp(`lacks the index ${missing}.*cannot add or remove a global secondary index.*fresh one`),
      );
    } finally {
      await own?.dispose();
    }
  });

  it('routes a message published on a topic to every queue subscribed to it, in the SNS envelope', async () => {
    const p = await applyPlan(plan, clients, options);
    await clients.sns.send(
      new PublishCommand({ TopicArn: p.topicArns.jobCompleted, Message: '{"hello":"gas"}' }),
    );
    for (const key of ['notifierJobCompleted', 'archiverJobCompleted'] as const) {
      const got = await clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: p.queueUrls[key], WaitTimeSeconds: 5, MaxNumberOfMessages: 1 }),
      );
      expect(got.Messages).toHaveLength(1);
      const unwrapped = unwrapSqsMessage(got.Messages![0]!, Type.Object({ hello: Type.String() }));
      expect(unwrapped).toMatchObject({
        delivery: 'sns',
        topicArn: p.topicArns.jobCompleted,
        message: { hello: 'gas' },
      });
    }
  });
});
