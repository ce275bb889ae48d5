import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  TransactWriteItemsCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfig, startTestCloud, type TestCloud } from './helpers.ts';

let t: TestCloud;
let raw: DynamoDBClient;
let doc: DynamoDBDocumentClient;

function connect(): void {
  raw = new DynamoDBClient(clientConfig(t.cloud, t.credentials));
  doc = DynamoDBDocumentClient.from(raw);
}

beforeAll(async () => {
  t = await startTestCloud();
  connect();
});
afterAll(async () => {
  raw.destroy();
  await t.dispose();
});

async function errorOf(p: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

describe('DynamoDB (dynalite behind the edge)', () => {
  it('creates the jobs table with a GSI and does conditional writes and index queries', async () => {
    await raw.send(
      new CreateTableCommand({
        TableName: 'jobs',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'job_id', AttributeType: 'S' },
          { AttributeName: 'user_id', AttributeType: 'S' },
          { AttributeName: 'submitted_at', AttributeType: 'N' },
        ],
        KeySchema: [{ AttributeName: 'job_id', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'user_id-submitted_at-index',
            KeySchema: [
              { AttributeName: 'user_id', KeyType: 'HASH' },
              { AttributeName: 'submitted_at', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    const desc = await raw.send(new DescribeTableCommand({ TableName: 'jobs' }));
    expect(desc.Table?.TableStatus).toBe('ACTIVE');

    await doc.send(
      new PutCommand({
        TableName: 'jobs',
        Item: { job_id: 'j1', user_id: 'u1', submitted_at: 1, status: 'PENDING' },
        ConditionExpression: 'attribute_not_exists(job_id)',
      }),
    );
    const dup = await errorOf(
      doc.send(
        new PutCommand({
          TableName: 'jobs',
          Item: { job_id: 'j1', user_id: 'u1', submitted_at: 1, status: 'PENDING' },
          ConditionExpression: 'attribute_not_exists(job_id)',
        }),
      ),
    );
    expect(dup.name).toBe('ConditionalCheckFailedException');
    await doc.send(
      new UpdateCommand({
        TableName: 'jobs',
        Key: { job_id: 'j1' },
        UpdateExpression: 'SET #s = :running',
        ConditionExpression: '#s = :pending',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':running': 'RUNNING', ':pending': 'PENDING' },
      }),
    );
    const again = await errorOf(
      doc.send(
        new UpdateCommand({
          TableName: 'jobs',
          Key: { job_id: 'j1' },
          UpdateExpression: 'SET #s = :running',
          ConditionExpression: '#s = :pending',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':running': 'RUNNING', ':pending': 'PENDING' },
        }),
      ),
    );
    expect(again.name).toBe('ConditionalCheckFailedException');
    await doc.send(
      new PutCommand({
        TableName: 'jobs',
        Item: { job_id: 'j2', user_id: 'u1', submitted_at: 2, status: 'PENDING' },
      }),
    );
    const mine = await doc.send(
      new QueryCommand({
        TableName: 'jobs',
        IndexName: 'user_id-submitted_at-index',
        KeyConditionExpression: 'user_id = :u',
        ExpressionAttributeValues: { ':u': 'u1' },
        ScanIndexForward: false,
      }),
    );
    expect(mine.Items?.map((i) => i.job_id)).toEqual(['j2', 'j1']);
  });

  it('refuses operations dynalite does not implement by name (transactions, TTL updates)', async () => {
    const err = await errorOf(
      raw.send(
        new TransactWriteItemsCommand({
          TransactItems: [{ Put: { TableName: 'jobs', Item: { job_id: { S: 'tx' } } } }],
        }),
      ),
    );
    expect(err.name).toBe('UnknownOperationException');
    expect(err.message).toContain('does not implement TransactWriteItems');
    const ttl = await errorOf(
      raw.send(
        new UpdateTimeToLiveCommand({
          TableName: 'jobs',
          TimeToLiveSpecification: { Enabled: true, AttributeName: 'expires_at' },
        }),
      ),
    );
    expect(ttl.message).toContain('does not implement UpdateTimeToLive');
  });

  it('refuses a wrong secret with InvalidSignatureException and an unknown key with UnrecognizedClientException', async () => {
    const wrong = new DynamoDBClient(
      clientConfig(t.cloud, { accessKeyId: t.credentials.accessKeyId, secretAccessKey: 'wrong' }),
    );
    const err = await errorOf(wrong.send(new ListTablesCommand({})));
    expect(err.name).toBe('InvalidSignatureException');
    const unknown = new DynamoDBClient(
      clientConfig(t.cloud, { accessKeyId: 'AKIANOBODY', secretAccessKey: t.secret }),
    );
    const err2 = await errorOf(unknown.send(new ListTablesCommand({})));
    expect(err2.name).toBe('UnrecognizedClientException');
    wrong.destroy();
    unknown.destroy();
  });

  it('keeps tables and items across a restart (LevelDB store in the data dir)', async () => {
    await doc.send(
      new PutCommand({
        TableName: 'jobs',
        Item: { job_id: 'j3', user_id: 'u2', submitted_at: 3, status: 'COMPLETED' },
      }),
    );
    raw.destroy();
    await t.restart();
    connect();
    const got = await doc.send(new GetCommand({ TableName: 'jobs', Key: { job_id: 'j3' } }));
    expect(got.Item).toMatchObject({ user_id: 'u2', status: 'COMPLETED' });
    const tables = await raw.send(new ListTablesCommand({}));
    expect(tables.TableNames).toEqual(['jobs']);
  });
});
