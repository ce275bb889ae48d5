/**
 * Glacier state on disk, under `<dataDir>/glacier/`:
 *
 *   state.json             vaults, their archives' metadata, and jobs (rewritten atomically)
 *   archives/<archiveId>   archive bytes
 *   job-outputs/<jobId>    what GetJobOutput serves, copied when a job completes (so deleting
 *                          the archive afterwards does not break a finished retrieval, as in AWS)
 *
 * Writes are serialised through one promise chain; each mutation saves before it answers.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ArchiveRecord {
  archiveId: string;
  description: string;
  creationDate: string;
  size: number;
  sha256TreeHash: string;
}

export interface VaultRecord {
  name: string;
  creationDate: string;
  archives: Record<string, ArchiveRecord>;
}

export type JobAction = 'ArchiveRetrieval' | 'InventoryRetrieval';

export interface JobRecord {
  jobId: string;
  vaultName: string;
  action: JobAction;
  archiveId: string | null;
  description: string | null;
  snsTopic: string | null;
  tier: string;
  /** Inclusive byte range `start-end` of the archive, for an archive retrieval. */
  retrievalByteRange: string | null;
  archiveSizeInBytes: number | null;
  archiveSha256TreeHash: string | null;
  creationDate: string;
  /** When the job is due to complete (epoch ms); survives restarts so pending jobs resume. */
  completeAt: number;
  statusCode: 'InProgress' | 'Succeeded' | 'Failed';
  statusMessage: string | null;
  completionDate: string | null;
  outputSize: number | null;
  outputSha256TreeHash: string | null;
  /** True once the completion notification reached SNS (or there is no topic). */
  notified: boolean;
}

interface GlacierState {
  vaults: Record<string, VaultRecord>;
  jobs: Record<string, JobRecord>;
}

export class GlacierStore {
  readonly dir: string;
  state: GlacierState = { vaults: {}, jobs: {} };
  #saving: Promise<void> = Promise.resolve();

  constructor(dir: string) {
    this.dir = dir;
  }

  async load(): Promise<void> {
    await mkdir(join(this.dir, 'archives'), { recursive: true });
    await mkdir(join(this.dir, 'job-outputs'), { recursive: true });
    try {
      this.state = JSON.parse(await readFile(join(this.dir, 'state.json'), 'utf8')) as GlacierState;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  save(): Promise<void> {
    const snapshot = JSON.stringify(this.state, null, 2);
    this.#saving = this.#saving.then(async () => {
      const file = join(this.dir, 'state.json');
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, snapshot);
      await rename(temporary, file);
    });
    return this.#saving;
  }

  archivePath(archiveId: string): string {
    return join(this.dir, 'archives', archiveId);
  }

  jobOutputPath(jobId: string): string {
    return join(this.dir, 'job-outputs', jobId);
  }

  async writeArchive(archiveId: string, data: Buffer): Promise<void> {
    await writeFile(this.archivePath(archiveId), data);
  }

  async removeArchive(archiveId: string): Promise<void> {
    await rm(this.archivePath(archiveId), { force: true });
  }
}

/** Archive ids are 138 URL-safe characters, job ids 92, as in AWS. */
export function newArchiveId(): string {
  return randomBytes(103).toString('base64url');
}

export function newJobId(): string {
  return randomBytes(69).toString('base64url');
}
