// The worker thread's entry: registers tsx's TypeScript loader in this thread (workers are
// started without the parent's --import flags, which differ between the CLI, the services and
// the test runner), then loads the worker. See pool.ts.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
