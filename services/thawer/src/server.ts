// Process concerns only: config from the environment (exit 1 with one line if bad), listen, close on SIGTERM.
import { listenAndServe, loadConfigOrExit } from '@gas/service-kit';
import { buildApp } from './app.ts';
import { checkThawerConfig, ThawerConfig } from './config.ts';

const config = loadConfigOrExit(ThawerConfig, process.env, checkThawerConfig);
const app = await buildApp(config);
await listenAndServe(app, { port: config.PORT, host: config.HOST });
