// What routes share: the validated config, AWS and Stripe clients, the jobs repository and tier limits, as `app.gas`.
import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type Stripe from 'stripe';
import type { WebConfig } from '../config.ts';
import type { UserTier } from '../db/database.ts';
import type { Billing } from '../lib/billing.ts';
import type { JobsRepository } from '../lib/jobs.ts';
import type { SubmitDeps } from '../lib/submit.ts';

export type GasServices = {
  config: WebConfig;
  s3: S3Client;
  sns: SNSClient;
  stripe: Stripe;
  jobs: JobsRepository;
  billing: Billing;
  uploadLimitBytes(tier: UserTier): number;
  submitDeps: SubmitDeps;
};

declare module 'fastify' {
  interface FastifyInstance {
    gas: GasServices;
  }
}

async function services(
  app: FastifyInstance,
  options: Omit<GasServices, 'uploadLimitBytes' | 'submitDeps'>,
): Promise<void> {
  const uploadLimitBytes = (tier: UserTier) =>
    tier === 'premium' ? options.config.PREMIUM_UPLOAD_LIMIT_BYTES : options.config.FREE_UPLOAD_LIMIT_BYTES;
  app.decorate('gas', {
    ...options,
    uploadLimitBytes,
    submitDeps: {
      s3: options.s3,
      sns: options.sns,
      jobs: options.jobs,
      inputsBucket: options.config.INPUTS_BUCKET,
      jobRequestsTopicArn: options.config.JOB_REQUESTS_TOPIC_ARN,
      inputLimitBytes: (tier: UserTier) =>
        tier === 'premium' ? Number.POSITIVE_INFINITY : options.config.FREE_UPLOAD_LIMIT_BYTES,
    },
  });
}

export const servicesPlugin = fp(services, { name: 'gas-services' });
