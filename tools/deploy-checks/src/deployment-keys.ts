/**
 * Environment keys a deployment may set besides a service's own config schema, each with
 * the reason. `pendingKeys` are keys the design gives a service that its schema does not
 * read yet: the check fails once the schema has the key (so the entry is removed), and the
 * report names them until then.
 */
import type { ServiceName } from './paths.ts';

/** Read by the runtime or a library, not by the service's schema. */
export const runtimeKeys: Record<string, string> = {
  NODE_ENV: 'Node and libraries (production in the images)',
  PGPASSWORD: 'node-postgres, when DATABASE_URL carries no password (AWS: the RDS-managed secret)',
};

export const pendingKeys: Partial<Record<ServiceName, Record<string, string>>> = {
  web: {
    PUBLIC_BASE_URL: 'the public https origin (links, OIDC redirect URI, upload success redirect)',
    TLS_CERT_FILE: 'web terminates TLS itself locally (https://localhost:4433); unset behind the ALB',
    TLS_KEY_FILE: 'the key of TLS_CERT_FILE',
    OIDC_ISSUER_URL: 'OpenID Connect issuer of the login',
    OIDC_CLIENT_ID: 'OIDC client id',
    OIDC_CLIENT_SECRET: 'OIDC client secret (Secrets Manager in AWS)',
    SESSION_SECRET: 'key that signs session cookies (Secrets Manager in AWS)',
    STRIPE_SECRET_KEY: 'Stripe API key (Secrets Manager in AWS)',
    STRIPE_WEBHOOK_SECRET: 'Stripe webhook signing secret (Secrets Manager in AWS)',
    STRIPE_API_URL: 'where the Stripe SDK connects (the devcloud stand-in locally; unset in AWS)',
    STRIPE_PRICE_ID: 'the Premium subscription price',
    FREE_UPLOAD_MAX_BYTES: "the Free tier's upload limit",
  },
  annotator: {
    REFERENCE_BUNDLE_URI:
      'where the reference bundle is (s3://bucket/prefix/); read at start and cached on local disk, never in the image',
  },
};

/** Keys that must never be set in AWS (the task role and the real endpoints are used). */
export const emulatorOnlyKeys = [
  'AWS_ENDPOINT_URL',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
];
