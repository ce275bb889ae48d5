/**
 * @gas/annotation-engine: the library's public API.
 *
 * One call does a whole run (`annotateVcf`); the stages are exported for callers that stream
 * from elsewhere (the annotator service reads from S3) or need one piece (the web app reads
 * summaries). Coordinates are GENOMIC, 1-BASED, CLOSED everywhere (see model.ts).
 */

export { predictConsequences, regionNeeded } from './annotate.ts';
export { loadGeneIndex, loadGeneModelsCached, writeGeneIndex } from './bundle/gene-index.ts';
export {
  type Bundle,
  BundleError,
  BundleManifest,
  bundleKnownSpecs,
  bundleResources,
  openBundle,
  writeBundleChecksums,
} from './bundle/index.ts';
export { GeneModelError, type GeneModels, loadGeneModels } from './genes/index.ts';
export {
  EXISTING_VARIATION,
  KnownSourceError,
  type KnownSourceSpec,
  KnownVariantSource,
  knownProvenance,
  parseKnownSpec,
} from './known/index.ts';
export * from './model.ts';
export { allelesOf, minimalRepresentation, vepPrintedAlleles } from './normalise/alleles.ts';
export { ContigResolver, parseSynonyms, readSynonymsFile } from './normalise/contigs.ts';
export { createWriter, formatFromName, OUTPUT_FORMATS } from './output/factory.ts';
export {
  type AnnotationField,
  CSQ_FIELDS,
  CsqFormatter,
  csqHeaderLine,
  escapeCsqValue,
} from './output/fields.ts';
export { RunLog } from './output/log.ts';
export { ENGINE_NAME, ENGINE_VERSION, sha256File } from './output/provenance.ts';
export { OutputError } from './output/sink.ts';
export type { RunSummary } from './output/summary.ts';
export { TeeWriter } from './output/tee-writer.ts';
export type { AnnotatedRecord, AnnotationWriter, OutputFormat, Provenance } from './output/types.ts';
export type { EngineResources } from './parallel/protocol.ts';
export { openResources } from './parallel/resources.ts';
export {
  type AnnotateVcfOptions,
  type AnnotateVcfResult,
  AnnotationAbortedError,
  type AnnotationSource,
  annotateVcf,
  geneModelSource,
  type PipelineReference,
  type Region,
} from './pipeline.ts';
export { FastaError, openReference, type Reference } from './reference/index.ts';
export { seededRandom } from './seeded-random.ts';
export type { VcfHeader } from './vcf/header.ts';
export { decompressedChunks, type VcfSource } from './vcf/input.ts';
export { infoValue, parseDataLine, removeInfoKey, type VcfLine } from './vcf/parse.ts';
export {
  AssemblyMismatchError,
  type ErrorPolicy,
  formatProblem,
  InputError,
  type InputProblem,
  NO_REFERENCE_CONTIG,
  ProblemLog,
} from './vcf/problems.ts';
export { readVcfFully, type VcfReadCounts, VcfReader } from './vcf/reader.ts';
