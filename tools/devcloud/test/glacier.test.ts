import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateVaultCommand,
  DeleteArchiveCommand,
  DeleteVaultCommand,
  DescribeJobCommand,
  DescribeVaultCommand,
  GetJobOutputCommand,
  GlacierClient,
  InitiateJobCommand,
  ListJobsCommand,
  ListVaultsCommand,
  UploadArchiveCommand,
} from '@aws-sdk/client-glacier';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatedService } from '../src/edge/types.ts';
import { createGlacierService } from '../src/glacier/index.ts';
import { sha256TreeHash } from '../src/glacier/tree-hash.ts';
import { type PublishedToSns, serveEmulatedService, testContext } from './helpers/serve-emulated-service.ts';
import { clientConfig, snsClient, sqsClient, startTestCloud, type TestCloud } from './helpers.ts';

// A topic ARN for the unit tests whose SNS is a fake `ctx.publishToSns`.
const TOPIC = 'arn:aws:sns:us-east-1:000000000000:gas-cold-storage-events';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

function clientFor(url: string): GlacierClient {
  return new GlacierClient({ endpoint: url, region: 'us-east-1', credentials });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

// The main flows run behind the real devcloud edge, with completion notices going through
// devcloud SNS to an SQS queue, as the thawer receives them.
let testCloud: TestCloud;
let glacier: GlacierClient;
let topicArn: string;
let queueUrl: string;
// 2.5 MiB: three tree-hash chunks, so the tree (not just one SHA-256) is exercised.
const archiveBytes = randomBytes(2.5 * 1024 * 1024);
let archiveId: string;

beforeAll(async () => {
  testCloud = await startTestCloud({ glacierJobDelayMs: 200 });
  glacier = new GlacierClient(clientConfig(testCloud.cloud, testCloud.credentials));
  const sns = snsClient(testCloud.cloud, testCloud.credentials);
  const sqs = sqsClient(testCloud.cloud, testCloud.credentials);
  topicArn = (await sns.send(new CreateTopicCommand({ Name: 'gas-cold-storage-events' }))).TopicArn!;
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'thawer-cold-storage-events' }))).QueueUrl!;
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  await sns.send(
    new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: attributes.Attributes!.QueueArn }),
  );
});

afterAll(async () => {
  await testCloud.dispose();
});

describe('Glacier vaults and archives through @aws-sdk/client-glacier', () => {
  it('creates, describes and lists a vault', async () => {
    const created = await glacier.send(
      new CreateVaultCommand({ accountId: '-', vaultName: 'results-archive' }),
    );
    expect(created.location).toBe('/000000000000/vaults/results-archive');
    const described = await glacier.send(
      new DescribeVaultCommand({ accountId: '-', vaultName: 'results-archive' }),
    );
    expect(described).toMatchObject({
      VaultName: 'results-archive',
      VaultARN: 'arn:aws:glacier:us-east-1:000000000000:vaults/results-archive',
      NumberOfArchives: 0,
    });
    const listed = await glacier.send(new ListVaultsCommand({ accountId: '-' }));
    expect(listed.VaultList?.map((v) => v.VaultName)).toEqual(['results-archive']);
  });

  it('answers ResourceNotFoundException for a vault that does not exist', async () => {
    await expect(
      glacier.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'no-such-vault' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
  });

  it('accepts an upload whose tree hash (computed by the SDK) matches, and returns the archive id', async () => {
    const uploaded = await glacier.send(
      new UploadArchiveCommand({
        accountId: '-',
        vaultName: 'results-archive',
        archiveDescription: 'results/u1/j1/input.annot.vcf.gz',
        body: archiveBytes,
      }),
    );
    archiveId = uploaded.archiveId!;
    expect(archiveId).toHaveLength(138);
    expect(uploaded.checksum).toBe(sha256TreeHash(archiveBytes));
    const described = await glacier.send(
      new DescribeVaultCommand({ accountId: '-', vaultName: 'results-archive' }),
    );
    expect(described).toMatchObject({ NumberOfArchives: 1, SizeInBytes: archiveBytes.length });
  });

  it('refuses an upload whose stated tree hash is wrong, and stores nothing', async () => {
    const wrong = glacier.send(
      new UploadArchiveCommand({
        accountId: '-',
        vaultName: 'results-archive',
        checksum: sha256TreeHash(Buffer.from('other bytes')),
        body: archiveBytes,
      }),
    );
    await expect(wrong).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      message: expect.stringContaining('Checksum mismatch'),
      $metadata: { httpStatusCode: 400 },
    });
    const described = await glacier.send(
      new DescribeVaultCommand({ accountId: '-', vaultName: 'results-archive' }),
    );
    expect(described.NumberOfArchives).toBe(1);
  });
});

describe('archive retrieval jobs', () => {
  let jobId: string;

  it('initiates a retrieval that completes and publishes AWS-shaped JSON to the SNS topic', async () => {
    const initiated = await glacier.send(
      new InitiateJobCommand({
        accountId: '-',
        vaultName: 'results-archive',
        jobParameters: {
          Type: 'archive-retrieval',
          ArchiveId: archiveId,
          SNSTopic: topicArn,
          Tier: 'Bulk',
          Description: 'thaw j1',
        },
      }),
    );
    jobId = initiated.jobId!;
    expect(initiated.location).toBe(`/000000000000/vaults/results-archive/jobs/${jobId}`);
    const first = await glacier.send(
      new DescribeJobCommand({ accountId: '-', vaultName: 'results-archive', jobId }),
    );
    expect(first).toMatchObject({ StatusCode: 'InProgress', Completed: false, Action: 'ArchiveRetrieval' });

    const sqs = sqsClient(testCloud.cloud, testCloud.credentials);
    const received = await waitFor('the completion notice in SQS', async () => {
      const batch = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
      return batch.Messages?.[0];
    });
    const envelope = JSON.parse(received.Body!);
    expect(envelope).toMatchObject({ Type: 'Notification', TopicArn: topicArn });
    const message = JSON.parse(envelope.Message);
    expect(message).toMatchObject({
      Action: 'ArchiveRetrieval',
      ArchiveId: archiveId,
      ArchiveSHA256TreeHash: sha256TreeHash(archiveBytes),
      ArchiveSizeInBytes: archiveBytes.length,
      Completed: true,
      JobDescription: 'thaw j1',
      JobId: jobId,
      RetrievalByteRange: `0-${archiveBytes.length - 1}`,
      SHA256TreeHash: sha256TreeHash(archiveBytes),
      SNSTopic: topicArn,
      StatusCode: 'Succeeded',
      StatusMessage: 'Succeeded',
      Tier: 'Bulk',
      VaultARN: 'arn:aws:glacier:us-east-1:000000000000:vaults/results-archive',
    });
    expect(Date.parse(message.CompletionDate)).toBeGreaterThanOrEqual(Date.parse(message.CreationDate));
  });

  it('lists the job and serves the output, whole and by range', async () => {
    const jobs = await glacier.send(
      new ListJobsCommand({ accountId: '-', vaultName: 'results-archive', completed: 'true' }),
    );
    expect(jobs.JobList?.map((j) => j.JobId)).toEqual([jobId]);

    const whole = await glacier.send(
      new GetJobOutputCommand({ accountId: '-', vaultName: 'results-archive', jobId }),
    );
    expect(whole.status).toBe(200);
    expect(whole.checksum).toBe(sha256TreeHash(archiveBytes));
    expect(Buffer.from(await whole.body!.transformToByteArray()).equals(archiveBytes)).toBe(true);

    const mib = 1024 * 1024;
    const part = await glacier.send(
      new GetJobOutputCommand({
        accountId: '-',
        vaultName: 'results-archive',
        jobId,
        range: `bytes=${mib}-${2 * mib - 1}`,
      }),
    );
    expect(part.status).toBe(206);
    expect(part.contentRange).toBe(`bytes ${mib}-${2 * mib - 1}/${archiveBytes.length}`);
    const partBytes = Buffer.from(await part.body!.transformToByteArray());
    expect(partBytes.equals(archiveBytes.subarray(mib, 2 * mib))).toBe(true);
    expect(part.checksum).toBe(sha256TreeHash(partBytes));
  });

  it('deletes the archive; the finished job output stays readable, a second delete is 404', async () => {
    await glacier.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'results-archive', archiveId }));
    const described = await glacier.send(
      new DescribeVaultCommand({ accountId: '-', vaultName: 'results-archive' }),
    );
    expect(described.NumberOfArchives).toBe(0);
    await expect(
      glacier.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'results-archive', archiveId })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    const output = await glacier.send(
      new GetJobOutputCommand({ accountId: '-', vaultName: 'results-archive', jobId }),
    );
    expect((await output.body!.transformToByteArray()).length).toBe(archiveBytes.length);
    await expect(
      glacier.send(
        new InitiateJobCommand({
          accountId: '-',
          vaultName: 'results-archive',
          jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('refuses to delete a vault that still holds archives, and deletes an empty one', async () => {
    await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName: 'scratch' }));
    await glacier.send(
      new UploadArchiveCommand({ accountId: '-', vaultName: 'scratch', body: Buffer.from('x') }),
    );
    await expect(
      glacier.send(new DeleteVaultCommand({ accountId: '-', vaultName: 'scratch' })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
    });
    await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName: 'empty' }));
    await glacier.send(new DeleteVaultCommand({ accountId: '-', vaultName: 'empty' }));
    const listed = await glacier.send(new ListVaultsCommand({ accountId: '-' }));
    expect(listed.VaultList?.map((v) => v.VaultName)).toEqual(['results-archive', 'scratch']);
  });
});

describe('inventory and ranged retrieval', () => {
  it('an inventory job lists the vault archives as JSON', async () => {
    const body = Buffer.from('inventory me');
    const { archiveId: id } = await glacier.send(
      new UploadArchiveCommand({ accountId: '-', vaultName: 'scratch', archiveDescription: 'inv', body }),
    );
    const { jobId } = await glacier.send(
      new InitiateJobCommand({
        accountId: '-',
        vaultName: 'scratch',
        jobParameters: { Type: 'inventory-retrieval' },
      }),
    );
    await waitFor('the inventory job', async () => {
      const job = await glacier.send(new DescribeJobCommand({ accountId: '-', vaultName: 'scratch', jobId }));
      return job.Completed ? job : undefined;
    });
    const output = await glacier.send(
      new GetJobOutputCommand({ accountId: '-', vaultName: 'scratch', jobId }),
    );
    const inventory = JSON.parse(Buffer.from(await output.body!.transformToByteArray()).toString('utf8'));
    expect(inventory.VaultARN).toBe('arn:aws:glacier:us-east-1:000000000000:vaults/scratch');
    expect(inventory.ArchiveList).toContainEqual(
      expect.objectContaining({
        ArchiveId: id,
        ArchiveDescription: 'inv',
        Size: body.length,
        SHA256TreeHash: sha256TreeHash(body),
      }),
    );
  });

  it('retrieves a 1 MiB-aligned byte range and refuses a misaligned one', async () => {
    const mib = 1024 * 1024;
    const bytes = randomBytes(2 * mib + 10);
    const { archiveId: id } = await glacier.send(
      new UploadArchiveCommand({ accountId: '-', vaultName: 'scratch', body: bytes }),
    );
    await expect(
      glacier.send(
        new InitiateJobCommand({
          accountId: '-',
          vaultName: 'scratch',
          jobParameters: { Type: 'archive-retrieval', ArchiveId: id, RetrievalByteRange: '10-99' },
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      message: expect.stringContaining('1 MiB'),
    });
    const { jobId } = await glacier.send(
      new InitiateJobCommand({
        accountId: '-',
        vaultName: 'scratch',
        jobParameters: {
          Type: 'archive-retrieval',
          ArchiveId: id,
          RetrievalByteRange: `${mib}-${2 * mib + 9}`,
        },
      }),
    );
    await waitFor('the ranged job', async () => {
      const job = await glacier.send(new DescribeJobCommand({ accountId: '-', vaultName: 'scratch', jobId }));
      return job.Completed ? job : undefined;
    });
    const output = await glacier.send(
      new GetJobOutputCommand({ accountId: '-', vaultName: 'scratch', jobId }),
    );
    const got = Buffer.from(await output.body!.transformToByteArray());
    expect(got.equals(bytes.subarray(mib))).toBe(true);
    expect(output.checksum).toBe(sha256TreeHash(bytes.subarray(mib)));
  });
});

describe('durability and notification retries', () => {
  it('completes and notifies a job initiated before a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'devcloud-glacier-restart-'));
    const before: PublishedToSns[] = [];
    const first = await serveEmulatedService(
      createGlacierService(testContext(dir, before), { jobDelayMs: 400 }),
    );
    const client = clientFor(first.url);
    await client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'v' }));
    const body = Buffer.from('archived result');
    const { archiveId: id } = await client.send(
      new UploadArchiveCommand({ accountId: '-', vaultName: 'v', body }),
    );
    const { jobId } = await client.send(
      new InitiateJobCommand({
        accountId: '-',
        vaultName: 'v',
        jobParameters: { Type: 'archive-retrieval', ArchiveId: id, SNSTopic: TOPIC },
      }),
    );
    await first.close();

    const after: PublishedToSns[] = [];
    let second: { url: string; close(): Promise<void> } | undefined;
    try {
      second = await serveEmulatedService(createGlacierService(testContext(dir, after), { jobDelayMs: 400 }));
      const notification = await waitFor('the notification after restart', async () => after[0]);
      expect(JSON.parse(notification.message)).toMatchObject({ JobId: jobId, StatusCode: 'Succeeded' });
      expect(before).toEqual([]);
      const output = await clientFor(second.url).send(
        new GetJobOutputCommand({ accountId: '-', vaultName: 'v', jobId }),
      );
      expect(Buffer.from(await output.body!.transformToByteArray()).toString()).toBe('archived result');
    } finally {
      await second?.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('retries publishing the completion until SNS takes it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'devcloud-glacier-retry-'));
    const attempts: string[] = [];
    const ctx = testContext(dir);
    ctx.publishToSns = async (_topicArn, message) => {
      attempts.push(message);
      if (attempts.length < 3) throw new Error('SNS is down');
    };
    const service: EmulatedService = createGlacierService(ctx, { jobDelayMs: 50, notifyRetryDelayMs: 20 });
    const served = await serveEmulatedService(service);
    try {
      const client = clientFor(served.url);
      await client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'v' }));
      const { archiveId: id } = await client.send(
        new UploadArchiveCommand({ accountId: '-', vaultName: 'v', body: Buffer.from('abc') }),
      );
      await client.send(
        new InitiateJobCommand({
          accountId: '-',
          vaultName: 'v',
          jobParameters: { Type: 'archive-retrieval', ArchiveId: id, SNSTopic: TOPIC },
        }),
      );
      await waitFor('three publish attempts', async () => (attempts.length >= 3 ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(attempts).toHaveLength(3);
      expect(new Set(attempts).size).toBe(1);
    } finally {
      await served.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a job without a known type or with a malformed SNS topic', async () => {
    await expect(
      glacier.send(
        new InitiateJobCommand({
          accountId: '-',
          vaultName: 'results-archive',
          jobParameters: { Type: 'thaw-everything' },
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      message: expect.stringContaining('thaw-everything'),
    });
    await expect(
      glacier.send(
        new InitiateJobCommand({
          accountId: '-',
          vaultName: 'results-archive',
          jobParameters: { Type: 'inventory-retrieval', SNSTopic: 'not-an-arn' },
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      message: expect.stringContaining('not-an-arn'),
    });
  });
});
