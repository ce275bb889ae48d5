import { randomUUID } from 'node:crypto';
import type { JobRequested } from '@gas/contracts';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fastifyLogging, snsWebhookPlugin, type VerifiedSnsNotification } from '../src/index.ts';
import { type GeneratedCertificate, selfSignedCertificate } from './support/certificates.ts';
import { type RecordingServer, startHttpsServer } from './support/https-server.ts';
import { type CapturedLog, captureLog } from './support/log-capture.ts';
import { signEnvelope } from './support/sns-signer.ts';

const jobTopicArn = 'arn:aws:sns:us-east-1:000000000000:gas-job-requests';
const otherTopicArn = 'arn:aws:sns:us-east-1:000000000000:gas-someone-elses-topic';
const certPath = '/SimpleNotificationService-0123456789abcdef.pem';
const attackerCertPath = '/attacker.pem';

const jobRequested: JobRequested = {
  schema_version: 1,
  type: 'JobRequested',
  job_id: '7f0c2f44-3a43-4c55-9d5e-8f6a1b2c3d4e',
  user_id: 'user-42',
  user_email: 'ada@example.org',
  user_tier: 'free',
  input_bucket: 'gas-inputs',
  input_key: 'inputs/user-42/7f0c2f44-3a43-4c55-9d5e-8f6a1b2c3d4e~sample.vcf',
  input_file_name: 'sample.vcf',
  input_size_bytes: 18231,
  submitted_at: '2026-11-22T01:00:00.000Z',
};

let sns: RecordingServer;
let signing: GeneratedCertificate;
let attacker: GeneratedCertificate;
let allowedHost: string;
let log: CapturedLog;
let app: FastifyInstance;
let handled: Array<VerifiedSnsNotification<'jobRequests'>>;
let failNextHandler: boolean;

function certUrl(path = certPath, host = allowedHost, scheme = 'https') {
  return `${scheme}://${host}${path}`;
}

function notification(overrides: Record<string, string> = {}) {
  return {
    Type: 'Notification',
    MessageId: randomUUID(),
    TopicArn: jobTopicArn,
    Message: JSON.stringify(jobRequested),
    Timestamp: new Date().toISOString(),
    SigningCertURL: certUrl(),
    UnsubscribeURL: `https://${allowedHost}/?Action=Unsubscribe&SubscriptionArn=${jobTopicArn}:1`,
    ...overrides,
  };
}

function confirmation(token: string, overrides: Record<string, string> = {}) {
  return {
    Type: 'SubscriptionConfirmation',
    MessageId: randomUUID(),
    Token: token,
    TopicArn: jobTopicArn,
    Message:
      'You have chosen to subscribe to the topic. To confirm, visit the SubscribeURL included in this message.',
    SubscribeURL: `https://${allowedHost}/?Action=ConfirmSubscription&TopicArn=${jobTopicArn}&Token=${token}`,
    Timestamp: new Date().toISOString(),
    SigningCertURL: certUrl(),
    ...overrides,
  };
}

function post(envelope: Record<string, string> | string, headers: Record<string, string> = {}) {
  const payload = typeof envelope === 'string' ? envelope : JSON.stringify(envelope);
  const type = typeof envelope === 'string' ? undefined : envelope.Type;
  return app.inject({
    method: 'POST',
    url: '/sns/job-requests',
    payload,
    headers: {
      'content-type': 'text/plain; charset=UTF-8',
      ...(type ? { 'x-amz-sns-message-type': type } : {}),
      ...headers,
    },
  });
}

function refusals(): Array<Record<string, unknown>> {
  return log.lines.filter((line) => line.msg === 'SNS message refused');
}

beforeAll(async () => {
  sns = await startHttpsServer();
  allowedHost = `localhost:${sns.port}`;
  signing = await selfSignedCertificate('sns.us-east-1.amazonaws.com');
  attacker = await selfSignedCertificate('attacker.example');
  sns.routes.set(certPath, { status: 200, body: signing.certPem });
  sns.routes.set(attackerCertPath, { status: 200, body: attacker.certPem });
  sns.routes.set('/', { status: 200, body: '<ConfirmSubscriptionResponse/>' });
});

afterAll(async () => {
  await sns.close();
});

beforeEach(async () => {
  await app?.close();
  sns.requests.length = 0;
  handled = [];
  failNextHandler = false;
  log = captureLog('annotator');
  app = Fastify(fastifyLogging(log.logger));
  await app.register(snsWebhookPlugin, {
    path: '/sns/job-requests',
    topics: [{ arn: jobTopicArn, topic: 'jobRequests' as const }],
    allowedHosts: [allowedHost],
    extraCaPem: sns.tlsCertPem,
    onNotification: async (received: VerifiedSnsNotification<'jobRequests'>) => {
      if (failNextHandler) {
        failNextHandler = false;
        throw new Error('queue unreachable');
      }
      handled.push(received);
    },
  });
  await app.ready();
});

describe('SNS webhook: accepted messages', () => {
  it('accepts a message signed with SignatureVersion 2 once, with the typed message', async () => {
    const envelope = signEnvelope(notification(), signing.privateKey, '2');
    const response = await post(envelope);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ accepted: true });
    expect(handled).toHaveLength(1);
    expect(handled[0]).toMatchObject({
      topic: 'jobRequests',
      topicArn: jobTopicArn,
      messageId: envelope.MessageId,
    });
    expect(handled[0]!.message).toEqual(jobRequested);
    expect(sns.requests).toEqual([certPath]);
  });

  it('accepts SignatureVersion 1 (SHA1withRSA) and a Subject, fetching the certificate only once', async () => {
    expect(
      (await post(signEnvelope(notification({ Subject: 'job\nrequested' }), signing.privateKey, '1')))
        .statusCode,
    ).toBe(200);
    expect((await post(signEnvelope(notification(), signing.privateKey, '2'))).statusCode).toBe(200);
    expect(handled.map((n) => n.subject)).toEqual(['job\nrequested', undefined]);
    expect(sns.requests.filter((path) => path === certPath)).toHaveLength(1);
  });

  it('answers 500 when the handler throws, so SNS retries, and accepts the retry', async () => {
    const envelope = signEnvelope(notification(), signing.privateKey);
    failNextHandler = true;
    const first = await post(envelope);
    expect(first.statusCode).toBe(500);
    expect(JSON.stringify(first.json())).not.toContain('queue unreachable');
    expect(log.lines.some((l) => l.msg === 'SNS message handler failed; SNS will retry')).toBe(true);
    const retry = await post(envelope);
    expect(retry.statusCode).toBe(200);
    expect(handled).toHaveLength(1);
  });
});

describe('SNS webhook: refused messages (each refusal logged with its reason)', () => {
  it('refuses a replayed MessageId without calling the handler again', async () => {
    const envelope = signEnvelope(notification(), signing.privateKey);
    expect((await post(envelope)).json()).toEqual({ accepted: true });
    const replay = await post(envelope);
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toEqual({ accepted: false, reason: 'duplicate' });
    expect(handled).toHaveLength(1);
    expect(refusals()).toEqual([
      expect.objectContaining({
        reason: 'duplicate MessageId',
        message_id: envelope.MessageId,
        service: 'annotator',
      }),
    ]);
  });

  it('refuses an altered body (Message changed after signing)', async () => {
    const envelope = signEnvelope(notification(), signing.privateKey);
    const altered = { ...envelope, Message: JSON.stringify({ ...jobRequested, user_tier: 'premium' }) };
    const response = await post(altered);
    expect(response.statusCode).toBe(403);
    expect(response.json().reason).toBe('signature does not verify (SignatureVersion 2)');
    expect(handled).toHaveLength(0);
    expect(refusals()[0]).toMatchObject({
      reason: 'signature does not verify (SignatureVersion 2)',
      statusCode: 403,
    });
  });

  it('refuses a wrong signature: signed by another key, pointing at the real SNS certificate', async () => {
    const response = await post(signEnvelope(notification(), attacker.privateKey));
    expect(response.statusCode).toBe(403);
    expect(handled).toHaveLength(0);
    expect(refusals()[0]!.reason).toMatch(/signature does not verify/);
  });

  it('refuses a certificate URL on a disallowed host without fetching it', async () => {
    const envelope = signEnvelope(
      notification({ SigningCertURL: certUrl(attackerCertPath, `127.0.0.1:${sns.port}`) }),
      attacker.privateKey,
    );
    const response = await post(envelope);
    expect(response.statusCode).toBe(403);
    expect(response.json().reason).toContain(`host 127.0.0.1:${sns.port} is not one of ${allowedHost}`);
    expect(sns.requests).toEqual([]);
    expect(handled).toHaveLength(0);
    expect(refusals()).toHaveLength(1);
  });

  it('refuses an http (not https) certificate URL, and one whose path is not a .pem', async () => {
    const http = await post(
      signEnvelope(
        notification({ SigningCertURL: certUrl(certPath, allowedHost, 'http') }),
        signing.privateKey,
      ),
    );
    expect(http.statusCode).toBe(403);
    expect(http.json().reason).toContain('not https');
    const notPem = await post(
      signEnvelope(notification({ SigningCertURL: certUrl('/?cert') }), signing.privateKey),
    );
    expect(notPem.statusCode).toBe(403);
    expect(notPem.json().reason).toContain('path does not end in .pem');
    expect(sns.requests).toEqual([]);
    expect(refusals()).toHaveLength(2);
  });

  it('refuses an unexpected topic, even when correctly signed', async () => {
    const response = await post(signEnvelope(notification({ TopicArn: otherTopicArn }), signing.privateKey));
    expect(response.statusCode).toBe(403);
    expect(response.json().reason).toBe(`unexpected topic ${otherTopicArn}`);
    expect(handled).toHaveLength(0);
    expect(refusals()[0]).toMatchObject({ topic_arn: otherTopicArn });
  });

  it('refuses a message older than the dedupe memory (a replay after it forgot the id)', async () => {
    const old = new Date(Date.now() - 25 * 3600_000).toISOString();
    const response = await post(signEnvelope(notification({ Timestamp: old }), signing.privateKey));
    expect(response.statusCode).toBe(403);
    expect(response.json().reason).toContain('too old');
  });

  it('refuses a body that is not an SNS envelope, and a mismatching message-type header', async () => {
    const garbage = await post('{"hello":');
    expect(garbage.statusCode).toBe(400);
    expect(garbage.json().reason).toContain('SNS HTTP body is invalid');
    const missing = await post(JSON.stringify({ Type: 'Notification', TopicArn: jobTopicArn }));
    expect(missing.statusCode).toBe(400);
    expect(missing.json().reason).toContain('/MessageId is required');
    const envelope = signEnvelope(notification(), signing.privateKey);
    const header = await post(envelope, { 'x-amz-sns-message-type': 'SubscriptionConfirmation' });
    expect(header.statusCode).toBe(400);
    expect(refusals()).toHaveLength(3);
    expect(handled).toHaveLength(0);
  });

  it('refuses a signed message whose content breaks the topic contract (400, no retry)', async () => {
    const bad = JSON.stringify({ ...jobRequested, job_id: 'not-a-uuid' });
    const response = await post(signEnvelope(notification({ Message: bad }), signing.privateKey));
    expect(response.statusCode).toBe(400);
    expect(response.json().reason).toContain('/job_id must match format "uuid"');
    expect(handled).toHaveLength(0);
  });

  it('answers 503 when the certificate cannot be fetched (SNS retries)', async () => {
    const response = await post(
      signEnvelope(notification({ SigningCertURL: certUrl('/missing.pem') }), signing.privateKey),
    );
    expect(response.statusCode).toBe(503);
    expect(response.json().reason).toContain('answered HTTP 404');
  });
});

it('does not trust a certificate server whose TLS certificate is not trusted (no extra CA)', async () => {
  const strictLog = captureLog('annotator');
  const strict = Fastify(fastifyLogging(strictLog.logger));
  await strict.register(snsWebhookPlugin, {
    path: '/sns/job-requests',
    topics: [{ arn: jobTopicArn, topic: 'jobRequests' as const }],
    allowedHosts: [allowedHost],
    onNotification: async () => {
      throw new Error('must not be called');
    },
  });
  const response = await strict.inject({
    method: 'POST',
    url: '/sns/job-requests',
    payload: JSON.stringify(signEnvelope(notification(), signing.privateKey)),
    headers: { 'content-type': 'text/plain; charset=UTF-8' },
  });
  await strict.close();
  expect(response.statusCode).toBe(503);
  expect(response.json().reason).toContain('cannot fetch signing certificate');
  expect(strictLog.lines.some((l) => l.msg === 'SNS message refused')).toBe(true);
});

describe('SNS webhook: subscription confirmation', () => {
  it('confirms an expected topic by fetching its SubscribeURL', async () => {
    const response = await post(signEnvelope(confirmation('token-good'), signing.privateKey));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ confirmed: true });
    expect(sns.requests).toContain(`/?Action=ConfirmSubscription&TopicArn=${jobTopicArn}&Token=token-good`);
    expect(log.lines.some((l) => l.msg === 'SNS subscription confirmed')).toBe(true);
  });

  it('does not confirm an unexpected topic', async () => {
    const response = await post(
      signEnvelope(confirmation('token-other', { TopicArn: otherTopicArn }), signing.privateKey),
    );
    expect(response.statusCode).toBe(403);
    expect(sns.requests.some((path) => path.includes('ConfirmSubscription'))).toBe(false);
    expect(refusals()).toHaveLength(1);
  });

  it('does not fetch a SubscribeURL on a disallowed host, nor confirm a forged confirmation', async () => {
    const evilUrl = `https://127.0.0.1:${sns.port}/?Action=ConfirmSubscription&Token=evil`;
    const evil = await post(
      signEnvelope(confirmation('evil', { SubscribeURL: evilUrl }), signing.privateKey),
    );
    expect(evil.statusCode).toBe(403);
    expect(evil.json().reason).toContain('SubscribeURL');
    const forged = await post(signEnvelope(confirmation('forged'), attacker.privateKey));
    expect(forged.statusCode).toBe(403);
    expect(sns.requests.some((path) => path.includes('ConfirmSubscription'))).toBe(false);
  });

  it('acknowledges an UnsubscribeConfirmation without acting on it', async () => {
    const response = await post(
      signEnvelope({ ...confirmation('bye'), Type: 'UnsubscribeConfirmation' }, signing.privateKey),
    );
    expect(response.statusCode).toBe(200);
    expect(sns.requests.some((path) => path.includes('ConfirmSubscription'))).toBe(false);
  });
});
