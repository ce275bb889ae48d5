/**
 * The queue drainers of a service as a Fastify plugin: created at registration, started
 * when the app is ready (`onReady`, so tests using `inject` without `ready()` do not poll),
 * stopped in `onClose` (graceful: finish or release in-flight messages), each with a
 * readiness check (GetQueueAttributes on its queue). `autoStart: false` / `autoStop: false`
 * leave starting / stopping to the caller. Services that consume SNS topics use it through
 * `topicConsumersPlugin` (topic-consumers-plugin.ts).
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createQueueDrainer, type QueueDrainer, type QueueDrainerOptions } from './queue-drainer.ts';
import { queueReady } from './readiness-checks.ts';

export type QueueDrainersOptions = {
  queues: Record<string, Omit<QueueDrainerOptions, 'logger'>>;
  /** Do not start polling on ready (tests that drive the drainer by hand). */
  autoStart?: boolean;
  /** Do not stop on close (the caller stops the drainers in its own close sequence). */
  autoStop?: boolean;
  stopDeadlineMs?: number;
};

declare module 'fastify' {
  interface FastifyInstance {
    queueDrainers: Record<string, QueueDrainer>;
  }
}

async function queueDrainers(app: FastifyInstance, options: QueueDrainersOptions): Promise<void> {
  const drainers: Record<string, QueueDrainer> = {};
  for (const [name, queue] of Object.entries(options.queues)) {
    drainers[name] = createQueueDrainer({ ...queue, logger: app.log.child({ drainer: name }) });
    if (app.hasDecorator('readiness')) {
      app.readiness.add(`sqs:${name}`, queueReady(queue.sqs, queue.queueUrl));
    }
  }
  app.decorate('queueDrainers', drainers);
  if (options.autoStart !== false) {
    app.addHook('onReady', async () => {
      for (const drainer of Object.values(drainers)) drainer.start();
    });
  }
  if (options.autoStop === false) return;
  app.addHook('onClose', async () => {
    await Promise.all(
      Object.values(drainers).map((drainer) =>
        drainer.stop({ deadlineMs: options.stopDeadlineMs ?? 15_000 }),
      ),
    );
  });
}

export const queueDrainersPlugin = fp(queueDrainers, {
  name: 'gas-queue-drainers',
  fastify: '5.x',
  dependencies: ['gas-health'],
});
