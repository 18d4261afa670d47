// Reads how long a throttled or failing server asked us to wait (SPEC §2: the Azure SDK honours
// `retry-after-ms`, `x-ms-retry-after-ms` and `Retry-After`).

/** Headers that carry a wait in milliseconds, in the order the Azure SDK consults them. */
const MILLISECOND_HEADERS = ['retry-after-ms', 'x-ms-retry-after-ms'] as const

// RFC 9110 §10.2.3: `Retry-After = HTTP-date / delay-seconds`, delay-seconds being 1*DIGIT. The
// millisecond headers are Azure's own; they are integers in practice, but a fraction is harmless.
const DELAY_SECONDS = /^\d+$/
const DELAY_MS = /^\d+(\.\d+)?$/
// An HTTP-date always names a weekday and a month (IMF-fixdate, RFC 850 or asctime); requiring a
// letter keeps bare numbers such as "-5" or "1e3", which Date.parse would accept, out.
const LOOKS_LIKE_DATE = /[A-Za-z]/

/**
 * Milliseconds the server asked us to wait: `retry-after-ms`, then `x-ms-retry-after-ms`, then
 * `Retry-After` (delay-seconds or HTTP-date, a date in the past meaning 0). A header that is
 * present but unparsable is skipped, so the next one (or the caller's backoff) decides; undefined
 * when none gives a usable value.
 */
export function retryAfterMs(headers: Headers, now: number): number | undefined {
  for (const name of MILLISECOND_HEADERS) {
    const value = headers.get(name)?.trim()
    if (value !== undefined && DELAY_MS.test(value)) return Math.ceil(Number(value))
  }
  const value = headers.get('retry-after')?.trim()
  if (value === undefined || value === '') return undefined
  if (DELAY_SECONDS.test(value)) return Number(value) * 1000
  if (!LOOKS_LIKE_DATE.test(value)) return undefined
  const dateMs = Date.parse(value)
  if (Number.isNaN(dateMs)) return undefined
  return Math.max(0, dateMs - now)
}
