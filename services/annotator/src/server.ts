// Process concerns only: config from the environment (exit 1 with one line if bad), listen, close on
// SIGTERM, exit 1 with one line if the reference bundle cannot be mirrored.
import { listenAndServe, loadConfigOrExit } from '@gas/service-kit';
import { buildApp } from './app.ts';
import { AnnotatorConfig, annotatorCrossCheck } from './config.ts';

const config = loadConfigOrExit(AnnotatorConfig, process.env, annotatorCrossCheck);
const app = await buildApp(config);
// Jobs get STOP_TIMEOUT_SECONDS to finish; releasing the rest and closing needs a little more.
await listenAndServe(app, {
  port: config.PORT,
  host: config.HOST,
  shutdownTimeoutMs: (config.STOP_TIMEOUT_SECONDS + 10) * 1000,
});
// Without its reference the annotator can do nothing: a bundle that cannot be mirrored stops it.
app.jobRequests.referenceBundle.catch(async (error: unknown) => {
  process.stderr.write(`Cannot start: ${(error as Error).message}.\n`);
  await app.close().catch(() => undefined);
  process.exit(1);
});
