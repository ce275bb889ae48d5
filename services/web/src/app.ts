/**
 * The web app: external plugins (forms, security headers, rate limits, static assets,
 * templates, OpenAPI), then app plugins (database, sessions, API tokens), then routes; the
 * one error handler. Every dependency (PostgreSQL, DynamoDB, S3, SNS) has a readiness check.
 *
 * HTTPS only: a request that arrived over plain http (directly, or per X-Forwarded-Proto
 * behind a load balancer when TRUST_PROXY is on) is redirected to WEB_BASE_URL, except the
 * health probes. HSTS tells browsers to never try http again.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import view from '@fastify/view';
import {
  bucketReady,
  createDynamoDbClient,
  createLogger,
  createS3Client,
  createSnsClient,
  fastifyLogging,
  healthPlugin,
  isBackendUnavailable,
  type Logger,
  RETRY_AFTER_SECONDS,
  serviceErrorHandler,
  tableReady,
  topicReady,
  UNAVAILABLE_MESSAGE,
} from '@gas/service-kit';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import Stripe from 'stripe';
import type { WebConfig } from './config.ts';
import { createDb, type Db } from './db/database.ts';
import { Billing } from './lib/billing.ts';
import { JobsRepository } from './lib/jobs.ts';
import { createTemplateEngine } from './lib/templates.ts';
import { apiTokensPlugin } from './plugins/api-tokens.ts';
import { databasePlugin } from './plugins/database.ts';
import { servicesPlugin } from './plugins/services.ts';
import { sessionsPlugin } from './plugins/sessions.ts';
import apiRoutes from './routes/api/annotations.ts';
import authRoutes from './routes/auth.ts';
import accountRoutes from './routes/pages/account.ts';
import annotateRoutes from './routes/pages/annotate.ts';
import homeRoutes from './routes/pages/home.ts';
import jobRoutes from './routes/pages/jobs.ts';
import stripeWebhookRoutes from './routes/stripe-webhook.ts';

declare module 'fastify' {
  interface FastifyReply {
    /** Template data every page gets (@fastify/view merges it into each render). */
    locals: Record<string, unknown>;
  }
}

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export type BuildOptions = {
  logger?: Logger;
  /** Serve HTTPS with this key pair (server.ts reads TLS_CERT_FILE / TLS_KEY_FILE). */
  https?: { cert: string | Buffer; key: string | Buffer };
  /** Use this database instead of one made from DATABASE_URL (tests). */
  db?: Db;
};

function originOf(url: string | undefined): string[] {
  if (!url) return [];
  try {
    return [new URL(url).origin];
  } catch {
    return [];
  }
}

export async function buildApp(config: WebConfig, options: BuildOptions = {}): Promise<FastifyInstance> {
  const logger = options.logger ?? createLogger({ service: 'web', level: config.LOG_LEVEL });
  const app = Fastify({
    ...fastifyLogging(logger),
    trustProxy: config.TRUST_PROXY,
    ...(options.https ? { https: options.https } : {}),
  }) as unknown as FastifyInstance;
  const dynamodb = createDynamoDbClient(config);
  const s3 = createS3Client(config);
  const sns = createSnsClient(config);
  app.addHook('onClose', async () => {
    for (const client of [dynamodb, s3, sns]) client.destroy();
  });
  const stripe = new Stripe(config.STRIPE_SECRET_KEY, {
    ...(config.STRIPE_API_HOST ? { host: config.STRIPE_API_HOST } : {}),
    ...(config.STRIPE_API_PORT ? { port: config.STRIPE_API_PORT } : {}),
    ...(config.STRIPE_API_PROTOCOL ? { protocol: config.STRIPE_API_PROTOCOL } : {}),
    maxNetworkRetries: 2,
  });
  const stripeOrigin = config.STRIPE_API_HOST
    ? [
        `${config.STRIPE_API_PROTOCOL ?? 'https'}://${config.STRIPE_API_HOST}${config.STRIPE_API_PORT ? `:${config.STRIPE_API_PORT}` : ''}`,
      ]
    : ['https://checkout.stripe.com', 'https://billing.stripe.com'];
  const s3Origin = config.AWS_ENDPOINT_URL
    ? originOf(config.AWS_ENDPOINT_URL)
    : [
        `https://${config.INPUTS_BUCKET}.s3.${config.AWS_REGION}.amazonaws.com`,
        `https://s3.${config.AWS_REGION}.amazonaws.com`,
      ];

  app.addHook('onRequest', async (request, reply) => {
    if (request.protocol === 'https') return;
    const path = request.url.split('?')[0];
    if (path === '/healthz' || path === '/readyz') return;
    return reply.redirect(`${config.WEB_BASE_URL}${request.url}`, 301);
  });

  await app.register(healthPlugin);
  app.readiness.add('dynamodb:jobs', tableReady(dynamodb, config.JOBS_TABLE));
  app.readiness.add('s3:inputs', bucketReady(s3, config.INPUTS_BUCKET));
  app.readiness.add('s3:results', bucketReady(s3, config.RESULTS_BUCKET));
  app.readiness.add('sns:job-requests', topicReady(sns, config.JOB_REQUESTS_TOPIC_ARN));
  app.readiness.add('sns:user-tier-changed', topicReady(sns, config.USER_TIER_CHANGED_TOPIC_ARN));

  await app.register(formbody, { bodyLimit: 64 * 1024 });
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'", ...s3Origin],
        formAction: ["'self'", ...s3Origin, ...stripeOrigin, ...originOf(config.OIDC_ISSUER_URL)],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        objectSrc: ["'none'"],
      },
    },
    strictTransportSecurity: { maxAge: 31536000, includeSubDomains: true },
    referrerPolicy: { policy: 'same-origin' },
  });
  await app.register(rateLimit, { global: false });
  await app.register(fastifyStatic, {
    root: join(dirname(require.resolve('bootstrap/package.json')), 'dist'),
    prefix: '/assets/bootstrap/',
    decorateReply: false,
    maxAge: '1d',
  });
  await app.register(fastifyStatic, { root: join(here, 'public'), prefix: '/assets/', decorateReply: false });
  await app.register(view, {
    engine: { handlebars: createTemplateEngine() },
    root: join(here, 'views'),
    layout: 'layout.hbs',
    viewExt: 'hbs',
    options: {
      partials: {
        jobStatus: 'partials/job-status.hbs',
        jobTable: 'partials/job-table.hbs',
        pager: 'partials/pager.hbs',
      },
    },
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'GAS REST API',
        version: '1.0.0',
        description:
          'Jobs of the signed-in user. Authenticate with a personal API token (Authorization: Bearer gas_...) made on the account page, or a browser session (then send x-csrf-token on POST).',
      },
      components: { securitySchemes: { apiToken: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiToken: [] }],
    },
    transform: ({ schema, url }) => ({ schema: { ...schema, hide: !url.startsWith('/api/v1/') }, url }),
  });

  // The one error handler (service-kit's for the API, probes and webhooks). Pages answer errors
  // with a page; the API, probes and webhooks keep the JSON body. Set before any plugin with
  // routes is registered: Fastify gives a plugin the error handler its parent has when the plugin
  // is registered, so set after them (as it was) it reached no route, and every page error was
  // Fastify's default JSON (found by test/unavailable.test.ts).
  const wantsPage = (request: FastifyRequest) =>
    !/^\/(api|stripe|healthz|readyz)\b/.test(request.url) &&
    (request.headers.accept ?? '').includes('text/html');
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    if (wantsPage(request)) {
      return reply
        .status(404)
        .view('error', { title: 'Page not found', message: `There is no page at ${path}.` });
    }
    return reply.status(404).send({
      statusCode: 404,
      error: 'Not Found',
      message: `No route ${request.method} ${path}.`,
      request_id: request.id,
    });
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (!wantsPage(request) || reply.sent) return serviceErrorHandler(error, request, reply);
    if (isBackendUnavailable(error)) {
      request.log.warn({ err: error, route: request.routeOptions.url }, 'backend unavailable');
      return reply
        .status(503)
        .header('retry-after', String(RETRY_AFTER_SECONDS))
        .view('error', { title: 'GAS is briefly unavailable', message: UNAVAILABLE_MESSAGE });
    }
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error, route: request.routeOptions.url }, 'request failed');
      return reply.status(500).view('error', {
        title: 'Something went wrong',
        message: `Something went wrong on our side. If it keeps happening, quote request id ${request.id}.`,
      });
    }
    request.log.info(
      { route: request.routeOptions.url, statusCode: status, reason: error.message },
      'request refused',
    );
    return reply.status(status).view('error', { title: 'That did not work', message: error.message });
  });

  const db =
    options.db ??
    createDb(config.DATABASE_URL, 10, (error) => logger.warn({ err: error }, 'PostgreSQL connection lost'));
  await app.register(databasePlugin, { db });
  await app.register(sessionsPlugin, {
    secret: config.SESSION_SECRET,
    idleMinutes: config.SESSION_IDLE_MINUTES,
    absoluteHours: config.SESSION_ABSOLUTE_HOURS,
  });
  await app.register(apiTokensPlugin, { secret: config.SESSION_SECRET });
  await app.register(servicesPlugin, {
    config,
    s3,
    sns,
    stripe,
    jobs: new JobsRepository(dynamodb, config.JOBS_TABLE),
    billing: new Billing({
      db,
      stripe,
      sns,
      userTierChangedTopicArn: config.USER_TIER_CHANGED_TOPIC_ARN,
      priceId: config.STRIPE_PRICE_ID,
      priceLookupKey: config.STRIPE_PRICE_LOOKUP_KEY,
      baseUrl: config.WEB_BASE_URL,
    }),
  });

  app.addHook('preHandler', async (request, reply) => {
    // Every page can show the user and put the CSRF token in its forms.
    reply.locals = {
      ...reply.locals,
      user: request.user,
      isPremium: request.user?.tier === 'premium',
      csrfToken: request.session?.csrfToken,
    };
  });

  const loginRateLimit = {
    max: Math.max(5, Math.ceil(config.RATE_LIMIT_PER_MINUTE / 10)),
    timeWindow: '1 minute',
  };
  await app.register(authRoutes, {
    issuerUrl: config.OIDC_ISSUER_URL,
    clientId: config.OIDC_CLIENT_ID,
    clientSecret: config.OIDC_CLIENT_SECRET,
    redirectUrl: config.OIDC_REDIRECT_URL,
    baseUrl: config.WEB_BASE_URL,
    loginRateLimit,
  });
  await app.register(homeRoutes);
  await app.register(annotateRoutes);
  await app.register(jobRoutes);
  await app.register(accountRoutes);
  await app.register(stripeWebhookRoutes);
  await app.register(apiRoutes, { rateLimit: { max: config.RATE_LIMIT_PER_MINUTE, timeWindow: '1 minute' } });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  return app;
}
