/**
 * A user's jobs: the list (newest first, paginated through the user index), one job's page
 * (status with polling while it runs, timings, summary charts with table fallback, skipped
 * records, downloads, archive state, the result viewer), its log and its downloads.
 * Ownership is checked on every route: another user's job id answers exactly like an
 * unknown one (404), so ids cannot be probed. Downloads are presigned GETs for one object,
 * valid DOWNLOAD_URL_TTL_SECONDS, made only when the results are AVAILABLE.
 */
import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { JobRecord } from '@gas/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { barChartSvg } from '../../lib/charts.ts';
import { groupProblems } from '../../lib/problems.ts';
import { type ResultFilters, readResultPageFromS3 } from '../../lib/result-viewer.ts';
import { requirePageUser, signedInUser } from '../guards.ts';

const JobParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const DOWNLOADS = { vcf: 'annotated_vcf_key', tsv: 'tsv_key', json: 'json_key' } as const;
const PAGE_SIZE = 20;
const VIEWER_PAGE_SIZE = 50;

type Summary = {
  counts?: {
    byConsequence?: Record<string, number>;
    byImpact?: Record<string, number>;
    byChromosome?: Record<string, number>;
  };
  problems?: {
    total: number;
    list: Array<{ line: number; kind: string; message: string }>;
    listComplete: boolean;
  };
};

async function readText(stream: Readable, limitBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size > limitBytes) break;
  }
  stream.destroy();
  return Buffer.concat(chunks).toString('utf8');
}

/** How far a RUNNING job is, 0-100, from the annotator's progress (bytes of input read); null when unknown. */
export function progressPercent(job: JobRecord): number | null {
  const progress = job.progress;
  if (job.status !== 'RUNNING' || !progress || progress.bytes_total === 0) return null;
  return Math.min(100, Math.round((progress.bytes_read / progress.bytes_total) * 100));
}

export default async function jobRoutes(app: FastifyInstance): Promise<void> {
  const { config, s3, jobs } = app.gas;

  function notFound(reply: FastifyReply) {
    return reply.status(404).view('error', {
      title: 'No such job',
      message: 'There is no job with that id in your account.',
    });
  }

  async function ownedJob(request: FastifyRequest): Promise<JobRecord | undefined> {
    const { id } = request.params as { id: string };
    return jobs.getOwned(id, signedInUser(request).id);
  }

  app.get(
    '/annotations',
    {
      preHandler: requirePageUser,
      schema: { querystring: Type.Object({ cursor: Type.Optional(Type.String({ maxLength: 2000 })) }) },
    },
    async (request, reply) => {
      const { cursor } = request.query as { cursor?: string };
      const page = await jobs.listForUser(signedInUser(request).id, PAGE_SIZE, cursor);
      return reply.view('jobs', {
        title: 'My jobs',
        jobs: page.jobs,
        next: page.nextCursor ? `/annotations?cursor=${page.nextCursor}` : null,
      });
    },
  );

  app.get(
    '/annotations/:id',
    {
      preHandler: requirePageUser,
      schema: {
        params: JobParams,
        querystring: Type.Object({
          gene: Type.Optional(Type.String({ maxLength: 100 })),
          consequence: Type.Optional(Type.String({ maxLength: 100 })),
          impact: Type.Optional(Type.String({ maxLength: 20 })),
          clinvar: Type.Optional(Type.String({ maxLength: 100 })),
          // An empty filter field (the form always sends every field) means "any".
          max_af: Type.Optional(
            Type.String({
              pattern: '^$|^(0(\\.[0-9]+)?|1(\\.0+)?|\\.[0-9]+)$',
              description: 'allele frequency 0-1',
            }),
          ),
          page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })),
        }),
      },
    },
    async (request, reply) => {
      const job = await ownedJob(request);
      if (!job) return notFound(reply);
      const query = request.query as Omit<ResultFilters, 'max_af'> & { max_af?: string; page?: number };
      const available = job.status === 'COMPLETED' && (job.results_status ?? 'AVAILABLE') === 'AVAILABLE';
      let summary: Summary | null = null;
      let viewer = null;
      if (available && job.result_keys) {
        try {
          const object = await s3.send(
            new GetObjectCommand({
              Bucket: job.results_bucket ?? config.RESULTS_BUCKET,
              Key: job.result_keys.summary_key,
            }),
          );
          summary = JSON.parse(await readText(object.Body as Readable, 5_000_000)) as Summary;
        } catch (error) {
          request.log.warn({ err: error, job_id: job.job_id }, 'summary not readable');
        }
        const filters: ResultFilters = {
          gene: query.gene || undefined,
          consequence: query.consequence || undefined,
          impact: query.impact || undefined,
          clinvar: query.clinvar || undefined,
          max_af: query.max_af ? Number.parseFloat(query.max_af) : undefined,
        };
        const pageNumber = query.page ?? 1;
        const result = await readResultPageFromS3(
          s3,
          job.results_bucket ?? config.RESULTS_BUCKET,
          job.result_keys.tsv_key,
          filters,
          pageNumber,
          VIEWER_PAGE_SIZE,
        );
        const base = new URLSearchParams(
          Object.entries(filters)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k, String(v)]),
        );
        const link = (page: number) =>
          `/annotations/${job.job_id}?${new URLSearchParams([...base, ['page', String(page)]])}#results`;
        viewer = {
          ...result,
          filters,
          previous: pageNumber > 1 ? link(pageNumber - 1) : null,
          next: result.hasNext ? link(pageNumber + 1) : null,
        };
      }
      const table = (counts: Record<string, number> | undefined) =>
        Object.entries(counts ?? {}).map(([label, count]) => ({ label, count }));
      return reply.view('job', {
        title: job.input_file_name,
        job,
        running: job.status === 'PENDING' || job.status === 'RUNNING',
        percent: progressPercent(job),
        available,
        archived: job.results_status === 'ARCHIVED',
        restoring: job.results_status === 'RESTORING',
        summary,
        problemRows: groupProblems(summary?.problems?.list ?? []),
        charts: summary?.counts
          ? [
              {
                title: 'Consequences',
                svg: barChartSvg('Consequences', summary.counts.byConsequence ?? {}),
                rows: table(summary.counts.byConsequence),
              },
              {
                title: 'Impact',
                svg: barChartSvg('Impact', summary.counts.byImpact ?? {}),
                rows: table(summary.counts.byImpact),
              },
              {
                title: 'Records per chromosome',
                svg: barChartSvg('Records per chromosome', summary.counts.byChromosome ?? {}),
                rows: table(summary.counts.byChromosome),
              },
            ]
          : [],
        viewer,
        scripts: job.status === 'PENDING' || job.status === 'RUNNING' ? ['/assets/job.js'] : [],
      });
    },
  );

  app.get(
    '/annotations/:id/status',
    { preHandler: requirePageUser, schema: { params: JobParams } },
    async (request, reply) => {
      const job = await ownedJob(request);
      if (!job) return reply.status(404).send({ message: 'There is no job with that id in your account.' });
      return {
        job_id: job.job_id,
        status: job.status,
        results_status: job.results_status ?? null,
        percent: progressPercent(job),
        phase: job.progress?.phase ?? null,
      };
    },
  );

  app.get(
    '/annotations/:id/log',
    { preHandler: requirePageUser, schema: { params: JobParams } },
    async (request, reply) => {
      const job = await ownedJob(request);
      if (!job) return notFound(reply);
      if (!job.log_key) {
        return reply
          .status(404)
          .type('text/plain; charset=utf-8')
          .send('This job has no log yet: it is written when the job finishes.');
      }
      const object = await s3.send(
        new GetObjectCommand({ Bucket: job.results_bucket ?? config.RESULTS_BUCKET, Key: job.log_key }),
      );
      return reply.type('text/plain; charset=utf-8').send(object.Body as Readable);
    },
  );

  app.get(
    '/annotations/:id/download/:kind',
    {
      preHandler: requirePageUser,
      schema: {
        params: Type.Object({ id: Type.String({ format: 'uuid' }), kind: Type.Enum(['vcf', 'tsv', 'json']) }),
      },
    },
    async (request, reply) => {
      const job = await ownedJob(request);
      if (!job) return notFound(reply);
      const { kind } = request.params as { kind: keyof typeof DOWNLOADS };
      if (job.status !== 'COMPLETED' || !job.result_keys) {
        return reply.status(409).view('error', {
          title: 'Not ready',
          message: 'The results are not ready yet: the job has not completed.',
        });
      }
      if ((job.results_status ?? 'AVAILABLE') !== 'AVAILABLE') {
        return reply.status(409).view('error', {
          title: 'Results archived',
          message:
            job.results_status === 'RESTORING'
              ? 'The results are being restored from cold storage; this usually takes a few hours. Try again later.'
              : 'The results of this job were moved to cold storage after the Free retention window. Upgrade to Premium to restore them.',
          upgrade: job.results_status === 'ARCHIVED',
        });
      }
      const key = job.result_keys[DOWNLOADS[kind]];
      const url = await getSignedUrl(
        s3,
        new GetObjectCommand({
          Bucket: job.results_bucket ?? config.RESULTS_BUCKET,
          Key: key,
          ResponseContentDisposition: `attachment; filename="${key.split('/').pop()}"`,
        }),
        { expiresIn: config.DOWNLOAD_URL_TTL_SECONDS },
      );
      return reply.redirect(url, 303);
    },
  );
}
