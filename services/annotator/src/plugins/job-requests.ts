/**
 * The annotator's job intake as one plugin: the engine worker pool and service-kit's topic
 * consumer of job-requests: the SQS queue drained (the durable path, with a slow idle timer as
 * the safety net) and the SNS webhook on `/sns/job-requests` (the doorbell: a verified
 * notification only wakes the drain loop; the job itself always comes from the queue, so a lost
 * or duplicated doorbell changes nothing). Unlike the other services, the annotator starts and
 * stops its drainer itself (`startAndStop: 'by-the-service'`), for the two reasons below.
 *
 * Closing (SIGTERM): stop receiving, let running jobs finish until STOP_TIMEOUT_SECONDS,
 * then abort the rest (each releases its lease and its message, so another annotator
 * takes it over at once), and only then end the worker threads. Scratch folders of a
 * previous process that died (SIGKILL, OOM) are removed at start.
 *
 * Reference bundle: with REFERENCE_BUNDLE_URI set, the bundle is mirrored from S3 into
 * REFERENCE_CACHE_DIR (engine/reference-cache.ts) after the server listens (so /healthz
 * answers during a long download) and before the workers are started and the queue is
 * drained; `jobRequests.referenceReady` (the `engine:reference` readiness check, added in
 * app.ts) fails until then. `jobRequests.referenceBundle` settles when that is done: it rejects
 * when the bundle cannot be mirrored (server.ts then stops the process), and resolves with
 * undefined when there is no bundle or the app closed first.
 */
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  drainerNameOf,
  type QueueDrainer,
  type ReadinessCheck,
  type ServiceAwsClients,
  topicConsumersPlugin,
  topicConsumersSettings,
} from '@gas/service-kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { AnnotatorConfig } from '../config.ts';
import { EnginePool } from '../engine/pool.ts';
import { type SyncResult, syncReferenceBundle } from '../engine/reference-cache.ts';
import { removeStaleScratch } from '../engine/scratch.ts';
import { createJobRequestHandler } from '../job-handler.ts';
import { JobsTable } from '../jobs-table.ts';

export type JobRequestsOptions = {
  config: AnnotatorConfig;
  aws: ServiceAwsClients;
};

declare module 'fastify' {
  interface FastifyInstance {
    jobRequests: {
      drainer: QueueDrainer;
      pool: EnginePool;
      owner: string;
      scratchRoot: string;
      /** Settles once the reference bundle is mirrored (see the module comment). */
      referenceBundle: Promise<SyncResult | undefined>;
      /** Fails while the bundle is mirrored, when it cannot be, or while the workers load it. */
      referenceReady: ReadinessCheck;
    };
  }
}

async function jobRequests(app: FastifyInstance, options: JobRequestsOptions): Promise<void> {
  const { config } = options;
  const owner = `${hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`;
  const scratchBase = join(config.SCRATCH_DIR ?? tmpdir(), 'gas-annotator');
  const scratchRoot = join(scratchBase, String(process.pid));
  const pool = new EnginePool({
    setup: {
      aws: {
        AWS_REGION: config.AWS_REGION,
        ...(config.AWS_ENDPOINT_URL ? { AWS_ENDPOINT_URL: config.AWS_ENDPOINT_URL } : {}),
        ...(config.AWS_ACCESS_KEY_ID ? { AWS_ACCESS_KEY_ID: config.AWS_ACCESS_KEY_ID } : {}),
        ...(config.AWS_SECRET_ACCESS_KEY ? { AWS_SECRET_ACCESS_KEY: config.AWS_SECRET_ACCESS_KEY } : {}),
        ...(config.AWS_SESSION_TOKEN ? { AWS_SESSION_TOKEN: config.AWS_SESSION_TOKEN } : {}),
      },
      // the config's cross-check guarantees the bundle, or both files
      reference: config.REFERENCE_BUNDLE_DIR
        ? {
            bundle: config.REFERENCE_BUNDLE_DIR,
            ...(config.REFERENCE_BUNDLE_ROOT ? { bundleRoot: config.REFERENCE_BUNDLE_ROOT } : {}),
          }
        : {
            fasta: config.REFERENCE_FASTA!,
            gff3: config.REFERENCE_GFF3!,
            ...(config.REFERENCE_SYNONYMS ? { synonyms: config.REFERENCE_SYNONYMS } : {}),
            assembly: config.REFERENCE_ASSEMBLY,
          },
    },
    size: config.ANNOTATOR_CONCURRENCY,
    maxHeapMb: config.WORKER_MAX_HEAP_MB,
    logger: app.log,
  });
  const jobs = new JobsTable(
    DynamoDBDocumentClient.from(options.aws.dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    config.JOBS_TABLE,
  );
  const { handler, settle } = createJobRequestHandler({
    jobs,
    sns: options.aws.sns,
    pool,
    jobCompletedTopicArn: config.JOB_COMPLETED_TOPIC_ARN,
    resultsBucket: config.RESULTS_BUCKET,
    owner,
    scratchRoot,
    leaseSeconds: config.JOB_LEASE_SECONDS,
    progressIntervalMs: config.PROGRESS_INTERVAL_SECONDS * 1000,
    maxAttempts: config.JOB_MAX_ATTEMPTS,
  });
  await app.register(topicConsumersPlugin, {
    service: 'annotator',
    sqs: options.aws.sqs,
    ...topicConsumersSettings(config, config.QUEUE_WAIT_SECONDS),
    startAndStop: 'by-the-service', // stopped with STOP_TIMEOUT_SECONDS in the onClose hook below
    consumers: [
      {
        topic: 'jobRequests',
        topicArn: config.JOB_REQUESTS_TOPIC_ARN,
        queue: 'annotatorJobRequests',
        queueUrl: config.JOB_REQUESTS_QUEUE_URL,
        concurrency: config.ANNOTATOR_CONCURRENCY,
        visibilityTimeoutSeconds: config.QUEUE_VISIBILITY_TIMEOUT_SECONDS,
        handle: handler,
        onDoorbell: (request) => app.log.debug({ job_id: request.job_id }, 'doorbell: job requested'),
      },
    ],
  });
  const drainer = app.queueDrainers[drainerNameOf('jobRequests')]!;
  const bundleUri = config.REFERENCE_BUNDLE_URI;
  let bundle: { state: 'mirroring' } | { state: 'done' } | { state: 'failed'; message: string } = bundleUri
    ? { state: 'mirroring' }
    : { state: 'done' };
  const bundleAbort = new AbortController();
  let settleBundle: (outcome: Promise<SyncResult | undefined>) => void = () => undefined;
  const referenceBundle = new Promise<SyncResult | undefined>((resolve) => {
    settleBundle = resolve;
  });
  // Whoever awaits it sees a rejection; nobody awaiting it is not an unhandled rejection.
  referenceBundle.catch(() => undefined);

  const referenceReady: ReadinessCheck = async () => {
    if (bundle.state === 'mirroring')
      throw new Error(
        `downloading the reference bundle from ${bundleUri} into ${config.REFERENCE_CACHE_DIR}`,
      );
    if (bundle.state === 'failed') throw new Error(bundle.message);
    pool.assertEngineReady();
  };
  app.decorate('jobRequests', { drainer, pool, owner, scratchRoot, referenceBundle, referenceReady });

  const mirrorBundle = async (): Promise<SyncResult | undefined> => {
    if (!bundleUri) return undefined;
    const log = app.log.child({ reference_bundle: bundleUri, cache_dir: config.REFERENCE_CACHE_DIR });
    log.info('mirroring the reference bundle');
    try {
      const result = await syncReferenceBundle({
        s3: options.aws.s3,
        uri: bundleUri,
        cacheDir: config.REFERENCE_CACHE_DIR,
        signal: bundleAbort.signal,
      });
      bundle = { state: 'done' };
      log.info(
        {
          downloaded: result.downloaded,
          unchanged: result.unchanged,
          bytes_downloaded: result.bytesDownloaded,
        },
        'reference bundle ready',
      );
      return result;
    } catch (error) {
      if (bundleAbort.signal.aborted) return undefined;
      bundle = { state: 'failed', message: (error as Error).message };
      log.error({ err: error }, 'the reference bundle cannot be mirrored');
      throw error;
    }
  };

  app.addHook('onReady', async () => {
    const removed = await removeStaleScratch(scratchBase);
    if (removed.length > 0) app.log.info({ removed }, 'removed scratch folders of dead annotator processes');
    // Not awaited: the server listens (and /healthz answers) while the bundle downloads.
    settleBundle(
      mirrorBundle().then((result) => {
        if (!bundleAbort.signal.aborted) {
          pool.warm();
          drainer.start();
        }
        return result;
      }),
    );
  });
  app.addHook('onClose', async () => {
    bundleAbort.abort(new Error('the annotator is closing'));
    settleBundle(Promise.resolve(undefined)); // no effect if onReady settled it already
    await referenceBundle.catch(() => undefined);
    const result = await drainer.stop({ deadlineMs: config.STOP_TIMEOUT_SECONDS * 1000 });
    await settle(8000);
    await pool.close();
    await removeStaleScratch(scratchBase, { includeOwn: true });
    app.log.info(result, 'job intake closed');
  });
}

export const jobRequestsPlugin = fp(jobRequests, {
  name: 'annotator-job-requests',
  fastify: '5.x',
  dependencies: ['gas-health'],
});
