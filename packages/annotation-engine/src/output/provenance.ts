/**
 * Provenance for output headers and summaries: engine name and version, and SHA-256 checksums
 * of the gene model and FASTA files (streamed; a whole-genome FASTA takes seconds).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import pkg from '../../package.json' with { type: 'json' };

export const ENGINE_NAME = 'gas-annotation-engine';
export const ENGINE_VERSION: string = pkg.version;

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
