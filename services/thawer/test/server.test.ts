import { fileURLToPath } from 'node:url';
import { bootsAnswersHealthzAndStops, refusesToStartWithoutConfig } from '@gas/service-kit/testing';
import { describe, it } from 'vitest';

const serviceDir = fileURLToPath(new URL('..', import.meta.url));

describe('thawer server process', () => {
  it(...refusesToStartWithoutConfig(serviceDir, ['USER_TIER_CHANGED_QUEUE_URL']));

  it(...bootsAnswersHealthzAndStops(serviceDir, 'thawer'));
});
