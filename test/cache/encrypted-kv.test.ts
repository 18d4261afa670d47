// Tests for AES-GCM encrypted KV values: round trip, IV, key binding, tampering, TTL, key import.
import { describe, expect, it } from 'vitest'
import {
  createEncryptedKv,
  deriveCacheKey,
  importCacheKey,
  type KvLike,
} from '../../src/cache/encrypted-kv'
import { KvDouble } from '../support/kv-double'

// 32 bytes 0x00..0x1f, in standard and url-safe base64 (the url form differs: it has '-' and '_').
const KEY_BYTES = Uint8Array.from({ length: 32 }, (_, i) => i * 8)
const KEY_STANDARD = btoa(String.fromCharCode(...KEY_BYTES))
const KEY_URL = KEY_STANDARD.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
const OTHER_KEY = btoa(String.fromCharCode(...KEY_BYTES.map((b) => b ^ 0xff)))

const MARKER = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.SECRET-MARKER-7f3a'
const TOKEN = { accessToken: MARKER, expiresAtMs: 1_767_225_600_000 }

async function setup(base64 = KEY_STANDARD) {
  const kv = new KvDouble()
  const cache = createEncryptedKv({ kv, key: await importCacheKey(base64) })
  return { kv, cache }
}

/** Records what put received, to check the options passed to KV. */
function recordingKv(): KvLike & { puts: { key: string; options: unknown }[] } {
  const inner = new KvDouble()
  const puts: { key: string; options: unknown }[] = []
  return {
    puts,
    get: (key, type) => inner.get(key, type),
    put: async (key, value, options) => {
      puts.push({ key, options })
      await inner.put(key, value, options)
    },
    delete: (key) => inner.delete(key),
  }
}

describe('createEncryptedKv', () => {
  it('reads back what it wrote', async () => {
    const { cache } = await setup()
    await cache.put('entra:tenant:client', TOKEN, 3_600)
    expect(await cache.get('entra:tenant:client')).toEqual(TOKEN)
  })

  it('round-trips non-ASCII strings, arrays and null', async () => {
    const { kv, cache } = await setup()
    await cache.put('a', { user: 'Zoë ✓ 名前', roles: ['x', 'y'] }, 60)
    await cache.put('b', null, 60)
    expect(await cache.get('a')).toEqual({ user: 'Zoë ✓ 名前', roles: ['x', 'y'] })
    expect(await cache.get('b')).toBeNull()
    expect(kv.peek('b')).toMatch(/^v1\./)
  })

  it('returns null for an absent key', async () => {
    const { cache } = await setup()
    expect(await cache.get('missing')).toBeNull()
  })

  it('stores v1.<iv>.<ciphertext> with a 12-byte IV and no plaintext', async () => {
    const { kv, cache } = await setup()
    await cache.put('k', TOKEN, 3_600)
    const stored = kv.peek('k') ?? ''
    expect(stored).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/)
    expect(stored).not.toContain('SECRET-MARKER')
    expect(stored).not.toContain(btoa('SECRET-MARKER'))
    expect(stored).not.toContain('accessToken')
  })

  it('uses a fresh random IV for every write', async () => {
    const { kv, cache } = await setup()
    await cache.put('k', TOKEN, 3_600)
    const first = kv.peek('k') ?? ''
    kv.advance(1_000)
    await cache.put('k', TOKEN, 3_600)
    const second = kv.peek('k') ?? ''
    expect(second).not.toBe(first)
    expect(second.split('.')[1]).not.toBe(first.split('.')[1])
    expect(await cache.get('k')).toEqual(TOKEN)
  })

  it('returns null for a value copied to another key (the key is additional data)', async () => {
    const { kv, cache } = await setup()
    await cache.put('tenant-a', TOKEN, 3_600)
    kv.plant('tenant-b', kv.peek('tenant-a') ?? '')
    expect(await cache.get('tenant-b')).toBeNull()
    expect(await cache.get('tenant-a')).toEqual(TOKEN)
  })

  it('returns null when any part of the value was tampered with', async () => {
    const { kv, cache } = await setup()
    await cache.put('k', TOKEN, 3_600)
    const [version, iv, ciphertext] = (kv.peek('k') ?? '').split('.') as [string, string, string]
    const flip = (text: string, at: number): string =>
      text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1)

    for (const tampered of [
      `${version}.${flip(iv, 3)}.${ciphertext}`,
      `${version}.${iv}.${flip(ciphertext, 5)}`,
      `${version}.${iv}.${flip(ciphertext, ciphertext.length - 2)}`,
      `${version}.${iv}.${ciphertext.slice(0, -4)}`,
      `v2.${iv}.${ciphertext}`,
    ]) {
      kv.plant('k', tampered)
      expect(await cache.get('k')).toBeNull()
    }
  })

  it.each([
    ['plain JSON', '{"accessToken":"x"}'],
    ['empty', ''],
    ['too few parts', 'v1.abc'],
    ['too many parts', 'v1.a.b.c'],
    ['bad base64', 'v1.!!!!.????'],
    ['short IV', 'v1.AAAA.AAAAAAAAAAAAAAAAAAAAAAAAAA'],
  ])('returns null for a foreign value (%s)', async (_label, value) => {
    const { kv, cache } = await setup()
    kv.plant('k', value)
    expect(await cache.get('k')).toBeNull()
  })

  it('returns null for a value written with another key', async () => {
    const kv = new KvDouble()
    const writer = createEncryptedKv({ kv, key: await importCacheKey(KEY_STANDARD) })
    const reader = createEncryptedKv({ kv, key: await importCacheKey(OTHER_KEY) })
    await writer.put('k', TOKEN, 3_600)
    expect(await reader.get('k')).toBeNull()
  })

  it('clamps the TTL up to 60 s and rounds fractions up', async () => {
    const kv = recordingKv()
    const cache = createEncryptedKv({ kv, key: await importCacheKey(KEY_STANDARD) })
    await cache.put('a', 1, 5)
    await cache.put('b', 1, 0)
    await cache.put('c', 1, 3_599.2)
    await cache.put('d', 1, 60)
    expect(kv.puts.map((p) => p.options)).toEqual([
      { expirationTtl: 60 },
      { expirationTtl: 60 },
      { expirationTtl: 3_600 },
      { expirationTtl: 60 },
    ])
  })

  it('lets the clamped entry expire with KV', async () => {
    const { kv, cache } = await setup()
    await cache.put('k', TOKEN, 10)
    kv.advance(59_000)
    expect(await cache.get('k')).toEqual(TOKEN)
    kv.advance(1_000)
    expect(await cache.get('k')).toBeNull()
  })

  it('rejects a non-finite TTL and a value JSON cannot hold', async () => {
    const { kv, cache } = await setup()
    await expect(cache.put('k', TOKEN, Number.NaN)).rejects.toThrow(RangeError)
    await expect(cache.put('k', undefined, 60)).rejects.toThrow(TypeError)
    expect(kv.writes).toBe(0)
  })

  it('deletes', async () => {
    const { kv, cache } = await setup()
    await cache.put('k', TOKEN, 3_600)
    kv.advance(1_000)
    await cache.delete('k')
    expect(await cache.get('k')).toBeNull()
    expect(kv.deletes).toBe(1)
  })

  it('propagates KV read and write failures as thrown errors', async () => {
    const { kv, cache } = await setup()
    kv.failReads = true
    await expect(cache.get('k')).rejects.toThrow('KV GET failed: 500')
    kv.failWrites = true
    await expect(cache.put('k', TOKEN, 60)).rejects.toThrow('KV PUT failed: 500')
    await expect(cache.delete('k')).rejects.toThrow('KV DELETE failed: 500')
  })

  it('propagates KV 429 on a second write within a second', async () => {
    const { cache } = await setup()
    await cache.put('k', TOKEN, 3_600)
    await expect(cache.put('k', TOKEN, 3_600)).rejects.toThrow('429')
  })
})

describe('importCacheKey', () => {
  it('accepts standard and url-safe base64 of the same 32 bytes as one key', async () => {
    const kv = new KvDouble()
    const standard = createEncryptedKv({ kv, key: await importCacheKey(KEY_STANDARD) })
    const urlSafe = createEncryptedKv({ kv, key: await importCacheKey(`  ${KEY_URL}\n`) })
    expect(KEY_URL).not.toBe(KEY_STANDARD)
    await standard.put('k', TOKEN, 60)
    expect(await urlSafe.get('k')).toEqual(TOKEN)
  })

  it('makes a non-extractable AES-GCM key', async () => {
    const key = await importCacheKey(KEY_STANDARD)
    expect(key.algorithm.name).toBe('AES-GCM')
    expect(key.extractable).toBe(false)
    expect([...key.usages].sort()).toEqual(['decrypt', 'encrypt'])
  })

  it.each([
    ['16 bytes', btoa('0123456789abcdef'), /decodes to 16 bytes, expected exactly 32/],
    ['33 bytes', btoa('0123456789abcdef0123456789abcdefX'), /decodes to 33 bytes/],
    ['not base64', 'secret value with spaces & symbols!', /not valid base64/],
    ['one stray character', `${KEY_URL.slice(0, 42)}`, /not valid base64|decodes to/],
    ['empty', '   ', /is empty/],
  ])('rejects %s without echoing the value', async (_label, value, message) => {
    const error = await importCacheKey(value).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toMatch(message)
    expect((error as Error).message).toContain('TOKEN_CACHE_KEY')
    if (value.trim() !== '') expect((error as Error).message).not.toContain(value.trim())
  })
})

describe('deriveCacheKey', () => {
  const secret = new TextEncoder().encode('client-secret-value~abc')

  it('derives the same key from the same material', async () => {
    const kv = new KvDouble()
    const writer = createEncryptedKv({ kv, key: await deriveCacheKey(secret) })
    const reader = createEncryptedKv({ kv, key: await deriveCacheKey(secret.slice()) })
    await writer.put('k', TOKEN, 60)
    expect(await reader.get('k')).toEqual(TOKEN)
  })

  it('derives a different key from different material', async () => {
    const kv = new KvDouble()
    const writer = createEncryptedKv({ kv, key: await deriveCacheKey(secret) })
    const other = new TextEncoder().encode('client-secret-value~abd')
    const reader = createEncryptedKv({ kv, key: await deriveCacheKey(other) })
    await writer.put('k', TOKEN, 60)
    expect(await reader.get('k')).toBeNull()
  })

  it('derives a key unlike importing the material as a raw AES key', async () => {
    const kv = new KvDouble()
    const derived = createEncryptedKv({ kv, key: await deriveCacheKey(KEY_BYTES) })
    const imported = createEncryptedKv({ kv, key: await importCacheKey(KEY_STANDARD) })
    await derived.put('k', TOKEN, 60)
    expect(await imported.get('k')).toBeNull()
  })

  it('makes a non-extractable AES-GCM 256 key and refuses empty material', async () => {
    const key = await deriveCacheKey(secret)
    expect(key.algorithm).toMatchObject({ name: 'AES-GCM', length: 256 })
    expect(key.extractable).toBe(false)
    await expect(deriveCacheKey(new Uint8Array())).rejects.toThrow('empty')
  })
})
