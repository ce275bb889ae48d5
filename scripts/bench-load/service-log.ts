/**
 * What the services' own logs say about a run (only when the benchmark started the stack and so
 * has its output): web's server-side time per route (Fastify's "incoming request" line gives the
 * URL, "request completed" the status and responseTime, joined on request_id), its 5xx answers,
 * and the error-level lines of every service. The stack prefixes each line with `name | `.
 */
import { percentile } from './report.ts';

export interface RouteFigures {
  route: string;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  serverErrors: number;
}

export interface ServiceLogFigures {
  webRoutes: RouteFigures[];
  /** Lines at level error (50) or fatal (60), per service. */
  errorLines: Record<string, number>;
  /** The first few of those lines, for the report. */
  errorSamples: string[];
}

interface LogLine {
  level?: number;
  request_id?: string;
  req?: { method: string; url: string };
  res?: { statusCode: number };
  responseTime?: number;
}

/** `/annotations/<uuid>/status?x=1` -> `GET /annotations/:id/status` */
function routeOf(method: string, url: string): string {
  return `${method} ${url.split('?')[0]!.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, ':id')}`;
}

export function readServiceLog(output: string): ServiceLogFigures {
  const routeOfRequest = new Map<string, string>();
  const times = new Map<string, number[]>();
  const serverErrors = new Map<string, number>();
  const errorLines: Record<string, number> = {};
  const errorSamples: string[] = [];
  for (const raw of output.split('\n')) {
    const bar = raw.indexOf(' | {');
    if (bar < 0) continue;
    const service = raw.slice(0, bar).trim();
    let line: LogLine;
    try {
      line = JSON.parse(raw.slice(bar + 3)) as LogLine;
    } catch {
      continue;
    }
    if ((line.level ?? 0) >= 50) {
      errorLines[service] = (errorLines[service] ?? 0) + 1;
      if (errorSamples.length < 5) errorSamples.push(raw.slice(0, 400));
    }
    if (service !== 'web' || !line.request_id) continue;
    if (line.req) routeOfRequest.set(line.request_id, routeOf(line.req.method, line.req.url));
    const route = routeOfRequest.get(line.request_id);
    if (line.responseTime === undefined || !route) continue;
    routeOfRequest.delete(line.request_id);
    const list = times.get(route) ?? [];
    list.push(line.responseTime);
    times.set(route, list);
    if ((line.res?.statusCode ?? 0) >= 500) serverErrors.set(route, (serverErrors.get(route) ?? 0) + 1);
  }
  const webRoutes = [...times]
    .map(([route, ms]) => ({
      route,
      requests: ms.length,
      p50Ms: percentile(ms, 50),
      p99Ms: percentile(ms, 99),
      serverErrors: serverErrors.get(route) ?? 0,
    }))
    .sort((a, b) => a.route.localeCompare(b.route));
  return { webRoutes, errorLines, errorSamples };
}
