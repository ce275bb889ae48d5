import { fileURLToPath } from 'node:url';
import { bootsAnswersHealthzAndStops, refusesToStartWithoutConfig } from '@gas/service-kit/testing';
import { describe, it } from 'vitest';

const serviceDir = fileURLToPath(new URL('..', import.meta.url));

describe('notifier server process', () => {
  it(...refusesToStartWithoutConfig(serviceDir, ['JOB_COMPLETED_QUEUE_URL']));

  it(...bootsAnswersHealthzAndStops(serviceDir, 'notifier'));
});
