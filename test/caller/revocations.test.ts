// Unit tests of the revocation list: isolate copies, their refresh timing, expiry, hubs, and KV.
import { describe, expect, it } from 'vitest'
import { importCacheKey } from '../../src/cache/encrypted-kv'
import {
  MAX_CLIENT_TOKEN_LIFETIME_MS,
  REUSE_FENCE_MARGIN_MS,
  mergeRecords,
  readDocument,
  type RevocationRecord,
} from '../../src/caller/revocation-document'
import {
  createRevocations,
  LONGEST_DELAY_SECONDS,
  MAX_COPY_AGE_MS,
  READ_CACHE_TTL_SECONDS,
  REFRESH_AFTER_MS,
  REVOCATIONS_KEY,
  type Revocations,
} from '../../src/caller/revocations'
import { NegotiatorError } from '../../src/errors'
import { KvDouble } from '../support/kv-double'

const T0 = Date.UTC(2026, 2, 1, 9, 0, 0)
const HOUR = 3_600_000
const KEY = 'q6Q3ZbB0Qm8N0r5J6s4k2VYwqK0b7Q5u3x6yWcP1nHo='

/** One KV and a clock shared by any number of isolates, each with its own copy. */
async function world() {
  const clock = { ms: T0 }
  const now = () => clock.ms
  const kv = new KvDouble({ now })
  const key = await importCacheKey(KEY)
  const logs: { level: string; event: string; fields: Record<string, unknown> }[] = []
  const isolate = async (): Promise<Revocations> => {
    const revocations = createRevocations({
      kv,
      key,
      now,
      log: (level, event, fields) => logs.push({ level, event, fields }),
    })
    await revocations.load()
    return revocations
  }
  return { kv, logs, isolate, now, advance: (ms: number) => (clock.ms += ms) }
}

/** waitUntil that keeps what it was given, to be awaited by the test. */
function background() {
  const promises: Promise<unknown>[] = []
  return {
    waitUntil: (promise: Promise<unknown>) => void promises.push(promise),
    promises,
    settle: () => Promise.all(promises.splice(0)),
  }
}

describe('caller/revocations', () => {
  it('refuses a revoked user on every hub, or on the one hub named, case-insensitively', async () => {
    const w = await world()
    const a = await w.isolate()
    expect(a.check('alice', 'chat')).toBeUndefined()
    await a.revoke({ userId: 'alice', hub: null, forSeconds: 3600 })
    w.advance(1_000) // KV takes one write per second per key
    await a.revoke({ userId: 'bob', hub: 'Chat', forSeconds: 3600 })
    expect(a.check('alice', 'chat')?.revoked).toBe(true)
    expect(a.check('alice', 'lobby')?.revoked).toBe(true)
    expect(a.check('bob', 'chat')?.revoked).toBe(true)
    expect(a.check('bob', 'CHAT')?.revoked).toBe(true)
    expect(a.check('bob', 'lobby')).toBeUndefined()
    expect(a.check('carol', 'chat')).toBeUndefined()
    // User ids are compared exactly: they are what the identity provider says.
    expect(a.check('Alice', 'chat')).toBeUndefined()
  })

  it('ends a revocation at its time, and keeps refusing old tokens for a day after', async () => {
    const w = await world()
    const a = await w.isolate()
    const { record } = await a.revoke({ userId: 'alice', hub: null, forSeconds: 600 })
    expect(record).toEqual({
      userId: 'alice',
      hub: null,
      revokedAtMs: T0,
      untilMs: T0 + 600_000,
    })
    const fence = T0 + REUSE_FENCE_MARGIN_MS
    w.advance(600_000 - 1)
    expect(a.check('alice', 'chat')).toEqual({ revoked: true, notIssuedBeforeMs: fence })
    w.advance(1)
    expect(a.check('alice', 'chat')).toEqual({ revoked: false, notIssuedBeforeMs: fence })
    w.advance(MAX_CLIENT_TOKEN_LIFETIME_MS - 1)
    expect(a.check('alice', 'chat')).toEqual({ revoked: false, notIssuedBeforeMs: fence })
    w.advance(1)
    expect(a.check('alice', 'chat')).toBeUndefined()
  })

  it('lifts at once in the isolate that lifts, and keeps the record a day for the token fence', async () => {
    const w = await world()
    const a = await w.isolate()
    await a.revoke({ userId: 'alice', hub: null, forSeconds: 30 * 24 * 3600 })
    w.advance(1_000)
    await a.revoke({ userId: 'alice', hub: 'chat', forSeconds: 3600 })
    w.advance(10 * 60_000)
    const liftChat = await a.lift({ userId: 'alice', hub: 'chat' })
    expect(liftChat.lifted.map((r) => r.hub)).toEqual(['chat'])
    // The revocation for every hub still stands, and says so.
    expect(liftChat.remaining.map((r) => r.hub)).toEqual([null])
    expect(a.check('alice', 'chat')?.revoked).toBe(true)
    w.advance(1_000)
    const liftAll = await a.lift({ userId: 'alice' })
    expect(liftAll).toMatchObject({ lifted: [{ hub: null, liftedAtMs: w.now() }], remaining: [] })
    // The later of the two revocations (the hub's, a second after) fences the tokens.
    expect(a.check('alice', 'chat')).toEqual({
      revoked: false,
      notIssuedBeforeMs: T0 + 1_000 + REUSE_FENCE_MARGIN_MS,
    })
    expect(a.check('alice', 'lobby')?.notIssuedBeforeMs).toBe(T0 + REUSE_FENCE_MARGIN_MS)
    w.advance(MAX_CLIENT_TOKEN_LIFETIME_MS)
    expect(a.check('alice', 'chat')).toBeUndefined()
    // Lifting what is not revoked lifts nothing.
    w.advance(1_000)
    expect(await a.lift({ userId: 'nobody' })).toEqual({ lifted: [], remaining: [] })
  })

  it('reaches another isolate in the background once its copy is 20 s old, without a read before', async () => {
    const w = await world()
    const a = await w.isolate()
    const b = await w.isolate()
    const bg = background()
    w.advance(1_000)
    await a.revoke({ userId: 'alice', hub: null, forSeconds: 3600 })
    const reads = w.kv.reads
    w.advance(REFRESH_AFTER_MS - 1_001)
    expect(b.freshen(bg.waitUntil)).toBeUndefined()
    expect(bg.promises).toHaveLength(0)
    expect(b.check('alice', 'chat')).toBeUndefined()
    expect(w.kv.reads).toBe(reads)
    w.advance(1)
    expect(b.freshen(bg.waitUntil)).toBeUndefined()
    expect(bg.promises).toHaveLength(1)
    // One read in flight at a time.
    expect(b.freshen(bg.waitUntil)).toBeUndefined()
    expect(bg.promises).toHaveLength(1)
    await bg.settle()
    expect(b.check('alice', 'chat')?.revoked).toBe(true)
    expect(w.kv.reads).toBe(reads + 1)
    // Every read asks the data centre for a value at most 30 s old.
    expect(new Set(w.kv.cacheTtls)).toEqual(new Set([READ_CACHE_TTL_SECONDS]))
    expect(LONGEST_DELAY_SECONDS).toBe(60)
  })

  it('makes a negotiation wait for a read when the copy is older than 30 s (an idle isolate)', async () => {
    const w = await world()
    const a = await w.isolate()
    const b = await w.isolate()
    const bg = background()
    w.advance(5 * 60_000)
    await a.revoke({ userId: 'alice', hub: null, forSeconds: 3600 })
    w.advance(1)
    const waiting = b.freshen(bg.waitUntil)
    expect(waiting).toBeInstanceOf(Promise)
    await waiting
    expect(bg.promises).toHaveLength(0)
    expect(b.check('alice', 'chat')?.revoked).toBe(true)
    // Fresh again: nothing to wait for.
    w.advance(MAX_COPY_AGE_MS - REFRESH_AFTER_MS)
    expect(b.freshen(bg.waitUntil)).toBeUndefined()
  })

  it('makes every negotiation that finds the copy too old wait for a read of its own', async () => {
    const w = await world()
    const a = await w.isolate()
    const b = await w.isolate()
    w.advance(MAX_COPY_AGE_MS + 1)
    await a.revoke({ userId: 'alice', hub: null, forSeconds: 3600 })
    // Two requests at once: the second cannot await the first one's read (Workers forbids
    // sharing I/O across requests), and must not answer from the old copy either.
    const first = b.freshen(() => undefined)
    const second = b.freshen(() => undefined)
    expect(first).toBeInstanceOf(Promise)
    expect(second).toBeInstanceOf(Promise)
    await Promise.all([first, second])
    expect(b.check('alice', 'chat')?.revoked).toBe(true)
  })

  it('keeps serving its copy when KV fails, logs it, and tries again 5 s later', async () => {
    const w = await world()
    const a = await w.isolate()
    await a.revoke({ userId: 'alice', hub: null, forSeconds: 3600 })
    const bg = background()
    w.advance(MAX_COPY_AGE_MS + 1)
    w.kv.failReads = true
    await a.freshen(bg.waitUntil)
    expect(a.check('alice', 'chat')?.revoked).toBe(true)
    expect(w.logs).toContainEqual({
      level: 'warn',
      event: 'revocations_refresh_failed',
      fields: { cause: 'Error' },
    })
    const reads = w.kv.reads
    w.advance(4_999)
    expect(a.freshen(bg.waitUntil)).toBeUndefined()
    expect(w.kv.reads).toBe(reads)
    w.advance(1)
    w.kv.failReads = false
    await a.freshen(bg.waitUntil)
    expect(w.kv.reads).toBe(reads + 1)
  })

  it('never lets a stale read undo a change the isolate made itself (merge, not replace)', async () => {
    const w = await world()
    const a = await w.isolate()
    w.kv.readLagMs = 40_000 // other readers see the old value for a while
    await a.revoke({ userId: 'alice', hub: null, forSeconds: 3600 })
    w.advance(MAX_COPY_AGE_MS + 1)
    await a.freshen(background().waitUntil)
    expect(a.check('alice', 'chat')?.revoked).toBe(true)
  })

  it('keeps both of two revocations written one after another by two isolates', async () => {
    const w = await world()
    const a = await w.isolate()
    const b = await w.isolate()
    await a.revoke({ userId: 'alice', hub: null, forSeconds: 3600 })
    w.advance(1_000)
    await b.revoke({ userId: 'bob', hub: null, forSeconds: 3600 })
    const c = await w.isolate()
    expect(c.check('alice', 'chat')?.revoked).toBe(true)
    expect(c.check('bob', 'chat')?.revoked).toBe(true)
    expect((await c.list()).map((r) => r.userId).sort()).toEqual(['alice', 'bob'])
  })

  it('stores the list sealed: no user id in the clear, and a TTL until its last record can go', async () => {
    const w = await world()
    const a = await w.isolate()
    await a.revoke({ userId: 'alice@example.com', hub: null, forSeconds: 600 })
    const stored = w.kv.peek(REVOCATIONS_KEY) ?? ''
    expect(stored).toMatch(/^v1\./)
    expect(stored).not.toContain('alice')
    expect(w.kv.keys()).toEqual([REVOCATIONS_KEY])
    w.advance(600_000 + MAX_CLIENT_TOKEN_LIFETIME_MS - 1)
    expect(w.kv.keys()).toEqual([REVOCATIONS_KEY])
    w.advance(1_000)
    expect(w.kv.keys()).toEqual([])
  })

  it('answers revocation_unavailable when KV refuses the write, and changes nothing', async () => {
    const w = await world()
    const a = await w.isolate()
    await a.revoke({ userId: 'alice', hub: null, forSeconds: 3600 })
    // A second write within a second: KV's limit of one write per second per key.
    const refused = await a.revoke({ userId: 'bob', hub: null, forSeconds: 3600 }).catch((e) => e)
    expect(refused).toBeInstanceOf(NegotiatorError)
    expect(refused).toMatchObject({ code: 'revocation_unavailable', retryAfterSeconds: 1 })
    expect(a.check('bob', 'chat')).toBeUndefined()
    w.kv.failReads = true
    w.advance(1_000)
    await expect(a.list()).rejects.toMatchObject({ code: 'revocation_unavailable' })
  })

  it('says when the stored list cannot be opened (a changed key), and replaces it on write', async () => {
    const w = await world()
    w.kv.plant(REVOCATIONS_KEY, 'v1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')
    const a = await w.isolate()
    expect(w.logs.map((l) => [l.level, l.event])).toEqual([['error', 'revocations_unreadable']])
    const { replacedUnreadable } = await a.revoke({ userId: 'alice', hub: null, forSeconds: 60 })
    expect(replacedUnreadable).toBe(true)
    expect((await (await w.isolate()).list()).map((r) => r.userId)).toEqual(['alice'])
  })
})

describe('caller/revocation-document', () => {
  const record = (extra: Partial<RevocationRecord> = {}): RevocationRecord => ({
    userId: 'alice',
    hub: null,
    revokedAtMs: T0,
    untilMs: T0 + HOUR,
    ...extra,
  })

  it('keeps per user and hub the record changed last, and drops those whose time is over', () => {
    const revoked = record()
    const lifted = record({ liftedAtMs: T0 + 60_000 })
    const again = record({ revokedAtMs: T0 + 120_000, untilMs: T0 + 2 * HOUR })
    expect(mergeRecords(T0 + 1, [revoked], [lifted])).toEqual([lifted])
    expect(mergeRecords(T0 + 1, [lifted], [revoked])).toEqual([lifted])
    expect(mergeRecords(T0 + 1, [lifted], [again])).toEqual([again])
    const chat = record({ hub: 'chat' })
    expect(mergeRecords(T0 + 1, [revoked], [record({ hub: 'CHAT' })], [chat])).toHaveLength(2)
    expect(mergeRecords(T0 + HOUR + MAX_CLIENT_TOKEN_LIFETIME_MS, [revoked])).toEqual([])
  })

  it('reads only well-formed records from a stored value', () => {
    expect(readDocument(null)).toEqual([])
    expect(readDocument({ version: 2, records: [record()] })).toEqual([])
    const good = record({ hub: 'chat', liftedAtMs: T0 + 5 })
    expect(
      readDocument({
        version: 1,
        records: [good, { ...good, userId: '' }, { ...good, hub: 5 }, { ...good, untilMs: -1 }, 7],
      }),
    ).toEqual([good])
  })
})
