import { describe, expect, it, vi } from 'vitest'
import { createEncryptedKv, deriveCacheKey } from '../../src/cache/encrypted-kv'
import { createMemoryCache } from '../../src/cache/memory'
import { createLayeredTokenCache, type ExpiringToken } from '../../src/cache/token-cache'
import { systemSleep } from '../../src/lib/clock'
import { KvDouble } from '../support/kv-double'

class PermanentError extends Error {}

/** A failure that asks for a pause, as a 429 with Retry-After does. */
class ThrottleError extends Error {
  constructor(readonly waitMs: number) {
    super(`throttled for ${waitMs} ms`)
  }
}

/** What the cache throws for a remembered failure: the original and the time left. */
class Remembered extends Error {
  constructor(
    readonly original: unknown,
    readonly remainingMs: number,
  ) {
    super(`remembered ${String(original)} for ${remainingMs} ms`)
  }
}

const remembered = (original: unknown, remainingMs: number) =>
  expect.objectContaining({ original, remainingMs })

interface Setup {
  nowMs: number
  loads: number
  loader: (deadlineMs: number) => Promise<ExpiringToken>
}

const START = Date.UTC(2026, 5, 1)
const MINUTE = 60_000

/** A token issued at `at`: refresh after 30 min, stale after 55, expired after 60. */
const tokenAt = (at: number, name: string): ExpiringToken => ({
  accessToken: name,
  refreshAtMs: at + 30 * MINUTE,
  staleAtMs: at + 55 * MINUTE,
  expiresAtMs: at + 60 * MINUTE,
})

async function build(
  options: { kv?: KvDouble; memory?: ReturnType<typeof createMemoryCache<ExpiringToken>> } = {},
) {
  const setup: Setup = {
    nowMs: START,
    loads: 0,
    loader: async () => tokenAt(setup.nowMs, `token-${setup.loads}`),
  }
  const kvDouble = options.kv ?? new KvDouble({ now: () => setup.nowMs })
  const memory = options.memory ?? createMemoryCache<ExpiringToken>()
  const events: string[] = []
  const background: Promise<unknown>[] = []
  const cache = createLayeredTokenCache<ExpiringToken>({
    memory,
    kv: createEncryptedKv({
      kv: kvDouble,
      key: await deriveCacheKey(new TextEncoder().encode('s')),
    }),
    cacheKey: 'entra-token:v1:test',
    load: (deadlineMs) => {
      setup.loads++
      return setup.loader(deadlineMs)
    },
    isPermanentFailure: (error) => error instanceof PermanentError,
    backoffMs: (error) => (error instanceof ThrottleError ? error.waitMs : undefined),
    rememberedError: (error, remainingMs) => new Remembered(error, remainingMs),
    waitTimeoutError: () => new Error('gave up waiting'),
    now: () => setup.nowMs,
    sleep: systemSleep,
    log: (event) => events.push(event.event),
  })
  const get = (rejectedToken?: string, budgetMs = 5000) =>
    cache.get({
      deadlineMs: setup.nowMs + budgetMs,
      waitUntil: (p) => background.push(p),
      rejectedToken,
    })
  const settle = async () => {
    while (background.length > 0) await background.shift()
  }
  return { setup, cache, get, settle, kv: kvDouble, memory, events }
}

describe('cache/token-cache', () => {
  it('loads once, then serves from memory', async () => {
    const t = await build()
    expect((await t.get()).source).toBe('fetch')
    await t.settle()
    const again = await t.get()
    expect(again).toEqual({
      token: expect.objectContaining({ accessToken: 'token-1' }),
      source: 'memory',
    })
    expect(t.setup.loads).toBe(1)
  })

  it('makes one load for many concurrent cold requests, without sharing a promise', async () => {
    const t = await build()
    t.setup.loader = async () => {
      await systemSleep(30)
      return tokenAt(t.setup.nowMs, 'shared')
    }
    const results = await Promise.all(Array.from({ length: 8 }, () => t.get()))
    expect(t.setup.loads).toBe(1)
    expect(new Set(results.map((r) => r.token.accessToken))).toEqual(new Set(['shared']))
    expect(results.filter((r) => r.source === 'fetch')).toHaveLength(1)
  })

  it('serves the cached token in the refresh window and refreshes once in the background', async () => {
    const t = await build()
    await t.get()
    await t.settle()
    t.setup.nowMs += 31 * MINUTE
    let release: () => void = () => undefined
    t.setup.loader = async () => {
      await new Promise<void>((resolve) => (release = resolve))
      return tokenAt(t.setup.nowMs, 'refreshed')
    }
    const during = await Promise.all([t.get(), t.get(), t.get()])
    expect(during.map((r) => [r.token.accessToken, r.source])).toEqual([
      ['token-1', 'memory'],
      ['token-1', 'memory'],
      ['token-1', 'memory'],
    ])
    // The background task reads KV first, then loads: one load for the three requests.
    await vi.waitFor(() => expect(t.setup.loads).toBe(2))
    release()
    await t.settle()
    expect((await t.get()).token.accessToken).toBe('refreshed')
  })

  it('makes a request wait once the token is stale', async () => {
    const t = await build()
    await t.get()
    await t.settle()
    t.setup.nowMs += 56 * MINUTE
    const result = await t.get()
    expect(result.source).toBe('fetch')
    expect(result.token.accessToken).toBe('token-2')
  })

  it('remembers a permanent failure for 30 s and a transient one not at all', async () => {
    const t = await build()
    t.setup.loader = async () => {
      throw new PermanentError('bad secret')
    }
    await expect(t.get()).rejects.toThrow('bad secret')
    await expect(t.get()).rejects.toThrow('bad secret')
    expect(t.setup.loads).toBe(1)
    t.setup.nowMs += 30_001
    await expect(t.get()).rejects.toThrow('bad secret')
    expect(t.setup.loads).toBe(2)

    const u = await build()
    u.setup.loader = async () => {
      throw new Error('503')
    }
    await expect(u.get()).rejects.toThrow('503')
    await expect(u.get()).rejects.toThrow('503')
    expect(u.setup.loads).toBe(2)
  })

  it("hands the leader's failure to the requests that waited for it", async () => {
    const t = await build()
    const leaderError = new Error('entra down')
    t.setup.loader = async () => {
      await systemSleep(20)
      throw leaderError
    }
    const results = await Promise.allSettled([t.get(), t.get(), t.get()])
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected'])
    // The very error the leader got, not a look-alike: its code and upstream detail reach everyone.
    for (const result of results) expect((result as PromiseRejectedResult).reason).toBe(leaderError)
    expect(t.setup.loads).toBe(1)
  })

  it("gives up waiting for another request's load at its own deadline", async () => {
    const t = await build()
    let release: () => void = () => undefined
    t.setup.loader = async () => {
      await new Promise<void>((resolve) => (release = resolve))
      return tokenAt(t.setup.nowMs, 'slow')
    }
    const leader = t.get(undefined, 60_000)
    const waiter = t.get(undefined, 100)
    setTimeout(() => (t.setup.nowMs += 200), 20)
    await expect(waiter).rejects.toThrow('gave up waiting')
    expect(t.setup.loads).toBe(1)
    release()
    expect((await leader).token.accessToken).toBe('slow')
  })

  it('loads again when a lagging KV read still misses a token another isolate just wrote', async () => {
    const t = await build()
    t.kv.readLagMs = 10_000
    await t.get()
    await t.settle()
    const lagging = await build({ kv: t.kv })
    lagging.setup.nowMs = t.setup.nowMs
    const result = await lagging.get()
    expect(result.source).toBe('fetch')
    expect(lagging.setup.loads).toBe(1)
  })

  it('lets a new isolate start from KV without loading', async () => {
    const t = await build()
    await t.get()
    await t.settle()
    const fresh = await build({ kv: t.kv })
    fresh.setup.nowMs = t.setup.nowMs + MINUTE
    const result = await fresh.get()
    expect(result).toEqual({
      token: expect.objectContaining({ accessToken: 'token-1' }),
      source: 'kv',
    })
    expect(fresh.setup.loads).toBe(0)
  })

  it('ignores a stale KV entry, re-checking expiry after the read', async () => {
    const t = await build()
    await t.get()
    await t.settle()
    const later = await build({ kv: t.kv })
    later.setup.nowMs = START + 56 * MINUTE
    // KV keeps entries at least 60 s, so a lagging read may still return this one.
    const result = await later.get()
    expect(result.source).toBe('fetch')
    expect(later.setup.loads).toBe(1)
  })

  it('still answers when KV reads and writes fail', async () => {
    const kv = new KvDouble({ now: () => START })
    kv.failReads = true
    kv.failWrites = true
    const t = await build({ kv })
    const result = await t.get()
    await t.settle()
    expect(result.token.accessToken).toBe('token-1')
    expect(t.events).toEqual(expect.arrayContaining(['kv_read_failed', 'kv_write_failed']))
    expect((await t.get()).source).toBe('memory')
  })

  it('refuses a rejected token from memory and KV, and loads a new one', async () => {
    const t = await build()
    const first = await t.get()
    await t.settle()
    const retry = await t.get(first.token.accessToken)
    expect(retry.source).toBe('fetch')
    expect(retry.token.accessToken).toBe('token-2')
  })

  it('invalidates memory only; the reload overwrites the KV entry instead of deleting it', async () => {
    const t = await build()
    const first = await t.get()
    await t.settle()
    t.cache.invalidate(first.token.accessToken)
    t.setup.nowMs += 1_000 // KV allows one write per second per key
    const retry = await t.get(first.token.accessToken)
    await t.settle()
    expect(retry).toMatchObject({ source: 'fetch', token: { accessToken: 'token-2' } })
    // One write replaced the rejected token: no delete, so no second write within the second.
    expect(t.kv.deletes).toBe(0)
    expect(t.events).not.toContain('kv_write_failed')
    const otherIsolate = await build({ kv: t.kv })
    otherIsolate.setup.nowMs = t.setup.nowMs
    expect(await otherIsolate.get()).toMatchObject({
      source: 'kv',
      token: { accessToken: 'token-2' },
    })
  })

  it('deletes the rejected token from KV when no new one can be loaded', async () => {
    const t = await build()
    const first = await t.get()
    await t.settle()
    t.cache.invalidate(first.token.accessToken)
    t.setup.nowMs += 1_000
    t.setup.loader = async () => {
      throw new Error('Entra is down')
    }
    await expect(t.get(first.token.accessToken)).rejects.toThrow('Entra is down')
    await t.settle()
    expect(t.kv.deletes).toBe(1)
    expect(t.kv.keys()).toEqual([])
  })

  it('refreshes KV from the cron only when due', async () => {
    const t = await build()
    expect(await t.cache.refreshIfDue(t.setup.nowMs + 5000)).toBe('refreshed')
    expect(t.setup.loads).toBe(1)
    t.setup.nowMs += 10 * MINUTE
    expect(await t.cache.refreshIfDue(t.setup.nowMs + 5000)).toBe('fresh')
    expect(t.setup.loads).toBe(1)
    t.setup.nowMs += 25 * MINUTE
    expect(await t.cache.refreshIfDue(t.setup.nowMs + 5000)).toBe('refreshed')
    expect(t.setup.loads).toBe(2)
  })

  it('backs off after a throttle: no loads until it ends, and the time left on every answer', async () => {
    const t = await build()
    const throttle = new ThrottleError(60_000)
    t.setup.loader = async () => {
      throw throttle
    }
    await expect(t.get()).rejects.toEqual(remembered(throttle, 60_000))
    t.setup.nowMs += 20_000
    await expect(t.get()).rejects.toEqual(remembered(throttle, 40_000))
    await expect(t.get()).rejects.toEqual(remembered(throttle, 40_000))
    expect(t.setup.loads).toBe(1)
    expect(t.kv.reads).toBe(1) // the leader's read before loading; none while backing off
    t.setup.nowMs += 40_000
    t.setup.loader = async () => tokenAt(t.setup.nowMs, 'after')
    expect((await t.get()).token.accessToken).toBe('after')
    expect(t.setup.loads).toBe(2)
  })

  it('tells the requests that waited for a throttled load the time left', async () => {
    const t = await build()
    const throttle = new ThrottleError(30_000)
    t.setup.loader = async () => {
      await systemSleep(20)
      throw throttle
    }
    const results = await Promise.allSettled([t.get(), t.get(), t.get()])
    expect(results).toEqual(
      Array.from({ length: 3 }, () => ({
        status: 'rejected',
        reason: remembered(throttle, 30_000),
      })),
    )
    expect(t.setup.loads).toBe(1)
  })

  it('does not remember a throttle of 0 ms (Retry-After: 0)', async () => {
    const t = await build()
    t.setup.loader = async () => {
      throw new ThrottleError(0)
    }
    await expect(t.get()).rejects.toBeInstanceOf(ThrottleError)
    await expect(t.get()).rejects.toBeInstanceOf(ThrottleError)
    expect(t.setup.loads).toBe(2)
  })

  it.each([
    ['a throttle', () => new ThrottleError(60_000)],
    ['a permanent failure', () => new PermanentError('revoked')],
  ])(
    'serves the cached token after %s in the refresh window, refreshing once per window',
    async (_label, failure) => {
      const t = await build()
      await t.get()
      await t.settle()
      t.setup.nowMs += 31 * MINUTE
      t.setup.loader = async () => {
        throw failure()
      }
      for (let i = 0; i < 10; i++) {
        expect(await t.get()).toEqual({
          token: expect.objectContaining({ accessToken: 'token-1' }),
          source: 'memory',
        })
        await t.settle()
      }
      expect(t.setup.loads).toBe(2)
      expect(t.events.filter((e) => e === 'entra_token_refresh_started')).toHaveLength(1)
      t.setup.nowMs += 61_000 // both the throttle and the 30 s negative cache are over
      await t.get()
      await t.settle()
      expect(t.setup.loads).toBe(3)
    },
  )

  it('keeps the cron from loading during a throttle, and remembers one the cron ran into', async () => {
    const t = await build()
    const throttle = new ThrottleError(60_000)
    t.setup.loader = async () => {
      throw throttle
    }
    await expect(t.cache.refreshIfDue(t.setup.nowMs + 5000)).rejects.toEqual(
      remembered(throttle, 60_000),
    )
    t.setup.nowMs += 10_000
    await expect(t.get()).rejects.toEqual(remembered(throttle, 50_000))
    await expect(t.cache.refreshIfDue(t.setup.nowMs + 5000)).rejects.toEqual(
      remembered(throttle, 50_000),
    )
    expect(t.setup.loads).toBe(1)
  })

  it('keeps the cron from loading while a permanent failure is remembered', async () => {
    const t = await build()
    const revoked = new PermanentError('revoked')
    t.setup.loader = async () => {
      throw revoked
    }
    await expect(t.get()).rejects.toBe(revoked)
    await expect(t.cache.refreshIfDue(t.setup.nowMs + 5000)).rejects.toBe(revoked)
    expect(t.setup.loads).toBe(1)
    t.setup.nowMs += 30_001
    await expect(t.cache.refreshIfDue(t.setup.nowMs + 5000)).rejects.toBe(revoked)
    expect(t.setup.loads).toBe(2)
  })

  it('clears a remembered throttle once a load succeeds', async () => {
    const t = await build()
    t.setup.loader = async () => {
      throw new ThrottleError(1_000)
    }
    await expect(t.get()).rejects.toBeInstanceOf(Remembered)
    t.setup.nowMs += 1_000
    t.setup.loader = async () => tokenAt(t.setup.nowMs, 'ok')
    expect((await t.get()).source).toBe('fetch')
    await t.settle()
    t.setup.nowMs += 56 * MINUTE
    expect((await t.get()).source).toBe('fetch')
    expect(t.setup.loads).toBe(3)
  })

  it('answers nothing but the suspension while suspended: no memory, KV or loader', async () => {
    const t = await build()
    await t.get()
    await t.settle()
    t.setup.nowMs += 31 * MINUTE // due for a refresh, so the cron would load
    const refused = new Error('401 for a fresh token')
    expect(t.cache.suspend(refused, { firstMs: 30_000, maxMs: 30_000 })).toBe(30_000)
    const io = () => ({ loads: t.setup.loads, reads: t.kv.reads, writes: t.kv.writes })
    const before = io()
    await expect(t.get()).rejects.toEqual(remembered(refused, 30_000))
    t.setup.nowMs += 29_000
    await expect(t.get()).rejects.toEqual(remembered(refused, 1_000))
    await expect(t.cache.refreshIfDue(t.setup.nowMs + 5000)).rejects.toEqual(
      remembered(refused, 1_000),
    )
    expect(io()).toEqual({ ...before, reads: before.reads + 1 }) // the cron's own KV read
    t.setup.nowMs += 1_000
    expect((await t.get()).source).toBe('memory')
  })

  it('doubles the suspension while refusals persist and starts small again after a quiet spell', async () => {
    const t = await build()
    await t.get()
    const refused = new Error('401 for a fresh token')
    const windows = { firstMs: 5_000, maxMs: 30_000 }
    const chosen: number[] = []
    for (let i = 0; i < 5; i++) {
      const windowMs = t.cache.suspend(refused, windows)
      chosen.push(windowMs)
      await expect(t.get()).rejects.toEqual(remembered(refused, windowMs))
      t.setup.nowMs += windowMs + 1_000 // the refusal comes back right after each window
    }
    expect(chosen).toEqual([5_000, 10_000, 20_000, 30_000, 30_000])
    t.setup.nowMs += 31_000 // longer than the longest window without a refusal
    expect(t.cache.suspend(refused, windows)).toBe(5_000)
  })
})
