import { fileURLToPath } from 'node:url';
import {
  bootsAnswersHealthzAndStops,
  readEnvExample,
  refusesToStartWithoutConfig,
  spawnServer,
} from '@gas/service-kit/testing';
import { describe, expect, it } from 'vitest';

const serviceDir = fileURLToPath(new URL('..', import.meta.url));
const example = readEnvExample(`${serviceDir}/.env.example`).values;

describe('annotator server process', () => {
  it(...refusesToStartWithoutConfig(serviceDir, ['JOB_REQUESTS_QUEUE_URL']));

  it('names the one bad key when everything else is set', async () => {
    const server = spawnServer(
      'src/server.ts',
      { ...example, JOB_COMPLETED_TOPIC_ARN: 'job-completed' },
      serviceDir,
    );
    expect((await server.exited).code).toBe(1);
    expect(server.stderr()).toMatch(
      /^Cannot start: JOB_COMPLETED_TOPIC_ARN .*\(got "job-completed"\).*\.\n$/,
    );
  });

  it(...bootsAnswersHealthzAndStops(serviceDir, 'annotator'));
});
