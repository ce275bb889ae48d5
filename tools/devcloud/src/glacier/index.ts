/**
 * Glacier vault API stand-in, as @aws-sdk/client-glacier sends it (REST JSON under
 * `/<accountId>/vaults/...`, accountId `-` meaning the caller's, header `x-amz-glacier-version`).
 *
 * Archives are checked on upload: the `x-amz-sha256-tree-hash` the client states must equal the
 * tree hash of the bytes received (400 InvalidParameterValueException otherwise, as in AWS).
 * Retrieval and inventory jobs complete after `jobDelayMs` (a few seconds by default, hours in
 * AWS); their due time is persisted, so a job initiated before a restart still completes after
 * it. On completion the job's description (AWS's notification shape) is published to the job's
 * SNS topic through `ctx.publishToSns`, retried with backoff until SNS takes it; a completion not
 * yet notified is notified again after a restart. Job output stays available for 24 hours.
 *
 * Simplifications (documented, not hidden): DescribeVault's archive count and size are live
 * (AWS updates them about once a day); vault notification configuration, vault locks, tags,
 * multipart uploads, Select jobs and CSV inventories are not implemented and answer 400 with a
 * sentence that says so.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DevcloudContext, EdgeRequest, EdgeResponse, EmulatedService } from '../edge/types.ts';
import {
  type ArchiveRecord,
  GlacierStore,
  type JobRecord,
  newArchiveId,
  newJobId,
  type VaultRecord,
} from './store.ts';
import { isTreeHashAligned, sha256TreeHash, TREE_HASH_CHUNK_BYTES } from './tree-hash.ts';

export interface GlacierOptions {
  /** How long a retrieval or inventory job takes to complete (default 3000 ms). */
  jobDelayMs?: number;
  /** First retry delay when publishing a completion to SNS fails (default 1000 ms, doubling to 60 s). */
  notifyRetryDelayMs?: number;
}

const JOB_OUTPUT_LIFETIME_MS = 24 * 3600_000;
const VAULT_NAME = /^[a-zA-Z0-9_.-]{1,255}$/;
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[a-zA-Z0-9_-]{1,256}$/;

class GlacierError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'GlacierError';
    this.status = status;
    this.code = code;
  }
}

const invalid = (message: string) => new GlacierError(400, 'InvalidParameterValueException', message);
const missing = (message: string) => new GlacierError(400, 'MissingParameterValueException', message);
const notFound = (message: string) => new GlacierError(404, 'ResourceNotFoundException', message);

export function createGlacierService(ctx: DevcloudContext, options: GlacierOptions = {}): EmulatedService {
  const jobDelayMs = options.jobDelayMs ?? 3000;
  const notifyRetryDelayMs = options.notifyRetryDelayMs ?? 1000;
  const store = new GlacierStore(join(ctx.dataDir, 'glacier'));
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const vaultArn = (name: string) => `arn:aws:glacier:${ctx.region}:${ctx.accountId}:vaults/${name}`;

  const later = (delayMs: number, task: () => Promise<void>) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!closed) {
        task().catch((error: unknown) => ctx.log.error({ err: error }, 'glacier: background task failed'));
      }
    }, delayMs);
    timer.unref();
    timers.add(timer);
  };

  const describeJob = (job: JobRecord) => ({
    Action: job.action,
    ArchiveId: job.archiveId,
    ArchiveSHA256TreeHash: job.archiveSha256TreeHash,
    ArchiveSizeInBytes: job.archiveSizeInBytes,
    Completed: job.statusCode !== 'InProgress',
    CompletionDate: job.completionDate,
    CreationDate: job.creationDate,
    InventorySizeInBytes: job.action === 'InventoryRetrieval' ? job.outputSize : null,
    JobDescription: job.description,
    JobId: job.jobId,
    RetrievalByteRange: job.retrievalByteRange,
    SHA256TreeHash: job.outputSha256TreeHash,
    SNSTopic: job.snsTopic,
    StatusCode: job.statusCode,
    StatusMessage: job.statusMessage,
    Tier: job.tier,
    VaultARN: vaultArn(job.vaultName),
  });

  const notify = async (job: JobRecord, attempt = 0): Promise<void> => {
    if (job.notified) return;
    if (!job.snsTopic) {
      job.notified = true;
      await store.save();
      return;
    }
    try {
      await ctx.publishToSns(job.snsTopic, JSON.stringify(describeJob(job)), 'Notification From AWS Glacier');
      job.notified = true;
      await store.save();
      ctx.log.info({ jobId: job.jobId, topic: job.snsTopic }, 'glacier: job completion published');
    } catch (error) {
      const delay = Math.min(notifyRetryDelayMs * 2 ** attempt, 60_000);
      ctx.log.warn(
        { err: error, jobId: job.jobId, retryInMs: delay },
        'glacier: publishing job completion failed',
      );
      later(delay, () => notify(job, attempt + 1));
    }
  };

  const completeJob = async (jobId: string): Promise<void> => {
    const job = store.state.jobs[jobId];
    if (job?.statusCode !== 'InProgress') return;
    const vault = store.state.vaults[job.vaultName];
    let output: Buffer | null = null;
    if (job.action === 'ArchiveRetrieval') {
      const archive = job.archiveId ? vault?.archives[job.archiveId] : undefined;
      if (archive) {
        const bytes = await readFile(store.archivePath(archive.archiveId));
        const [start, end] = parseInclusiveRange(job.retrievalByteRange!);
        output = bytes.subarray(start, end + 1);
      }
    } else if (vault) {
      output = Buffer.from(
        JSON.stringify({
          VaultARN: vaultArn(vault.name),
          InventoryDate: new Date().toISOString(),
          ArchiveList: Object.values(vault.archives).map((a) => ({
            ArchiveId: a.archiveId,
            ArchiveDescription: a.description,
            CreationDate: a.creationDate,
            Size: a.size,
            SHA256TreeHash: a.sha256TreeHash,
          })),
        }),
      );
    }
    job.completionDate = new Date().toISOString();
    if (output) {
      await writeFile(store.jobOutputPath(jobId), output);
      job.statusCode = 'Succeeded';
      job.statusMessage = 'Succeeded';
      job.outputSize = output.length;
      job.outputSha256TreeHash = job.action === 'ArchiveRetrieval' ? sha256TreeHash(output) : null;
    } else {
      job.statusCode = 'Failed';
      job.statusMessage =
        job.action === 'ArchiveRetrieval'
          ? 'The archive was deleted before the retrieval completed.'
          : 'The vault was deleted before the inventory completed.';
    }
    await store.save();
    ctx.log.info({ jobId, status: job.statusCode }, 'glacier: job completed');
    await notify(job);
  };

  const schedule = (job: JobRecord) =>
    later(Math.max(0, job.completeAt - Date.now()), () => completeJob(job.jobId));

  const ready = store.load().then(() => {
    for (const job of Object.values(store.state.jobs)) {
      if (job.statusCode === 'InProgress') schedule(job);
      else if (!job.notified) later(0, () => notify(job));
    }
  });

  const vaultOf = (name: string): VaultRecord => {
    const vault = store.state.vaults[name];
    if (!vault) throw notFound(`Vault not found for ARN: ${vaultArn(name)}`);
    return vault;
  };

  const jobOf = async (vault: VaultRecord, jobId: string): Promise<JobRecord> => {
    const job = store.state.jobs[jobId];
    if (!job || job.vaultName !== vault.name) throw notFound(`The job ID was not found: ${jobId}`);
    if (job.completionDate && Date.parse(job.completionDate) + JOB_OUTPUT_LIFETIME_MS < Date.now()) {
      delete store.state.jobs[jobId];
      await rm(store.jobOutputPath(jobId), { force: true });
      await store.save();
      throw notFound(`The job ID was not found: ${jobId}`);
    }
    return job;
  };

  const describeVault = (vault: VaultRecord) => {
    const archives = Object.values(vault.archives);
    return {
      CreationDate: vault.creationDate,
      LastInventoryDate: null,
      NumberOfArchives: archives.length,
      SizeInBytes: archives.reduce((sum, a) => sum + a.size, 0),
      VaultARN: vaultArn(vault.name),
      VaultName: vault.name,
    };
  };

  async function route(req: EdgeRequest): Promise<EdgeResponse> {
    await ready;
    const url = new URL(req.url, 'http://glacier.invalid');
    let segments: string[];
    try {
      segments = url.pathname.split('/').slice(1).map(decodeURIComponent);
    } catch {
      throw invalid(`Malformed percent-encoding in the path ${url.pathname}`);
    }
    const [accountId, vaults, vaultName, collection, itemId, tail] = segments;
    if (accountId !== '-' && accountId !== ctx.accountId) {
      throw new GlacierError(
        403,
        'AccessDeniedException',
        `Account ${accountId} is not the caller's account.`,
      );
    }
    if (vaults !== 'vaults')
      throw invalid(`devcloud Glacier does not implement ${req.method} ${url.pathname}.`);
    const key = `${req.method} ${[vaultName === undefined ? '' : 'vault', collection ?? '', itemId === undefined ? '' : 'id', tail ?? ''].join('/')}`;

    switch (key) {
      case 'GET ///': {
        const limit = Number(url.searchParams.get('limit') ?? 10);
        if (!Number.isInteger(limit) || limit < 1 || limit > 10)
          throw invalid('limit must be an integer from 1 to 10.');
        const marker = url.searchParams.get('marker');
        const all = Object.values(store.state.vaults)
          .sort((a, b) => a.name.localeCompare(b.name))
          .map(describeVault);
        const from = marker ? all.findIndex((v) => v.VaultARN === marker) : 0;
        if (from < 0) throw invalid(`Invalid marker: ${marker}`);
        const page = all.slice(from, from + limit);
        return json(200, { Marker: all[from + limit]?.VaultARN ?? null, VaultList: page });
      }
      case 'PUT vault///': {
        const name = vaultName!;
        if (!VAULT_NAME.test(name)) {
          throw invalid(
            `Invalid vault name ${name}: 1 to 255 characters of a-z, A-Z, 0-9, '_', '-' and '.'.`,
          );
        }
        if (!store.state.vaults[name]) {
          store.state.vaults[name] = { name, creationDate: new Date().toISOString(), archives: {} };
          await store.save();
        }
        return { status: 201, headers: { location: `/${ctx.accountId}/vaults/${name}` } };
      }
      case 'GET vault///':
        return json(200, describeVault(vaultOf(vaultName!)));
      case 'DELETE vault///': {
        const vault = vaultOf(vaultName!);
        if (Object.keys(vault.archives).length > 0) {
          throw invalid(`Vault not empty or recently written to: ${vaultArn(vault.name)}`);
        }
        delete store.state.vaults[vault.name];
        await store.save();
        return { status: 204 };
      }
      case 'POST vault/archives//':
        return uploadArchive(req, vaultOf(vaultName!));
      case 'DELETE vault/archives/id/': {
        const vault = vaultOf(vaultName!);
        const archive = vault.archives[itemId!];
        if (!archive) throw notFound(`Archive not found: ${itemId}`);
        delete vault.archives[archive.archiveId];
        await store.save();
        await store.removeArchive(archive.archiveId);
        return { status: 204 };
      }
      case 'POST vault/jobs//':
        return initiateJob(req, vaultOf(vaultName!));
      case 'GET vault/jobs//': {
        const vault = vaultOf(vaultName!);
        const limit = Number(url.searchParams.get('limit') ?? 50);
        if (!Number.isInteger(limit) || limit < 1 || limit > 50)
          throw invalid('limit must be an integer from 1 to 50.');
        const completed = url.searchParams.get('completed');
        const statusCode = url.searchParams.get('statuscode');
        if (completed !== null && completed !== 'true' && completed !== 'false') {
          throw invalid('completed must be true or false.');
        }
        if (statusCode !== null && !['InProgress', 'Succeeded', 'Failed'].includes(statusCode)) {
          throw invalid('statuscode must be InProgress, Succeeded or Failed.');
        }
        const jobs: JobRecord[] = [];
        for (const job of Object.values(store.state.jobs)) {
          if (job.vaultName !== vault.name) continue;
          try {
            jobs.push(await jobOf(vault, job.jobId));
          } catch {
            // expired: jobOf removed it
          }
        }
        const matching = jobs
          .filter((job) => completed === null || (job.statusCode !== 'InProgress') === (completed === 'true'))
          .filter((job) => statusCode === null || job.statusCode === statusCode)
          .sort((a, b) => a.creationDate.localeCompare(b.creationDate) || a.jobId.localeCompare(b.jobId));
        const marker = url.searchParams.get('marker');
        const from = marker ? matching.findIndex((job) => job.jobId === marker) : 0;
        if (from < 0) throw invalid(`Invalid marker: ${marker}`);
        return json(200, {
          JobList: matching.slice(from, from + limit).map(describeJob),
          Marker: matching[from + limit]?.jobId ?? null,
        });
      }
      case 'GET vault/jobs/id/':
        return json(200, describeJob(await jobOf(vaultOf(vaultName!), itemId!)));
      case 'GET vault/jobs/id/output':
        return getJobOutput(req, await jobOf(vaultOf(vaultName!), itemId!));
      default:
        throw invalid(
          `devcloud Glacier does not implement ${req.method} ${url.pathname} (vault notifications, locks, tags, multipart uploads and Select are not emulated).`,
        );
    }
  }

  async function uploadArchive(req: EdgeRequest, vault: VaultRecord): Promise<EdgeResponse> {
    const stated = req.headers['x-amz-sha256-tree-hash'];
    if (!stated) throw missing('Required parameter missing: x-amz-sha256-tree-hash');
    if (req.body.length === 0) throw invalid('Invalid Content-Length: 0 (an archive has at least one byte).');
    const description = req.headers['x-amz-archive-description'] ?? '';
    if (description.length > 1024 || /[^\x20-\x7e]/.test(description)) {
      throw invalid('x-amz-archive-description must be at most 1024 printable ASCII characters.');
    }
    const computed = sha256TreeHash(req.body);
    if (stated.toLowerCase() !== computed) {
      throw invalid(`Checksum mismatch: expected ${stated} (x-amz-sha256-tree-hash), computed ${computed}`);
    }
    const archive: ArchiveRecord = {
      archiveId: newArchiveId(),
      description,
      creationDate: new Date().toISOString(),
      size: req.body.length,
      sha256TreeHash: computed,
    };
    await store.writeArchive(archive.archiveId, req.body);
    vault.archives[archive.archiveId] = archive;
    await store.save();
    return {
      status: 201,
      headers: {
        location: `/${ctx.accountId}/vaults/${vault.name}/archives/${archive.archiveId}`,
        'x-amz-archive-id': archive.archiveId,
        'x-amz-sha256-tree-hash': computed,
      },
    };
  }

  async function initiateJob(req: EdgeRequest, vault: VaultRecord): Promise<EdgeResponse> {
    let parameters: Record<string, unknown>;
    try {
      parameters = req.body.length ? (JSON.parse(req.body.toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      throw invalid('The job parameters are not valid JSON.');
    }
    const text = (name: string): string | null => {
      const value = parameters[name];
      if (value === undefined || value === null) return null;
      if (typeof value !== 'string') throw invalid(`${name} must be a string.`);
      return value;
    };
    const type = text('Type');
    const snsTopic = text('SNSTopic');
    if (snsTopic && !SNS_TOPIC_ARN.test(snsTopic)) throw invalid(`Invalid SNS topic ARN: ${snsTopic}`);
    const tier = text('Tier') ?? 'Standard';
    if (!['Expedited', 'Standard', 'Bulk'].includes(tier))
      throw invalid('Tier must be Expedited, Standard or Bulk.');
    const now = Date.now();
    const job: JobRecord = {
      jobId: newJobId(),
      vaultName: vault.name,
      action: 'ArchiveRetrieval',
      archiveId: null,
      description: text('Description'),
      snsTopic,
      tier,
      retrievalByteRange: null,
      archiveSizeInBytes: null,
      archiveSha256TreeHash: null,
      creationDate: new Date(now).toISOString(),
      completeAt: now + jobDelayMs,
      statusCode: 'InProgress',
      statusMessage: null,
      completionDate: null,
      outputSize: null,
      outputSha256TreeHash: null,
      notified: false,
    };
    if (type === 'archive-retrieval') {
      const archiveId = text('ArchiveId');
      if (!archiveId) throw missing('Required parameter missing: ArchiveId');
      const archive = vault.archives[archiveId];
      if (!archive) throw notFound(`Archive not found: ${archiveId}`);
      const range = text('RetrievalByteRange') ?? `0-${archive.size - 1}`;
      const [start, end] = parseInclusiveRange(range);
      if (
        end >= archive.size ||
        start % TREE_HASH_CHUNK_BYTES !== 0 ||
        !isTreeHashAligned(start, end, archive.size)
      ) {
        throw invalid(
          `Invalid RetrievalByteRange ${range}: it must start on a 1 MiB boundary and end one byte before a 1 MiB boundary or at the archive's last byte (${archive.size - 1}).`,
        );
      }
      Object.assign(job, {
        archiveId,
        retrievalByteRange: range,
        archiveSizeInBytes: archive.size,
        archiveSha256TreeHash: archive.sha256TreeHash,
      });
    } else if (type === 'inventory-retrieval') {
      if ((text('Format') ?? 'JSON') !== 'JSON')
        throw invalid('devcloud Glacier produces JSON inventories only.');
      job.action = 'InventoryRetrieval';
    } else if (type === 'select') {
      throw invalid('devcloud Glacier does not implement Select jobs.');
    } else {
      throw invalid(
        `Invalid job type ${type ?? '(none)'}: expected archive-retrieval or inventory-retrieval.`,
      );
    }
    store.state.jobs[job.jobId] = job;
    await store.save();
    schedule(job);
    return {
      status: 202,
      headers: {
        location: `/${ctx.accountId}/vaults/${vault.name}/jobs/${job.jobId}`,
        'x-amz-job-id': job.jobId,
      },
    };
  }

  async function getJobOutput(req: EdgeRequest, job: JobRecord): Promise<EdgeResponse> {
    if (job.statusCode !== 'Succeeded') {
      throw invalid(`The job ${job.jobId} is ${job.statusCode}: its output is not available.`);
    }
    const output = await readFile(store.jobOutputPath(job.jobId));
    const headers: Record<string, string> = {
      'content-type': job.action === 'InventoryRetrieval' ? 'application/json' : 'application/octet-stream',
      'accept-ranges': 'bytes',
    };
    const archive = job.archiveId ? store.state.vaults[job.vaultName]?.archives[job.archiveId] : undefined;
    if (archive?.description) headers['x-amz-archive-description'] = archive.description;
    const rangeHeader = req.headers.range;
    if (!rangeHeader) {
      if (job.outputSha256TreeHash) headers['x-amz-sha256-tree-hash'] = job.outputSha256TreeHash;
      return { status: 200, headers, body: output };
    }
    const match = /^bytes=(\d*)-(\d*)$/.exec(rangeHeader.trim());
    if (!match || (match[1] === '' && match[2] === '')) throw invalid(`Invalid Range header: ${rangeHeader}`);
    let start: number;
    let end: number;
    if (match[1] === '') {
      start = Math.max(0, output.length - Number(match[2]));
      end = output.length - 1;
    } else {
      start = Number(match[1]);
      end = match[2] === '' ? output.length - 1 : Math.min(Number(match[2]), output.length - 1);
    }
    if (start > end || start >= output.length) {
      throw new GlacierError(
        416,
        'InvalidParameterValueException',
        `Range ${rangeHeader} is outside the job output of ${output.length} bytes.`,
      );
    }
    const part = output.subarray(start, end + 1);
    headers['content-range'] = `bytes ${start}-${end}/${output.length}`;
    if (job.action === 'ArchiveRetrieval' && isTreeHashAligned(start, end, output.length)) {
      headers['x-amz-sha256-tree-hash'] = sha256TreeHash(part);
    }
    return { status: 206, headers, body: part };
  }

  return {
    signingNames: ['glacier'],
    async handle(req) {
      if (req.accessKeyId === null) {
        return errorResponse(
          new GlacierError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token'),
        );
      }
      try {
        return await route(req);
      } catch (error) {
        if (error instanceof GlacierError) return errorResponse(error);
        throw error;
      }
    },
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await ready;
      await store.save();
    },
  };
}

function parseInclusiveRange(range: string): [number, number] {
  const match = /^(\d+)-(\d+)$/.exec(range);
  if (!match) throw invalid(`Invalid byte range ${range}: expected start-end.`);
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (start > end) throw invalid(`Invalid byte range ${range}: start is after end.`);
  return [start, end];
}

function json(status: number, body: unknown): EdgeResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function errorResponse(error: GlacierError): EdgeResponse {
  return {
    status: error.status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': error.code },
    body: JSON.stringify({
      code: error.code,
      message: error.message,
      type: error.status >= 500 ? 'Server' : 'Client',
    }),
  };
}
