import { defineConfig } from 'vitest/config';

// One runner for the whole repo. Each workspace keeps its tests in `test/`;
// integration tests start real servers on port 0 and real PostgreSQL schemas
// of their own, so files can run in parallel (two workers on a two-core CI).
export default defineConfig({
  test: {
    include: ['{packages,services,tools}/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
