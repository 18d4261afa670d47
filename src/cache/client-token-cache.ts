// Client tokens reused across negotiations: isolate memory (an LRU), the colo's Cache API, then
// the loader (the Auth API), with one load per key and isolate at a time.
import type { Now, Sleep } from '../lib/clock'
import { errorName } from '../lib/log'
import { FIRST_POLL_MS, nextPollMs, releaseLease, takeLease, type LeaseHolder } from './lease'
import { createLru, type Lru } from './lru'

/** A client token and its life as the token itself states it. */
export interface ClientToken {
  token: string
  /** `iat` (or `nbf`, or the time it was received when the token has neither), in ms. */
  issuedAtMs: number
  /** `exp`, in ms. */
  expiresAtMs: number
}

export type ClientTokenSource = 'memory' | 'cache' | 'fetch'

/** The second level (cache/client-token-store.ts); its errors are caught and logged here. */
export interface ClientTokenStore {
  /** The entry for the key once opened and checked; undefined when absent or not trustworthy. */
  get(key: string): Promise<ClientToken | undefined>
  put(key: string, token: ClientToken, ttlSeconds: number): Promise<void>
}

/** Everything one isolate keeps, shared by every runtime the isolate builds (app.ts). */
export interface ClientTokenMemory {
  tokens: Lru<ClientToken>
  /** Keys being loaded right now. Waiters keep the holder they saw: it outlives its removal. */
  flights: Map<string, LeaseHolder>
  nextLeaseId: () => number
}

export interface ClientTokenCacheOptions {
  memory: ClientTokenMemory
  /** Absent when the runtime has no Cache API: memory only. */
  store: ClientTokenStore | undefined
  /** The fraction of its whole life (exp − iat) a token must have left to be handed out again. */
  minRemaining: number
  now: Now
  sleep: Sleep
  log: (event: { event: string; [field: string]: unknown }) => void
  /** What a request throws when it gives up waiting for another request's load. */
  waitTimeoutError: () => unknown
}

export interface GetClientTokenOptions {
  deadlineMs: number
  /** Runs work after the response (ctx.waitUntil): the Cache API write goes here. */
  waitUntil: (promise: Promise<unknown>) => void
  /** Fetches a new token for this key; must give up by the deadline. */
  load: (deadlineMs: number) => Promise<ClientToken>
  /**
   * A token issued (`iat`) before this is never handed out again, from memory or the Cache API,
   * and is dropped from memory: the user was revoked since (caller/revocations.ts). A freshly
   * loaded token is returned whatever its `iat`.
   */
  notIssuedBeforeMs?: number
}

export interface ClientTokenCache {
  get(
    key: string,
    options: GetClientTokenOptions,
  ): Promise<{ token: ClientToken; source: ClientTokenSource }>
}

/**
 * Isolate memory for reused tokens. An isolate has 128 MB (Cloudflare docs, Workers limits); this
 * bounds the tokens to a few MB whatever the traffic, and the count bounds the map's own overhead.
 */
export const CLIENT_TOKEN_MEMORY_LIMITS = { maxEntries: 10_000, maxBytes: 8 * 1024 * 1024 }
/** The entry object, its map slot and the key's string header, roughly. */
const ENTRY_OVERHEAD_BYTES = 200

/** The first level, created once per isolate: strings count two bytes per UTF-16 unit. */
export function createClientTokenMemory(limits = CLIENT_TOKEN_MEMORY_LIMITS): ClientTokenMemory {
  let leaseCounter = 0
  return {
    tokens: createLru<ClientToken>({
      ...limits,
      sizeOf: (key, value) => 2 * (key.length + value.token.length) + ENTRY_OVERHEAD_BYTES,
    }),
    flights: new Map(),
    nextLeaseId: () => ++leaseCounter,
  }
}

/** Past this many keys being loaded at once, leases left behind by cancelled requests are swept. */
const MAX_FLIGHTS = 1_000

/** The last moment the token may be handed out again; -Infinity when it has no life at all. */
export function reusableUntilMs(token: ClientToken, minRemaining: number): number {
  const lifeMs = token.expiresAtMs - token.issuedAtMs
  if (!(lifeMs > 0)) return -Infinity
  return token.expiresAtMs - minRemaining * lifeMs
}

export function createClientTokenCache(options: ClientTokenCacheOptions): ClientTokenCache {
  const { store, minRemaining, now, sleep, log } = options
  const { tokens: memory, flights, nextLeaseId } = options.memory

  const reusable = (token: ClientToken, at: number): boolean =>
    at < token.expiresAtMs && at <= reusableUntilMs(token, minRemaining)

  const fromMemory = (key: string, at: number, notIssuedBeforeMs = -Infinity) => {
    const token = memory.get(key)
    if (token === undefined) return undefined
    if (reusable(token, at) && token.issuedAtMs >= notIssuedBeforeMs) return token
    memory.delete(key)
    return undefined
  }

  const flightFor = (key: string, at: number): LeaseHolder => {
    let flight = flights.get(key)
    if (flight !== undefined) return flight
    if (flights.size >= MAX_FLIGHTS) {
      for (const [other, held] of flights) {
        if (held.lease === undefined || held.lease.untilMs <= at) flights.delete(other)
      }
    }
    flight = {}
    flights.set(key, flight)
    return flight
  }

  const readStore = async (key: string): Promise<ClientToken | undefined> => {
    if (store === undefined) return undefined
    try {
      return await store.get(key)
    } catch (error) {
      // The Cache API is an optimisation: its failure costs one Auth API call, never a negotiation.
      log({ event: 'client_token_cache_read_failed', error: errorName(error) })
      return undefined
    }
  }

  /** Keeps a fresh token for later callers: in memory now, in the Cache API after the response. */
  const remember = (key: string, token: ClientToken, waitUntil: (p: Promise<unknown>) => void) => {
    const at = now()
    const untilMs = reusableUntilMs(token, minRemaining)
    if (!reusable(token, at)) return
    memory.set(key, token)
    // Expires from the Cache API when it stops being reusable; readers check again anyway.
    const ttlSeconds = Math.floor((untilMs - at) / 1000)
    if (store === undefined || ttlSeconds < 1) return
    waitUntil(
      store.put(key, token, ttlSeconds).catch((error: unknown) => {
        log({ event: 'client_token_cache_write_failed', error: errorName(error) })
      }),
    )
  }

  const loadUnderLease = async (
    key: string,
    flight: LeaseHolder,
    leaseId: number,
    { deadlineMs, waitUntil, load, notIssuedBeforeMs = -Infinity }: GetClientTokenOptions,
  ): Promise<{ token: ClientToken; source: ClientTokenSource }> => {
    try {
      const stored = await readStore(key)
      if (
        stored !== undefined &&
        reusable(stored, now()) &&
        stored.issuedAtMs >= notIssuedBeforeMs
      ) {
        memory.set(key, stored)
        return { token: stored, source: 'cache' }
      }
      let token: ClientToken
      try {
        token = await load(deadlineMs)
      } catch (error) {
        flight.failure = { leaseId, error }
        throw error
      }
      remember(key, token, waitUntil)
      return { token, source: 'fetch' }
    } finally {
      releaseLease(flight, leaseId)
      if (flights.get(key) === flight && flight.lease === undefined) flights.delete(key)
    }
  }

  return {
    async get(key, getOptions) {
      let at = now()
      const notBefore = getOptions.notIssuedBeforeMs
      const cached = fromMemory(key, at, notBefore)
      if (cached !== undefined) return { token: cached, source: 'memory' }
      let pollMs = FIRST_POLL_MS
      for (;;) {
        const flight = flightFor(key, at)
        const leaseId = takeLease(flight, nextLeaseId, at, getOptions.deadlineMs)
        if (leaseId !== undefined) return loadUnderLease(key, flight, leaseId, getOptions)
        // Another request in this isolate is loading this key: poll for its settled outcome.
        const seen = flight.lease
        for (;;) {
          if (at + pollMs >= getOptions.deadlineMs) throw options.waitTimeoutError()
          await sleep(pollMs)
          pollMs = nextPollMs(pollMs)
          at = now()
          // Loaded by the other request just now, so issued after any revocation it knew of; the
          // check still applies, in case that request saw an older list than this one.
          const settled = fromMemory(key, at, notBefore)
          if (settled !== undefined) return { token: settled, source: 'memory' }
          if (flight.failure !== undefined && flight.failure.leaseId === seen?.id) {
            throw flight.failure.error
          }
          // Released without a reusable token, or abandoned: try to take the lease ourselves.
          if (flight.lease !== seen || (seen !== undefined && seen.untilMs <= at)) break
        }
      }
    },
  }
}
