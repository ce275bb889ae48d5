/**
 * The SHA-256 tree hash Amazon Glacier asks for with UploadArchive and returns with
 * GetJobOutput: SHA-256 of every 1 MiB chunk (the last may be shorter), then pairs of
 * digests hashed together level by level (an odd digest out is carried up unchanged)
 * until one digest is left; hex-encoded. An empty body is the SHA-256 of nothing.
 */
import { createHash } from 'node:crypto';

export const TREE_HASH_CHUNK_BYTES = 1024 * 1024;

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

export function sha256TreeHash(bytes: Uint8Array): string {
  let level: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += TREE_HASH_CHUNK_BYTES) {
    level.push(sha256(bytes.subarray(offset, offset + TREE_HASH_CHUNK_BYTES)));
  }
  if (level.length === 0) return sha256().toString('hex');
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const right = level[i + 1];
      next.push(right ? sha256(level[i]!, right) : level[i]!);
    }
    level = next;
  }
  return level[0]!.toString('hex');
}
