// createApp wiring seen from the routes: TOKEN_CACHE_KEY is the KV key, bad KV entries are misses, the cron's failure modes.
import { beforeEach, describe, expect, it } from 'vitest'
import { createEncryptedKv, importCacheKey } from '../../src/cache/encrypted-kv'
import { emulator } from '../support/emulator'
import { createHarness } from '../support/harness'
import { KvDouble } from '../support/kv-double'

beforeEach(() => emulator.reset())

const entraSource = (response: Response) =>
  /entra;dur=[\d.]+;desc="(\w+)"/.exec(response.headers.get('server-timing') ?? '')?.[1]

const randomKey = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))

/** Negotiates once in a new isolate (a new app) sharing `kv`; returns where the Entra token came from. */
async function negotiateIn(kv: KvDouble, vars: Record<string, unknown> = {}) {
  const h = await createHarness({ vars: { TOKEN_CACHE: kv, ...vars } })
  const response = await h.request('/negotiate')
  expect(response.status).toBe(200)
  return entraSource(response)
}

/** The one Entra-token entry in `kv`. */
function entraKeyOf(kv: KvDouble): string {
  const keys = kv.keys().filter((key) => key.startsWith('entra-token:'))
  expect(keys).toHaveLength(1)
  return keys[0]!
}

describe('createApp wiring', () => {
  it('encrypts the KV entry with TOKEN_CACHE_KEY when it is set', async () => {
    const kv = new KvDouble({ now: () => Date.now() })
    const key = randomKey()
    expect(await negotiateIn(kv, { TOKEN_CACHE_KEY: key })).toBe('fetch')
    const cacheKey = entraKeyOf(kv)
    const withKey = createEncryptedKv({ kv, key: await importCacheKey(key) })
    const withOther = createEncryptedKv({ kv, key: await importCacheKey(randomKey()) })
    expect(await withKey.get(cacheKey)).toMatchObject({ expiresAtMs: expect.any(Number) })
    expect(await withOther.get(cacheKey)).toBeNull()
  })

  it('shares the KV token with a new isolate holding the same TOKEN_CACHE_KEY, and not another', async () => {
    const kv = new KvDouble({ now: () => Date.now() })
    const key = randomKey()
    expect(await negotiateIn(kv, { TOKEN_CACHE_KEY: key })).toBe('fetch')
    expect(await negotiateIn(kv, { TOKEN_CACHE_KEY: key })).toBe('kv')
    expect((await emulator.counters())['entra.token']).toBe(1)
    // Another key cannot read the entry: it is a miss, and the token is fetched again.
    expect(await negotiateIn(kv, { TOKEN_CACHE_KEY: randomKey() })).toBe('fetch')
    expect((await emulator.counters())['entra.token']).toBe(2)
  })

  it.each([
    ['garbage', () => 'not an entry at all'],
    ['a value of another format version', () => 'v2.AAAA.BBBB'],
    ['a truncated ciphertext', (stored: string) => stored.slice(0, stored.length - 10)],
  ])('reads %s planted at the Entra key as a miss', async (_label, plant) => {
    const kv = new KvDouble({ now: () => Date.now() })
    const key = randomKey()
    expect(await negotiateIn(kv, { TOKEN_CACHE_KEY: key })).toBe('fetch')
    const cacheKey = entraKeyOf(kv)
    kv.plant(cacheKey, plant(kv.peek(cacheKey)!))
    expect(await negotiateIn(kv, { TOKEN_CACHE_KEY: key })).toBe('fetch')
    expect((await emulator.counters())['entra.token']).toBe(2)
  })

  it.each([
    ['written with another key', () => randomKey(), 0],
    ['correctly encrypted but stale', (key: string) => key, -1000],
  ])('reads an entry %s as a miss', async (_label, keyFor, staleInMs) => {
    const kv = new KvDouble({ now: () => Date.now() })
    const key = randomKey()
    expect(await negotiateIn(kv, { TOKEN_CACHE_KEY: key })).toBe('fetch')
    const cacheKey = entraKeyOf(kv)
    const staleAtMs = Date.now() + (staleInMs === 0 ? 3300_000 : staleInMs)
    const token = {
      accessToken: 'planted',
      expiresAtMs: staleAtMs + 300_000,
      refreshAtMs: staleAtMs - 600_000,
      staleAtMs,
    }
    // Sealed elsewhere, then planted raw, as someone with write access to the namespace could.
    const writer = new KvDouble()
    await createEncryptedKv({ kv: writer, key: await importCacheKey(keyFor(key)) }).put(
      cacheKey,
      token,
      3600,
    )
    kv.plant(cacheKey, writer.peek(cacheKey)!)
    expect(await negotiateIn(kv, { TOKEN_CACHE_KEY: key })).toBe('fetch')
    expect((await emulator.counters())['entra.token']).toBe(2)
  })
})

describe('the scheduled handler', () => {
  it('skips, and says so, while the configuration is invalid', async () => {
    const h = await createHarness({ vars: { WEBPUBSUB_HUBS: '9bad' } })
    expect(await h.scheduled()).toBe('config_invalid')
    expect(h.logs.some((line) => line.includes('"scheduled_skipped"'))).toBe(true)
    expect((await emulator.counters())['entra.token']).toBe(0)
  })

  it('rethrows a failed refresh, so the cron run shows as failed', async () => {
    await emulator.fault({ route: 'entra.token', kind: 'status', status: 400, times: -1 })
    const h = await createHarness()
    await expect(h.scheduled()).rejects.toMatchObject({ code: 'entra_request_rejected' })
    expect(h.logs.some((line) => line.includes('"scheduled_refresh_failed"'))).toBe(true)
  })
})
