/**
 * Crash safety with the annotator as a real process (`node --import tsx src/server.ts`):
 * one big job (100,000 records) is
 *   1. started by annotator A, which is SIGKILLed mid-job (its scratch folder is left behind);
 *   2. taken over by annotator B once A's lease has lapsed and the message reappears;
 *      B gets SIGTERM mid-job: it stops taking messages, releases the job within its stop
 *      timeout and exits 0;
 *   3. run to the end by annotator C: COMPLETED, the full output, one e-mail, and no scratch
 *      folder left by anyone.
 * One job only: the input is big so that "mid-job" is real.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listeningPort, type ServerProcess, spawnServer } from '@gas/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  type PipelineCloud,
  sharedData,
  startPipelineCloud,
  WEB_BASE_URL,
} from './support/pipeline-cloud.ts';

const serviceDir = fileURLToPath(new URL('..', import.meta.url));
const bigInput = readFileSync(join(sharedData, 'inputs/synthetic-100k.chr21.vcf.gz'));

let t: PipelineCloud;
const processes: ServerProcess[] = [];

beforeAll(async () => {
  t = await startPipelineCloud();
  await t.startNotifier();
}, 120_000);

afterAll(async () => {
  for (const p of processes)
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await t?.dispose();
});

async function startAnnotatorProcess(overrides: Record<string, string> = {}): Promise<ServerProcess> {
  const server = spawnServer(
    'src/server.ts',
    t.annotatorEnv({ LOG_LEVEL: 'info', ANNOTATOR_CONCURRENCY: '1', ...overrides }),
    serviceDir,
  );
  processes.push(server);
  const port = await listeningPort(server);
  const { subscribeWebhooks } = await import('../../../tools/devcloud/src/provision/apply.ts');
  await subscribeWebhooks(t.plan, t.clients.sns, t.provisioned.topicArns, {
    annotator: `http://127.0.0.1:${port}`,
  });
  return server;
}

function scratchOf(pid: number): string[] {
  const dir = join(t.scratchDir, 'gas-annotator', String(pid));
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe('an annotator that dies or is stopped mid-job', () => {
  it('SIGKILL: the next annotator reruns the job; SIGTERM: the job is released; the third completes it, one e-mail', async () => {
    const { jobId } = await t.submitJob({
      body: bigInput,
      fileName: 'synthetic-100k.chr21.vcf.gz',
      email: 'frank@example.org',
    });

    // 1. A starts the job and dies mid-job.
    const a = await startAnnotatorProcess();
    const running = await eventually(async () => {
      const record = await t.job(jobId);
      return record?.status === 'RUNNING' && (record.progress?.bytes_read ?? 0) > 0 ? record : undefined;
    }, 'annotator A to be mid-job');
    expect(running.lease_owner).toContain(`:${a.child.pid}:`);
    expect(running.progress?.bytes_total).toBe(bigInput.length);
    expect(scratchOf(a.child.pid!)).toEqual([`${jobId}-1`]);
    a.child.kill('SIGKILL');
    expect((await a.exited).signal).toBe('SIGKILL');

    // 2. B takes it over (A's lease lapsed, the message reappeared), and is stopped mid-job.
    const b = await startAnnotatorProcess({ STOP_TIMEOUT_SECONDS: '1' });
    const takenOver = await eventually(
      async () => {
        const record = await t.job(jobId);
        return record?.lease_owner?.includes(`:${b.child.pid}:`) && (record.progress?.bytes_read ?? 0) > 0
          ? record
          : undefined;
      },
      'annotator B to take the job over',
      200_000,
    );
    expect(takenOver.attempts).toBe(2);
    expect(scratchOf(a.child.pid!)).toEqual([]); // B removed what the dead A left
    b.child.kill('SIGTERM');
    expect(await b.exited).toEqual({ code: 0, signal: null });
    expect(b.stdout()).toContain('job run stopped before it finished; released');
    const released = await t.job(jobId);
    expect(released?.status).toBe('RUNNING');
    expect(released?.lease_expires_at).toBe(new Date(0).toISOString());
    expect(scratchOf(b.child.pid!)).toEqual([]);

    // 3. C completes it.
    const c = await startAnnotatorProcess();
    const record = await t.finished(jobId, 400_000);
    expect(record.status).toBe('COMPLETED');
    expect(record.attempts).toBe(3);
    expect(record.counts?.variants_read).toBe(100_000);
    expect(record.counts?.variants_annotated).toBe(100_000);

    const vcfPath = join(t.scratchDir, 'result.vcf.gz');
    writeFileSync(vcfPath, await t.resultBytes(record.result_keys!.annotated_vcf_key));
    const count = execFileSync('sh', ['-c', `bcftools view -H "${vcfPath}" | wc -l`], { encoding: 'utf8' });
    expect(Number(count.trim())).toBe(100_000);
    const log = (await t.resultBytes(record.log_key!)).toString('utf8');
    expect(log).toContain('attempt 3');
    expect(log).not.toContain('attempt 1');

    await eventually(async () => (await t.mailbox('frank@example.org')).length > 0, 'the e-mail');
    await eventually(
      async () => (await t.queueDepth('notifierJobCompleted')) === 0,
      'the notifier queue to drain',
    );
    const mails = await t.mailbox('frank@example.org');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain(`${WEB_BASE_URL}/annotations/${jobId}`);
    expect(mails[0]!.text).toMatch(/Variants annotated:\s+100,000/);
    expect(scratchOf(c.child.pid!)).toEqual([]);
    // Memory stays bounded: the whole annotator process (main thread + engine worker) after
    // a 100,000-record job peaked far below the worker's heap limit (WORKER_MAX_HEAP_MB=1024).
    const peakKb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${c.child.pid}/status`, 'utf8'))![1]);
    console.info(`annotator C peak RSS: ${Math.round(peakKb / 1024)} MB`);
    expect(peakKb / 1024).toBeLessThan(768);

    c.child.kill('SIGTERM');
    expect(await c.exited).toEqual({ code: 0, signal: null });
  }, 600_000);
});
