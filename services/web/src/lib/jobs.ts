/**
 * The jobs table as web sees it: create a PENDING job (conditional put on the job id, so a
 * reload or a retried request never makes a second job), read one job, and list a user's
 * jobs newest first through the `user_id` + `submitted_at` index, a page at a time. The page
 * cursor is DynamoDB's LastEvaluatedKey, base64url-encoded; a cursor naming another user is
 * refused rather than followed.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type JobRecord, resources } from '@gas/contracts';

export const USER_JOBS_INDEX = resources.tables.jobs.indexes.userJobs.name;

export class BadCursorError extends Error {
  override readonly name = 'BadCursorError';
  readonly statusCode = 400;
  constructor() {
    super('The page link is not valid (cursor). Start again from the first page.');
  }
}

export type JobsPage = { jobs: JobRecord[]; nextCursor: string | null };

export class JobsRepository {
  private readonly documents: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(dynamodb: DynamoDBClient, table: string) {
    this.documents = DynamoDBDocumentClient.from(dynamodb, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.table = table;
  }

  /** 'created', or 'exists' when a job with that id is already there (nothing written). */
  async createPending(record: JobRecord): Promise<'created' | 'exists'> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.table,
          Item: record,
          ConditionExpression: 'attribute_not_exists(job_id)',
        }),
      );
      return 'created';
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return 'exists';
      throw error;
    }
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    const out = await this.documents.send(
      new GetCommand({ TableName: this.table, Key: { job_id: jobId }, ConsistentRead: true }),
    );
    return out.Item as JobRecord | undefined;
  }

  /** The job when it exists AND belongs to `userId`; otherwise undefined (the caller answers 404 either way). */
  async getOwned(jobId: string, userId: string): Promise<JobRecord | undefined> {
    const job = await this.get(jobId);
    return job && job.user_id === userId ? job : undefined;
  }

  async listForUser(userId: string, limit: number, cursor?: string): Promise<JobsPage> {
    let start: Record<string, unknown> | undefined;
    if (cursor) {
      try {
        start = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
      } catch {
        throw new BadCursorError();
      }
      if (
        !start ||
        typeof start !== 'object' ||
        start.user_id !== userId ||
        typeof start.job_id !== 'string'
      ) {
        throw new BadCursorError();
      }
    }
    const out = await this.documents.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: USER_JOBS_INDEX,
        KeyConditionExpression: 'user_id = :user',
        ExpressionAttributeValues: { ':user': userId },
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: start,
      }),
    );
    const last = out.LastEvaluatedKey;
    return {
      jobs: (out.Items ?? []) as JobRecord[],
      nextCursor: last ? Buffer.from(JSON.stringify(last)).toString('base64url') : null,
    };
  }
}
