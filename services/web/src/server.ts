// Process concerns only: config from the environment (exit 1 with one line if bad), TLS files, database migrations, listen, close on SIGTERM.
import { readFileSync } from 'node:fs';
import { createLogger, listenAndServe, loadConfigOrExit } from '@gas/service-kit';
import { buildApp } from './app.ts';
import { WebConfig, webConfigRules } from './config.ts';
import { createDb, migrateToLatest } from './db/database.ts';

const config = loadConfigOrExit(WebConfig, process.env, webConfigRules);
const https =
  config.TLS_CERT_FILE && config.TLS_KEY_FILE
    ? { cert: readFileSync(config.TLS_CERT_FILE), key: readFileSync(config.TLS_KEY_FILE) }
    : undefined;
const logger = createLogger({ service: 'web', level: config.LOG_LEVEL });
const db = createDb(config.DATABASE_URL, 10, (error) =>
  logger.warn({ err: error }, 'PostgreSQL connection lost'),
);
try {
  await migrateToLatest(db);
} catch (error) {
  process.stderr.write(`Cannot start: ${(error as Error).message} (DATABASE_URL).\n`);
  await db.destroy();
  process.exit(1);
}
const app = await buildApp(config, { https, db, logger });
await listenAndServe(app, { port: config.PORT, host: config.HOST });
