/**
 * A seeded pseudo-random generator (mulberry32: 32 bits of state, one add and a few
 * multiply-xorshifts per number): the same seed gives the same numbers on every machine and
 * Node version, which is what test data, fuzz corpora and benchmark inputs need so that a seed
 * names a file exactly. Not for anything secret (use node:crypto).
 *
 * One copy for the repository: the engine's tests and bench and the bad-input corpus
 * (test/bad-input/generate-corpus.ts) import it. It imports nothing, so any package or script
 * can use it without pulling in the engine (`@gas/annotation-engine/seeded-random`).
 */

/** Returns a function that yields numbers in [0, 1), the sequence fixed by `seed` (taken as uint32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
