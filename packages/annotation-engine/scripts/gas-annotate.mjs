/**
 * What `pnpm -s gas-annotate ...` (the root script) runs: the built CLI, `dist/cli.mjs`, rebuilt
 * first when it is missing or older than anything it is built from.
 *
 * Why not `tsx src/cli.ts`: loading tsx and transpiling the sources took ~1.5 s of every call
 * (3.1 s for `--help` through pnpm, against 0.9 s now, most of it pnpm's own start), and other
 * tools call this CLI once per file. The bundle is what the benchmark measures and what a
 * deployment would ship (scripts/build-cli.ts).
 *
 * Up to date means: both bundle files exist and their modification time is (within a
 * millisecond) at least that of every file and folder under src/ (a folder's time changes when a
 * file is added or removed), of scripts/build-cli.ts, the package's package.json and the
 * workspace lockfile (a dependency update). A build goes to a temporary folder inside dist/ and is renamed
 * into place (two calls building at once each rename a complete bundle), and the bundles get the
 * newest source time as theirs, so a source saved during the build makes the next call rebuild.
 * Plain JavaScript, so that it starts without tsx; the build itself runs build-cli.ts with tsx.
 *
 * GAS_CLI_DIST=DIR puts the bundle elsewhere (the tests use it; default: the package's dist/).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(packageDir, '../..');
const distDir = path.resolve(process.env.GAS_CLI_DIST || path.join(packageDir, 'dist'));
const BUNDLE_FILES = ['worker-entry.mjs', 'cli.mjs'];

/** Newest modification time (ms) of `file`, or of every file under it when it is a folder. */
function newestMtime(file) {
  const s = statSync(file, { throwIfNoEntry: false });
  if (!s) return 0;
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const entry of readdirSync(file)) newest = Math.max(newest, newestMtime(path.join(file, entry)));
  return newest;
}

function sourcesMtime() {
  return Math.max(
    newestMtime(path.join(packageDir, 'src')),
    newestMtime(path.join(packageDir, 'scripts/build-cli.ts')),
    newestMtime(path.join(packageDir, 'package.json')),
    newestMtime(path.join(repoRoot, 'pnpm-lock.yaml')),
  );
}

/** Oldest bundle file's modification time, or -1 when one is missing. */
function bundleMtime() {
  let oldest = Number.POSITIVE_INFINITY;
  for (const f of BUNDLE_FILES) {
    const s = statSync(path.join(distDir, f), { throwIfNoEntry: false });
    if (!s) return -1;
    oldest = Math.min(oldest, s.mtimeMs);
  }
  return oldest;
}

function build(sourceTime) {
  mkdirSync(distDir, { recursive: true });
  const tmp = mkdtempSync(path.join(distDir, '.build-'));
  try {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.join(packageDir, 'scripts/build-cli.ts'), tmp],
      { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    if (r.status !== 0) {
      process.stderr.write(
        `gas-annotate: could not build the CLI into ${distDir} (the build's messages are above)\n`,
      );
      process.exit(3);
    }
    const when = new Date(sourceTime);
    for (const f of BUNDLE_FILES) {
      utimesSync(path.join(tmp, f), when, when);
      renameSync(path.join(tmp, f), path.join(distDir, f));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

// The bundles' times are set through a Date (milliseconds) and come back from the file system a
// hair off (1795357027306.999 for ...307 was seen): up to date within a millisecond.
const sourceTime = Math.floor(sourcesMtime());
if (bundleMtime() < sourceTime - 1) build(sourceTime);
// the CLI reads process.argv.slice(2): the arguments given to this script
await import(pathToFileURL(path.join(distDir, 'cli.mjs')).href);
