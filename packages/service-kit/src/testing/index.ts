// Test support for services (not used in production code): `@gas/service-kit/testing`.
export * from './env-file.ts';
export * from './eventually.ts';
export * from './server-process.ts';
export * from './service-checks.ts';
