import { describe, expect, it } from 'vitest';
import {
  bucketName,
  deadLetterQueueName,
  queueKeys,
  queueName,
  queueSpec,
  queuesOfService,
  resources,
  servicePort,
  tableName,
  topicArn,
  topicKeys,
  topicMessages,
  topicName,
  webhookOf,
} from '../src/index.ts';

describe('resource names', () => {
  it('builds deployed names as <prefix>-<name>', () => {
    expect(topicName('gas', 'jobRequests')).toBe('gas-job-requests');
    expect(queueName('gas', 'annotatorJobRequests')).toBe('gas-annotator-job-requests');
    expect(deadLetterQueueName('gas', 'annotatorJobRequests')).toBe('gas-annotator-job-requests-dlq');
    expect(tableName('gas', 'jobs')).toBe('gas-jobs');
    expect(bucketName('gas', 'results')).toBe('gas-results');
    expect(bucketName('gas-prod', 'results', '123456789012')).toBe('gas-prod-results-123456789012');
    expect(topicArn('jobCompleted', { prefix: 'gas', region: 'us-east-1', accountId: '000000000000' })).toBe(
      'arn:aws:sns:us-east-1:000000000000:gas-job-completed',
    );
  });

  it('refuses a prefix that would make an invalid resource name', () => {
    expect(() => topicName('GAS prod', 'jobRequests')).toThrow('resource prefix "GAS prod"');
  });

  it('every queue subscribes to a known topic and every topic has a message schema', () => {
    for (const key of queueKeys) expect(topicKeys).toContain(queueSpec(key).topic);
    expect(Object.keys(topicMessages).sort()).toEqual([...topicKeys].sort());
  });

  it('knows which queues and webhook each service has, and its port', () => {
    expect(queuesOfService('thawer')).toEqual(['thawerUserTierChanged', 'thawerColdStorageEvents']);
    expect(webhookOf('annotator')).toEqual({ path: '/sns/job-requests', topics: ['jobRequests'] });
    expect(servicePort('web')).toBe(resources.ports.web);
    const ports = Object.values(resources.ports);
    expect(new Set(ports).size).toBe(ports.length);
  });
});
