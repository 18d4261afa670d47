// Reads how long a throttled or failing server asked us to wait, strictly and within a cap.

/**
 * The longest wait we accept from a server, as MSAL caps it: a larger (or absurd) value is
 * treated as one hour, so no upstream header can park the negotiator or its clients for longer.
 */
export const MAX_RETRY_AFTER_SECONDS = 3600
export const MAX_RETRY_AFTER_MS = MAX_RETRY_AFTER_SECONDS * 1000

/** Headers that carry a wait in milliseconds, in the order the Azure SDK consults them. */
const MILLISECOND_HEADERS = ['retry-after-ms', 'x-ms-retry-after-ms'] as const

// RFC 9110 §10.2.3: `Retry-After = HTTP-date / delay-seconds`, delay-seconds being 1*DIGIT. The
// Azure SDK reads the millisecond headers as integers too; anything else is not a wait.
const DIGITS = /^\d+$/

/**
 * Milliseconds the server asked us to wait: `retry-after-ms`, then `x-ms-retry-after-ms`, then
 * `Retry-After`. A header that is present but unparsable is skipped, so the next one (or the
 * caller's backoff) decides. Always undefined or an integer in [0, MAX_RETRY_AFTER_MS].
 */
export function retryAfterMs(headers: Headers, now: number): number | undefined {
  for (const name of MILLISECOND_HEADERS) {
    const value = headers.get(name)
    const ms = value === null ? undefined : parseMilliseconds(value)
    if (ms !== undefined) return ms
  }
  const value = headers.get('retry-after')
  return value === null ? undefined : parseRetryAfter(value, now)
}

/** A millisecond header: an integer, capped; undefined for anything else. */
export function parseMilliseconds(value: string): number | undefined {
  const trimmed = value.trim()
  return DIGITS.test(trimmed) ? capMs(Number(trimmed)) : undefined
}

/** `Retry-After`: delay-seconds or an HTTP-date (a date in the past means 0), in ms, capped. */
export function parseRetryAfter(value: string, nowMs: number): number | undefined {
  const trimmed = value.trim()
  // Number() of a long digit string may be Infinity; the cap turns that into one hour.
  if (DIGITS.test(trimmed)) return capMs(Number(trimmed) * 1000)
  const dateMs = parseHttpDate(trimmed, nowMs)
  return dateMs === undefined ? undefined : capMs(dateMs - nowMs)
}

/**
 * Seconds for a `Retry-After` header we send: undefined stays undefined (so does NaN, which is
 * no wait at all), anything else becomes an integer in [0, MAX_RETRY_AFTER_SECONDS], rounded up.
 */
export function clampRetryAfterSeconds(seconds: number | undefined): number | undefined {
  if (seconds === undefined || Number.isNaN(seconds)) return undefined
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(0, Math.ceil(seconds)))
}

function capMs(ms: number): number {
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, Math.ceil(ms)))
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)'
const DAY_LONG = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)'
const MONTH = `(${MONTHS.join('|')})`
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})'

// The three forms of RFC 9110 §5.6.7, which recipients must all accept. Date.parse is not used:
// it accepts far more than HTTP-dates, differently per engine.
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`)
const RFC850_DATE = new RegExp(`^${DAY_LONG}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`)
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`)

/** Epoch ms of an HTTP-date, or undefined when the value is not one. */
export function parseHttpDate(value: string, nowMs: number): number | undefined {
  let match = IMF_FIXDATE.exec(value)
  if (match !== null) {
    const [, day, month, year, hour, minute, second] = match
    return utcMs(Number(year), month, [day, hour, minute, second].map(Number))
  }
  match = RFC850_DATE.exec(value)
  if (match !== null) {
    const [, day, month, twoDigitYear, hour, minute, second] = match
    const year = fullYear(Number(twoDigitYear), nowMs)
    return utcMs(year, month, [day, hour, minute, second].map(Number))
  }
  match = ASCTIME_DATE.exec(value)
  if (match !== null) {
    const [, month, day, hour, minute, second, year] = match
    return utcMs(Number(year), month, [day?.trim(), hour, minute, second].map(Number))
  }
  return undefined
}

/**
 * RFC 9110 §5.6.7: a two-digit year that appears more than 50 years in the future is the most
 * recent past year with the same last two digits.
 */
function fullYear(twoDigits: number, nowMs: number): number {
  const currentYear = new Date(nowMs).getUTCFullYear()
  const candidate = currentYear - (currentYear % 100) + twoDigits
  return candidate > currentYear + 50 ? candidate - 100 : candidate
}

/** `[day, hour, minute, second]` of a month and year as epoch ms; undefined when out of range. */
function utcMs(year: number, month: string | undefined, fields: number[]): number | undefined {
  const monthIndex = MONTHS.indexOf(month ?? '')
  const [day = NaN, hour = NaN, minute = NaN, second = NaN] = fields
  if (monthIndex < 0 || ![year, day, hour, minute, second].every(Number.isInteger)) return undefined
  // RFC 9110: hour 00-23, minute 00-59, second 00-60 (a leap second).
  if (hour > 23 || minute > 59 || second > 60) return undefined
  const date = new Date(0)
  // setUTCFullYear, unlike Date.UTC, does not read the years 0-99 as 1900-1999.
  date.setUTCFullYear(year, monthIndex, day)
  // 31 Feb and 00 Jan roll over into another day: not a date.
  if (date.getUTCMonth() !== monthIndex || date.getUTCDate() !== day) return undefined
  return date.getTime() + ((hour * 60 + minute) * 60 + second) * 1000
}
