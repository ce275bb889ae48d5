export * from './backends.ts';
export * from './cold-storage.ts';
export * from './glacier-vault.ts';
export * from './job-archive-records.ts';
export * from './s3-glacier.ts';
export * from './tree-hash.ts';
