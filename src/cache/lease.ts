// Per-key leases within one isolate: one request loads a value, the others poll for the outcome.
//
// Only settled values are shared between requests, never promises: I/O belongs to the request
// that started it ("Cannot perform I/O on behalf of a different request", Cloudflare Workers docs,
// Errors and exceptions), and when that request ends its pending work may be dropped, so a waiter
// on its promise can hang (the reason jose stopped sharing its JWKS fetch: panva/jose#355). A
// waiter therefore sleeps and re-reads plain fields instead.

export interface Lease {
  id: number
  untilMs: number
}

/** Whatever a lease is held on: one cache slot, or one key of a cache. */
export interface LeaseHolder {
  /** Held by the one request (or background task) that is loading a new value. */
  lease?: Lease
  /** The outcome of the last lease that failed, so waiters can report it instead of retrying. */
  failure?: { leaseId: number; error: unknown }
}

/** A lease outlives its holder's deadline a little, then anyone may take it over. */
export const LEASE_GRACE_MS = 250

/** Waiters poll quickly at first (a memory or cache hit settles in a few ms), then every 25 ms. */
export const FIRST_POLL_MS = 5
export const MAX_POLL_MS = 25

/** Takes the lease if nobody holds a live one; returns its id, or undefined. */
export function takeLease(
  holder: LeaseHolder,
  nextId: () => number,
  atMs: number,
  deadlineMs: number,
): number | undefined {
  if (holder.lease !== undefined && holder.lease.untilMs > atMs) return undefined
  const id = nextId()
  holder.lease = { id, untilMs: deadlineMs + LEASE_GRACE_MS }
  return id
}

/** Gives the lease back, unless it expired and someone else took it over meanwhile. */
export function releaseLease(holder: LeaseHolder, leaseId: number): void {
  if (holder.lease?.id === leaseId) holder.lease = undefined
}

export const nextPollMs = (previousMs: number): number => Math.min(previousMs * 2, MAX_POLL_MS)
