/**
 * The root command `pnpm -s gas-annotate` runs scripts/gas-annotate.mjs: the built CLI, built
 * first when it is missing or older than its sources. Here with its bundle in a temporary
 * folder (GAS_CLI_DIST): built once, reused while up to date, rebuilt when older than the
 * sources; a real annotation and a real failure through it (output, exit code, one stderr line).
 * And the root command itself, as the README gives it.
 */
import { execFileSync } from 'node:child_process';
import { readFile, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsq } from './fixtures/io/csq.ts';
import { chr21, inputs, repoRoot, runCli, tempDir } from './fixtures/io/shared.ts';

const temp = await tempDir('gas-launcher-');
afterAll(() => temp.remove());
const dist = path.join(temp.dir, 'dist');

const viaLauncher = (args: string[]) => runCli(dist, args);
/** Per bundle file: its inode (a build renames new files into place) and modification time. */
const bundleFiles = async () =>
  Promise.all(
    ['cli.mjs', 'worker-entry.mjs'].map(async (f) => {
      const s = await stat(path.join(dist, f));
      return { ino: s.ino, mtimeMs: s.mtimeMs };
    }),
  );

describe('the gas-annotate launcher', { timeout: 120_000 }, () => {
  it('builds the bundle when it is missing, reuses it while up to date, rebuilds it when older than the sources', async () => {
    const first = await viaLauncher(['--help']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Usage: gas-annotate --fasta FASTA --gff GENES -i INPUT/);
    expect(first.stderr).toBe('');
    const built = await bundleFiles();

    // up to date: the same files
    expect((await viaLauncher(['--help'])).code).toBe(0);
    expect(await bundleFiles()).toEqual(built);

    // older than the sources: new files, dated like the sources again
    const old = new Date('2000-01-01T00:00:00Z');
    await utimes(path.join(dist, 'cli.mjs'), old, old);
    expect((await viaLauncher(['--help'])).code).toBe(0);
    const rebuilt = await bundleFiles();
    expect(rebuilt.map((f) => f.ino)).not.toEqual(built.map((f) => f.ino));
    expect(rebuilt.map((f) => f.mtimeMs)).toEqual(built.map((f) => f.mtimeMs));
  });

  it('annotates through the bundle, and fails with its exit code and one plain line', async () => {
    const output = path.join(temp.dir, 'out.vcf');
    const ok = await viaLauncher([
      '--fasta',
      chr21.fasta,
      '--gff',
      chr21.gff,
      '-i',
      inputs('vep-test.chr21.vcf'),
      '-o',
      output,
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/^gas-annotate: annotated 132 of 132 records into .*out\.vcf/);
    const { records } = readCsq(await readFile(output, 'latin1'));
    expect(records).toHaveLength(132);
    expect(records.every((r) => r.csq.length > 0)).toBe(true);

    const bad = await viaLauncher([
      '--fasta',
      chr21.fasta,
      '--gff',
      chr21.gff,
      '-i',
      'nope.vcf',
      '-o',
      output,
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^gas-annotate: cannot read ".*nope\.vcf": no such file\n$/);
  });

  it('is what the root command `pnpm -s gas-annotate` runs', async () => {
    // execFileSync throws (and the test fails) on a non-zero exit
    const help = execFileSync('pnpm', ['-s', 'gas-annotate', '--help'], { cwd: repoRoot, encoding: 'utf8' });
    expect(help).toMatch(/^Usage: gas-annotate /);
    const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['gas-annotate']).toBe('node packages/annotation-engine/scripts/gas-annotate.mjs');
  });
});
