/**
 * The one error handler of a service app. A 4xx tells the client what was wrong (Fastify
 * validation messages name the field). A backend out of reach is a 503 with Retry-After
 * (unavailable.ts). Any other 5xx hides its message: the client gets a plain
 * sentence and the request id; the log gets the error with its stack, the route and the
 * request id (and the job id, when the request logger carries one).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isBackendUnavailable, RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE } from './unavailable.ts';

export type ErrorBody = { statusCode: number; error: string; message: string; request_id: string };

export function serviceErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (isBackendUnavailable(error)) {
    // a backend away for a moment (unavailable.ts): 503, try again, not "something went wrong"
    request.log.warn(
      { err: error, route: request.routeOptions.url, method: request.method },
      'backend unavailable',
    );
    const body: ErrorBody = {
      statusCode: 503,
      error: 'Service Unavailable',
      message: UNAVAILABLE_MESSAGE,
      request_id: request.id,
    };
    void reply.status(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send(body);
    return;
  }
  const statusCode =
    error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
  const context = { err: error, route: request.routeOptions.url, method: request.method };
  if (statusCode >= 500) {
    request.log.error(context, 'request failed');
    const body: ErrorBody = {
      statusCode,
      error: statusCode === 503 ? 'Service Unavailable' : 'Internal Server Error',
      message: `Something went wrong on our side. If it keeps happening, quote request id ${request.id}.`,
      request_id: request.id,
    };
    void reply.status(statusCode).send(body);
    return;
  }
  request.log.info({ route: context.route, statusCode, reason: error.message }, 'request refused');
  const body: ErrorBody = {
    statusCode,
    error: error.name === 'FastifyError' || !error.name ? 'Bad Request' : httpReason(statusCode),
    message: error.message,
    request_id: request.id,
  };
  void reply.status(statusCode).send(body);
}

function httpReason(statusCode: number): string {
  const reasons: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    409: 'Conflict',
    413: 'Payload Too Large',
    415: 'Unsupported Media Type',
    429: 'Too Many Requests',
  };
  return reasons[statusCode] ?? 'Client Error';
}

/** Installs the error handler and a 404 handler with the same body shape. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(serviceErrorHandler);
  app.setNotFoundHandler((request, reply) => {
    const body: ErrorBody = {
      statusCode: 404,
      error: 'Not Found',
      message: `No route ${request.method} ${request.url.split('?')[0]}.`,
      request_id: request.id,
    };
    void reply.status(404).send(body);
  });
}
