/**
 * What every worker service's `buildApp` does around its own parts, written once. In order:
 *   1. the pino logger (`service` on every line, `LOG_LEVEL`; a test may pass its own) and
 *      Fastify's request logging (`request_id`);
 *   2. the health routes (`/healthz`, `/readyz`, `app.readiness`);
 *   3. `register(app, aws)`: the service's own readiness checks, plugins and routes, in its
 *      order. `aws` holds the service's SQS, SNS, S3 and DynamoDB clients (awsClientConfig),
 *      each created on first use, so a service only has the clients it touches;
 *   4. those clients (and `otherClients`, e.g. SES) destroyed on close AFTER everything
 *      registered in step 3 has closed: Fastify runs `onClose` hooks last-added first, so that
 *      hook is added before step 3;
 *   5. the one error handler (`installErrorHandling`).
 * A service's `app.ts` stays the place that shows what the service is made of: its readiness
 * checks and its plugins, inside `register`.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import Fastify, { type FastifyInstance } from 'fastify';
import { createDynamoDbClient, createS3Client, createSnsClient, createSqsClient } from './aws.ts';
import type { AwsConfig } from './config.ts';
import { installErrorHandling } from './errors.ts';
import { healthPlugin } from './health.ts';
import { createLogger, fastifyLogging, type Logger } from './logger.ts';

/** A service's AWS SDK clients, each created on first use and destroyed when the app closes. */
export type ServiceAwsClients = {
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
};

export type ServiceAppOptions = {
  /** The `service` field of every log line. */
  service: string;
  config: AwsConfig & { LOG_LEVEL: string };
  /** A logger to use instead of a new one (tests capture the lines). */
  logger?: Logger | undefined;
  /** Clients the service builds itself (anything with `destroy()`), destroyed with the others. */
  otherClients?: ReadonlyArray<{ destroy(): void }>;
};

function lazyAwsClients(config: AwsConfig): { aws: ServiceAwsClients; created: Array<{ destroy(): void }> } {
  const created: Array<{ destroy(): void }> = [];
  const cache = new Map<string, { destroy(): void }>();
  const once = <C extends { destroy(): void }>(name: string, create: (config: AwsConfig) => C): C => {
    let client = cache.get(name) as C | undefined;
    if (!client) {
      client = create(config);
      cache.set(name, client);
      created.push(client);
    }
    return client;
  };
  const aws: ServiceAwsClients = {
    get sqs() {
      return once('sqs', createSqsClient);
    },
    get sns() {
      return once('sns', createSnsClient);
    },
    get s3() {
      return once('s3', createS3Client);
    },
    get dynamodb() {
      return once('dynamodb', createDynamoDbClient);
    },
  };
  return { aws, created };
}

export async function buildServiceApp(
  options: ServiceAppOptions,
  register: (app: FastifyInstance, aws: ServiceAwsClients) => Promise<void>,
): Promise<FastifyInstance> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ service: options.service, level: config.LOG_LEVEL });
  const app = Fastify(fastifyLogging(logger));
  await app.register(healthPlugin);
  const { aws, created } = lazyAwsClients(config);
  app.addHook('onClose', async () => {
    for (const client of [...created, ...(options.otherClients ?? [])]) client.destroy();
  });
  await register(app, aws);
  installErrorHandling(app);
  return app;
}
