/**
 * What the annotator does with one `job-requests` message (service-kit's topic consumer calls
 * this; resolving deletes the message, throwing leaves it for a later delivery).
 *
 *   1. The topic consumer has validated it against the JobRequested contract. A malformed
 *      message never gets here: the drainer logs it and releases it at once, and the queue's
 *      redrive policy moves it to the dead-letter queue; the rest of the queue is not held up.
 *   2. Claim the job (PENDING -> RUNNING with a lease, or take over an expired lease).
 *      Not claimed:
 *        - no record: poison (web writes the record before it publishes);
 *        - COMPLETED/FAILED: a duplicate; drop it once JobCompleted is published. If it is not
 *          published yet, re-publish only when the publish claim the finisher took with its
 *          final write has lapsed (the first run died between its final write and its publish);
 *          while the claim is live the finisher is publishing right now: throw, so the message
 *          comes back after the backoff and finds it published (or the claim lapsed). Without
 *          the claim, a duplicate arriving in that window published JobCompleted a second time
 *          (found by test/faults/duplicates.test.ts);
 *        - RUNNING under another SQS message: a duplicate delivery; drop it (the holder's
 *          own message is still in flight and reappears if the holder dies);
 *        - RUNNING under THIS message with a live lease (a redelivery while the holder's
 *          lease runs): throw, so it is retried after the lease has lapsed.
 *   3. Run the engine in a worker thread; every PROGRESS_INTERVAL_SECONDS write progress and
 *      renew the lease (a lost lease aborts the run: someone else owns the job now).
 *   4. COMPLETED with keys/counts/timings, or FAILED with the user's message (bad input) or,
 *      for internal errors on the last allowed delivery, a plain sentence. Earlier internal
 *      errors release the lease and throw, so the job is retried from the start.
 *   5. Publish JobCompleted, mark it published; the drainer deletes the message.
 * The job's scratch folder is removed in every outcome (also by the worker itself).
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import {
  JobCompleted,
  type JobProgress,
  type JobRecord,
  type JobRequested,
  parseWith,
  queueSpec,
  resultObjectKeys,
} from '@gas/contracts';
import { PoisonMessageError, type TopicMessageContext } from '@gas/service-kit';
import type { EnginePool, JobOutcome } from './engine/pool.ts';
import type { JobsTable } from './jobs-table.ts';

export const INTERNAL_ERROR_MESSAGE =
  'The job stopped because of an internal error on our side, not because of your file. Please submit it again; if it happens again, contact support with the job id.';

export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

export type JobHandlerOptions = {
  jobs: JobsTable;
  sns: SNSClient;
  pool: EnginePool;
  jobCompletedTopicArn: string;
  resultsBucket: string;
  /** This process's id in `lease_owner`. */
  owner: string;
  scratchRoot: string;
  leaseSeconds: number;
  progressIntervalMs: number;
  /** Deliveries allowed before an internal error becomes a FAILED job (the queue's maxReceiveCount). */
  maxAttempts?: number;
};

export function completedMessageOf(record: JobRecord): JobCompleted {
  const common = {
    schema_version: 1 as const,
    type: 'JobCompleted' as const,
    job_id: record.job_id,
    user_id: record.user_id,
    user_email: record.user_email,
    user_tier: record.user_tier,
    input_file_name: record.input_file_name,
    submitted_at: record.submitted_at,
    completed_at: record.completed_at ?? new Date().toISOString(),
    results_bucket: record.results_bucket!,
    log_key: record.log_key!,
  };
  const message =
    record.status === 'COMPLETED'
      ? { ...common, status: 'COMPLETED' as const, counts: record.counts, result_keys: record.result_keys }
      : {
          ...common,
          status: 'FAILED' as const,
          error_message: (record.error_message ?? INTERNAL_ERROR_MESSAGE).slice(0, 2000),
          ...(record.counts ? { counts: record.counts } : {}),
        };
  return parseWith(JobCompleted, message, `JobCompleted for job ${record.job_id}`);
}

export function createJobRequestHandler(options: JobHandlerOptions) {
  const { jobs, pool } = options;
  const queueMaxReceives = queueSpec('annotatorJobRequests').maxReceiveCount;
  const maxAttempts = options.maxAttempts ?? queueMaxReceives;
  const active = new Set<Promise<unknown>>();

  async function publishCompleted(record: JobRecord): Promise<void> {
    const message = completedMessageOf(record);
    await options.sns.send(
      new PublishCommand({
        TopicArn: options.jobCompletedTopicArn,
        Message: JSON.stringify(message),
        MessageAttributes: { status: { DataType: 'String', StringValue: message.status } },
      }),
    );
    await jobs.markPublished(record.job_id);
  }

  async function handle(request: JobRequested, context: TopicMessageContext): Promise<void> {
    const log = context.logger.child({ job_id: request.job_id });
    const sqsMessageId = context.sqsMessage.MessageId ?? randomUUID();

    const claim = await jobs.claim({
      jobId: request.job_id,
      owner: options.owner,
      sqsMessageId,
      leaseSeconds: options.leaseSeconds,
    });
    if (!claim.claimed) {
      const record = claim.record;
      if (!record) {
        throw new PoisonMessageError(
          `job ${request.job_id} has no record in the jobs table (web writes it before publishing JobRequested)`,
        );
      }
      if (record.status === 'COMPLETED' || record.status === 'FAILED') {
        if (!record.completion_published_at) {
          if (!(await jobs.claimPublish(record.job_id, options.leaseSeconds))) {
            throw new Error(
              `job ${record.job_id} is ${record.status} and its JobCompleted is being published by the delivery that finished it; checking again later`,
            );
          }
          log.warn(
            { status: record.status },
            'job finished but JobCompleted was not published; publishing it now',
          );
          await publishCompleted(record);
        } else {
          log.info({ status: record.status }, 'job already finished; duplicate delivery dropped');
        }
        return;
      }
      if (record.status === 'RUNNING' && record.lease_message_id !== sqsMessageId) {
        log.info({ lease_owner: record.lease_owner }, 'job is taken by another delivery; duplicate dropped');
        return;
      }
      throw new Error(
        `job ${request.job_id} is ${record.status} under this message with a lease until ${record.lease_expires_at}; retrying after it lapses`,
      );
    }

    const record = claim.record;
    const attempt = record.attempts ?? 1;
    const jobLog = log.child({ attempt });
    jobLog.info({ input_key: record.input_key, input_size_bytes: record.input_size_bytes }, 'job claimed');
    const keys = resultObjectKeys(record.user_id, record.job_id, record.input_file_name);
    const scratchDir = join(options.scratchRoot, `${record.job_id}-${attempt}`);

    const abort = new AbortController();
    const onDrainerAbort = () => abort.abort(context.signal.reason);
    context.signal.addEventListener('abort', onDrainerAbort, { once: true });
    let latest: Omit<JobProgress, 'updated_at'> | undefined;
    let renewing: Promise<void> | undefined;
    const ticker = setInterval(() => {
      if (renewing) return;
      const progress = latest ? { ...latest, updated_at: new Date().toISOString() } : undefined;
      renewing = jobs
        .renew({
          jobId: record.job_id,
          owner: options.owner,
          leaseSeconds: options.leaseSeconds,
          ...(progress ? { progress } : {}),
        })
        .then(
          (held) => {
            if (!held) {
              jobLog.error('lease lost: another annotator took the job over; stopping this run');
              abort.abort(new LeaseLostError(`lease on job ${record.job_id} lost`));
            }
          },
          (error: unknown) => jobLog.warn({ err: error }, 'progress/lease write failed; retrying next tick'),
        )
        .finally(() => {
          renewing = undefined;
        });
    }, options.progressIntervalMs);
    /** No renewal may land after a release or a final write: stop the ticker, wait for one in flight. */
    const stopRenewing = async () => {
      clearInterval(ticker);
      await renewing;
    };

    let outcome: JobOutcome;
    try {
      outcome = await pool.run(
        {
          jobId: record.job_id,
          inputBucket: record.input_bucket,
          inputKey: record.input_key,
          inputFileName: record.input_file_name,
          inputSizeBytes: record.input_size_bytes,
          resultsBucket: options.resultsBucket,
          keys,
          scratchDir,
          logPreamble: [
            `GAS job ${record.job_id}: ${record.input_file_name} (${record.input_size_bytes.toLocaleString('en-US')} bytes), attempt ${attempt}`,
          ],
        },
        {
          signal: abort.signal,
          onProgress: (progress) => {
            latest = progress;
          },
        },
      );
    } catch (error) {
      if (abort.signal.aborted) {
        // Stopping (SIGTERM deadline, lost heartbeat) or lost lease: hand the job on as it is.
        await stopRenewing();
        if (!(abort.signal.reason instanceof LeaseLostError))
          await jobs.release(record.job_id, options.owner);
        jobLog.warn({ reason: String(abort.signal.reason) }, 'job run stopped before it finished; released');
        throw error;
      }
      outcome = {
        ok: false,
        failure: {
          userMessage: null,
          internalMessage: (error as Error).message,
          ...((error as Error).stack ? { stack: (error as Error).stack } : {}),
          timings_ms: {},
          logUploaded: false,
        },
      };
    } finally {
      await stopRenewing();
      context.signal.removeEventListener('abort', onDrainerAbort);
      await rm(scratchDir, { recursive: true, force: true });
    }

    let final: JobRecord | undefined;
    if (outcome.ok) {
      final = await jobs.finish(
        record.job_id,
        options.owner,
        {
          status: 'COMPLETED',
          result_keys: {
            annotated_vcf_key: keys.annotated_vcf_key,
            tsv_key: keys.tsv_key,
            json_key: keys.json_key,
            summary_key: keys.summary_key,
          },
          counts: outcome.result.counts,
          results_bucket: options.resultsBucket,
          log_key: keys.log_key,
          timings_ms: outcome.result.timings_ms,
          reference_versions: outcome.result.reference_versions,
        },
        options.leaseSeconds,
      );
      jobLog.info({ counts: outcome.result.counts, timings_ms: outcome.result.timings_ms }, 'job completed');
    } else {
      const { failure } = outcome;
      if (failure.userMessage === null) {
        jobLog.error(
          {
            err: { message: failure.internalMessage, stack: failure.stack },
            attempts_left: maxAttempts - attempt,
          },
          'job failed with an internal error',
        );
        // Retry while this job has runs left and its message has receives left before the
        // dead-letter queue (a job must never sit RUNNING with its message gone).
        if (attempt < maxAttempts && context.receiveCount < queueMaxReceives) {
          await jobs.release(record.job_id, options.owner);
          throw new Error(`job ${record.job_id} attempt ${attempt} failed: ${failure.internalMessage}`);
        }
      } else {
        jobLog.info({ reason: failure.userMessage }, 'job failed: the input cannot be annotated');
      }
      final = await jobs.finish(
        record.job_id,
        options.owner,
        {
          status: 'FAILED',
          error_message: (failure.userMessage ?? INTERNAL_ERROR_MESSAGE).slice(0, 2000),
          results_bucket: options.resultsBucket,
          log_key: keys.log_key,
          ...(failure.counts ? { counts: failure.counts } : {}),
          timings_ms: failure.timings_ms,
        },
        options.leaseSeconds,
      );
    }
    if (!final) {
      jobLog.warn('lease lost before the final write; the new holder finishes the job');
      return;
    }
    await publishCompleted(final);
    jobLog.info({ status: final.status }, 'JobCompleted published');
  }

  const handler = (request: JobRequested, context: TopicMessageContext): Promise<void> => {
    const run = handle(request, context);
    const tracked = run.catch(() => undefined);
    active.add(tracked);
    void tracked.finally(() => active.delete(tracked));
    return run;
  };
  /** Waits (up to `ms`) for handlers still releasing their jobs after the drainer stopped. */
  const settle = async (ms: number): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...active]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    ]);
    clearTimeout(timer);
  };
  return { handler, settle };
}
