/**
 * Entry of an engine worker thread: loads the reference and gene models once (the first
 * job waits for them), then runs the jobs the main thread posts, one at a time, reporting
 * progress and the outcome. An `abort` message stops the current job (its scratch folder is
 * removed); the main thread then terminates the worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  bundleResources,
  ContigResolver,
  knownProvenance,
  loadGeneModels,
  openBundle,
  openReference,
  openResources,
  readSynonymsFile,
  sha256File,
} from '@gas/annotation-engine';
import { createS3Client } from '@gas/service-kit';
import type { FromWorker, ReferenceSetup, ToWorker, WorkerSetup } from './protocol.ts';
import { describeFailure, type EngineContext, JobAbortedError, runJob } from './run-job.ts';

const setup = (workerData as { setup: WorkerSetup }).setup;
const port = parentPort!;
const s3 = createS3Client(setup.aws);
let current: AbortController | undefined;

async function loadEngine(reference: ReferenceSetup): Promise<EngineContext> {
  return 'bundle' in reference ? loadBundle(reference.bundle, reference.bundleRoot) : loadFiles(reference);
}

/** The FASTA and gene models named one by one: no known-variant sources. */
async function loadFiles(files: Exclude<ReferenceSetup, { bundle: string }>): Promise<EngineContext> {
  const { fasta, gff3, synonyms: synonymsFile, assembly } = files;
  const [fastaSha, gffSha] = [sha256File(fasta), sha256File(gff3)];
  fastaSha.catch(() => undefined);
  gffSha.catch(() => undefined);
  const synonyms = synonymsFile ? await readSynonymsFile(synonymsFile) : [];
  const reference = await openReference(fasta);
  const resolver = new ContigResolver(reference.contigLengths.keys(), synonyms);
  const genes = await loadGeneModels(gff3, { contigName: (name) => resolver.resolve(name) ?? name });
  return {
    reference,
    genes,
    known: [],
    synonyms,
    assembly,
    provenance: {
      geneModels: { path: gff3, sha256: await gffSha, format: genes.format },
      reference: { path: fasta, sha256: await fastaSha },
      knownSources: [],
      bundle: null,
    },
  };
}

/**
 * A reference bundle (the engine's `openBundle`: every file's checksum verified against the
 * manifest), opened the way the engine's own worker threads open one (`openResources`): its
 * FASTA, gene models (the prebuilt index when it has one), synonyms and known-variant sources,
 * which the worker keeps open for every job it runs.
 */
async function loadBundle(dir: string, root: string | undefined): Promise<EngineContext> {
  const bundle = await openBundle(dir, root === undefined ? {} : { root });
  const synonyms = bundle.synonyms ? await readSynonymsFile(bundle.synonyms.path) : [];
  const { reference, genes, known } = await openResources(bundleResources(bundle, synonyms, null));
  return {
    reference,
    genes,
    known,
    synonyms,
    assembly: bundle.manifest.assembly,
    provenance: {
      geneModels: { path: bundle.geneModels.path, sha256: bundle.geneModels.sha256, format: genes.format },
      reference: { path: bundle.fasta.path, sha256: bundle.fasta.sha256 },
      knownSources: bundle.known.map((k) => knownProvenance(k.path, k.sha256)),
      bundle: bundle.provenance,
    },
  };
}

const post = (message: FromWorker) => port.postMessage(message);

const engine = loadEngine(setup.reference);
engine.then(
  () => post({ type: 'engine-ready' }),
  (error: unknown) => post({ type: 'engine-failed', message: (error as Error).message ?? String(error) }),
);

port.on('message', (message: ToWorker) => {
  if (message.type === 'abort') {
    current?.abort(new JobAbortedError('job aborted'));
    return;
  }
  const abort = new AbortController();
  current = abort;
  const job = message.job;
  (async () => {
    try {
      const result = await runJob(job, await engine, {
        s3,
        signal: abort.signal,
        onProgress: (progress) => post({ type: 'progress', progress }),
      });
      post({ type: 'done', result });
    } catch (error) {
      post({ type: 'failed', failure: await describeFailure(error, job, s3) });
    } finally {
      current = undefined;
    }
  })();
});
