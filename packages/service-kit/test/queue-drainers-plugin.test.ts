import { SendMessageCommand } from '@aws-sdk/client-sqs';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastifyLogging, healthPlugin, queueDrainersPlugin } from '../src/index.ts';
import { captureLog } from './support/log-capture.ts';
import { type SqsEndpoint, startSqsEndpoint } from './support/sqs-endpoint.ts';
import { waitFor } from './support/wait-for.ts';

let endpoint: SqsEndpoint;
beforeAll(async () => {
  endpoint = await startSqsEndpoint();
});
afterAll(async () => {
  await endpoint.stop();
});

describe('queue drainers plugin', () => {
  it('starts draining when the app is ready, reports queue readiness, and stops on close', async () => {
    const { queueUrl } = await endpoint.createQueue('plugin');
    const log = captureLog('archiver');
    const app = Fastify(fastifyLogging(log.logger));
    const bodies: string[] = [];
    await app.register(healthPlugin);
    await app.register(queueDrainersPlugin, {
      queues: {
        jobCompleted: {
          sqs: endpoint.sqs,
          queueUrl,
          visibilityTimeoutSeconds: 30,
          waitTimeSeconds: 1,
          handler: async (message) => {
            bodies.push(message.Body!);
          },
        },
      },
    });
    expect(app.queueDrainers.jobCompleted!.running).toBe(false);
    await app.ready();
    expect(app.queueDrainers.jobCompleted!.running).toBe(true);
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks.map((c: { name: string }) => c.name)).toEqual(['sqs:jobCompleted']);

    await endpoint.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'done' }));
    app.queueDrainers.jobCompleted!.ring();
    await waitFor('the message to be drained', () => bodies.includes('done'));
    await app.close();
    expect(app.queueDrainers.jobCompleted!.running).toBe(false);
    expect(log.lines.some((l) => l.msg === 'queue drainer stopped' && l.drainer === 'jobCompleted')).toBe(
      true,
    );
  });
});
