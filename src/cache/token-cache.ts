// The layered token cache: memory → encrypted KV → the loader, with one load per isolate at a time.
import type { Now, Sleep } from '../lib/clock'
import { errorName } from '../lib/log'
import type { EncryptedKv } from './encrypted-kv'
import { FIRST_POLL_MS, nextPollMs, releaseLease, takeLease } from './lease'
import type { MemoryCache } from './memory'

/** What the cache needs to know about a token's life (see entra/client-credentials.ts). */
export interface ExpiringToken {
  accessToken: string
  expiresAtMs: number
  refreshAtMs: number
  staleAtMs: number
}

export type TokenSource = 'memory' | 'kv' | 'fetch'

export interface TokenCacheEvent {
  event: string
  [field: string]: unknown
}

export interface LayeredTokenCacheOptions<T extends ExpiringToken> {
  memory: MemoryCache<T>
  /** Absent when no KV namespace is bound: memory only. */
  kv: EncryptedKv | undefined
  /** The storage key; see token-cache-key.ts for its format. */
  cacheKey: string
  /** Fetches a new token; must give up by the deadline. */
  load: (deadlineMs: number) => Promise<T>
  /** Failures that will not heal on retry; remembered for `negativeTtlMs`. */
  isPermanentFailure: (error: unknown) => boolean
  /**
   * How long the loader must not be called after this failure (a throttle or an outage), in ms;
   * undefined or 0 for none. Remembered per isolate, as MSAL remembers a throttle per client.
   */
  backoffMs?: (error: unknown) => number | undefined
  /** What to throw for a remembered backoff or suspension, given the ms left (e.g. Retry-After). */
  rememberedError?: (error: unknown, remainingMs: number) => unknown
  /** What a request throws when it gives up waiting for another request's load. */
  waitTimeoutError: () => unknown
  negativeTtlMs?: number
  now: Now
  sleep: Sleep
  log: (event: TokenCacheEvent) => void
}

export interface GetTokenOptions {
  deadlineMs: number
  /** Runs work after the response (ctx.waitUntil); background refreshes and KV writes go here. */
  waitUntil: (promise: Promise<unknown>) => void
  /** A token the caller has seen rejected (401): never return it, and do not trust KV for it. */
  rejectedToken?: string
}

export interface SuspensionWindows {
  firstMs: number
  maxMs: number
}

export interface LayeredTokenCache<T extends ExpiringToken> {
  get(options: GetTokenOptions): Promise<{ token: T; source: TokenSource }>
  /**
   * Drops a token that an upstream rejected from memory. KV is left to the reload that follows
   * (get with `rejectedToken`): its new token overwrites the entry, and only a failed reload
   * deletes it. Deleting first would make that write the second one within a second on the same
   * key, which KV refuses (429), so the new token would never reach other isolates.
   */
  invalidate(accessToken: string): void
  /**
   * Whoever uses the tokens refused even a fresh one: for a window, get() throws `error` (with the
   * time left) without touching memory, KV or the loader, and the cron loads nothing. The window
   * starts at `firstMs` and doubles, up to `maxMs`, while suspensions follow one another (the
   * refusal persists); one that comes long after the last starts small again, so a passing fault
   * costs seconds, not the full window. Returns the window chosen.
   */
  suspend(error: unknown, windows: SuspensionWindows): number
  /** For the cron: refresh KV when its token is missing or due; returns what it did. */
  refreshIfDue(deadlineMs: number): Promise<'fresh' | 'refreshed'>
}

const DEFAULT_NEGATIVE_TTL_MS = 30_000
const KV_MIN_TTL_SECONDS = 60

export function createLayeredTokenCache<T extends ExpiringToken>(
  options: LayeredTokenCacheOptions<T>,
): LayeredTokenCache<T> {
  const { memory, kv, cacheKey, now, sleep, log } = options
  const negativeTtlMs = options.negativeTtlMs ?? DEFAULT_NEGATIVE_TTL_MS
  const rememberedError = options.rememberedError ?? ((error: unknown) => error)
  const slot = memory.slot(cacheKey)

  const usable = (token: T | undefined | null, at: number, rejected?: string): token is T =>
    token != null && at < token.staleAtMs && token.accessToken !== rejected

  const writeKv = async (token: T): Promise<void> => {
    if (kv === undefined) return
    // KV keeps it until it goes stale; readers re-check expiry anyway: KV is eventually consistent
    // and reads may lag (Cloudflare docs, "How KV works").
    const ttlSeconds = Math.max(KV_MIN_TTL_SECONDS, Math.ceil((token.staleAtMs - now()) / 1000))
    try {
      await kv.put(cacheKey, token, ttlSeconds)
    } catch (error) {
      // A failed write (429 at >1 write/s per key, outage) never fails a request.
      log({ event: 'kv_write_failed', error: errorName(error) })
    }
  }

  const deleteKv = async (): Promise<void> => {
    if (kv === undefined) return
    try {
      await kv.delete(cacheKey)
    } catch (error) {
      log({ event: 'kv_delete_failed', error: errorName(error) })
    }
  }

  const readKv = async (): Promise<T | null> => {
    if (kv === undefined) return null
    try {
      return await kv.get<T>(cacheKey)
    } catch (error) {
      log({ event: 'kv_read_failed', error: errorName(error) })
      return null
    }
  }

  /** While a remembered failure lasts, what to throw instead of loading; else undefined. */
  const loadBlockedBy = (at: number): { error: unknown } | undefined => {
    const { suspended, rejected, backoff } = slot
    if (suspended !== undefined && suspended.untilMs > at) {
      return { error: rememberedError(suspended.error, suspended.untilMs - at) }
    }
    if (rejected !== undefined && rejected.untilMs > at) return { error: rejected.error }
    if (backoff !== undefined && backoff.untilMs > at) {
      return { error: rememberedError(backoff.error, backoff.untilMs - at) }
    }
    return undefined
  }

  /** Remembers a failed load as the negative cache or a backoff; returns what to throw. */
  const rememberFailure = (error: unknown): unknown => {
    const at = now()
    if (options.isPermanentFailure(error)) {
      slot.rejected = { error, untilMs: at + negativeTtlMs }
      return error
    }
    const holdMs = options.backoffMs?.(error) ?? 0
    if (holdMs <= 0) return error
    slot.backoff = { error, untilMs: at + holdMs }
    return rememberedError(error, holdMs)
  }

  /**
   * Loads a new token unless a remembered failure forbids it (checked at the last moment: one may
   * have been remembered while the caller read KV); a failure is remembered, a success clears them.
   */
  const loadUnlessBlocked = async (deadlineMs: number): Promise<T> => {
    const blocked = loadBlockedBy(now())
    if (blocked !== undefined) throw blocked.error
    let token: T
    try {
      token = await options.load(deadlineMs)
    } catch (error) {
      throw rememberFailure(error)
    }
    slot.entry = token
    slot.rejected = undefined
    slot.backoff = undefined
    return token
  }

  const tryLease = (deadlineMs: number): number | undefined =>
    takeLease(slot, memory.nextLeaseId, now(), deadlineMs)

  /** Loads under a lease we hold: KV first (unless told not to trust it), then the loader. */
  const loadUnderLease = async (
    leaseId: number,
    deadlineMs: number,
    waitUntil: (promise: Promise<unknown>) => void,
    rejectedToken: string | undefined,
    minimumRefreshAtMs: number,
  ): Promise<{ token: T; source: TokenSource }> => {
    try {
      if (rejectedToken === undefined) {
        const fromKv = await readKv()
        // A background refresh only takes KV's token when it is newer than the one it replaces.
        if (usable(fromKv, now()) && fromKv.refreshAtMs > minimumRefreshAtMs) {
          slot.entry = fromKv
          return { token: fromKv, source: 'kv' }
        }
      }
      let token: T
      try {
        token = await loadUnlessBlocked(deadlineMs)
      } catch (error) {
        slot.failure = { leaseId, error }
        throw error
      }
      waitUntil(writeKv(token))
      return { token, source: 'fetch' }
    } catch (error) {
      // No new token will overwrite the rejected one in KV: keep other isolates from reading it.
      if (rejectedToken !== undefined) waitUntil(deleteKv())
      throw error
    } finally {
      releaseLease(slot, leaseId)
    }
  }

  const startBackgroundRefresh = (
    current: T,
    deadlineMs: number,
    waitUntil: (promise: Promise<unknown>) => void,
  ): void => {
    // A rejected credential or a throttle holds for background refreshes too: otherwise every
    // request in the refresh window would start one more doomed call.
    if (loadBlockedBy(now()) !== undefined) return
    const leaseId = tryLease(deadlineMs)
    if (leaseId === undefined) return
    log({ event: 'entra_token_refresh_started', mode: 'background' })
    waitUntil(
      loadUnderLease(leaseId, deadlineMs, waitUntil, undefined, current.refreshAtMs).catch(
        (error) => {
          // The current token is still good; the next request in the window tries again.
          log({ event: 'entra_token_refresh_failed', mode: 'background', error: errorName(error) })
        },
      ),
    )
  }

  return {
    async get({ deadlineMs, waitUntil, rejectedToken }) {
      let at = now()
      const { suspended } = slot
      if (suspended !== undefined && suspended.untilMs > at) {
        throw rememberedError(suspended.error, suspended.untilMs - at)
      }
      const cached = slot.entry
      if (usable(cached, at, rejectedToken)) {
        if (at >= cached.refreshAtMs) startBackgroundRefresh(cached, deadlineMs, waitUntil)
        return { token: cached, source: 'memory' }
      }
      let pollMs = FIRST_POLL_MS
      let seenLease: number | undefined
      for (;;) {
        const blocked = loadBlockedBy(at)
        if (blocked !== undefined) throw blocked.error
        const leaseId = tryLease(deadlineMs)
        if (leaseId !== undefined) {
          const result = await loadUnderLease(
            leaseId,
            deadlineMs,
            waitUntil,
            rejectedToken,
            -Infinity,
          )
          if (result.source === 'kv' && at >= result.token.refreshAtMs) {
            startBackgroundRefresh(result.token, deadlineMs, waitUntil)
          }
          return result
        }
        // Someone else in this isolate is loading: wait for its settled value, never its promise.
        seenLease = slot.lease?.id ?? seenLease
        if (at + pollMs >= deadlineMs) {
          throw options.waitTimeoutError()
        }
        await sleep(pollMs)
        pollMs = nextPollMs(pollMs)
        at = now()
        if (usable(slot.entry, at, rejectedToken)) return { token: slot.entry, source: 'memory' }
        if (seenLease !== undefined && slot.failure?.leaseId === seenLease) {
          throw loadBlockedBy(at)?.error ?? slot.failure.error
        }
      }
    },

    suspend(error, { firstMs, maxMs }) {
      const at = now()
      const previous = slot.suspended
      // Another refusal within one longest window of the last suspension's end: it persists.
      const persists = previous !== undefined && at < previous.untilMs + maxMs
      const windowMs = persists ? Math.min(maxMs, previous.windowMs * 2) : firstMs
      slot.suspended = { error, untilMs: at + windowMs, windowMs }
      return windowMs
    },

    invalidate(accessToken) {
      if (slot.entry?.accessToken === accessToken) slot.entry = undefined
    },

    async refreshIfDue(deadlineMs) {
      const fromKv = await readKv()
      if (usable(fromKv, now()) && now() < fromKv.refreshAtMs) {
        slot.entry ??= fromKv
        return 'fresh'
      }
      const token = await loadUnlessBlocked(deadlineMs)
      await writeKv(token)
      return 'refreshed'
    },
  }
}
