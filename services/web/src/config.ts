/**
 * The web's configuration, validated once at boot (server.ts). Names of queues,
 * topics, the table and buckets are the deployed ones (`<prefix>-<name>`, resources.json).
 * Secrets (SESSION_SECRET, OIDC_CLIENT_SECRET, STRIPE_*) come from the environment
 * (Secrets Manager in AWS), never from the repo.
 */
import { SnsTopicArn, servicePort } from '@gas/contracts';
import { awsConfig, baseConfig, type CrossCheck } from '@gas/service-kit';
import Type, { type Static } from 'typebox';

export const WebConfig = Type.Object({
  ...baseConfig(servicePort('web')),
  ...awsConfig,
  DATABASE_URL: Type.String({
    pattern: '^postgres(ql)?://',
    description: 'PostgreSQL URL of the accounts database, postgres://user:pass@host:5432/db',
  }),
  JOBS_TABLE: Type.String({ minLength: 3, description: 'DynamoDB jobs table, e.g. gas-jobs' }),
  INPUTS_BUCKET: Type.String({
    minLength: 3,
    description: 'S3 bucket browsers upload VCFs to, e.g. gas-inputs',
  }),
  RESULTS_BUCKET: Type.String({ minLength: 3, description: 'S3 bucket of results, e.g. gas-results' }),
  JOB_REQUESTS_TOPIC_ARN: { ...SnsTopicArn, description: 'ARN of the job-requests topic to publish to' },
  USER_TIER_CHANGED_TOPIC_ARN: {
    ...SnsTopicArn,
    description: 'ARN of the user-tier-changed topic to publish to',
  },

  WEB_BASE_URL: Type.String({
    pattern: '^https?://[^/]+$',
    description: 'public origin of the site without a trailing slash, e.g. https://gas.example.org',
  }),
  TLS_CERT_FILE: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'PEM certificate; when set (with TLS_KEY_FILE) web serves HTTPS',
    }),
  ),
  TLS_KEY_FILE: Type.Optional(Type.String({ minLength: 1, description: 'PEM private key of TLS_CERT_FILE' })),
  TRUST_PROXY: Type.Boolean({
    default: false,
    description: 'true behind a load balancer: X-Forwarded-Proto/For are believed',
  }),
  SESSION_SECRET: Type.String({
    minLength: 32,
    description: 'at least 32 random characters; signs the session cookie and peppers API token hashes',
  }),
  SESSION_IDLE_MINUTES: Type.Integer({
    minimum: 1,
    default: 60,
    description: 'sign out after this idle time',
  }),
  SESSION_ABSOLUTE_HOURS: Type.Integer({
    minimum: 1,
    default: 12,
    description: 'sign out this long after sign-in, whatever the activity',
  }),

  OIDC_ISSUER_URL: Type.String({
    format: 'uri',
    description: 'OpenID Connect issuer, e.g. https://auth.globus.org',
  }),
  OIDC_CLIENT_ID: Type.String({ minLength: 1, description: 'client id registered at the issuer' }),
  OIDC_CLIENT_SECRET: Type.String({ minLength: 1, description: 'client secret registered at the issuer' }),
  OIDC_REDIRECT_URL: Type.String({
    format: 'uri',
    description: 'the callback registered at the issuer, <WEB_BASE_URL>/auth/callback',
  }),

  STRIPE_SECRET_KEY: Type.String({ minLength: 1, description: 'Stripe secret API key (sk_...)' }),
  STRIPE_WEBHOOK_SECRET: Type.String({
    minLength: 1,
    description: 'signing secret of the webhook endpoint (whsec_...)',
  }),
  STRIPE_PRICE_ID: Type.Optional(
    Type.String({ minLength: 1, description: 'the Premium price id (price_...)' }),
  ),
  STRIPE_PRICE_LOOKUP_KEY: Type.Optional(
    Type.String({ minLength: 1, description: 'or the Premium price lookup key, e.g. gas_premium_monthly' }),
  ),
  STRIPE_API_HOST: Type.Optional(
    Type.String({ minLength: 1, description: 'Stripe API host (the local stand-in only)' }),
  ),
  STRIPE_API_PORT: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 65535, description: 'Stripe API port (stand-in)' }),
  ),
  STRIPE_API_PROTOCOL: Type.Optional(
    Type.Enum(['http', 'https'], { description: 'Stripe API protocol (stand-in)' }),
  ),

  FREE_UPLOAD_LIMIT_BYTES: Type.Integer({
    minimum: 1,
    default: 153600,
    description: 'largest input a Free user may upload (default 150 KB)',
  }),
  PREMIUM_UPLOAD_LIMIT_BYTES: Type.Integer({
    minimum: 1,
    maximum: 5368709120,
    default: 5368709120,
    description: 'largest input a Premium user may upload in one POST (S3 limit 5 GB)',
  }),
  MULTIPART_PART_BYTES: Type.Integer({
    minimum: 5242880,
    maximum: 5368709120,
    default: 67108864,
    description: 'part size of Premium multipart uploads (S3 minimum 5 MiB; default 64 MiB)',
  }),
  UPLOAD_URL_TTL_SECONDS: Type.Integer({
    minimum: 60,
    maximum: 3600,
    default: 600,
    description: 'how long an upload form (presigned POST) stays valid',
  }),
  DOWNLOAD_URL_TTL_SECONDS: Type.Integer({
    minimum: 10,
    maximum: 3600,
    default: 120,
    description: 'how long a download link (presigned GET) stays valid',
  }),
  FREE_RETENTION_MINUTES: Type.Integer({
    minimum: 1,
    default: 5,
    description: 'the archiver retention window for Free users, as stated on the home page',
  }),
  RATE_LIMIT_PER_MINUTE: Type.Integer({
    minimum: 1,
    default: 300,
    description: 'requests per minute per client for the API; login is limited to a tenth of it',
  }),
});
export type WebConfig = Static<typeof WebConfig>;

export const webConfigRules: CrossCheck<WebConfig> = (config) => {
  const problems: Array<{ key: string; problem: string }> = [];
  if (Boolean(config.TLS_CERT_FILE) !== Boolean(config.TLS_KEY_FILE)) {
    problems.push({ key: 'TLS_KEY_FILE', problem: 'and TLS_CERT_FILE must be set together' });
  }
  if (!config.STRIPE_PRICE_ID && !config.STRIPE_PRICE_LOOKUP_KEY) {
    problems.push({
      key: 'STRIPE_PRICE_ID',
      problem: 'or STRIPE_PRICE_LOOKUP_KEY is required (the Premium price)',
    });
  }
  return problems;
};
