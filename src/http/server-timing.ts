// Server-Timing (W3C Server Timing): metrics a request collects, written once onto its response.

/** One request's metrics, in the order they were recorded. */
export type Timings = string[]

const quote = (text: string): string => `"${text.replace(/[\\"]/g, '\\$&')}"`

/** Records `name;dur=…;desc="…"` (milliseconds, one decimal). */
export function addTiming(
  timings: Timings,
  name: string,
  durationMs: number,
  description?: string,
): void {
  const metric = `${name};dur=${durationMs.toFixed(1)}`
  timings.push(description === undefined ? metric : `${metric};desc=${quote(description)}`)
}

/** The header value, with the request's total last. */
export function serverTimingHeader(timings: Timings, totalMs: number): string {
  addTiming(timings, 'total', totalMs, 'total')
  return timings.join(',')
}
