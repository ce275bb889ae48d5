/**
 * The load benchmark's reading of the services' log and its report: lost jobs are counted and
 * named by id, web's 5xx are counted per route, error-level lines per service. (The benchmark
 * itself needs the whole stack and minutes, so it is run by hand: `pnpm bench:load`.)
 */
import { describe, expect, it } from 'vitest';
import { formatReport, type LoadReport, percentile } from '../../scripts/bench-load/report.ts';
import { readServiceLog } from '../../scripts/bench-load/service-log.ts';

const JOB_A = '0f6b1a52-6c1e-4d4b-9d59-5d3b3c1c8a01';
const JOB_B = '7a1c2e44-1f0b-4b8e-a0a8-2d2d4f6e9b02';

function webLine(fields: Record<string, unknown>): string {
  return `web        | ${JSON.stringify({ level: 30, service: 'web', ...fields })}`;
}

describe('bench:load report', () => {
  it('nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('joins web log lines on request_id, groups job ids into one route, counts 5xx and error lines', () => {
    const output = [
      'GAS is running (Ctrl-C stops everything):',
      webLine({ request_id: 'r1', req: { method: 'GET', url: `/annotations/${JOB_A}/status` } }),
      webLine({ request_id: 'r2', req: { method: 'GET', url: `/annotations/${JOB_B}/status?x=1` } }),
      webLine({ request_id: 'r2', res: { statusCode: 503 }, responseTime: 30 }),
      webLine({ request_id: 'r1', res: { statusCode: 200 }, responseTime: 10 }),
      'annotator  | {"level":50,"service":"annotator","msg":"job failed to start"}',
      'annotator  | not json at all',
    ].join('\n');
    const figures = readServiceLog(output);
    expect(figures.webRoutes).toEqual([
      { route: 'GET /annotations/:id/status', requests: 2, p50Ms: 10, p99Ms: 30, serverErrors: 1 },
    ]);
    expect(figures.errorLines).toEqual({ annotator: 1 });
    expect(figures.errorSamples[0]).toContain('job failed to start');
  });

  it('counts lost jobs and names them by id; tables are Markdown', () => {
    const report: LoadReport = {
      users: 2,
      jobsPerUser: 1,
      signInFailures: 0,
      signInMs: [100, 200],
      jobs: [
        { user: 'load-0001@example.org', jobId: JOB_A, outcome: 'COMPLETED', uploadToFinalMs: 1500 },
        {
          user: 'load-0002@example.org',
          jobId: JOB_B,
          outcome: 'LOST',
          reason: 'not COMPLETED or FAILED 600 s after its upload',
        },
      ],
      pages: [
        {
          page: 'job list',
          path: '/annotations',
          requests: 10,
          requestsPerSecond: 5,
          p50Ms: 3,
          p99Ms: 9,
          non2xx: 0,
          errors: 0,
        },
      ],
      memory: [{ name: 'web', pid: 42, peakResidentBytes: 200 * 2 ** 20, cpuSeconds: 1.25 }],
      wallSeconds: 60,
      loadAverage: [1, 1, 1],
      cores: 2,
    };
    const text = formatReport(report);
    expect(text).toMatch(/^\| submitted +\| +2 \|$/m);
    expect(text).toMatch(/^\| lost +\| +1 \|$/m);
    expect(text).toMatch(/^\| completed +\| +1 \|$/m);
    expect(text).toContain(`LOST          ${JOB_B} load-0002@example.org: not COMPLETED or FAILED 600 s`);
    expect(text).toMatch(/^\| web \(pid 42\) +\| +200 MB \|/m);
    expect(text).toMatch(/^\|-+\|-+:\|$/m);
  });
});
