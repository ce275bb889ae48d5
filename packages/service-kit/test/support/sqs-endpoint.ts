// The SQS-protocol server the drainer tests talk to. Today: fauxqs embedded on
// 127.0.0.1:0. Set GAS_TEST_SQS_ENDPOINT to run the same tests against another emulator
// (the devcloud replaces fauxqs in a later issue); queues are made through the SDK only.
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { createSqsClient } from '../../src/index.ts';

export type SqsEndpoint = {
  endpoint: string;
  sqs: SQSClient;
  createQueue(
    name: string,
    options?: { visibilityTimeoutSeconds?: number; deadLetter?: { maxReceiveCount: number } },
  ): Promise<{ queueUrl: string; deadLetterQueueUrl?: string }>;
  stop(): Promise<void>;
};

export async function startSqsEndpoint(): Promise<SqsEndpoint> {
  const external = process.env.GAS_TEST_SQS_ENDPOINT;
  const fauxqs = external ? undefined : await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
  const endpoint = external ?? `http://127.0.0.1:${fauxqs!.port}`;
  const sqs = createSqsClient({
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  const suffix = Math.random().toString(36).slice(2, 8);
  return {
    endpoint,
    sqs,
    async createQueue(name, options = {}) {
      const attributes: Record<string, string> = {
        VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30),
      };
      let deadLetterQueueUrl: string | undefined;
      if (options.deadLetter) {
        const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-${suffix}-dlq` }));
        deadLetterQueueUrl = dlq.QueueUrl!;
        const arn = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: deadLetterQueueUrl, AttributeNames: ['QueueArn'] }),
        );
        attributes.RedrivePolicy = JSON.stringify({
          deadLetterTargetArn: arn.Attributes!.QueueArn,
          maxReceiveCount: String(options.deadLetter.maxReceiveCount),
        });
      }
      const queue = await sqs.send(
        new CreateQueueCommand({ QueueName: `${name}-${suffix}`, Attributes: attributes }),
      );
      return { queueUrl: queue.QueueUrl!, ...(deadLetterQueueUrl ? { deadLetterQueueUrl } : {}) };
    },
    async stop() {
      sqs.destroy();
      await fauxqs?.stop();
    },
  };
}
