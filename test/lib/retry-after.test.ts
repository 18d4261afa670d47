// Tests for reading the server's requested wait from retry headers: strict forms and a cap.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  clampRetryAfterSeconds,
  MAX_RETRY_AFTER_MS,
  MAX_RETRY_AFTER_SECONDS,
  parseHttpDate,
  parseMilliseconds,
  parseRetryAfter,
  retryAfterMs,
} from '../../src/lib/retry-after'

const NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0)
const HOUR_MS = 3_600_000

function headers(init: Record<string, string>): Headers {
  return new Headers(init)
}

/** undefined, or an integer in [0, cap]: the only things a parsed wait may be. */
const isWaitMs = (value: number | undefined): boolean =>
  value === undefined || (Number.isInteger(value) && value >= 0 && value <= MAX_RETRY_AFTER_MS)

/** Strings near the grammar, so the properties reach the parsers' corners, not only garbage. */
const nearlyAWait = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.stringMatching(/^\s?[-+]?\d{0,400}(\.\d{0,3})?(e[-+]?\d{1,3})?\s?$/),
  fc.bigInt({ min: 0n, max: 10n ** 40n }).map(String),
  fc
    .date({
      min: new Date(Date.UTC(-1000, 0, 1)),
      max: new Date(Date.UTC(9999, 11, 31)),
      noInvalidDate: true,
    })
    .chain((date) =>
      fc.constantFrom(
        date.toUTCString(),
        date.toString(),
        date.toISOString(),
        date.toUTCString().replace('GMT', 'UTC'),
      ),
    ),
  fc
    .tuple(
      fc.constantFrom('Sun', 'Mon', 'Sunday', 'Foo'),
      fc.integer({ min: -1, max: 99 }).map((n) => String(n).padStart(2, '0')),
      fc.constantFrom('Jan', 'Feb', 'feb', 'Xyz'),
      fc.integer({ min: -1, max: 10_000 }),
      fc.integer({ min: -1, max: 99 }).map((n) => String(n).padStart(2, '0')),
      fc.constantFrom('imf', 'rfc850', 'asctime'),
    )
    .map(([day, date, month, year, t, form]) => {
      const time = `${t}:${t}:${t}`
      if (form === 'imf') return `${day}, ${date} ${month} ${year} ${time} GMT`
      const yy = String(year % 100).padStart(2, '0')
      if (form === 'rfc850') return `${day}, ${date}-${month}-${yy} ${time} GMT`
      return `${day} ${month} ${date.replace(/^0/, ' ')} ${time} ${year}`
    }),
)

describe('lib/retry-after', () => {
  it('returns undefined when no retry header is present', () => {
    expect(retryAfterMs(headers({ 'content-type': 'application/json' }), NOW_MS)).toBeUndefined()
  })

  it('reads Retry-After delay-seconds as milliseconds', () => {
    expect(retryAfterMs(headers({ 'Retry-After': '120' }), NOW_MS)).toBe(120_000)
    expect(retryAfterMs(headers({ 'Retry-After': ' 3 ' }), NOW_MS)).toBe(3_000)
    expect(retryAfterMs(headers({ 'Retry-After': '0' }), NOW_MS)).toBe(0)
    expect(retryAfterMs(headers({ 'Retry-After': '007' }), NOW_MS)).toBe(7_000)
  })

  it('caps Retry-After at one hour, however large, so it never becomes 1e+21 or Infinity', () => {
    expect(retryAfterMs(headers({ 'Retry-After': '3600' }), NOW_MS)).toBe(HOUR_MS)
    expect(retryAfterMs(headers({ 'Retry-After': '3601' }), NOW_MS)).toBe(HOUR_MS)
    expect(retryAfterMs(headers({ 'Retry-After': '1000000000000000000000' }), NOW_MS)).toBe(HOUR_MS)
    expect(retryAfterMs(headers({ 'Retry-After': '9'.repeat(400) }), NOW_MS)).toBe(HOUR_MS)
  })

  it('caps the millisecond headers at one hour', () => {
    expect(retryAfterMs(headers({ 'x-ms-retry-after-ms': '9'.repeat(400) }), NOW_MS)).toBe(HOUR_MS)
    expect(retryAfterMs(headers({ 'retry-after-ms': '3600001' }), NOW_MS)).toBe(HOUR_MS)
  })

  it('reads a Retry-After HTTP-date relative to now, capped at one hour', () => {
    const in7s = new Date(NOW_MS + 7_000).toUTCString()
    expect(retryAfterMs(headers({ 'Retry-After': in7s }), NOW_MS)).toBe(7_000)
    const inAYear = new Date(NOW_MS + 365 * 24 * HOUR_MS).toUTCString()
    expect(retryAfterMs(headers({ 'Retry-After': inAYear }), NOW_MS)).toBe(HOUR_MS)
  })

  it('treats a Retry-After HTTP-date in the past as no wait', () => {
    const date = 'Wed, 21 Oct 2015 07:28:00 GMT'
    expect(retryAfterMs(headers({ 'Retry-After': date }), NOW_MS)).toBe(0)
  })

  it('accepts the three HTTP-date forms of RFC 9110 §5.6.7', () => {
    const expected = Date.UTC(1994, 10, 6, 8, 49, 37)
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT', NOW_MS)).toBe(expected)
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', NOW_MS)).toBe(expected)
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994', NOW_MS)).toBe(expected)
    expect(parseHttpDate('Thu, 15 Jan 2026 12:00:10 GMT', NOW_MS)).toBe(NOW_MS + 10_000)
  })

  it('reads a two-digit year more than 50 years ahead as the past century (RFC 9110 §5.6.7)', () => {
    expect(parseHttpDate('Thursday, 15-Jan-76 12:00:00 GMT', NOW_MS)).toBe(
      Date.UTC(2076, 0, 15, 12),
    )
    expect(parseHttpDate('Monday, 15-Jan-77 12:00:00 GMT', NOW_MS)).toBe(Date.UTC(1977, 0, 15, 12))
  })

  it.each([
    '-5',
    '+5',
    '1.5',
    '1e3',
    '0x10',
    '5 s',
    'soon',
    '',
    'Infinity',
    'Foo, 99 Bar 2026 99:99:99 GMT',
    'Thu, 31 Feb 2026 12:00:00 GMT',
    'Thu, 15 Jan 2026 24:00:00 GMT',
    'Thu, 15 Jan 2026 12:00:00 UTC',
    'Thu, 15 Jan 2026 12:00:00 +0000',
    'thu, 15 jan 2026 12:00:00 gmt',
    '2026-01-15T12:00:10Z',
    'Thu Jan 15 2026 12:00:10 GMT+0000 (Coordinated Universal Time)',
    'a 1',
  ])('returns undefined for the invalid Retry-After %j', (value) => {
    expect(retryAfterMs(headers({ 'Retry-After': value }), NOW_MS)).toBeUndefined()
  })

  it('reads retry-after-ms and x-ms-retry-after-ms as milliseconds', () => {
    expect(retryAfterMs(headers({ 'retry-after-ms': '250' }), NOW_MS)).toBe(250)
    expect(retryAfterMs(headers({ 'x-ms-retry-after-ms': '1500' }), NOW_MS)).toBe(1_500)
  })

  it.each(['1.5', '-1', '1e3', 'later', ''])(
    'ignores the non-integer millisecond value %j',
    (value) => {
      expect(parseMilliseconds(value)).toBeUndefined()
    },
  )

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

  it('turns any Retry-After string into undefined or an integer in [0, 1 h] (property)', () => {
    fc.assert(
      fc.property(nearlyAWait, fc.integer({ min: 0, max: 4e12 }), (value, nowMs) =>
        isWaitMs(parseRetryAfter(value, nowMs)),
      ),
      { numRuns: 2000 },
    )
  })

  it('turns any millisecond header string into undefined or an integer in [0, 1 h] (property)', () => {
    fc.assert(
      fc.property(nearlyAWait, (value) => isWaitMs(parseMilliseconds(value))),
      { numRuns: 2000 },
    )
  })

  it('turns any set of retry headers into undefined or an integer in [0, 1 h] (property)', () => {
    // Visible ASCII only: workerd warns about (and browsers refuse) other header bytes.
    const ascii = nearlyAWait.map((value) => value.replace(/[^\x20-\x7e]/g, ''))
    const maybe = fc.option(ascii, { nil: undefined })
    fc.assert(
      fc.property(maybe, maybe, maybe, (ms, xMs, retryAfter) => {
        const init = new Headers()
        for (const [name, value] of [
          ['retry-after-ms', ms],
          ['x-ms-retry-after-ms', xMs],
          ['retry-after', retryAfter],
        ] as const) {
          if (value !== undefined) init.set(name, value)
        }
        return isWaitMs(retryAfterMs(init, NOW_MS))
      }),
      { numRuns: 2000 },
    )
  })

  it('reads any delay-seconds as min(n, 3600) seconds (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), (n) => {
        const expected = n > 3600n ? HOUR_MS : Number(n) * 1000
        return parseRetryAfter(String(n), NOW_MS) === expected
      }),
      { numRuns: 1000 },
    )
  })

  it('reads any IMF-fixdate as the time until it, clamped to [0, 1 h] (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(0, 0, 1), max: Date.UTC(9999, 11, 31) }), (dateMs) => {
        const wholeSecondMs = Math.floor(dateMs / 1000) * 1000
        const imf = new Date(wholeSecondMs).toUTCString()
        const expected = Math.min(HOUR_MS, Math.max(0, wholeSecondMs - NOW_MS))
        return parseRetryAfter(imf, NOW_MS) === expected
      }),
      { numRuns: 1000 },
    )
  })

  it('clamps any number to an integer number of seconds in [0, 3600] (property)', () => {
    expect(clampRetryAfterSeconds(undefined)).toBeUndefined()
    expect(clampRetryAfterSeconds(Number.NaN)).toBeUndefined()
    expect(clampRetryAfterSeconds(Number.POSITIVE_INFINITY)).toBe(MAX_RETRY_AFTER_SECONDS)
    expect(clampRetryAfterSeconds(1e21)).toBe(MAX_RETRY_AFTER_SECONDS)
    expect(clampRetryAfterSeconds(-5)).toBe(0)
    expect(clampRetryAfterSeconds(1.2)).toBe(2)
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (seconds) => {
        const clamped = clampRetryAfterSeconds(seconds)
        return (
          clamped !== undefined &&
          Number.isInteger(clamped) &&
          clamped >= 0 &&
          clamped <= MAX_RETRY_AFTER_SECONDS &&
          /^\d+$/.test(String(clamped))
        )
      }),
      { numRuns: 2000 },
    )
  })
})
