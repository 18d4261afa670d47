// The per-isolate first-level cache: plain values shared by every request in one isolate.

/**
 * One slot per cache key. Only settled values live here, never promises: workerd may cancel the
 * I/O of a request that has ended, so a request must not await work another request started
 * (PLATFORM.md). Coordination happens through the lease instead.
 */
export interface MemorySlot<T> {
  entry?: T
  /** Held by the one request (or background task) that is fetching a new value. */
  lease?: { id: number; untilMs: number }
  /** The outcome of the last lease that failed, so waiters can report it instead of retrying. */
  failure?: { leaseId: number; error: unknown }
  /** A permanent failure remembered until `untilMs` (negative cache): nothing is loaded till then. */
  rejected?: { error: unknown; untilMs: number }
  /**
   * The upstream asked us to back off (a throttle or an outage): nothing is loaded until `untilMs`,
   * not by requests, background refreshes or the cron, but a cached token still serves.
   */
  backoff?: { error: unknown; untilMs: number }
  /** Whoever uses the tokens refuses even fresh ones: none is handed out or loaded till `untilMs`. */
  suspended?: { error: unknown; untilMs: number; windowMs: number }
}

export interface MemoryCache<T> {
  slot(key: string): MemorySlot<T>
  /** A fresh lease id, unique within this isolate. */
  nextLeaseId(): number
}

export function createMemoryCache<T>(): MemoryCache<T> {
  const slots = new Map<string, MemorySlot<T>>()
  let leaseCounter = 0
  return {
    slot(key) {
      let slot = slots.get(key)
      if (slot === undefined) {
        slot = {}
        slots.set(key, slot)
      }
      return slot
    },
    nextLeaseId: () => ++leaseCounter,
  }
}
