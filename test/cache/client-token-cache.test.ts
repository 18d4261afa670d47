// Unit tests of the client-token cache in memory: the reuse threshold, expiry, and single flight.
import { describe, expect, it } from 'vitest'
import {
  createClientTokenCache,
  createClientTokenMemory,
  type ClientToken,
  type ClientTokenStore,
} from '../../src/cache/client-token-cache'

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0)
const HOUR = 3_600_000
const token = (name: string, issuedAtMs = T0, lifeMs = HOUR): ClientToken => ({
  token: name,
  issuedAtMs,
  expiresAtMs: issuedAtMs + lifeMs,
})

function setup(options: { minRemaining?: number; store?: ClientTokenStore } = {}) {
  let clock = T0
  const memory = createClientTokenMemory()
  const logs: Record<string, unknown>[] = []
  const waited: Promise<unknown>[] = []
  const cache = createClientTokenCache({
    memory,
    store: options.store,
    minRemaining: options.minRemaining ?? 0.5,
    now: () => clock,
    // Waiting passes time on the fake clock and lets other work run.
    sleep: async (ms) => {
      clock += ms
      await new Promise((resolve) => setTimeout(resolve, 0))
    },
    log: (event) => logs.push(event),
    waitTimeoutError: () => new Error('wait timeout'),
  })
  let loads = 0
  const get = (
    key: string,
    load: () => Promise<ClientToken>,
    deadlineMs = clock + 60_000,
    notIssuedBeforeMs?: number,
  ) =>
    cache.get(key, {
      deadlineMs,
      notIssuedBeforeMs,
      waitUntil: (promise) => waited.push(promise),
      load: () => {
        loads++
        return load()
      },
    })
  return {
    get,
    memory,
    logs,
    waited,
    loads: () => loads,
    advance: (ms: number) => (clock += ms),
    now: () => clock,
  }
}

/** A load that settles when the test says so. */
function deferred<T>() {
  let resolve: (value: T) => void = () => undefined
  let reject: (error: unknown) => void = () => undefined
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

describe('cache/client-token-cache (memory)', () => {
  it('hands a token out again while at least minRemaining of its life is left, not after', async () => {
    const c = setup({ minRemaining: 0.5 })
    const first = await c.get('k', async () => token('one', c.now()))
    expect(first).toEqual({ token: token('one'), source: 'fetch' })
    c.advance(HOUR / 2) // exactly half left
    expect(await c.get('k', async () => token('two', c.now()))).toMatchObject({
      token: { token: 'one' },
      source: 'memory',
    })
    c.advance(1)
    expect(await c.get('k', async () => token('two', c.now()))).toMatchObject({
      token: { token: 'two' },
      source: 'fetch',
    })
    expect(c.loads()).toBe(2)
  })

  it('never hands out a token at or after its exp, whatever the threshold', async () => {
    const c = setup({ minRemaining: 0 })
    await c.get('k', async () => token('one', c.now()))
    c.advance(HOUR - 1)
    expect((await c.get('k', async () => token('two', c.now()))).source).toBe('memory')
    c.advance(1)
    expect(await c.get('k', async () => token('two', c.now()))).toMatchObject({
      token: { token: 'two' },
      source: 'fetch',
    })
  })

  it('does not keep a token with no life, or one already under the threshold', async () => {
    const c = setup()
    await c.get('none', async () => token('zero', c.now(), 0))
    await c.get('none', async () => token('zero', c.now(), 0))
    await c.get('old', async () => token('old', c.now() - 40 * 60_000))
    await c.get('old', async () => token('old', c.now() - 40 * 60_000))
    expect(c.loads()).toBe(4)
    expect(c.memory.tokens.size).toBe(0)
  })

  it('keeps keys apart', async () => {
    const c = setup()
    await c.get('a', async () => token('a'))
    expect((await c.get('b', async () => token('b'))).token.token).toBe('b')
    expect((await c.get('a', async () => token('x'))).token.token).toBe('a')
    expect(c.loads()).toBe(2)
  })

  it('makes one load for concurrent requests of one key; the others read its settled value', async () => {
    const c = setup()
    const load = deferred<ClientToken>()
    const holder = c.get('k', () => load.promise)
    const waiters = [c.get('k', () => load.promise), c.get('k', () => load.promise)]
    await new Promise((resolve) => setTimeout(resolve, 5))
    load.resolve(token('one', c.now()))
    const results = await Promise.all([holder, ...waiters])
    expect(results.map((r) => [r.token.token, r.source])).toEqual([
      ['one', 'fetch'],
      ['one', 'memory'],
      ['one', 'memory'],
    ])
    expect(c.loads()).toBe(1)
    expect(c.memory.flights.size).toBe(0)
  })

  it('gives the waiters the holder’s failure, and the next request loads again', async () => {
    const c = setup()
    const load = deferred<ClientToken>()
    const failure = new Error('auth api down')
    const all = [0, 1, 2].map(() => c.get('k', () => load.promise).catch((e: unknown) => e))
    await new Promise((resolve) => setTimeout(resolve, 5))
    load.reject(failure)
    const errors = await Promise.all(all)
    expect(errors.map((e) => (e as Error).message)).toEqual([
      'auth api down',
      'auth api down',
      'auth api down',
    ])
    expect(errors.every((e) => e === failure)).toBe(true)
    expect(c.loads()).toBe(1)
    expect((await c.get('k', async () => token('two', c.now()))).source).toBe('fetch')
    expect(c.loads()).toBe(2)
  })

  it('gives up waiting at the deadline', async () => {
    const c = setup()
    const load = deferred<ClientToken>()
    const holder = c.get('k', () => load.promise, c.now() + 60_000)
    const waiter = c.get('k', () => load.promise, c.now() + 100)
    await expect(waiter).rejects.toThrow('wait timeout')
    load.resolve(token('one', c.now()))
    await holder
  })

  it('takes over a lease whose holder is past its deadline', async () => {
    const c = setup()
    const stuck = deferred<ClientToken>()
    void c.get('k', () => stuck.promise, c.now() + 50)
    const taken = await c.get('k', async () => token('two', c.now()))
    expect(taken).toMatchObject({ token: { token: 'two' }, source: 'fetch' })
    expect(c.loads()).toBe(2)
  })
})

/** A second level in a Map, recording writes; `fail` makes every call reject. */
function mapStore() {
  const entries = new Map<string, ClientToken>()
  const puts: { key: string; ttlSeconds: number }[] = []
  const state = { fail: false, gate: undefined as Promise<void> | undefined }
  const store: ClientTokenStore = {
    async get(key) {
      if (state.fail) throw new Error('cache api down')
      return entries.get(key)
    },
    async put(key, value, ttlSeconds) {
      if (state.fail) throw new Error('cache api down')
      await state.gate
      puts.push({ key, ttlSeconds })
      entries.set(key, value)
    },
  }
  return { store, entries, puts, state }
}

describe('cache/client-token-cache (second level)', () => {
  it('writes a fresh token through waitUntil, until it stops being reusable', async () => {
    const second = mapStore()
    const gate = deferred<void>()
    second.state.gate = gate.promise
    const c = setup({ store: second.store })
    // The request is answered while the write is still held: it did not wait for it.
    expect((await c.get('k', async () => token('one', c.now() - 10_000))).source).toBe('fetch')
    expect([second.puts, c.waited.length]).toEqual([[], 1])
    gate.resolve()
    await Promise.all(c.waited)
    // Reusable until half of the hour is left: 30 minutes after issue, 29:50 from now.
    expect(second.puts).toEqual([{ key: 'k', ttlSeconds: 30 * 60 - 10 }])
  })

  it('writes nothing to the second level for a token reusable for less than a second', async () => {
    const second = mapStore()
    const c = setup({ store: second.store })
    await c.get('k', async () => token('brief', c.now() - HOUR / 2 + 500))
    await Promise.all(c.waited)
    expect([second.puts, c.waited.length]).toEqual([[], 0])
    expect((await c.get('k', async () => token('next', c.now()))).source).toBe('memory')
  })

  it('serves the second level when memory misses, then memory', async () => {
    const second = mapStore()
    second.entries.set('k', token('stored', T0 - 60_000))
    const c = setup({ store: second.store })
    expect(await c.get('k', async () => token('new'))).toMatchObject({
      token: { token: 'stored' },
      source: 'cache',
    })
    expect((await c.get('k', async () => token('new'))).source).toBe('memory')
    expect(c.loads()).toBe(0)
  })

  it('loads instead of handing out a stored token under the threshold or expired', async () => {
    const second = mapStore()
    second.entries.set('old', token('old', T0 - 31 * 60_000))
    second.entries.set('expired', token('expired', T0 - 2 * HOUR))
    const c = setup({ store: second.store })
    expect((await c.get('old', async () => token('a', c.now()))).source).toBe('fetch')
    expect((await c.get('expired', async () => token('b', c.now()))).source).toBe('fetch')
    expect(c.loads()).toBe(2)
  })

  it('treats second-level failures as misses and logs them, never failing a request', async () => {
    const second = mapStore()
    second.state.fail = true
    const c = setup({ store: second.store })
    expect((await c.get('k', async () => token('one', c.now()))).source).toBe('fetch')
    await Promise.all(c.waited)
    expect((await c.get('k', async () => token('two', c.now()))).source).toBe('memory')
    expect(c.logs).toEqual([
      { event: 'client_token_cache_read_failed', error: 'Error' },
      { event: 'client_token_cache_write_failed', error: 'Error' },
    ])
  })
})

describe('cache/client-token-cache (revoked users: notIssuedBeforeMs)', () => {
  it('never hands out a token issued before it, from memory or the second level', async () => {
    const second = mapStore()
    const c = setup({ store: second.store })
    await c.get('k', async () => token('before', c.now()))
    second.entries.set('k', token('stored-before', c.now()))
    c.advance(60_000)
    const revokedAtMs = c.now()
    c.advance(1_000)
    // Without the fence the old token is reused, as before.
    expect((await c.get('k', async () => token('x', c.now()))).token.token).toBe('before')
    const fenced = await c.get('k', async () => token('after', c.now()), undefined, revokedAtMs)
    expect(fenced).toMatchObject({ token: { token: 'after' }, source: 'fetch' })
    // The fresh one, issued after the fence, is reused under it.
    const again = await c.get('k', async () => token('y', c.now()), undefined, revokedAtMs)
    expect(again).toMatchObject({ token: { token: 'after' }, source: 'memory' })
    expect(c.loads()).toBe(2)
  })

  it('drops the fenced token from memory, so nobody is handed it again', async () => {
    const c = setup()
    await c.get('k', async () => token('before', c.now()))
    c.advance(1_000)
    await c.get('k', async () => token('after', c.now() - 5_000), undefined, c.now())
    // The freshly loaded token is returned whatever its iat, and not reused under the fence.
    expect(c.memory.tokens.get('k')?.token).toBe('after')
    const third = await c.get('k', async () => token('third', c.now()), undefined, c.now())
    expect(third.token.token).toBe('third')
    expect(c.loads()).toBe(3)
  })
})
