// A small seeded PRNG, so that random faults repeat exactly when a run is replayed with its seed.

/**
 * Uniform numbers in [0, 1) from a 32-bit state: mulberry32 (Tommy Ettinger, public domain).
 * Not for secrets; fast and good enough to decide which requests fail.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

/**
 * A generator for one seed and one stream name (e.g. a route): the same seed gives every stream
 * its own sequence, so faults on one route do not move in step with faults on another.
 */
export function seededRandom(seed: number, stream: string): () => number {
  // FNV-1a over the stream name, started from the seed: a cheap, stable 32-bit mix.
  let hash = (0x811c9dc5 ^ seed) >>> 0
  for (let i = 0; i < stream.length; i++) {
    hash ^= stream.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return mulberry32(hash)
}
