/**
 * Interop: devcloud's signed SNS HTTPS deliveries received by the real consumer, service-kit's
 * webhook plugin (confirm via SubscribeURL, certificate from an allowed host, signature,
 * contract validation). The message is a real S3 restore-completed event, so this also checks
 * devcloud's S3 event JSON against the contracts' schema.
 */
import {
  CreateBucketCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  RestoreObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateTopicCommand,
  ListSubscriptionsByTopicCommand,
  type SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { snsWebhookPlugin, type VerifiedSnsNotification } from '@gas/service-kit';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, s3Client, snsClient, startTestCloud, type TestCloud } from './helpers.ts';

let t: TestCloud;
let s3: S3Client;
let sns: SNSClient;
let app: FastifyInstance;
const received: Array<VerifiedSnsNotification<'coldStorageEvents'>> = [];
let topicArn = '';

beforeAll(async () => {
  t = await startTestCloud({ s3RestoreDelayMs: 200 });
  s3 = s3Client(t.cloud, t.credentials);
  sns = snsClient(t.cloud, t.credentials);
  topicArn = (await sns.send(new CreateTopicCommand({ Name: 'gas-cold-storage-events' }))).TopicArn!;
  const cert = await t.cloud.issueServerCertificate('thawer-test', ['localhost']);
  app = Fastify({ https: { key: cert.keyPem, cert: cert.certPem } });
  await app.register(snsWebhookPlugin, {
    path: '/sns/thawer',
    topics: [{ arn: topicArn, topic: 'coldStorageEvents' as const }],
    allowedHosts: [t.cloud.snsCertHost],
    extraCaPem: t.cloud.ca.certPem,
    onNotification: async (n: VerifiedSnsNotification<'coldStorageEvents'>) => {
      received.push(n);
    },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app.close();
  s3.destroy();
  sns.destroy();
  await t.dispose();
});

describe('SNS HTTPS delivery to the service-kit webhook', () => {
  it('is confirmed by the plugin and its restore-completed notification verifies and validates', async () => {
    const address = app.server.address() as { port: number };
    await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'https',
        Endpoint: `https://localhost:${address.port}/sns/thawer`,
      }),
    );
    await eventually(async () => {
      const subs = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
      return subs.Subscriptions?.[0]?.SubscriptionArn?.startsWith(topicArn) ? true : undefined;
    }, 'the plugin to confirm the subscription');

    await s3.send(new CreateBucketCommand({ Bucket: 'results' }));
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: 'results',
        NotificationConfiguration: {
          TopicConfigurations: [{ TopicArn: topicArn, Events: ['s3:ObjectRestore:Completed'] }],
        },
      }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: 'results',
        Key: 'results/u1/j1/out.vcf.gz',
        Body: 'gz',
        StorageClass: 'GLACIER',
      }),
    );
    await s3.send(
      new RestoreObjectCommand({
        Bucket: 'results',
        Key: 'results/u1/j1/out.vcf.gz',
        RestoreRequest: { Days: 1 },
      }),
    );

    const restore = await eventually(
      async () =>
        received.find(
          (n) => 'Records' in n.message && n.message.Records[0]?.eventName === 'ObjectRestore:Completed',
        ),
      'the verified restore notification',
    );
    expect(restore.topicArn).toBe(topicArn);
    expect(restore.subject).toBe('Amazon S3 Notification');
    // The S3 test event sent when the configuration was put was accepted too (it is part of the contract).
    expect(received.some((n) => 'Event' in n.message && n.message.Event === 's3:TestEvent')).toBe(true);
  });
});
