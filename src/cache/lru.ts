// A least-recently-used map bounded by entry count and by (estimated) bytes, for isolate memory.

export interface LruOptions<V> {
  maxEntries: number
  maxBytes: number
  /** An estimate of what one entry costs in memory, in bytes; must not change for a stored value. */
  sizeOf: (key: string, value: V) => number
}

export interface Lru<V> {
  /** The value, marking it most recently used. */
  get(key: string): V | undefined
  /**
   * Stores the value as most recently used and evicts the least recently used entries until both
   * limits hold again. A value bigger than `maxBytes` on its own is not stored (returns false).
   */
  set(key: string, value: V): boolean
  delete(key: string): void
  readonly size: number
  readonly bytes: number
}

export function createLru<V>(options: LruOptions<V>): Lru<V> {
  const { maxEntries, maxBytes, sizeOf } = options
  if (!(maxEntries >= 1 && maxBytes >= 1)) throw new RangeError('LRU limits must be at least 1')
  // A Map iterates in insertion order: re-inserting on use keeps the oldest use first.
  const entries = new Map<string, { value: V; bytes: number }>()
  let bytes = 0

  const remove = (key: string): void => {
    const entry = entries.get(key)
    if (entry === undefined) return
    entries.delete(key)
    bytes -= entry.bytes
  }

  return {
    get(key) {
      const entry = entries.get(key)
      if (entry === undefined) return undefined
      entries.delete(key)
      entries.set(key, entry)
      return entry.value
    },
    set(key, value) {
      remove(key)
      const size = sizeOf(key, value)
      if (size > maxBytes) return false
      entries.set(key, { value, bytes: size })
      bytes += size
      for (const oldest of entries.keys()) {
        if (entries.size <= maxEntries && bytes <= maxBytes) break
        remove(oldest)
      }
      return true
    },
    delete: remove,
    get size() {
      return entries.size
    },
    get bytes() {
      return bytes
    },
  }
}
