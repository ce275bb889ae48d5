/**
 * Test support: everything the web app talks to, for real, per test file: the test cloud
 * (`startTestCloud`: devcloud, or LocalStack where Docker runs; S3, DynamoDB, SNS, SQS) with the
 * GAS resources provisioned from resources.json, the devcloud OIDC provider and Stripe stand-in
 * (beside either cloud), and a PostgreSQL database of its own (created here, migrated, dropped
 * at the end). Secrets are generated per run.
 */
import { randomBytes } from 'node:crypto';
import { gasDemoSeed } from '@gas/devcloud';
import { startTestCloud, type TestCloud } from '@gas/devcloud/test-cloud';
import { loadConfig } from '@gas/service-kit';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import type { ProvisionedResources } from '../../../../tools/devcloud/src/provision/apply.ts';
import { buildApp } from '../../src/app.ts';
import { WebConfig, webConfigRules } from '../../src/config.ts';
import { createDb, type Db, migrateToLatest } from '../../src/db/database.ts';

const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/test';

export type TestStack = {
  /** The cloud (devcloud or LocalStack) with the Stripe stand-in and the identity provider. */
  cloud: TestCloud;
  resources: ProvisionedResources;
  env: Record<string, string>;
  config: WebConfig;
  databaseUrl: string;
  webhookSecret: string;
  baseUrl: string;
  close(): Promise<void>;
};

export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `gas_web_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  return {
    url: `postgres://postgres@127.0.0.1:5432/${name}`,
    async drop() {
      const client = new pg.Client({ connectionString: ADMIN_URL });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

export async function startTestStack(
  options: {
    baseUrl?: string;
    env?: Record<string, string>;
    /** Have the Stripe stand-in deliver its events to <baseUrl>/stripe/webhook (needs a listening web). */
    deliverStripeEvents?: boolean;
  } = {},
): Promise<TestStack> {
  const baseUrl = options.baseUrl ?? 'https://localhost:4433';
  const webhookSecret = `whsec_${randomBytes(24).toString('hex')}`;
  const oidcClient = {
    client_id: 'gas-web',
    client_secret: randomBytes(24).toString('base64url'),
    redirect_uris: [`${baseUrl}/auth/callback`],
    post_logout_redirect_uris: [`${baseUrl}/`],
  };
  const cloud = await startTestCloud({
    uploadOrigins: [baseUrl],
    senderEmail: 'gas@example.org',
    oidc: { port: 0, clients: [oidcClient] },
    stripe: {
      port: 0,
      webhooks: options.deliverStripeEvents
        ? [{ url: `${baseUrl}/stripe/webhook`, secret: webhookSecret }]
        : [],
      seed: gasDemoSeed(),
    },
  });
  const database = await createTestDatabase();
  const { aws, provisioned: resources } = cloud;
  const stripe = cloud.stripe!;
  const env: Record<string, string> = {
    ...aws,
    LOG_LEVEL: 'silent',
    DATABASE_URL: database.url,
    JOBS_TABLE: resources.jobsTable,
    INPUTS_BUCKET: resources.buckets.inputs,
    RESULTS_BUCKET: resources.buckets.results,
    JOB_REQUESTS_TOPIC_ARN: resources.topicArns.jobRequests,
    USER_TIER_CHANGED_TOPIC_ARN: resources.topicArns.userTierChanged,
    WEB_BASE_URL: baseUrl,
    TRUST_PROXY: 'true',
    SESSION_SECRET: randomBytes(32).toString('base64url'),
    OIDC_ISSUER_URL: cloud.oidc!.issuer,
    OIDC_CLIENT_ID: oidcClient.client_id,
    OIDC_CLIENT_SECRET: oidcClient.client_secret,
    OIDC_REDIRECT_URL: oidcClient.redirect_uris[0]!,
    STRIPE_SECRET_KEY: stripe.secretKey,
    STRIPE_WEBHOOK_SECRET: webhookSecret,
    STRIPE_PRICE_LOOKUP_KEY: 'gas_premium_monthly',
    STRIPE_API_HOST: stripe.host,
    STRIPE_API_PORT: String(stripe.port),
    STRIPE_API_PROTOCOL: stripe.protocol,
    ...options.env,
  };
  const migrator = createDb(database.url, 1);
  await migrateToLatest(migrator);
  await migrator.destroy();
  return {
    cloud,
    resources,
    env,
    config: loadConfig(WebConfig, env, webConfigRules),
    databaseUrl: database.url,
    webhookSecret,
    baseUrl,
    async close() {
      await cloud.dispose();
      await database.drop();
    },
  };
}

export async function buildTestApp(
  stack: TestStack,
  env: Record<string, string> = {},
): Promise<{ app: FastifyInstance; db: Db }> {
  const config = loadConfig(WebConfig, { ...stack.env, ...env }, webConfigRules);
  // Dropping the test database at the end may cut connections the closing pool is still ending.
  const db = createDb(config.DATABASE_URL, 4, () => undefined);
  const app = await buildApp(config, { db });
  await app.ready();
  return { app, db };
}
