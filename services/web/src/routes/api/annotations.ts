/**
 * The REST API (JSON), the original service's endpoints under /api/v1 (the same paths
 * without the prefix are the HTML pages): every answer has `code` (the HTTP status) and
 * `status` ("success" or "error"), plus `message` on errors. Authenticated by a personal API
 * token (Bearer) or the browser session (then POST needs the x-csrf-token header). Each
 * route has full schemas, so bad input is a 400 before the handler and responses cannot leak
 * fields; OpenAPI at /api/openapi.json is generated from them.
 */
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { inputsPrefix, JobStatus, ResultsStatus } from '@gas/contracts';
import { isBackendUnavailable, RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE } from '@gas/service-kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type, { type TInteger, type TLiteral, type TProperties } from 'typebox';
import { BadCursorError } from '../../lib/jobs.ts';
import { SubmitError, submitUploadedInput } from '../../lib/submit.ts';

const ErrorBody = Type.Object({
  code: Type.Integer(),
  status: Type.Literal('error'),
  message: Type.String(),
});
const success = <P extends TProperties>(properties: P) =>
  Type.Object({ code: Type.Integer(), status: Type.Literal('success'), ...properties } as {
    code: TInteger;
    status: TLiteral<'success'>;
  } & P);

const JobSummary = Type.Object({
  job_id: Type.String(),
  job_details: Type.String({ description: 'URL of this job in the API' }),
  input_file: Type.String(),
  job_status: JobStatus,
  submit_time: Type.String(),
  complete_time: Type.Optional(Type.String()),
  results_status: Type.Optional(ResultsStatus),
});

const errors = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  413: ErrorBody,
  429: ErrorBody,
};

function fail(reply: FastifyReply, code: number, message: string) {
  return reply.status(code).send({ code, status: 'error', message });
}

export default async function apiRoutes(
  app: FastifyInstance,
  options: { rateLimit: { max: number; timeWindow: string } },
): Promise<void> {
  const { config, jobs, s3 } = app.gas;
  const base = `${config.WEB_BASE_URL}/api/v1`;

  async function requireApiUser(request: FastifyRequest, reply: FastifyReply) {
    if (request.badApiToken)
      return fail(reply, 401, 'The API token is not valid (revoked, mistyped, or not a GAS token).');
    if (!request.user)
      return fail(reply, 401, 'Sign in, or send a personal API token as "Authorization: Bearer <token>".');
  }

  const common = { preHandler: requireApiUser, config: { rateLimit: options.rateLimit } };

  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    if (isBackendUnavailable(error)) {
      request.log.warn({ err: error }, 'backend unavailable');
      void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      return fail(reply, 503, UNAVAILABLE_MESSAGE);
    }
    const code = error.statusCode ?? 500;
    if (error instanceof BadCursorError || (code >= 400 && code < 500)) {
      return fail(reply, code, error.message);
    }
    request.log.error({ err: error }, 'API request failed');
    return fail(
      reply,
      500,
      `Something went wrong on our side. If it keeps happening, quote request id ${request.id}.`,
    );
  });

  app.get(
    '/api/v1/annotations',
    {
      ...common,
      schema: {
        summary: "The user's jobs, newest first",
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
          cursor: Type.Optional(Type.String({ maxLength: 2000 })),
        }),
        response: {
          200: success({
            jobs: Type.Array(JobSummary),
            next_cursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query as { limit: number; cursor?: string };
      const page = await jobs.listForUser(request.user!.id, limit, cursor);
      return {
        code: 200,
        status: 'success',
        jobs: page.jobs.map((job) => ({
          job_id: job.job_id,
          job_details: `${base}/annotations/${job.job_id}`,
          input_file: job.input_file_name,
          job_status: job.status,
          submit_time: job.submitted_at,
          complete_time: job.completed_at,
          results_status: job.results_status,
        })),
        next_cursor: page.nextCursor,
      };
    },
  );

  app.get(
    '/api/v1/annotations/:job_id',
    {
      ...common,
      schema: {
        summary: 'One job; the log is included once the job has finished',
        params: Type.Object({ job_id: Type.String({ format: 'uuid' }) }),
        response: {
          200: success({
            job: Type.Object({
              ...JobSummary.properties,
              input_size_bytes: Type.Integer(),
              error_message: Type.Optional(Type.String()),
              log: Type.Optional(Type.String()),
              page: Type.String({ description: 'the job page in the browser' }),
            }),
          }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const { job_id } = request.params as { job_id: string };
      const job = await jobs.getOwned(job_id, request.user!.id);
      if (!job) return fail(reply, 404, 'There is no job with that id in your account.');
      let log: string | undefined;
      if (job.log_key && (job.status === 'COMPLETED' || job.status === 'FAILED')) {
        const object = await s3.send(
          new GetObjectCommand({ Bucket: job.results_bucket ?? config.RESULTS_BUCKET, Key: job.log_key }),
        );
        log = await object.Body!.transformToString('utf8');
      }
      return {
        code: 200,
        status: 'success',
        job: {
          job_id: job.job_id,
          job_details: `${base}/annotations/${job.job_id}`,
          input_file: job.input_file_name,
          job_status: job.status,
          submit_time: job.submitted_at,
          complete_time: job.completed_at,
          results_status: job.results_status,
          input_size_bytes: job.input_size_bytes,
          error_message: job.error_message,
          log,
          page: `${config.WEB_BASE_URL}/annotations/${job.job_id}`,
        },
      };
    },
  );

  app.post(
    '/api/v1/annotations',
    {
      ...common,
      schema: {
        summary: 'Start a job for a file already uploaded under your prefix (see GET /api/v1/annotate/files)',
        body: Type.Object({
          input_file: Type.String({
            minLength: 1,
            maxLength: 1024,
            description: 'S3 key of the uploaded input',
          }),
        }),
        response: {
          201: success({ job_id: Type.String(), job_details: Type.String() }),
          200: success({ job_id: Type.String(), job_details: Type.String() }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const { input_file } = request.body as { input_file: string };
      try {
        const { job, created } = await submitUploadedInput(app.gas.submitDeps, request.user!, {
          bucket: config.INPUTS_BUCKET,
          key: input_file,
        });
        const code = created ? 201 : 200;
        return reply.status(code).send({
          code,
          status: 'success',
          job_id: job.job_id,
          job_details: `${base}/annotations/${job.job_id}`,
        });
      } catch (error) {
        if (error instanceof SubmitError) return fail(reply, error.statusCode, error.message);
        throw error;
      }
    },
  );

  app.get(
    '/api/v1/annotate/files',
    {
      ...common,
      schema: {
        summary: 'Your uploaded input files',
        response: {
          200: success({
            files: Type.Array(
              Type.Object({
                input_file: Type.String(),
                size_bytes: Type.Integer(),
                uploaded_at: Type.String(),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const files: Array<{ input_file: string; size_bytes: number; uploaded_at: string }> = [];
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({
            Bucket: config.INPUTS_BUCKET,
            Prefix: `${inputsPrefix}/${request.user!.id}/`,
            ContinuationToken: token,
          }),
        );
        for (const object of page.Contents ?? []) {
          files.push({
            input_file: object.Key!,
            size_bytes: object.Size ?? 0,
            uploaded_at: object.LastModified?.toISOString() ?? '',
          });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token && files.length < 10_000);
      return { code: 200, status: 'success', files };
    },
  );
}
