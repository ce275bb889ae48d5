/** The load benchmark's figures and the plain-text table it prints. */
import type { ProcessMemory } from './process-sampler.ts';
import type { ServiceLogFigures } from './service-log.ts';

export interface JobOutcome {
  user: string;
  jobId?: string;
  /** Where it ended: a final status, or why it is not there. */
  outcome: 'COMPLETED' | 'FAILED' | 'LOST' | 'NOT_SUBMITTED';
  /** Why a job is lost or not submitted (the deadline, missing outputs, an HTTP error). */
  reason?: string;
  /** Upload start to the poll that saw the final status, ms. */
  uploadToFinalMs?: number;
  /** The job record's submitted_at to completed_at, ms. */
  serverSubmitToCompleteMs?: number;
}

export interface PageFigures {
  page: string;
  path: string;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

export interface LoadReport {
  users: number;
  jobsPerUser: number;
  signInFailures: number;
  signInMs: number[];
  jobs: JobOutcome[];
  pages: PageFigures[];
  memory: ProcessMemory[];
  /** From the services' logs, when the benchmark started the stack. */
  serviceLog?: ServiceLogFigures;
  wallSeconds: number;
  loadAverage: number[];
  cores: number;
}

/** Nearest-rank percentile of `values` (which need not be sorted); NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const seconds = (ms: number) => (Number.isNaN(ms) ? '-' : `${(ms / 1000).toFixed(2)} s`);
const mb = (bytes: number | undefined) => (bytes === undefined ? '-' : `${Math.round(bytes / 2 ** 20)} MB`);

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  // Markdown: the first column left-aligned, the figures right-aligned.
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export function countOutcomes(jobs: readonly JobOutcome[]) {
  const count = (outcome: JobOutcome['outcome']) => jobs.filter((j) => j.outcome === outcome).length;
  return {
    submitted: jobs.filter((j) => j.jobId !== undefined).length,
    completed: count('COMPLETED'),
    failed: count('FAILED'),
    lost: count('LOST'),
    notSubmitted: count('NOT_SUBMITTED'),
  };
}

export function formatReport(report: LoadReport): string {
  const counts = countOutcomes(report.jobs);
  const endToEnd = report.jobs.flatMap((j) =>
    j.outcome === 'COMPLETED' && j.uploadToFinalMs !== undefined ? [j.uploadToFinalMs] : [],
  );
  const server = report.jobs.flatMap((j) =>
    j.outcome === 'COMPLETED' && j.serverSubmitToCompleteMs !== undefined ? [j.serverSubmitToCompleteMs] : [],
  );
  const out: string[] = [];
  out.push(
    `Load: ${report.users} users x ${report.jobsPerUser} jobs, ${report.wallSeconds.toFixed(0)} s wall, ` +
      `${report.cores} cores, load average at the end ${report.loadAverage.map((l) => l.toFixed(1)).join(' ')}`,
    '',
    table(
      ['jobs', 'count'],
      [
        ['submitted', String(counts.submitted)],
        ['completed', String(counts.completed)],
        ['failed', String(counts.failed)],
        ['lost', String(counts.lost)],
        ['upload refused / errored (not submitted)', String(counts.notSubmitted)],
        ['sign-ins failed', String(report.signInFailures)],
      ],
    ),
    '',
    table(
      ['latency', 'p50', 'p95', 'p99', 'max'],
      [
        [
          'sign-in (OIDC authorization-code flow)',
          ...[50, 95, 99, 100].map((p) => seconds(percentile(report.signInMs, p))),
        ],
        [
          'upload start -> COMPLETED seen by the user',
          ...[50, 95, 99, 100].map((p) => seconds(percentile(endToEnd, p))),
        ],
        [
          'submitted_at -> completed_at (job record)',
          ...[50, 95, 99, 100].map((p) => seconds(percentile(server, p))),
        ],
      ],
    ),
    '',
    table(
      ['page (autocannon)', 'req/s', 'p50', 'p99', 'requests', 'non-2xx', 'errors'],
      report.pages.map((p) => [
        `${p.page} ${p.path}`,
        p.requestsPerSecond.toFixed(0),
        `${p.p50Ms} ms`,
        `${p.p99Ms} ms`,
        String(p.requests),
        String(p.non2xx),
        String(p.errors),
      ]),
    ),
    '',
    table(
      ['process', 'peak RSS (VmHWM)', 'peak RSS of tree (sampled 1/s)', 'RSS at the end', 'CPU time'],
      report.memory.map((m) => [
        `${m.name} (pid ${m.pid})`,
        mb(m.peakResidentBytes),
        mb(m.peakTreeResidentBytes),
        mb(m.lastTreeResidentBytes),
        m.cpuSeconds === undefined ? '-' : `${m.cpuSeconds.toFixed(1)} s`,
      ]),
    ),
  );
  if (report.serviceLog) {
    const { webRoutes, errorLines, errorSamples } = report.serviceLog;
    const ms = (value: number) => `${Math.round(value)} ms`;
    out.push(
      '',
      table(
        ['web route, server side (its log; both phases)', 'requests', 'p50', 'p99', '5xx'],
        webRoutes.map((r) => [r.route, String(r.requests), ms(r.p50Ms), ms(r.p99Ms), String(r.serverErrors)]),
      ),
      '',
      `Error-level log lines: ${
        Object.entries(errorLines)
          .map(([service, count]) => `${service} ${count}`)
          .join(', ') || 'none'
      }`,
      ...errorSamples.map((line) => `  ${line}`),
    );
  }
  const problems = report.jobs.filter(
    (j) => j.outcome === 'LOST' || j.outcome === 'NOT_SUBMITTED' || j.outcome === 'FAILED',
  );
  if (problems.length > 0) {
    out.push('', 'Jobs not completed:');
    for (const j of problems)
      out.push(`  ${j.outcome.padEnd(13)} ${j.jobId ?? '(no job id)'} ${j.user}: ${j.reason ?? ''}`);
  }
  return out.join('\n');
}
