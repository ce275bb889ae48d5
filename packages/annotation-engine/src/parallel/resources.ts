/**
 * Opens the files of `EngineResources` the way the CLI does (same contig-name mapping, same
 * gene-index cache key), so that a worker thread's gene models equal the main thread's.
 */
import { loadGeneIndex, loadGeneModelsCached } from '../bundle/gene-index.ts';
import type { GeneModels } from '../genes/index.ts';
import { KnownVariantSource } from '../known/index.ts';
import { ContigResolver } from '../normalise/contigs.ts';
import { openReference } from '../reference/index.ts';
import type { EngineResources } from './protocol.ts';

type Reference = Awaited<ReturnType<typeof openReference>>;

/** The gene models of `spec` for this reference (from the index cache when it has them). */
export async function openGeneModels(
  spec: EngineResources['geneModels'],
  reference: Reference,
  synonyms: readonly string[][],
): Promise<{ genes: GeneModels; fromCache: boolean; cacheFile: string | null }> {
  if (spec.kind === 'index') {
    return { genes: await loadGeneIndex(spec.path, spec.sha256), fromCache: true, cacheFile: spec.path };
  }
  const resolver = new ContigResolver(reference.contigLengths.keys(), synonyms);
  return loadGeneModelsCached(spec.path, {
    cacheDir: spec.cacheDir,
    sha256: spec.sha256,
    contigName: (name) => resolver.resolve(name) ?? name,
    keyParts: [...reference.contigLengths.keys(), JSON.stringify(synonyms)],
  });
}

export interface OpenedResources {
  reference: Reference;
  genes: GeneModels;
  known: KnownVariantSource[];
}

export async function openResources(r: EngineResources): Promise<OpenedResources> {
  const reference = await openReference(r.fasta);
  const { genes } = await openGeneModels(r.geneModels, reference, r.synonyms);
  const known: KnownVariantSource[] = [];
  for (const spec of r.known) {
    known.push(await KnownVariantSource.open(spec, reference.contigLengths.keys(), r.synonyms));
  }
  return { reference, genes, known };
}
