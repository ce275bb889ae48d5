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
    // These machines run Node 20 (the images Node 22): the AWS SDK's notice that its 2027
    // releases need Node 22 is known and would otherwise fill every test's output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
