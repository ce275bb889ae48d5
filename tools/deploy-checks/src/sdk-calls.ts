/**
 * Which AWS API calls a service's code makes, read from the source: every `new XxxCommand(`
 * (and `paginateXxx(`, `createPresignedPost(`, `new Upload(`) whose name is imported from an
 * AWS SDK v3 package, in `services/<name>/src` and in the workspace packages' code the service
 * actually imports (`@gas/service-kit`, `@gas/cold-storage`, ...: named imports are followed
 * through each package's exports and re-exports, export by export). Each call maps to the IAM
 * actions it needs.
 *
 * A static scan, not a type analysis: a command constructed through a variable holding the
 * class, or imported under a computed name, is not seen. The code in this repo constructs
 * commands directly, which is also what the SDK documents.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot, type ServiceName } from './paths.ts';

export interface SdkCall {
  /** File (relative to the repo root) and 1-based line of the call. */
  file: string;
  line: number;
  /** SDK package, e.g. `@aws-sdk/client-s3`. */
  sdkPackage: string;
  /** Command, paginator or helper as imported, e.g. `HeadObjectCommand`. */
  name: string;
  /** IAM actions the call needs, e.g. `s3:GetObject`. */
  actions: string[];
}

const iamPrefix: Record<string, string> = {
  '@aws-sdk/client-s3': 's3',
  '@aws-sdk/client-sqs': 'sqs',
  '@aws-sdk/client-sns': 'sns',
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/lib-dynamodb': 'dynamodb',
  '@aws-sdk/client-ses': 'ses',
  '@aws-sdk/client-sesv2': 'ses',
  '@aws-sdk/client-glacier': 'glacier',
  '@aws-sdk/client-secrets-manager': 'secretsmanager',
  '@aws-sdk/client-sts': 'sts',
  '@aws-sdk/client-cloudwatch': 'cloudwatch',
};

/**
 * API operations whose IAM action is not `<prefix>:<Operation>` (from the AWS Service
 * Authorization Reference: S3 object reads are s3:GetObject, listings s3:ListBucket,
 * multipart parts s3:PutObject; batch operations need the single-item action).
 */
const actionExceptions: Record<string, string[]> = {
  's3:HeadObject': ['s3:GetObject'],
  's3:HeadBucket': ['s3:ListBucket'],
  's3:ListObjects': ['s3:ListBucket'],
  's3:ListObjectsV2': ['s3:ListBucket'],
  's3:ListObjectVersions': ['s3:ListBucketVersions'],
  's3:CopyObject': ['s3:GetObject', 's3:PutObject'],
  's3:UploadPartCopy': ['s3:GetObject', 's3:PutObject'],
  's3:CreateMultipartUpload': ['s3:PutObject'],
  's3:UploadPart': ['s3:PutObject'],
  's3:CompleteMultipartUpload': ['s3:PutObject'],
  's3:ListParts': ['s3:ListMultipartUploadParts'],
  's3:DeleteObjects': ['s3:DeleteObject'],
  's3:SelectObjectContent': ['s3:GetObject'],
  's3:PutBucketCors': ['s3:PutBucketCORS'],
  's3:GetBucketCors': ['s3:GetBucketCORS'],
  's3:PutBucketNotificationConfiguration': ['s3:PutBucketNotification'],
  's3:GetBucketNotificationConfiguration': ['s3:GetBucketNotification'],
  's3:PutBucketLifecycleConfiguration': ['s3:PutLifecycleConfiguration'],
  'sqs:SendMessageBatch': ['sqs:SendMessage'],
  'sqs:DeleteMessageBatch': ['sqs:DeleteMessage'],
  'sqs:ChangeMessageVisibilityBatch': ['sqs:ChangeMessageVisibility'],
  'sns:PublishBatch': ['sns:Publish'],
  // @aws-sdk/lib-dynamodb document-client commands
  'dynamodb:Put': ['dynamodb:PutItem'],
  'dynamodb:Get': ['dynamodb:GetItem'],
  'dynamodb:Update': ['dynamodb:UpdateItem'],
  'dynamodb:Delete': ['dynamodb:DeleteItem'],
  'dynamodb:BatchGet': ['dynamodb:BatchGetItem'],
  'dynamodb:BatchWrite': ['dynamodb:BatchWriteItem'],
  'dynamodb:TransactGet': ['dynamodb:GetItem'],
  'dynamodb:TransactGetItems': ['dynamodb:GetItem'],
  // A transaction needs the action of each item in it; GAS's transactions put and update
  // under conditions.
  'dynamodb:TransactWrite': ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'],
  'dynamodb:TransactWriteItems': ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'],
  'dynamodb:ExecuteStatement': ['dynamodb:PartiQLSelect'],
};

/** Helpers outside the client packages that call S3 on the caller's credentials. */
const helperActions: Record<string, Record<string, string[]>> = {
  '@aws-sdk/s3-presigned-post': { createPresignedPost: ['s3:PutObject'] },
  '@aws-sdk/lib-storage': { Upload: ['s3:PutObject', 's3:AbortMultipartUpload'] },
};

/** The IAM actions one SDK operation needs (`HeadObjectCommand` of client-s3 -> s3:GetObject). */
export function iamActionsFor(sdkPackage: string, name: string): string[] {
  const helper = helperActions[sdkPackage]?.[name];
  if (helper) return helper;
  const prefix = iamPrefix[sdkPackage];
  if (!prefix) return [];
  const operation = name.startsWith('paginate')
    ? name.slice('paginate'.length)
    : name.replace(/Command$/, '');
  const action = `${prefix}:${operation}`;
  return actionExceptions[action] ?? [action];
}

interface ImportedName {
  local: string;
  imported: string;
  from: string;
}

/** `import { A, B as C } from 'x'` and `import * as ns from 'x'` (type-only imports skipped). */
export function importsOf(source: string): {
  named: ImportedName[];
  namespaces: { local: string; from: string }[];
} {
  const named: ImportedName[] = [];
  const namespaces: { local: string; from: string }[] = [];
  for (const m of source.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]/g)) {
    if (m[1]) continue;
    for (const part of m[2]!.split(',')) {
      const spec = part.trim();
      if (!spec || spec.startsWith('type ')) continue;
      const [imported, local] = spec.split(/\s+as\s+/).map((s) => s.trim());
      named.push({ imported: imported!, local: local ?? imported!, from: m[3]! });
    }
  }
  for (const m of source.matchAll(/import\s+\*\s+as\s+(\w+)\s+from\s*['"]([^'"]+)['"]/g))
    namespaces.push({ local: m[1]!, from: m[2]! });
  return { named, namespaces };
}

/** SDK calls in one file. */
export function sdkCallsInFile(path: string): SdkCall[] {
  const source = readFileSync(path, 'utf8');
  const file = relative(repoRoot, path);
  const { named, namespaces } = importsOf(source);
  const calls: SdkCall[] = [];
  const lineOf = (index: number) => source.slice(0, index).split('\n').length;
  const isSdk = (from: string) => from in iamPrefix || from in helperActions;
  for (const { local, imported, from } of named) {
    if (!isSdk(from)) continue;
    const isCallable =
      /Command$/.test(imported) ||
      imported.startsWith('paginate') ||
      Boolean(helperActions[from]?.[imported]);
    if (!isCallable) continue;
    const pattern = new RegExp(`(?:new\\s+${local}\\s*\\(|\\b${local}\\s*\\()`, 'g');
    for (const m of source.matchAll(pattern)) {
      // `new X(` for classes; a bare `X(` for paginators and createPresignedPost.
      const isNew = m[0].startsWith('new');
      if (/Command$/.test(imported) && !isNew) continue;
      calls.push({
        file,
        line: lineOf(m.index!),
        sdkPackage: from,
        name: imported,
        actions: iamActionsFor(from, imported),
      });
    }
  }
  for (const { local, from } of namespaces) {
    if (!isSdk(from)) continue;
    for (const m of source.matchAll(new RegExp(`new\\s+${local}\\.(\\w+Command)\\s*\\(`, 'g'))) {
      calls.push({
        file,
        line: lineOf(m.index!),
        sdkPackage: from,
        name: m[1]!,
        actions: iamActionsFor(from, m[1]!),
      });
    }
  }
  return calls;
}

function tsFilesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tsFilesUnder(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out.sort();
}

// ---------------------------------------------------------------------------------------------
// Following imports into the workspace packages (@gas/service-kit, @gas/cold-storage, ...)
// ---------------------------------------------------------------------------------------------

interface WorkspacePackage {
  dir: string;
  /** Subpath ('.' or './sqs') -> TypeScript file. */
  exports: Map<string, string>;
}

/** The packages under packages/, by name, with their TypeScript export maps. */
function workspacePackages(): Map<string, WorkspacePackage> {
  const packages = new Map<string, WorkspacePackage>();
  const root = join(repoRoot, 'packages');
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const pkgPath = join(root, entry.name, 'package.json');
    if (!entry.isDirectory() || !existsSync(pkgPath)) continue;
    const dir = join(root, entry.name);
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as {
      name: string;
      exports?: string | Record<string, unknown>;
    };
    const exports = new Map<string, string>();
    const exp = pkg.exports;
    if (typeof exp === 'string') exports.set('.', resolve(dir, exp));
    else if (exp) {
      for (const [sub, target] of Object.entries(exp)) {
        const file =
          typeof target === 'string' ? target : (target as { default?: string; import?: string })?.import;
        if (file?.endsWith('.ts')) exports.set(sub, resolve(dir, file));
      }
    }
    packages.set(pkg.name, { dir, exports });
  }
  return packages;
}

/** Static imports and re-exports of a file: the module specifier and the names taken. */
function importedModules(path: string): { spec: string; names: string[] | 'all' }[] {
  const source = readFileSync(path, 'utf8');
  const out: { spec: string; names: string[] | 'all' }[] = [];
  for (const m of source.matchAll(
    /(?:^|\n)\s*(?:import|export)\s+(type\s+)?([^'";]*?\s+from\s+)?['"]([^'"]+)['"]/g,
  )) {
    if (m[1]) continue;
    const clause = (m[2] ?? '').replace(/\s+from\s+$/, '').trim();
    const braces = /^\{([^}]*)\}$/.exec(clause);
    if (braces) {
      const names = braces[1]!
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part && !part.startsWith('type '))
        .map((part) => part.split(/\s+as\s+/)[0]!.trim());
      if (names.length > 0) out.push({ spec: m[3]!, names });
    } else {
      out.push({ spec: m[3]!, names: 'all' });
    }
  }
  return out;
}

/** Which file of a barrel module defines (or re-exports from where) each exported name. */
function definingFile(barrel: string, name: string, seen = new Set<string>()): string | null {
  if (seen.has(barrel)) return null;
  seen.add(barrel);
  const source = readFileSync(barrel, 'utf8');
  const declared = new RegExp(
    `export\\s+(?:declare\\s+)?(?:async\\s+)?(?:function\\*?|const|let|class|abstract\\s+class)\\s+${name}\\b`,
  );
  if (declared.test(source)) return barrel;
  if (new RegExp(`export\\s*\\{[^}]*\\b${name}\\b[^}]*\\}\\s*;`).test(source)) return barrel;
  for (const m of source.matchAll(/export\s*\{([^}]*)\}\s*from\s*['"](\.[^'"]+)['"]/g)) {
    const names = m[1]!.split(',').map((s) => s.trim().split(/\s+as\s+/));
    const hit = names.find((n) => (n[1] ?? n[0]) === name);
    if (hit)
      return definingFile(resolve(dirname(barrel), m[2]!), hit[0]!, seen) ?? resolve(dirname(barrel), m[2]!);
  }
  for (const m of source.matchAll(/export\s*\*\s*from\s*['"](\.[^'"]+)['"]/g)) {
    const found = definingFile(resolve(dirname(barrel), m[1]!), name, seen);
    if (found) return found;
  }
  return null;
}

/** Which part of a file a service can run: all of it, or only these exported declarations. */
export type FileUse = { file: string; exports: Set<string> | 'all' };

/**
 * The workspace code a service can run, from its own files (taken whole) through every
 * static import: relative ones and `@gas/<package>` ones (via the package's exports). A file
 * imported by name is taken export by export (the top-level `export` declarations of those
 * names, plus its code outside any export); `export *`, namespace and side-effect imports
 * take a file whole. A name that cannot be traced through a package's exports pulls in the
 * whole package (the scan then over-reports rather than misses a call).
 */
export function workspaceCodeUsedBy(serviceFiles: string[]): FileUse[] {
  const packages = workspacePackages();
  const named = new Map<string, Set<string>>();
  const whole = new Set<string>();
  const addNamed = (file: string, name: string): boolean => {
    if (whole.has(file)) return false;
    const names = named.get(file) ?? new Set<string>();
    if (names.has(name)) return false;
    names.add(name);
    named.set(file, names);
    return true;
  };
  const addWhole = (file: string): boolean => {
    if (whole.has(file)) return false;
    whole.add(file);
    return true;
  };
  const queue: string[] = [];
  for (const f of serviceFiles) if (addWhole(f)) queue.push(f);
  const seen = new Set<string>();
  while (queue.length > 0) {
    const file = queue.shift()!;
    const state = `${file}:${whole.has(file) ? '*' : [...(named.get(file) ?? [])].sort().join(',')}`;
    if (seen.has(state)) continue;
    seen.add(state);
    for (const { spec, names } of importedModules(file)) {
      let target: string | null = null;
      let pkg: WorkspacePackage | undefined;
      if (spec.startsWith('.')) {
        const resolved = resolve(dirname(file), spec);
        if (existsSync(resolved) && statSync(resolved).isFile() && resolved.endsWith('.ts'))
          target = resolved;
      } else {
        const m = /^(@gas\/[^/]+)(\/.*)?$/.exec(spec);
        pkg = m ? packages.get(m[1]!) : undefined;
        target = pkg?.exports.get(m?.[2] ? `.${m[2]}` : '.') ?? null;
      }
      if (!target) continue;
      if (names === 'all') {
        if (addWhole(target)) queue.push(target);
        continue;
      }
      for (const name of names) {
        const defined = definingFile(target, name);
        if (defined) {
          if (addNamed(defined, name)) queue.push(defined);
        } else if (pkg) {
          for (const f of tsFilesUnder(join(pkg.dir, 'src'))) if (addWhole(f)) queue.push(f);
        } else if (addWhole(target)) {
          queue.push(target);
        }
      }
    }
  }
  const uses: FileUse[] = [...whole].map((file) => ({ file, exports: 'all' as const }));
  for (const [file, names] of named) if (!whole.has(file)) uses.push({ file, exports: names });
  return uses.sort((a, b) => a.file.localeCompare(b.file));
}

/** The workspace-package part of `workspaceCodeUsedBy` (the service's own files left out). */
export function serviceKitUsedBy(serviceFiles: string[]): FileUse[] {
  const own = new Set(serviceFiles);
  return workspaceCodeUsedBy(serviceFiles).filter((u) => !own.has(u.file));
}

/** Files of `serviceKitUsedBy`, for callers that only need the paths. */
export function serviceKitFilesUsedBy(serviceFiles: string[]): string[] {
  return serviceKitUsedBy(serviceFiles).map((u) => u.file);
}

/**
 * 1-based line ranges of the top-level export declarations of a file, by exported name: from
 * the `export` line to where the statement closes (brackets balanced, then `;`, a closing
 * brace, or the next top-level line). Code outside every span is the file's helpers.
 */
function exportSpans(source: string): { name: string; from: number; to: number }[] {
  const lines = source.split('\n');
  const spans: { name: string; from: number; to: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m =
      /^export\s+(?:declare\s+)?(?:async\s+)?(?:function\*?|const|let|class|abstract\s+class|type|interface)\s+(\w+)/.exec(
        lines[i]!,
      );
    if (!m) continue;
    const end = statementEnd(lines, i);
    spans.push({ name: m[1]!, from: i + 1, to: end + 1 });
    i = end;
  }
  return spans;
}

/** Index of the line where the top-level statement starting at `start` ends. */
function statementEnd(lines: string[], start: number): number {
  let depth = 0;
  let quote: string | null = null;
  let opened = false;
  for (let i = start; i < lines.length; i++) {
    const line = lines[i]!;
    for (let j = 0; j < line.length; j++) {
      const c = line[j]!;
      if (quote) {
        if (c === '\\') j++;
        else if (c === quote) quote = null;
        continue;
      }
      if (c === '/' && line[j + 1] === '/') break;
      if (c === "'" || c === '"' || c === '`') quote = c;
      else if ('([{'.includes(c)) {
        depth++;
        opened = true;
      } else if (')]}'.includes(c)) depth--;
      else if (c === ';' && depth === 0) return i;
    }
    if (quote !== '`') quote = null;
    const next = lines[i + 1];
    if (depth === 0 && opened && (line.trimEnd().endsWith('}') || next === undefined || /^\S/.test(next)))
      return i;
  }
  return lines.length - 1;
}

/** The text of the part of a file a service can run (whole, or its used export spans). */
function usedText(use: FileUse): string {
  const source = readFileSync(use.file, 'utf8');
  if (use.exports === 'all') return source;
  const lines = source.split('\n');
  const names = use.exports;
  return exportSpans(source)
    .filter((sp) => names.has(sp.name))
    .map((sp) => lines.slice(sp.from - 1, sp.to).join('\n'))
    .join('\n');
}

/** Method names invoked (`.name(`) in a text. */
function invokedIn(text: string): Set<string> {
  return new Set([...text.matchAll(/\.(#?\w+)\s*(?:<[^>(]*>)?\(/g)].map((m) => m[1]!));
}

/** 1-based line ranges of the methods of the top-level classes in a file (two-space indented members). */
function methodSpans(source: string): { name: string; from: number; to: number }[] {
  const lines = source.split('\n');
  const spans: { name: string; from: number; to: number }[] = [];
  let inClass = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^(?:export\s+)?(?:default\s+)?(?:abstract\s+)?class\s+\w+/.test(line)) {
      inClass = true;
      continue;
    }
    if (/^\}/.test(line)) inClass = false;
    if (!inClass) continue;
    const m =
      /^ {2}(?:(?:public|private|protected|static|async|override)\s+)*(?!get |set )(#?\w+)\s*(?:<[^>(]*>)?\(/.exec(
        line,
      );
    if (!m) continue;
    const end = statementEnd(lines, i);
    spans.push({ name: m[1]!, from: i + 1, to: end + 1 });
    i = end;
  }
  return spans;
}

/**
 * SDK calls in the part of a file a service can run. Inside a class, a method's calls count
 * when the method is invoked somewhere in the code the service runs (`invoked`), is the
 * constructor, or is called by such a method (`this.name(`): the archiver, which calls
 * `.archive(`, is not taken to restore, although both are methods of one class.
 */
export function sdkCallsInUse(use: FileUse, invoked?: ReadonlySet<string>): SdkCall[] {
  const source = readFileSync(use.file, 'utf8');
  let calls = sdkCallsInFile(use.file);
  if (use.exports !== 'all') {
    const spans = exportSpans(source);
    const names = use.exports;
    calls = calls.filter((call) => {
      const span = spans.find((sp) => call.line >= sp.from && call.line <= sp.to);
      return !span || names.has(span.name);
    });
  }
  if (!invoked) return calls;
  const lines = source.split('\n');
  const methods = methodSpans(source);
  const used = new Set(
    methods.filter((m) => m.name === 'constructor' || invoked.has(m.name)).map((m) => m.name),
  );
  for (let grew = true; grew; ) {
    grew = false;
    for (const m of methods.filter((x) => used.has(x.name))) {
      const body = lines.slice(m.from - 1, m.to).join('\n');
      for (const hit of body.matchAll(/this\.(#?\w+)\s*\(/g)) {
        if (!used.has(hit[1]!) && methods.some((x) => x.name === hit[1])) {
          used.add(hit[1]!);
          grew = true;
        }
      }
    }
  }
  return calls.filter((call) => {
    const method = methods.find((m) => call.line >= m.from && call.line <= m.to);
    return !method || used.has(method.name);
  });
}

/** Every SDK call a service's code makes: its own src and the workspace code it uses. */
export function sdkCallsOfService(service: ServiceName): SdkCall[] {
  const own = tsFilesUnder(join(repoRoot, 'services', service, 'src'));
  const uses = workspaceCodeUsedBy(own);
  const invoked = new Set(uses.flatMap((u) => [...invokedIn(usedText(u))]));
  return uses.flatMap((u) => sdkCallsInUse(u, invoked));
}
