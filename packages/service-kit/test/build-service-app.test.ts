import { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { buildServiceApp, type ServiceAwsClients } from '../src/index.ts';
import { captureLog } from './support/log-capture.ts';

const config = { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9', LOG_LEVEL: 'info' };

describe('buildServiceApp', () => {
  it("serves health, registers the service's parts, logs as the service, and destroys clients after the service's own close hooks", async () => {
    const log = captureLog('archiver');
    const closing: string[] = [];
    const mailer = { destroy: () => closing.push('other client destroyed') };
    let aws: ServiceAwsClients | undefined;
    const app = await buildServiceApp(
      { service: 'archiver', config, logger: log.logger, otherClients: [mailer] },
      async (app, clients) => {
        aws = clients;
        app.readiness.add('dynamodb:jobs', async () => {
          throw new Error('connect ECONNREFUSED 127.0.0.1:9');
        });
        app.addHook('onClose', async () => {
          closing.push('intake closed');
        });
        app.get('/boom', async () => {
          throw new Error('secret internals');
        });
      },
    );
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().failed).toEqual(['dynamodb:jobs']);
    const boom = await app.inject('/boom');
    expect(boom.statusCode).toBe(500);
    expect(boom.body).not.toContain('secret internals');
    expect(log.lines.some((l) => l.service === 'archiver' && l.msg === 'not ready')).toBe(true);

    // One client per kind, created on first use, pointed at the configured endpoint.
    expect(aws!.sqs).toBeInstanceOf(SQSClient);
    expect(aws!.sqs).toBe(aws!.sqs);
    expect(String((await aws!.sqs.config.endpoint!()).hostname)).toBe('127.0.0.1');
    await app.close();
    expect(closing).toEqual(['intake closed', 'other client destroyed']);
  });
});
