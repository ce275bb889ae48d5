/**
 * The Dockerfile, read without a Docker engine: `dockerfile-utils` (the parser and validator
 * behind the VS Code Docker extension) for syntax and lint, with every configurable check
 * raised to an error; plus a small instruction reader for the properties GAS's images must
 * have (multi-stage, slim Node 22 base, non-root user, exec-form CMD, health probe, ...).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationSeverity, validate } from 'dockerfile-utils';
import { repoRoot } from './paths.ts';

export const dockerfilePath = join(repoRoot, 'Dockerfile');

/** Lint findings as `Dockerfile:<line>: <message>`; empty when clean. */
export function lintDockerfile(content: string): string[] {
  const strict = ValidationSeverity.ERROR;
  return validate(content, {
    deprecatedMaintainer: strict,
    directiveCasing: strict,
    emptyContinuationLine: strict,
    instructionCasing: strict,
    instructionCmdMultiple: strict,
    instructionEntrypointMultiple: strict,
    instructionHealthcheckMultiple: strict,
    instructionJSONInSingleQuotes: strict,
    instructionWorkdirRelative: strict,
  }).map((d) => `Dockerfile:${d.range.start.line + 1}: ${d.message}`);
}

export interface Instruction {
  keyword: string;
  /** Arguments with line continuations joined. */
  args: string;
  line: number;
}

export interface Stage {
  name: string | null;
  from: string;
  instructions: Instruction[];
}

/** Instructions (continuations joined, comments and the parser directive skipped), grouped by stage. */
export function readDockerfile(content = readFileSync(dockerfilePath, 'utf8')): {
  global: Instruction[];
  stages: Stage[];
} {
  const lines = content.split('\n');
  const instructions: Instruction[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (/^\s*(#.*)?$/.test(raw)) continue;
    const start = i;
    let text = raw;
    while (/\\\s*$/.test(text) && i + 1 < lines.length) {
      i++;
      const next = lines[i]!;
      if (/^\s*#/.test(next)) continue;
      text = `${text.replace(/\\\s*$/, '')} ${next.trim()}`;
    }
    const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(text);
    if (m) instructions.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start + 1 });
  }
  const global: Instruction[] = [];
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(ins.args);
      stages.push({ from: m?.[1] ?? '', name: m?.[2] ?? null, instructions: [] });
    } else if (stages.length === 0) {
      global.push(ins);
    } else {
      stages[stages.length - 1]!.instructions.push(ins);
    }
  }
  return { global, stages };
}

/** `["a", "b"]` exec form -> ['a', 'b']; shell form -> null. */
export function execForm(args: string): string[] | null {
  if (!args.startsWith('[')) return null;
  try {
    const parsed = JSON.parse(args) as unknown;
    return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : null;
  } catch {
    return null;
  }
}

/** Resolves `${NAME}` / `$NAME` in a FROM against the global ARG defaults. */
export function resolveArgs(text: string, global: Instruction[]): string {
  const defaults = new Map<string, string>();
  for (const ins of global) {
    if (ins.keyword !== 'ARG') continue;
    const [name, value] = ins.args.split('=');
    if (name && value !== undefined) defaults.set(name.trim(), value.trim());
  }
  return text.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => defaults.get(name) ?? whole);
}

/** Patterns of .dockerignore (comments and blank lines dropped). */
export function dockerignorePatterns(): string[] {
  return readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}
