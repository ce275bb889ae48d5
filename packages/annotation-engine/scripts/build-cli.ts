/**
 * Builds the CLI as plain JavaScript: `dist/cli.mjs` and its worker thread `dist/worker-entry.mjs`
 * (esbuild bundles of src/cli.ts and src/parallel/worker.ts, npm packages included).
 *
 *   pnpm --filter @gas/annotation-engine build      (or: tsx scripts/build-cli.ts [OUTDIR])
 *
 * Why: run through tsx (`src/cli.ts`), the process carries tsx's module-loader thread and the
 * transpiled sources: measured 143 MB peak RSS for `--help` against 83 MB built, and ~30 MB more
 * peak RSS and ~1-2 s more CPU on a 1 M-record run; every worker thread registers tsx again
 * (~100 MB each against ~80 MB built). The benchmark measures the built CLI.
 *
 * The npm packages (typebox, the @gmod readers) are bundled in too. Left as imports, Node's ESM
 * loader resolved, read and compiled each of their many module files at every start, in the CLI
 * and again in every worker thread: an empty input took 0.65 s against 0.20 s bundled (and 90
 * against 70 MB), 200 k records with two threads 3.2 s against 1.7 s. None of them loads files
 * of its own or requires Node built-ins from CommonJS, so the bundle needs no shims.
 *
 * The worker keeps its name: parallel/pool.ts starts `./worker-entry.mjs` next to the module it
 * was bundled into, which is src/parallel/worker-entry.mjs (registers tsx, loads worker.ts) in
 * the sources and this bundle in dist/.
 */
import path from 'node:path';
import { build } from 'esbuild';

const packageDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** Bundles the CLI and its worker into `outDir`; returns the CLI's path. */
export async function buildCli(outDir = path.join(packageDir, 'dist')): Promise<string> {
  const common = {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  } as const;
  const cli = path.join(outDir, 'cli.mjs');
  await build({ ...common, entryPoints: [path.join(packageDir, 'src/cli.ts')], outfile: cli });
  await build({
    ...common,
    entryPoints: [path.join(packageDir, 'src/parallel/worker.ts')],
    outfile: path.join(outDir, 'worker-entry.mjs'),
  });
  return cli;
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  console.log(await buildCli(process.argv[2]));
}
