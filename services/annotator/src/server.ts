// Process concerns only: config from the environment (exit 1 with one line if bad), listen, close on SIGTERM.
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
