/**
 * `pnpm bench:load`: N simulated users against the whole stack, then a page-load mix; prints
 * what was submitted / completed / failed / lost, end-to-end latency, requests per second and
 * p99 per page, and the peak memory of each process. A benchmark, not a test: it asserts
 * nothing about time; it exits 1 when a job is lost or a user could not sign in or upload.
 *
 * By default it starts its own stack the way `./scripts/start.sh` does (same entry point, free
 * ports, a temp data dir, database `gas_load_bench`) with `--load-users N`, which creates the
 * accounts load-0001@example.org ... and lifts web's per-client rate limit (every simulated
 * user here has the same address). `--url` targets a stack that is already running instead
 * (start it with `--load-users N`; give `--accounts` and `--ca` from its data dir, and `--pids`
 * for the memory table).
 *
 * Phase 1, jobs: every user signs in through the OIDC authorization-code flow (HTTP client with
 * a cookie jar, no browser), then for each of its jobs uploads the VCF through the real path
 * (presigned POST to S3, then /annotate/job), polls /annotations/:id/status every --poll-ms like
 * the job page does, and checks the outputs of a COMPLETED job (each download redirects to a
 * presigned GET that answers the file). Users start spread over --ramp-seconds.
 * Lost = submitted but not final within --deadline-seconds, or COMPLETED without its outputs.
 * Phase 2, pages: autocannon with one signed-in user's session cookie, --connections
 * connections for --duration seconds per page, one page after the other.
 * Memory: VmHWM of each process at the end, and VmRSS of each process tree sampled every second;
 * CPU seconds of each process over the run.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import {
  repoRoot,
  type StackProcess,
  sharedData,
  startStackProcess,
} from '../../test/journey/stack-process.ts';
import type { LoadTestAccounts } from '../../tools/devcloud/src/stack/load-test-accounts.ts';
import { BrowserSession, signIn, uploadVcf } from './browser-session.ts';
import { ProcessSampler } from './process-sampler.ts';
import { countOutcomes, formatReport, type JobOutcome, type LoadReport, type PageFigures } from './report.ts';
import { readServiceLog } from './service-log.ts';

const USAGE = `pnpm bench:load [options]
  --users N              simulated users (default 50)
  --jobs-per-user N      uploads per user, one after the other (default 2)
  --duration S           seconds of autocannon per page (default 10)
  --connections N        autocannon connections (default 10)
  --vcf FILE             the file each user uploads (default ../shared/data/inputs/vep-test.chr21.vcf)
  --poll-ms MS           status polling interval (default 1000)
  --ramp-seconds S       users start spread over this many seconds (default 5)
  --deadline-seconds S   a job not final this long after its upload is lost (default 600)
  --json FILE            also write the figures as JSON
  --url URL              use a running stack's web (started with --load-users N) instead of starting one
  --accounts FILE        with --url: its <data-dir>/load-test-accounts.json
  --ca FILE              with --url: its <data-dir>/devcloud/tls/ca.pem
  --pids name=pid,...    with --url: processes for the memory table`;

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '50' },
    'jobs-per-user': { type: 'string', default: '2' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    vcf: { type: 'string', default: join(sharedData, 'inputs/vep-test.chr21.vcf') },
    'poll-ms': { type: 'string', default: '1000' },
    'ramp-seconds': { type: 'string', default: '5' },
    'deadline-seconds': { type: 'string', default: '600' },
    json: { type: 'string' },
    url: { type: 'string' },
    accounts: { type: 'string' },
    ca: { type: 'string' },
    pids: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

function whole(name: keyof typeof values, minimum: number): number {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < minimum) {
    process.stderr.write(`--${name} must be a whole number >= ${minimum} (got ${values[name]}).\n${USAGE}\n`);
    process.exit(2);
  }
  return value;
}
const users = whole('users', 1);
const jobsPerUser = whole('jobs-per-user', 1);
const durationSeconds = whole('duration', 1);
const connections = whole('connections', 1);
const pollMs = whole('poll-ms', 50);
const rampMs = whole('ramp-seconds', 0) * 1000;
const deadlineMs = whole('deadline-seconds', 1) * 1000;
const vcf = readFileSync(resolve(values.vcf!));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => process.stderr.write(`[bench:load] ${line}\n`);

interface Target {
  webUrl: string;
  ca: string;
  accounts: LoadTestAccounts;
  processes: Array<{ name: string; pid: number }>;
  stack?: StackProcess;
}

async function target(): Promise<Target> {
  if (values.url) {
    if (!values.accounts || !values.ca) {
      process.stderr.write(`--url needs --accounts and --ca.\n${USAGE}\n`);
      process.exit(2);
    }
    const processes = (values.pids ?? '')
      .split(',')
      .filter(Boolean)
      .map((pair) => {
        const [name, pid] = pair.split('=');
        return { name: name!, pid: Number(pid) };
      });
    return {
      webUrl: values.url.replace(/\/$/, ''),
      ca: readFileSync(values.ca, 'utf8'),
      accounts: JSON.parse(readFileSync(values.accounts, 'utf8')) as LoadTestAccounts,
      processes,
    };
  }
  log(`starting the stack with ${users} load-test accounts...`);
  const stack = await startStackProcess({ database: 'gas_load_bench', loadTestUsers: users });
  log(`stack ready: ${stack.urls.web}`);
  return {
    webUrl: stack.urls.web,
    ca: stack.ca,
    accounts: JSON.parse(readFileSync(stack.loadTestAccounts!, 'utf8')) as LoadTestAccounts,
    processes: [
      ...stack.names.map((name, i) => ({ name, pid: stack.pids[i]! })),
      { name: 'stack (devcloud, IdP, Stripe)', pid: stack.child.pid! },
    ],
    stack,
  };
}

/** Every download of a COMPLETED job answers a non-empty file; the reason when not. */
async function missingOutputs(
  session: BrowserSession,
  webUrl: string,
  jobId: string,
): Promise<string | null> {
  for (const kind of ['vcf', 'tsv', 'json']) {
    const link = await session.send('GET', `${webUrl}/annotations/${jobId}/download/${kind}`);
    const location = link.headers.location;
    if (link.status !== 303 || !location) return `download/${kind}: HTTP ${link.status}`;
    const file = await session.send('GET', new URL(location, webUrl).href);
    if (file.status !== 200 || file.body.length === 0)
      return `download/${kind}: the presigned GET answered HTTP ${file.status}, ${file.body.length} bytes`;
  }
  return null;
}

async function runJob(
  session: BrowserSession,
  webUrl: string,
  user: string,
  index: number,
): Promise<JobOutcome> {
  let uploaded: Awaited<ReturnType<typeof uploadVcf>>;
  try {
    uploaded = await uploadVcf(session, webUrl, `load-${index + 1}.vcf`, vcf);
  } catch (error) {
    return { user, outcome: 'NOT_SUBMITTED', reason: (error as Error).message };
  }
  const { jobId, uploadStartedAt } = uploaded;
  let lastProblem = '';
  while (Date.now() - uploadStartedAt < deadlineMs) {
    await sleep(pollMs);
    let status: string;
    try {
      const answer = await session.send('GET', `${webUrl}/annotations/${jobId}/status`, {
        headers: { accept: 'application/json' },
      });
      if (answer.status !== 200) {
        lastProblem = `status: HTTP ${answer.status}`;
        continue;
      }
      status = (JSON.parse(answer.body.toString()) as { status: string }).status;
    } catch (error) {
      lastProblem = `status: ${(error as Error).message}`;
      continue;
    }
    if (status !== 'COMPLETED' && status !== 'FAILED') continue;
    const uploadToFinalMs = Date.now() - uploadStartedAt;
    // The record's own timestamps; a failure here costs only the server-side figure of this job.
    const api = await session
      .send('GET', `${webUrl}/api/v1/annotations/${jobId}`, { headers: { accept: 'application/json' } })
      .catch(() => undefined);
    const record =
      api?.status === 200 ? (JSON.parse(api.body.toString()).job as Record<string, unknown>) : {};
    // ISO 8601 timestamps of the job record (submitted_at, completed_at).
    const serverMs = Date.parse(String(record.complete_time)) - Date.parse(String(record.submit_time));
    const timings = {
      uploadToFinalMs,
      ...(Number.isFinite(serverMs) ? { serverSubmitToCompleteMs: serverMs } : {}),
    };
    if (status === 'FAILED') {
      return { user, jobId, outcome: 'FAILED', reason: String(record.error_message ?? ''), ...timings };
    }
    const missing = await missingOutputs(session, webUrl, jobId).catch((error: Error) => error.message);
    if (missing) return { user, jobId, outcome: 'LOST', reason: `COMPLETED without outputs: ${missing}` };
    return { user, jobId, outcome: 'COMPLETED', ...timings };
  }
  return {
    user,
    jobId,
    outcome: 'LOST',
    reason: `not COMPLETED or FAILED ${deadlineMs / 1000} s after its upload${lastProblem ? ` (${lastProblem})` : ''}`,
  };
}

async function pageMix(webUrl: string, cookie: string, jobId: string | undefined): Promise<PageFigures[]> {
  const pages: Array<{ page: string; path: string }> = [
    { page: 'job list', path: '/annotations' },
    ...(jobId
      ? [
          { page: 'job page (COMPLETED, charts + viewer)', path: `/annotations/${jobId}` },
          { page: 'job status (polled by the page)', path: `/annotations/${jobId}/status` },
          { page: 'job API', path: `/api/v1/annotations/${jobId}` },
        ]
      : []),
    { page: 'jobs API', path: '/api/v1/annotations' },
    { page: 'health', path: '/healthz' },
  ];
  const figures: PageFigures[] = [];
  for (const { page, path } of pages) {
    log(`autocannon ${path}: ${connections} connections, ${durationSeconds} s`);
    const result = await autocannon({
      url: `${webUrl}${path}`,
      connections,
      duration: durationSeconds,
      headers: {
        cookie,
        accept: path.includes('/api/') || path.endsWith('/status') ? 'application/json' : 'text/html',
      },
    });
    figures.push({
      page,
      path: path.replace(jobId ?? '\0', ':id'),
      requests: result.requests.total,
      requestsPerSecond: result.requests.average,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors,
    });
  }
  return figures;
}

async function main(): Promise<number> {
  const started = Date.now();
  const stackTarget = await target();
  const { webUrl, ca, accounts } = stackTarget;
  if (accounts.emails.length < users) {
    throw new Error(`the stack has ${accounts.emails.length} load-test accounts, --users asks for ${users}`);
  }
  const memory = new ProcessSampler([
    ...stackTarget.processes,
    { name: 'bench:load itself (clients, autocannon)', pid: process.pid },
  ]);
  memory.start();
  try {
    const signInMs: number[] = [];
    let signInFailures = 0;
    const sessions: BrowserSession[] = [];
    log(`${users} users x ${jobsPerUser} jobs of ${vcf.length} bytes`);
    const perUser = await Promise.all(
      accounts.emails.slice(0, users).map(async (email, i): Promise<JobOutcome[]> => {
        await sleep((rampMs * i) / users);
        const session = new BrowserSession(ca);
        sessions[i] = session;
        const t0 = Date.now();
        try {
          await signIn(session, webUrl, email, accounts.password);
          signInMs.push(Date.now() - t0);
        } catch (error) {
          signInFailures++;
          return Array.from({ length: jobsPerUser }, () => ({
            user: email,
            outcome: 'NOT_SUBMITTED',
            reason: `sign-in: ${(error as Error).message}`,
          }));
        }
        const outcomes: JobOutcome[] = [];
        for (let j = 0; j < jobsPerUser; j++) outcomes.push(await runJob(session, webUrl, email, j));
        return outcomes;
      }),
    );
    const jobs = perUser.flat();
    const counts = countOutcomes(jobs);
    log(
      `jobs: ${counts.completed} completed, ${counts.failed} failed, ${counts.lost} lost, ${counts.notSubmitted} not submitted`,
    );

    const first = sessions[0]!;
    const cookie = first.cookieHeader(`${webUrl}/`);
    const firstCompleted = jobs.find(
      (j) => j.user === accounts.emails[0] && j.outcome === 'COMPLETED',
    )?.jobId;
    const pages = await pageMix(webUrl, cookie, firstCompleted);
    for (const session of sessions) session.close();

    const report: LoadReport = {
      users,
      jobsPerUser,
      signInFailures,
      signInMs,
      jobs,
      pages,
      memory: memory.finish(),
      ...(stackTarget.stack ? { serviceLog: readServiceLog(stackTarget.stack.output()) } : {}),
      wallSeconds: (Date.now() - started) / 1000,
      loadAverage: loadavg(),
      cores: cpus().length,
    };
    process.stdout.write(`${formatReport(report)}\n`);
    if (values.json) await writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`);
    return counts.lost > 0 || counts.notSubmitted > 0 ? 1 : 0;
  } finally {
    const stack = stackTarget.stack;
    if (stack) {
      const logDir = join(repoRoot, 'test-results/load');
      await mkdir(logDir, { recursive: true });
      await writeFile(join(logDir, 'stack.log'), stack.output());
      log(`stack output: ${join(logDir, 'stack.log')}; stopping the stack`);
      await stack.interrupt();
      await stack.dispose();
    }
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`[bench:load] ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
