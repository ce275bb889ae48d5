/**
 * Logging: one pino logger per process carrying the service name; Fastify derives a child
 * per request (`request_id`, taken from a well-formed `x-request-id` header so a request can
 * be followed across services, else a new UUID); work on a job logs through `jobLogger`.
 */
import { randomUUID } from 'node:crypto';
import { type FastifyServerOptions, LogController, type RawRequestDefaultExpression } from 'fastify';
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

export function createLogger(
  options: { service: string; level?: string },
  destination?: DestinationStream,
): Logger {
  const settings = {
    level: options.level ?? 'info',
    base: { service: options.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
  };
  return destination ? pino(settings, destination) : pino(settings);
}

/** A child logger for work on one job: every line carries `job_id`. */
export function jobLogger<L extends { child(bindings: Record<string, unknown>): L }>(
  logger: L,
  jobId: string,
): L {
  return logger.child({ job_id: jobId });
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Request id: the caller's `x-request-id` when it is safe to log and echo, else a new UUID. */
export function requestIdOf(request: RawRequestDefaultExpression): string {
  const header = request.headers['x-request-id'];
  const value = Array.isArray(header) ? header[0] : header;
  return value && REQUEST_ID.test(value) ? value : randomUUID();
}

/** Fastify options for a service: our logger, our request ids, `request_id` in every line. */
export function fastifyLogging(
  logger: Logger,
): Pick<FastifyServerOptions, 'loggerInstance' | 'genReqId' | 'logController'> {
  return {
    loggerInstance: logger,
    genReqId: requestIdOf,
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
  };
}
