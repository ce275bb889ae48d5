/**
 * @gas/deploy-checks: static checks of GAS's deployment files for machines without a Docker
 * engine or a terraform binary. The tests in ../test use these readers; each module says what
 * it can and cannot see.
 */
export * from './aws-design.ts';
export * from './compose.ts';
export * from './deployment-keys.ts';
export * from './dockerfile.ts';
export * from './hcl.ts';
export * from './hcl-eval.ts';
export * from './paths.ts';
export * from './provider-schema.ts';
export * from './references.ts';
export * from './sdk-calls.ts';
export * from './service-config.ts';
export * from './service-modules.ts';
