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

export const pendingKeys: Partial<Record<ServiceName, Record<string, string>>> = {};

/** Keys that must never be set in AWS (the task role and the real endpoints are used). */
export const emulatorOnlyKeys = [
  'AWS_ENDPOINT_URL',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
];
