// Tests for the KV double itself, so suites that rely on its misbehaviour can trust it.
import { describe, expect, it } from 'vitest'
import { KvDouble } from '../support/kv-double'

describe('KvDouble', () => {
  it('stores, reads and deletes text values', async () => {
    const kv = new KvDouble()
    expect(await kv.get('a', 'text')).toBeNull()
    await kv.put('a', 'one')
    expect(await kv.get('a', 'text')).toBe('one')
    kv.advance(1_000)
    await kv.delete('a')
    expect(await kv.get('a', 'text')).toBeNull()
    expect({ reads: kv.reads, writes: kv.writes, deletes: kv.deletes }).toEqual({
      reads: 3,
      writes: 1,
      deletes: 1,
    })
  })

  it.each([59, 30, 1])('rejects expirationTtl %i below 60 as KV does', async (ttl) => {
    const kv = new KvDouble()
    await expect(kv.put('a', 'x', { expirationTtl: ttl })).rejects.toThrow(
      `KV PUT failed: 400 Invalid expiration_ttl of ${ttl}. Expiration TTL must be at least 60.`,
    )
    expect(kv.peek('a')).toBeUndefined()
  })

  it('rejects an absolute expiration less than 60 s ahead', async () => {
    const kv = new KvDouble()
    const nowSeconds = kv.now() / 1000
    await expect(kv.put('a', 'x', { expiration: nowSeconds + 30 })).rejects.toThrow(
      /400 Invalid expiration of .*at least 60 seconds in the future/,
    )
    await kv.put('a', 'x', { expiration: nowSeconds + 60 })
    expect(kv.peek('a')).toBe('x')
  })

  it('expires an entry by its clock once expirationTtl has passed', async () => {
    const kv = new KvDouble()
    await kv.put('a', 'x', { expirationTtl: 60 })
    kv.advance(59_999)
    expect(await kv.get('a', 'text')).toBe('x')
    kv.advance(1)
    expect(await kv.get('a', 'text')).toBeNull()
    expect(kv.keys()).toEqual([])
  })

  it('follows an injected clock', async () => {
    let nowMs = Date.UTC(2026, 5, 1)
    const kv = new KvDouble({ now: () => nowMs })
    await kv.put('a', 'x', { expirationTtl: 120 })
    nowMs += 120_000
    expect(await kv.get('a', 'text')).toBeNull()
    expect(() => kv.advance(1)).toThrow('injected clock')
  })

  it('throws 429 for a second write to a key within one second', async () => {
    const kv = new KvDouble()
    await kv.put('a', 'one')
    kv.advance(999)
    await expect(kv.put('a', 'two')).rejects.toThrow('KV PUT failed: 429 Too Many Requests')
    await expect(kv.delete('a')).rejects.toThrow('KV DELETE failed: 429 Too Many Requests')
    expect(kv.peek('a')).toBe('one')
    // Other keys are independent, and after a second the key accepts writes again.
    await kv.put('b', 'other')
    kv.advance(1)
    await kv.put('a', 'two')
    expect(await kv.get('a', 'text')).toBe('two')
    expect(kv.writes).toBe(4)
  })

  it('throws on reads while failReads is set', async () => {
    const kv = new KvDouble()
    await kv.put('a', 'x')
    kv.failReads = true
    await expect(kv.get('a', 'text')).rejects.toThrow('KV GET failed: 500')
    kv.failReads = false
    expect(await kv.get('a', 'text')).toBe('x')
    expect(kv.reads).toBe(2)
  })

  it('throws on puts and deletes while failWrites is set, leaving the value', async () => {
    const kv = new KvDouble()
    await kv.put('a', 'x')
    kv.advance(1_000)
    kv.failWrites = true
    await expect(kv.put('a', 'y')).rejects.toThrow('KV PUT failed: 500')
    await expect(kv.delete('a')).rejects.toThrow('KV DELETE failed: 500')
    expect(kv.peek('a')).toBe('x')
    expect({ writes: kv.writes, deletes: kv.deletes }).toEqual({ writes: 2, deletes: 1 })
  })

  it('serves the previous value for readLagMs after a write, then the new one', async () => {
    const kv = new KvDouble()
    kv.readLagMs = 60_000
    await kv.put('a', 'one')
    expect(await kv.get('a', 'text')).toBeNull() // "not found" is what readers saw before
    kv.advance(60_000)
    expect(await kv.get('a', 'text')).toBe('one')
    await kv.put('a', 'two')
    kv.advance(30_000)
    expect(await kv.get('a', 'text')).toBe('one')
    kv.advance(30_000)
    expect(await kv.get('a', 'text')).toBe('two')
  })

  it('keeps serving the oldest unsettled value through several quick writes and deletes', async () => {
    const kv = new KvDouble()
    await kv.put('a', 'settled')
    kv.advance(10_000)
    kv.readLagMs = 5_000
    await kv.put('a', 'second')
    kv.advance(1_000)
    await kv.delete('a')
    kv.advance(1_000)
    expect(await kv.get('a', 'text')).toBe('settled')
    kv.advance(5_000)
    expect(await kv.get('a', 'text')).toBeNull()
  })

  it('rejects keys over 512 bytes', async () => {
    const kv = new KvDouble()
    await expect(kv.put('k'.repeat(513), 'x')).rejects.toThrow('414')
    await kv.put('k'.repeat(512), 'x')
    expect(kv.keys()).toHaveLength(1)
  })

  it('plants raw values without counting or rate-limiting them', async () => {
    const kv = new KvDouble()
    kv.plant('a', 'raw')
    kv.plant('a', 'raw2')
    expect(await kv.get('a', 'text')).toBe('raw2')
    expect(kv.writes).toBe(0)
  })
})
