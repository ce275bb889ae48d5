/** Where things are in the repository, for the checks (no process.env, no cwd assumptions). */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The five GAS services, each `services/<name>`, package `@gas/<name>`, image built with SERVICE=<name>. */
export const serviceNames = ['web', 'annotator', 'notifier', 'archiver', 'thawer'] as const;
export type ServiceName = (typeof serviceNames)[number];

export const terraformRoot = join(repoRoot, 'terraform');
export const resourcesJsonPath = join(repoRoot, 'packages', 'contracts', 'resources.json');
