/**
 * Reference bundles: one folder that says everything a run annotates against, so a result can
 * name it and a second run can reproduce it.
 *
 *   DIR/manifest.json   name, version, assembly; the FASTA, the gene models, the contig
 *                       synonyms and the known-variant sources, each with a version and a
 *                       SHA-256; optionally a prebuilt gene-model index (see ./gene-index.ts)
 *
 * How paths resolve: every `path` in the manifest is relative to `root`, and `root` is relative
 * to the folder holding manifest.json (default "."; absolute paths are kept). The repo's
 * `bundles/grch38-chr21/manifest.json` has `root: "../../../../../shared/data"`, i.e. the
 * `../shared/data` beside the repo checkout; a bundle copied elsewhere (an image, an S3 prefix
 * synced to disk) keeps its files beside the manifest with `root: "."`. `--bundle-root DIR` on
 * the CLI replaces `root` (the same manifest used from a container that mounts the data elsewhere).
 *
 * Checksums: `openBundle` hashes every file (streamed; ~0.1 s for this chr21 bundle) and refuses
 * a file whose SHA-256 differs from the manifest's, naming the file and both sums. A manifest
 * entry with `sha256: null` is RECORDED instead (the computed sum goes into the outputs'
 * provenance); `writeBundleChecksums` fills them into the manifest.
 */
import { createHash } from 'node:crypto';
import { access, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { parseKnownSpec } from '../known/index.ts';
import { sha256File } from '../output/provenance.ts';
import type { EngineResources } from '../parallel/protocol.ts';

const FileEntry = Type.Object(
  {
    path: Type.String({ minLength: 1 }),
    version: Type.Optional(Type.String()),
    sha256: Type.Union([Type.String({ pattern: '^[0-9a-f]{64}$' }), Type.Null()]),
  },
  { additionalProperties: false },
);

const KnownEntry = Type.Object(
  {
    path: Type.String({ minLength: 1 }),
    version: Type.Optional(Type.String()),
    sha256: Type.Union([Type.String({ pattern: '^[0-9a-f]{64}$' }), Type.Null()]),
    /** INFO keys to copy, as after the `:` of `--known FILE:FIELDS` (e.g. `AF_AF=AF,CLIN_SIG`). */
    fields: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const BundleManifest = Type.Object(
  {
    name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9._-]+$' }),
    version: Type.String({ minLength: 1 }),
    assembly: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    root: Type.Optional(Type.String()),
    fasta: FileEntry,
    geneModels: FileEntry,
    synonyms: Type.Optional(FileEntry),
    known: Type.Optional(Type.Array(KnownEntry)),
    /** Prebuilt compact gene-model index (gene-index.ts), built from `geneModels`. */
    geneIndex: Type.Optional(FileEntry),
  },
  { additionalProperties: false },
);
export type BundleManifest = Static<typeof BundleManifest>;

const checkManifest = Compile(BundleManifest);

/** A bundle that cannot be used: the message names the file and the problem. */
export class BundleError extends Error {
  override name = 'BundleError';
}

export interface BundleFile {
  /** Absolute path. */
  path: string;
  version: string | null;
  sha256: string;
  /** verified against the manifest, or recorded because the manifest had none */
  checksum: 'verified' | 'recorded';
}

export interface Bundle {
  dir: string;
  manifest: BundleManifest;
  fasta: BundleFile;
  geneModels: BundleFile;
  synonyms: BundleFile | null;
  known: (BundleFile & { fields: string | null })[];
  geneIndex: BundleFile | null;
  /** One line for output headers: name, version, assembly and the manifest's own checksum. */
  provenance: string;
}

export interface OpenBundleOptions {
  /** Replaces the manifest's `root` (relative to the current directory). */
  root?: string;
  /** Skip hashing (tests of the manifest only); sums are then reported as the manifest's. */
  skipChecksums?: boolean;
}

/** Reads DIR/manifest.json, resolves its paths and verifies (or records) every checksum. */
export async function openBundle(dir: string, options: OpenBundleOptions = {}): Promise<Bundle> {
  const manifestPath = path.resolve(dir, 'manifest.json');
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch {
    throw new BundleError(`bundle ${dir}: no manifest.json in it (${manifestPath})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new BundleError(`bundle ${dir}: manifest.json is not valid JSON (${(err as Error).message})`);
  }
  if (!checkManifest.Check(raw)) {
    const first = [...checkManifest.Errors(raw)][0];
    const where = first ? `${first.instancePath || '/'}: ${first.message}` : 'does not match the schema';
    throw new BundleError(`bundle ${dir}: manifest.json ${where}`);
  }
  const manifest = raw as BundleManifest;
  const base = path.dirname(manifestPath);
  const root =
    options.root !== undefined ? path.resolve(options.root) : path.resolve(base, manifest.root ?? '.');
  const file = async (entry: Static<typeof FileEntry>, what: string): Promise<BundleFile> => {
    const abs = path.resolve(root, entry.path);
    try {
      await access(abs);
    } catch {
      throw new BundleError(
        `bundle ${manifest.name}: the ${what} ${entry.path} is not at ${abs} (paths resolve from root ${root})`,
      );
    }
    if (options.skipChecksums) {
      return { path: abs, version: entry.version ?? null, sha256: entry.sha256 ?? '', checksum: 'recorded' };
    }
    const sum = await sha256File(abs);
    if (entry.sha256 !== null && entry.sha256 !== sum) {
      throw new BundleError(
        `bundle ${manifest.name}: the ${what} ${entry.path} has SHA-256 ${sum}, but the manifest says ${entry.sha256}; the file changed since the bundle was made (rebuild the bundle or restore the file)`,
      );
    }
    return {
      path: abs,
      version: entry.version ?? null,
      sha256: sum,
      checksum: entry.sha256 === null ? 'recorded' : 'verified',
    };
  };
  const [fasta, geneModels, synonyms, geneIndex, known] = await Promise.all([
    file(manifest.fasta, 'FASTA'),
    file(manifest.geneModels, 'gene model file'),
    manifest.synonyms ? file(manifest.synonyms, 'synonyms file') : null,
    manifest.geneIndex ? file(manifest.geneIndex, 'gene-model index') : null,
    Promise.all(
      (manifest.known ?? []).map(async (k) => ({
        ...(await file(k, 'known-variant file')),
        fields: k.fields ?? null,
      })),
    ),
  ]);
  const manifestSum = createHash('sha256').update(text).digest('hex');
  return {
    dir: base,
    manifest,
    fasta,
    geneModels,
    synonyms,
    known,
    geneIndex,
    provenance: `name=${manifest.name} version=${manifest.version} assembly=${manifest.assembly} manifest_sha256=${manifestSum}`,
  };
}

/** Fills every `sha256: null` of DIR/manifest.json with the file's sum (the bundle's maker runs this once). */
export async function writeBundleChecksums(dir: string): Promise<BundleManifest> {
  const bundle = await openBundle(dir);
  const m = structuredClone(bundle.manifest);
  m.fasta.sha256 = bundle.fasta.sha256;
  m.geneModels.sha256 = bundle.geneModels.sha256;
  if (m.synonyms && bundle.synonyms) m.synonyms.sha256 = bundle.synonyms.sha256;
  if (m.geneIndex && bundle.geneIndex) m.geneIndex.sha256 = bundle.geneIndex.sha256;
  for (const [i, k] of (m.known ?? []).entries()) k.sha256 = bundle.known[i]!.sha256;
  await writeFile(path.join(bundle.dir, 'manifest.json'), `${JSON.stringify(m, null, 2)}\n`);
  return m;
}

/**
 * What a run opens from a bundle, in the form `openResources` (parallel/resources.ts) takes: its
 * FASTA, its gene models (the prebuilt index when it names one, else the file, cached in
 * `geneCacheDir` when given), its known-variant sources and the contig synonyms read from it.
 */
export function bundleResources(
  bundle: Bundle,
  synonyms: string[][],
  geneCacheDir: string | null,
): EngineResources {
  return {
    fasta: bundle.fasta.path,
    geneModels: bundle.geneIndex
      ? { kind: 'index', path: bundle.geneIndex.path, sha256: bundle.geneModels.sha256 }
      : {
          kind: 'file',
          path: bundle.geneModels.path,
          sha256: bundle.geneModels.sha256,
          cacheDir: geneCacheDir,
        },
    known: bundleKnownSpecs(bundle).map(parseKnownSpec),
    synonyms,
  };
}

/** The `--known` specs of a bundle's known sources (`PATH[:FIELDS]`). */
export function bundleKnownSpecs(bundle: Bundle): string[] {
  return bundle.known.map((k) => (k.fields ? `${k.path}:${k.fields}` : k.path));
}
