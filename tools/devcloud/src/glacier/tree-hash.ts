/**
 * The SHA-256 tree hash Glacier uses for archives and ranges: hash every 1 MiB chunk (the last
 * one may be shorter), then hash adjacent pairs of digests level by level (an odd one out is
 * carried up unchanged) until one digest is left. Returned as lowercase hex.
 */
import { createHash } from 'node:crypto';

export const TREE_HASH_CHUNK_BYTES = 1024 * 1024;

export function sha256TreeHash(data: Uint8Array): string {
  let level: Buffer[] = [];
  for (let offset = 0; offset < data.length || level.length === 0; offset += TREE_HASH_CHUNK_BYTES) {
    level.push(
      createHash('sha256')
        .update(data.subarray(offset, offset + TREE_HASH_CHUNK_BYTES))
        .digest(),
    );
    if (data.length === 0) break;
  }
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const right = level[i + 1];
      next.push(right ? createHash('sha256').update(level[i]!).update(right).digest() : level[i]!);
    }
    level = next;
  }
  return level[0]!.toString('hex');
}

/** A byte range (inclusive end) whose tree hash Glacier can state: it starts and ends on 1 MiB boundaries (or at the end). */
export function isTreeHashAligned(start: number, endInclusive: number, totalSize: number): boolean {
  return (
    start % TREE_HASH_CHUNK_BYTES === 0 &&
    ((endInclusive + 1) % TREE_HASH_CHUNK_BYTES === 0 || endInclusive + 1 === totalSize)
  );
}
