/**
 * The annotator's writes to the DynamoDB jobs table. Every state change is a conditional
 * update, so two annotators (or a duplicate delivery) can never both run a job, and a
 * worker that lost its lease can never overwrite what the new holder wrote:
 *
 *   claim     PENDING -> RUNNING, or RUNNING -> RUNNING when `lease_expires_at` has passed
 *             (takeover after a crash). Sets the lease (owner, expiry, SQS message id) and
 *             counts the attempt. When the condition fails, the current record says why.
 *   renew     lease + progress, only while we still hold the lease (false = lost it).
 *   release   expire our lease now (a retry or another worker may take the job at once).
 *   finish    RUNNING -> COMPLETED | FAILED, only while we hold the lease; the finisher also takes
 *             the publish claim (`completion_publish_claimed_until`) for the JobCompleted it sends next.
 *   claimPublish  a later delivery takes the publish claim when JobCompleted is still unpublished
 *             and the claim has lapsed (the finisher died before publishing); false otherwise.
 *   published JobCompleted went out (a redelivery re-publishes until this is set).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { JobCounts, JobProgress, JobRecord, ResultKeys } from '@gas/contracts';

export type ClaimOutcome =
  | { claimed: true; record: JobRecord }
  | { claimed: false; record: JobRecord | undefined };

export type FinalFields =
  | {
      status: 'COMPLETED';
      result_keys: ResultKeys;
      counts: JobCounts;
      results_bucket: string;
      log_key: string;
      timings_ms: Record<string, number>;
      reference_versions: Record<string, string>;
    }
  | {
      status: 'FAILED';
      error_message: string;
      results_bucket: string;
      log_key: string;
      counts?: JobCounts;
      timings_ms: Record<string, number>;
    };

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string })?.name === 'ConditionalCheckFailedException'
  );
}

export class JobsTable {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(doc: DynamoDBDocumentClient, table: string) {
    this.#doc = doc;
    this.#table = table;
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    const out = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: { job_id: jobId }, ConsistentRead: true }),
    );
    return out.Item as JobRecord | undefined;
  }

  async claim(options: {
    jobId: string;
    owner: string;
    sqsMessageId: string;
    leaseSeconds: number;
    now?: Date;
  }): Promise<ClaimOutcome> {
    const now = options.now ?? new Date();
    const expires = new Date(now.getTime() + options.leaseSeconds * 1000);
    try {
      const out = await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { job_id: options.jobId },
          UpdateExpression:
            'SET #status = :running, lease_owner = :owner, lease_expires_at = :expires, lease_message_id = :msg, started_at = :now, attempts = if_not_exists(attempts, :zero) + :one REMOVE progress, error_message',
          // PENDING -> RUNNING and the RUNNING -> RUNNING takeover, as in the contracts' status machine.
          ConditionExpression:
            'attribute_exists(job_id) AND (#status = :pending OR (#status = :running AND lease_expires_at < :now))',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':running': 'RUNNING',
            ':pending': 'PENDING',
            ':owner': options.owner,
            ':expires': expires.toISOString(),
            ':msg': options.sqsMessageId,
            ':now': now.toISOString(),
            ':zero': 0,
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { claimed: true, record: out.Attributes as JobRecord };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return { claimed: false, record: await this.get(options.jobId) };
    }
  }

  /** Extends our lease and writes progress; false when the lease is no longer ours. */
  async renew(options: {
    jobId: string;
    owner: string;
    leaseSeconds: number;
    progress?: JobProgress;
  }): Promise<boolean> {
    const expires = new Date(Date.now() + options.leaseSeconds * 1000).toISOString();
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { job_id: options.jobId },
          UpdateExpression: options.progress
            ? 'SET lease_expires_at = :expires, progress = :progress'
            : 'SET lease_expires_at = :expires',
          ConditionExpression: '#status = :running AND lease_owner = :owner',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':expires': expires,
            ':running': 'RUNNING',
            ':owner': options.owner,
            ...(options.progress ? { ':progress': options.progress } : {}),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Lets the lease lapse now, so the next delivery takes the job over at once. */
  async release(jobId: string, owner: string): Promise<void> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { job_id: jobId },
          UpdateExpression: 'SET lease_expires_at = :past',
          ConditionExpression: '#status = :running AND lease_owner = :owner',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':past': new Date(0).toISOString(),
            ':running': 'RUNNING',
            ':owner': owner,
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /**
   * RUNNING -> COMPLETED | FAILED while we hold the lease, with the publish claim for
   * `publishClaimSeconds`; returns the final record, or undefined if the lease was lost.
   */
  async finish(
    jobId: string,
    owner: string,
    fields: FinalFields,
    publishClaimSeconds: number,
  ): Promise<JobRecord | undefined> {
    const now = Date.now();
    const values: Record<string, unknown> = {
      ...fields,
      completed_at: new Date(now).toISOString(),
      completion_publish_claimed_until: new Date(now + publishClaimSeconds * 1000).toISOString(),
    };
    if (fields.status === 'COMPLETED') values.results_status = 'AVAILABLE';
    const names: Record<string, string> = {};
    const exprValues: Record<string, unknown> = { ':running': 'RUNNING', ':owner': owner };
    const sets = Object.entries(values).map(([key, value], i) => {
      names[`#f${i}`] = key;
      exprValues[`:v${i}`] = value;
      return `#f${i} = :v${i}`;
    });
    names['#status_now'] = 'status';
    try {
      const out = await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { job_id: jobId },
          UpdateExpression: `SET ${sets.join(', ')} REMOVE lease_owner, lease_expires_at, progress`,
          ConditionExpression: '#status_now = :running AND lease_owner = :owner',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: exprValues,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes as JobRecord;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /** Takes the right to publish JobCompleted for a final job nobody is publishing (the claim lapsed). */
  async claimPublish(jobId: string, seconds: number): Promise<boolean> {
    const now = new Date();
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { job_id: jobId },
          UpdateExpression: 'SET completion_publish_claimed_until = :until',
          ConditionExpression:
            '#status IN (:completed, :failed) AND attribute_not_exists(completion_published_at) AND (attribute_not_exists(completion_publish_claimed_until) OR completion_publish_claimed_until < :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':until': new Date(now.getTime() + seconds * 1000).toISOString(),
            ':now': now.toISOString(),
            ':completed': 'COMPLETED',
            ':failed': 'FAILED',
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async markPublished(jobId: string): Promise<void> {
    await this.#doc.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: { job_id: jobId },
        UpdateExpression: 'SET completion_published_at = :now',
        ExpressionAttributeValues: { ':now': new Date().toISOString() },
      }),
    );
  }
}
