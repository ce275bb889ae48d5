/**
 * The root Dockerfile (one pattern for the five services, ARG SERVICE) without a Docker
 * engine: lint-clean under dockerfile-utils with every check at error level, and the
 * properties the images must have, read from its instructions.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  dockerfilePath,
  dockerignorePatterns,
  execForm,
  lintDockerfile,
  readDockerfile,
  repoRoot,
  resolveArgs,
  serviceNames,
} from '../src/index.ts';

const content = readFileSync(dockerfilePath, 'utf8');
const { global, stages } = readDockerfile(content);
const runtime = stages[stages.length - 1]!;
const stage = (name: string) => stages.find((s) => s.name === name)!;
const args = (s: { instructions: { keyword: string; args: string }[] }, keyword: string) =>
  s.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

describe('Dockerfile lint', () => {
  it('is clean under dockerfile-utils with every check as an error', () => {
    expect(lintDockerfile(content)).toEqual([]);
  });

  it('the linter does report a broken Dockerfile (the check can fail)', () => {
    const broken =
      'FROM node:22-bookworm-slim\nHEALTHCHECK --interval=soon CMD node x\nCMD node a\nCMD node b\n';
    const findings = lintDockerfile(broken).join('\n');
    expect(findings).toMatch(/Dockerfile:2: .*invalid duration/);
    expect(findings).toMatch(/Dockerfile:3: .*only be one CMD/);
  });
});

describe('one image pattern for the five services', () => {
  it('is multi-stage, every stage from node:22-bookworm-slim', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    for (const s of stages) {
      const base = resolveArgs(s.from, global);
      const fromStage = stages.some((other) => other.name === base);
      expect(fromStage || base === 'node:22-bookworm-slim', `${s.name}: FROM ${s.from}`).toBe(true);
    }
  });

  it('takes SERVICE as a build argument and refuses anything but the five services', () => {
    expect(args(stage('deploy'), 'ARG')).toContain('SERVICE');
    const guard = stage('deploy').instructions.find(
      (i) => i.keyword === 'RUN' && i.args.includes('case "$SERVICE"'),
    );
    expect(guard?.args).toContain(serviceNames.join('|'));
  });

  it('deploys only the production dependencies of @gas/$SERVICE with pnpm deploy', () => {
    const runs = args(stage('deploy'), 'RUN').join('\n');
    expect(runs).toMatch(/pnpm --filter "@gas\/\$SERVICE" deploy --prod --prefer-offline \/out/);
    expect(runs).toContain('test -d /out/node_modules/tsx');
    expect(args(stage('workspace'), 'RUN').join('\n')).toContain('pnpm install --offline --frozen-lockfile');
  });

  it('the runtime stage is the default target, copies only the deployed service, and runs as a non-root user', () => {
    expect(runtime.name).toBe('runtime');
    const copies = args(runtime, 'COPY');
    expect(copies).toEqual(['--from=deploy /out /app']);
    const users = args(runtime, 'USER');
    expect(users.at(-1)).toBe('node');
    expect(runtime.instructions.findIndex((i) => i.keyword === 'USER')).toBeLessThan(
      runtime.instructions.findIndex((i) => i.keyword === 'CMD'),
    );
  });

  it('starts node in exec form (SIGTERM reaches node; tsx loads in the same process)', () => {
    const cmd = execForm(args(runtime, 'CMD').at(-1)!);
    expect(cmd).toEqual(['node', '--import', 'tsx', 'src/server.ts']);
    expect(args(runtime, 'ENTRYPOINT')).toEqual([]);
    expect(args(runtime, 'STOPSIGNAL')).toEqual(['SIGTERM']);
  });

  it('health-checks GET /healthz with node in exec form (no curl in the slim image)', () => {
    const hc = args(runtime, 'HEALTHCHECK').at(-1)!;
    const cmd = execForm(hc.slice(hc.indexOf('CMD') + 3).trim());
    expect(cmd?.slice(0, 2)).toEqual(['node', '-e']);
    expect(cmd?.[2]).toContain("path:'/healthz'");
    expect(hc).toMatch(/--interval=\d+s/);
  });

  it('puts no secret into a layer: no secret-named ARG/ENV, no .env copied', () => {
    const all = stages.flatMap((s) => s.instructions).concat(global);
    const named = all
      .filter((i) => i.keyword === 'ARG' || i.keyword === 'ENV')
      .flatMap((i) => i.args.split(/\s+/).map((kv) => kv.split('=')[0]!));
    expect(named.filter((n) => /SECRET|PASSWORD|TOKEN|API_KEY|PRIVATE/i.test(n))).toEqual([]);
    expect(
      all.filter((i) => /\.env\b/.test(i.args) && (i.keyword === 'COPY' || i.keyword === 'ADD')),
    ).toEqual([]);
    expect(all.filter((i) => i.keyword === 'ADD')).toEqual([]);
  });

  it('.dockerignore keeps out node_modules, .env files, tests, state and the reference bundle', () => {
    const patterns = dockerignorePatterns();
    for (const p of [
      '**/node_modules',
      '.git',
      '**/.env',
      '**/.env.*',
      '!**/.env.example',
      '**/test',
      '.devcloud',
      '.gas',
    ])
      expect(patterns, p).toContain(p);
    for (const p of ['**/*.fa.gz', '**/*.gff3.gz', '**/*.vcf.gz', '**/reference-data'])
      expect(patterns, p).toContain(p);
    // Workspace manifests stay in the context: pnpm install --frozen-lockfile needs every package.json.
    expect(patterns.some((p) => /package\.json|pnpm-lock|^packages$|^services$|^tools$/.test(p))).toBe(false);
  });

  it('no reference bundle is baked in: the annotator reads REFERENCE_BUNDLE_URI at start (cache dir writable)', () => {
    expect(content).not.toMatch(/COPY[^\n]*reference/i);
    expect(args(runtime, 'RUN').join('\n')).toContain('chown node:node /var/cache/gas');
  });

  it('each service package can be deployed: tsx and its workspace packages are production dependencies', () => {
    const problems: string[] = [];
    for (const service of serviceNames) {
      const path = join(repoRoot, 'services', service, 'package.json');
      let pkg: { name?: string; dependencies?: Record<string, string> };
      try {
        pkg = JSON.parse(readFileSync(path, 'utf8'));
      } catch {
        problems.push(`services/${service}/package.json is missing`);
        continue;
      }
      if (pkg.name !== `@gas/${service}`)
        problems.push(`services/${service}: name is ${pkg.name}, not @gas/${service}`);
      if (!pkg.dependencies?.tsx)
        problems.push(`@gas/${service}: tsx must be in dependencies (the image runs TypeScript with it)`);
      if (service === 'annotator' && !pkg.dependencies?.['@gas/annotation-engine'])
        problems.push(
          '@gas/annotator: @gas/annotation-engine must be a dependency (the image carries the engine)',
        );
    }
    expect(problems).toEqual([]);
  });
});
