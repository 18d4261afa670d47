// Unit tests of the bounded LRU: recency, eviction by count and by bytes, oversized values.
import { describe, expect, it } from 'vitest'
import { createLru } from '../../src/cache/lru'

const byLength = (maxEntries: number, maxBytes: number) =>
  createLru<string>({ maxEntries, maxBytes, sizeOf: (_key, value) => value.length })

describe('cache/lru', () => {
  it('evicts the least recently used entry past the count limit', () => {
    const lru = byLength(3, 1_000)
    lru.set('a', 'x')
    lru.set('b', 'x')
    lru.set('c', 'x')
    expect(lru.get('a')).toBe('x') // a is now the most recent: b is the oldest
    lru.set('d', 'x')
    expect([lru.get('a'), lru.get('b'), lru.get('c'), lru.get('d')]).toEqual([
      'x',
      undefined,
      'x',
      'x',
    ])
    expect(lru.size).toBe(3)
  })

  it('evicts as many old entries as the byte limit needs', () => {
    const lru = byLength(100, 10)
    lru.set('a', 'aaaa')
    lru.set('b', 'bbbb')
    expect(lru.bytes).toBe(8)
    lru.set('c', 'ccccccc') // 15 bytes: a and b must both go
    expect([lru.get('a'), lru.get('b'), lru.get('c')]).toEqual([undefined, undefined, 'ccccccc'])
    expect(lru.bytes).toBe(7)
    expect(lru.size).toBe(1)
  })

  it('keeps entries that fit once the oldest went', () => {
    const lru = byLength(100, 10)
    lru.set('a', 'aaaa')
    lru.set('b', 'bbbb')
    lru.set('c', 'cc') // 10 bytes: fits exactly after nothing is evicted
    lru.set('d', 'dd') // 12 bytes: only a goes
    expect([lru.get('a'), lru.get('b'), lru.get('c'), lru.get('d')]).toEqual([
      undefined,
      'bbbb',
      'cc',
      'dd',
    ])
  })

  it('counts a replaced value once, at its new size', () => {
    const lru = byLength(10, 10)
    lru.set('a', 'aaaaaaaa')
    lru.set('a', 'aa')
    lru.set('b', 'bbbbbbbb')
    expect([lru.get('a'), lru.get('b')]).toEqual(['aa', 'bbbbbbbb'])
    expect(lru.bytes).toBe(10)
  })

  it('refuses a value larger than the byte limit without evicting anything', () => {
    const lru = byLength(10, 10)
    lru.set('a', 'aaaa')
    expect(lru.set('huge', 'x'.repeat(11))).toBe(false)
    expect([lru.get('a'), lru.get('huge')]).toEqual(['aaaa', undefined])
    expect(lru.bytes).toBe(4)
  })

  it('forgets deleted entries and their bytes', () => {
    const lru = byLength(10, 10)
    lru.set('a', 'aaaa')
    lru.delete('a')
    lru.delete('missing')
    expect([lru.get('a'), lru.size, lru.bytes]).toEqual([undefined, 0, 0])
  })

  it('stays within both limits over many writes', () => {
    const lru = byLength(50, 300)
    for (let i = 0; i < 1_000; i++) {
      lru.set(`k${i % 137}`, 'v'.repeat(1 + (i % 13)))
      expect(lru.size).toBeLessThanOrEqual(50)
      expect(lru.bytes).toBeLessThanOrEqual(300)
    }
  })
})
