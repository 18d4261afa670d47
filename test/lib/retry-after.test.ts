// Tests for reading the server's requested wait from retry headers.
import { describe, expect, it } from 'vitest'
import { retryAfterMs } from '../../src/lib/retry-after'

const NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0)

function headers(init: Record<string, string>): Headers {
  return new Headers(init)
}

describe('retryAfterMs', () => {
  it('returns undefined when no retry header is present', () => {
    expect(retryAfterMs(headers({ 'content-type': 'application/json' }), NOW_MS)).toBeUndefined()
  })

  it('reads Retry-After delay-seconds as milliseconds', () => {
    expect(retryAfterMs(headers({ 'Retry-After': '120' }), NOW_MS)).toBe(120_000)
    expect(retryAfterMs(headers({ 'Retry-After': ' 3 ' }), NOW_MS)).toBe(3_000)
    expect(retryAfterMs(headers({ 'Retry-After': '0' }), NOW_MS)).toBe(0)
  })

  it('reads a Retry-After HTTP-date relative to now', () => {
    const in7s = new Date(NOW_MS + 7_000).toUTCString()
    expect(retryAfterMs(headers({ 'Retry-After': in7s }), NOW_MS)).toBe(7_000)
  })

  it('treats a Retry-After HTTP-date in the past as no wait', () => {
    const date = 'Wed, 21 Oct 2015 07:28:00 GMT'
    expect(retryAfterMs(headers({ 'Retry-After': date }), NOW_MS)).toBe(0)
  })

  it.each(['-5', '1.5', '1e3', 'soon', '', 'Foo, 99 Bar 2026 99:99:99 GMT'])(
    'returns undefined for the invalid Retry-After %j',
    (value) => {
      expect(retryAfterMs(headers({ 'Retry-After': value }), NOW_MS)).toBeUndefined()
    },
  )

  it('reads retry-after-ms and x-ms-retry-after-ms as milliseconds', () => {
    expect(retryAfterMs(headers({ 'retry-after-ms': '250' }), NOW_MS)).toBe(250)
    expect(retryAfterMs(headers({ 'x-ms-retry-after-ms': '1500' }), NOW_MS)).toBe(1_500)
  })

  it('prefers retry-after-ms, then x-ms-retry-after-ms, then Retry-After', () => {
    const all = { 'retry-after-ms': '10', 'x-ms-retry-after-ms': '20', 'Retry-After': '30' }
    expect(retryAfterMs(headers(all), NOW_MS)).toBe(10)
    const noMs = { 'x-ms-retry-after-ms': '20', 'Retry-After': '30' }
    expect(retryAfterMs(headers(noMs), NOW_MS)).toBe(20)
  })

  it('skips an invalid millisecond header and falls back to Retry-After', () => {
    const value = { 'retry-after-ms': 'later', 'x-ms-retry-after-ms': '-1', 'Retry-After': '4' }
    expect(retryAfterMs(headers(value), NOW_MS)).toBe(4_000)
  })
})
