/**
 * Upload and submit. The browser sends the file straight to S3 with a presigned POST; web
 * never proxies file bytes. Two ways to get the POST fields:
 * - The page itself (works with JavaScript off): key `inputs/<user>/<new job id>~${filename}`
 *   (S3 fills in the chosen file's name; the policy pins the prefix with starts-with), the
 *   tier's `content-length-range`, and a `success_action_redirect` back to /annotate/job.
 * - `GET /annotate/presign` (used by /assets/upload.js once a file is chosen): checks name and
 *   size first and answers with fields for that EXACT key and `success_action_status` 201; the
 *   script shows a progress bar, then goes to /annotate/job itself.
 * Both policies name the exact bucket and expire after UPLOAD_URL_TTL_SECONDS.
 */
import { randomUUID } from 'node:crypto';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { inputObjectKey, inputsPrefix, safeFileName } from '@gas/contracts';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { formatBytes } from '../../lib/format.ts';
import { completeMultipartUpload, startMultipartUpload } from '../../lib/multipart.ts';
import { acceptedInputName, SubmitError, submitUploadedInput } from '../../lib/submit.ts';
import { requirePageUser, signedInUser } from '../guards.ts';

export default async function annotateRoutes(app: FastifyInstance): Promise<void> {
  const { config, s3 } = app.gas;
  const redirectUrl = `${config.WEB_BASE_URL}/annotate/job`;

  app.get('/annotate', { preHandler: requirePageUser }, async (request, reply) => {
    const user = signedInUser(request);
    const limit = app.gas.uploadLimitBytes(user.tier);
    const prefix = `${inputsPrefix}/${user.id}/${randomUUID()}~`;
    const post = await createPresignedPost(s3, {
      Bucket: config.INPUTS_BUCKET,
      Key: `${prefix}\${filename}`,
      Conditions: [['content-length-range', 1, limit], { success_action_redirect: redirectUrl }],
      Fields: { success_action_redirect: redirectUrl },
      Expires: config.UPLOAD_URL_TTL_SECONDS,
    });
    return reply.view('annotate', {
      title: 'Annotate',
      post,
      fields: Object.entries(post.fields).map(([name, value]) => ({ name, value })),
      limitBytes: limit,
      limit: formatBytes(limit),
      scripts: ['/assets/upload.js'],
    });
  });

  app.get(
    '/annotate/presign',
    {
      preHandler: requirePageUser,
      schema: {
        querystring: Type.Object({
          file_name: Type.String({ minLength: 1, maxLength: 255 }),
          size: Type.Integer({ minimum: 0 }),
        }),
      },
    },
    async (request, reply) => {
      const user = signedInUser(request);
      const { file_name, size } = request.query as { file_name: string; size: number };
      const limit = app.gas.uploadLimitBytes(user.tier);
      if (!acceptedInputName(file_name)) {
        return reply
          .status(400)
          .send({ message: `"${file_name}" is not a VCF: choose a .vcf or .vcf.gz file.` });
      }
      if (size === 0) return reply.status(400).send({ message: 'The file is empty.' });
      if (size > limit) {
        return reply.status(413).send({
          message: `The file is ${formatBytes(size)}, over the ${formatBytes(limit)} limit of your plan.`,
          upgrade: user.tier === 'free',
        });
      }
      const key = inputObjectKey(user.id, randomUUID(), safeFileName(file_name));
      const post = await createPresignedPost(s3, {
        Bucket: config.INPUTS_BUCKET,
        Key: key,
        Conditions: [['content-length-range', 1, limit], { success_action_status: '201' }],
        Fields: { success_action_status: '201' },
        Expires: config.UPLOAD_URL_TTL_SECONDS,
      });
      return {
        url: post.url,
        fields: post.fields,
        next: `/annotate/job?bucket=${encodeURIComponent(config.INPUTS_BUCKET)}&key=${encodeURIComponent(key)}`,
      };
    },
  );

  app.post(
    '/annotate/multipart',
    {
      preHandler: requirePageUser,
      schema: {
        body: Type.Object({
          file_name: Type.String({ minLength: 1, maxLength: 255 }),
          size: Type.Integer({ minimum: 1 }),
        }),
      },
    },
    async (request, reply) => {
      const user = signedInUser(request);
      const { file_name, size } = request.body as { file_name: string; size: number };
      if (user.tier !== 'premium') {
        return reply.status(403).send({ message: 'Large uploads are a Premium feature.', upgrade: true });
      }
      if (!acceptedInputName(file_name)) {
        return reply
          .status(400)
          .send({ message: `"${file_name}" is not a VCF: choose a .vcf or .vcf.gz file.` });
      }
      try {
        const started = await startMultipartUpload(s3, {
          bucket: config.INPUTS_BUCKET,
          userId: user.id,
          fileName: file_name,
          size,
          partBytes: config.MULTIPART_PART_BYTES,
          expiresIn: config.UPLOAD_URL_TTL_SECONDS,
        });
        return { ...started, complete: '/annotate/multipart/complete' };
      } catch (error) {
        if (error instanceof SubmitError)
          return reply.status(error.statusCode).send({ message: error.message });
        throw error;
      }
    },
  );

  app.post(
    '/annotate/multipart/complete',
    {
      preHandler: requirePageUser,
      schema: {
        body: Type.Object({
          key: Type.String({ minLength: 1, maxLength: 1024 }),
          upload_id: Type.String({ minLength: 1, maxLength: 1024 }),
          parts: Type.Array(
            Type.Object({
              part_number: Type.Integer({ minimum: 1, maximum: 10000 }),
              etag: Type.String({ minLength: 1, maxLength: 200 }),
            }),
            { minItems: 1, maxItems: 10000 },
          ),
        }),
      },
    },
    async (request, reply) => {
      const user = signedInUser(request);
      const body = request.body as {
        key: string;
        upload_id: string;
        parts: Array<{ part_number: number; etag: string }>;
      };
      try {
        await completeMultipartUpload(s3, {
          bucket: config.INPUTS_BUCKET,
          userId: user.id,
          key: body.key,
          uploadId: body.upload_id,
          parts: body.parts,
        });
      } catch (error) {
        if (error instanceof SubmitError)
          return reply.status(error.statusCode).send({ message: error.message });
        throw error;
      }
      return {
        next: `/annotate/job?bucket=${encodeURIComponent(config.INPUTS_BUCKET)}&key=${encodeURIComponent(body.key)}`,
      };
    },
  );

  app.get(
    '/annotate/job',
    {
      preHandler: requirePageUser,
      schema: {
        querystring: Type.Object({
          bucket: Type.String({ minLength: 1, maxLength: 63 }),
          key: Type.String({ minLength: 1, maxLength: 1024 }),
          etag: Type.Optional(Type.String({ maxLength: 200 })),
        }),
      },
    },
    async (request, reply) => {
      const user = signedInUser(request);
      const { bucket, key } = request.query as { bucket: string; key: string };
      try {
        const { job } = await submitUploadedInput(app.gas.submitDeps, user, { bucket, key });
        return reply.redirect(`/annotations/${job.job_id}`, 303);
      } catch (error) {
        if (!(error instanceof SubmitError)) throw error;
        request.log.info({ code: error.code, key }, 'upload refused');
        return reply.status(error.statusCode).view('error', {
          title: 'The file was not accepted',
          message: error.message,
          upgrade: error.code === 'too_large' && user.tier === 'free',
          retry: '/annotate',
        });
      }
    },
  );
}
