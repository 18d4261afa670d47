// Unit tests of the Cache API level: sealed entries, max-age, and untrusted read-backs as misses.
import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import type { ClientToken } from '../../src/cache/client-token-cache'
import {
  clientTokenCacheUrl,
  createCacheApiStore,
  type CacheStorageLike,
} from '../../src/cache/client-token-store'
import { importCacheKey, sealText } from '../../src/cache/crypto'
import { isolatedCaches } from '../support/harness'

const KEY_A = btoa(String.fromCharCode(...Array.from({ length: 32 }, (_, i) => i)))
const KEY_B = btoa(String.fromCharCode(...Array.from({ length: 32 }, (_, i) => 255 - i)))
const HASH = 'a'.repeat(43)
const OTHER_HASH = 'b'.repeat(43)
const IAT = 1_800_000_000

async function clientToken(claims: Record<string, unknown> = {}): Promise<ClientToken> {
  const token = await new SignJWT({ aud: 'https://x/client/hubs/chat', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(IAT)
    .setExpirationTime(IAT + 3600)
    .sign(new TextEncoder().encode('k'.repeat(32)))
  return { token, issuedAtMs: IAT * 1000, expiresAtMs: (IAT + 3600) * 1000 }
}

/** The real Cache API under fresh names, recording what is opened and put. */
function recordingCaches() {
  const inner = isolatedCaches()
  const opened: string[] = []
  const puts: { url: string; headers: Headers; body: string }[] = []
  const caches: CacheStorageLike = {
    async open(name) {
      opened.push(name)
      const cache = await inner.open(name)
      return {
        match: (url) => cache.match(url),
        async put(url, response) {
          puts.push({ url, headers: response.headers, body: await response.clone().text() })
          await cache.put(url, response)
        },
      }
    },
  }
  /** Writes a raw body under a URL, as another writer (or an attacker with the cache) might. */
  const plant = async (url: string, body: string) =>
    (await inner.open('client-tokens')).put(
      url,
      new Response(body, { headers: { 'cache-control': 'max-age=600' } }),
    )
  const raw = async (url: string) => (await (await inner.open('client-tokens')).match(url))?.text()
  return { caches, opened, puts, plant, raw }
}

async function setup() {
  const recording = recordingCaches()
  const key = await importCacheKey(KEY_A)
  return { ...recording, key, store: createCacheApiStore({ caches: recording.caches, key }) }
}

describe('cache/client-token-store', () => {
  it('reads back what it wrote, sealed, under client-tokens and a URL naming only the hash', async () => {
    const s = await setup()
    const token = await clientToken()
    await s.store.put(HASH, token, 1799.6)
    expect(await s.store.get(HASH)).toEqual(token)
    expect(s.opened).toEqual(['client-tokens', 'client-tokens'])
    const [put] = s.puts
    expect(put?.url).toBe(`https://client-token.invalid/${HASH}`)
    expect(put?.headers.get('cache-control')).toBe('max-age=1799')
    expect(put?.body).toMatch(/^v1\.[\w-]+\.[\w-]+$/)
    expect(put?.body).not.toContain(token.token.split('.')[1])
  })

  it('misses when nothing is stored', async () => {
    const s = await setup()
    expect(await s.store.get(HASH)).toBeUndefined()
  })

  it('reads an entry sealed under another AES key as a miss', async () => {
    const s = await setup()
    const other = createCacheApiStore({ caches: s.caches, key: await importCacheKey(KEY_B) })
    await other.put(HASH, await clientToken(), 600)
    expect(await s.store.get(HASH)).toBeUndefined()
  })

  it('reads an entry copied under another key’s URL as a miss', async () => {
    const s = await setup()
    await s.store.put(HASH, await clientToken(), 600)
    await s.plant(clientTokenCacheUrl(OTHER_HASH), (await s.raw(clientTokenCacheUrl(HASH)))!)
    expect(await s.store.get(OTHER_HASH)).toBeUndefined()
    expect(await s.store.get(HASH)).toBeDefined()
  })

  it('reads an entry sealed for another URL as a miss, even when it names this key', async () => {
    const s = await setup()
    const entry = { key: HASH, ...(await clientToken()) }
    const sealedElsewhere = await sealText(
      s.key,
      clientTokenCacheUrl(OTHER_HASH),
      JSON.stringify(entry),
    )
    await s.plant(clientTokenCacheUrl(HASH), sealedElsewhere)
    expect(await s.store.get(HASH)).toBeUndefined()
  })

  it('reads a tampered entry as a miss', async () => {
    const s = await setup()
    await s.store.put(HASH, await clientToken(), 600)
    const body = (await s.raw(clientTokenCacheUrl(HASH)))!
    const flipped = body.slice(0, -5) + (body.at(-5) === 'A' ? 'B' : 'A') + body.slice(-4)
    await s.plant(clientTokenCacheUrl(HASH), flipped)
    expect(await s.store.get(HASH)).toBeUndefined()
  })

  it.each([
    ['plaintext JSON', async (entry: object) => JSON.stringify(entry)],
    ['not JSON inside', (_entry: object, seal: (text: string) => Promise<string>) => seal('{')],
  ])('reads %s as a miss', async (_label, body) => {
    const s = await setup()
    const url = clientTokenCacheUrl(HASH)
    const entry = { key: HASH, ...(await clientToken()) }
    await s.plant(url, await body(entry, (text) => sealText(s.key, url, text)))
    expect(await s.store.get(HASH)).toBeUndefined()
  })

  it.each([
    ['names another key inside', { key: OTHER_HASH }],
    ['says another exp than the token', { expiresAtMs: (IAT + 7200) * 1000 }],
    ['says another iat than the token', { issuedAtMs: (IAT - 600) * 1000 }],
    ['holds something that is not a JWT', { token: 'not-a-jwt' }],
    ['has no times', { issuedAtMs: undefined, expiresAtMs: undefined }],
  ])('reads a well-sealed entry that %s as a miss', async (_label, change) => {
    const s = await setup()
    const url = clientTokenCacheUrl(HASH)
    const entry = { key: HASH, ...(await clientToken()), ...change }
    await s.plant(url, await sealText(s.key, url, JSON.stringify(entry)))
    expect(await s.store.get(HASH)).toBeUndefined()
    // The same entry without the change is accepted: the check above is what refused it.
    const honest = { key: HASH, ...(await clientToken()) }
    await s.plant(url, await sealText(s.key, url, JSON.stringify(honest)))
    expect(await s.store.get(HASH)).toBeDefined()
  })

  it('throws what the Cache API throws (the cache above treats it as a miss)', async () => {
    const failing: CacheStorageLike = {
      open: () => Promise.reject(new Error('cache unavailable')),
    }
    const store = createCacheApiStore({ caches: failing, key: await importCacheKey(KEY_A) })
    await expect(store.get(HASH)).rejects.toThrow('cache unavailable')
    await expect(store.put(HASH, await clientToken(), 60)).rejects.toThrow('cache unavailable')
  })
})
