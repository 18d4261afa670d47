// The per-isolate first-level cache: plain values shared by every request in one isolate.
import type { LeaseHolder } from './lease'

/**
 * One slot per cache key. Only settled values live here, never promises (see lease.ts):
 * coordination happens through the lease instead.
 */
export interface MemorySlot<T> extends LeaseHolder {
  entry?: T
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
