// Sorts the soak's failed negotiations into "saveable" (a retry within the deadline could have saved it) and "unsaveable".

/** The negotiator's budget for all upstream work of one request (src/app.ts, upstreamDeadlineMs). */
export const WORKER_DEADLINE_MS = 5_000

/** What a failed negotiation said, from its problem+json body (RFC 9457) or the transport. */
export interface Failure {
  /** HTTP status; 0 when no answer came (connection error, client timeout). */
  status: number
  /**
   * The problem's `code` (`webpubsub_unavailable`, …); or `transport_error` (no answer),
   * `not_problem_json` (a failure without a problem body), `incomplete_success_body` (200 without
   * `url` and `token`).
   */
  code: string
  upstream?: { service?: string; status?: number; code?: string }
  retryAfterSeconds?: number
}

export type FailureClass = 'saveable' | 'unsaveable'

/** Answers that pass on an upstream's "not now": the only ones a long wait can excuse. */
const THROTTLE_OR_OUTAGE = new Set([
  'entra_throttled',
  'entra_unavailable',
  'webpubsub_throttled',
  'webpubsub_unavailable',
])

/**
 * Unsaveable: a throttle or outage answer (`entra_throttled`, `entra_unavailable`,
 * `webpubsub_throttled`, `webpubsub_unavailable`) whose `retryAfterSeconds` is at least the 5 s
 * deadline: waiting it out leaves no time for another attempt, even had the failure come at once,
 * so no retry inside the Worker could have turned it into a 200.
 *
 * Saveable: every other failure. In the soak the configuration and credentials are valid and
 * every injected fault is transient (a 5xx, a 429 with a Retry-After of at most 1 s or none, a 401
 * for a valid token, a latency spike under the per-attempt timeout, a KV error), so such a failure
 * is one the Worker's retries, 401 refresh or KV fallback could have absorbed. That includes a
 * long `retryAfterSeconds` on any other code (Web PubSub sends none with a 401, so on
 * `webpubsub_unauthorized` it is the Worker's own pause), answers that are not problem+json, and
 * transport errors.
 */
export function classifyFailure(failure: Failure): FailureClass {
  const waitMs = (failure.retryAfterSeconds ?? 0) * 1000
  return THROTTLE_OR_OUTAGE.has(failure.code) && waitMs >= WORKER_DEADLINE_MS
    ? 'unsaveable'
    : 'saveable'
}

/** A stable key for counting alike failures: `503 webpubsub_unavailable ← webpubsub 503 Error.ServiceUnavailable`. */
export function failureSignature(failure: Failure): string {
  const parts = [String(failure.status), failure.code]
  const up = failure.upstream
  if (up !== undefined) {
    const detail = [up.service, up.status, up.code].filter((x) => x !== undefined).join(' ')
    parts.push(`← ${detail}`)
  }
  // Long waits are one group whatever their value (a suspension counts down from its window).
  const waitSeconds = failure.retryAfterSeconds
  if (waitSeconds !== undefined)
    parts.push(
      waitSeconds * 1000 >= WORKER_DEADLINE_MS
        ? `retry-after ≥ ${WORKER_DEADLINE_MS / 1000}s`
        : `retry-after ${waitSeconds}s`,
    )
  return parts.join(' ')
}

/** Reads a non-200 answer's body; never throws. */
export function failureFromBody(status: number, body: string): Failure {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return { status, code: 'not_problem_json' }
  }
  if (typeof parsed !== 'object' || parsed === null) return { status, code: 'not_problem_json' }
  const fields = parsed as Record<string, unknown>
  const failure: Failure = {
    status,
    code: typeof fields.code === 'string' ? fields.code : 'not_problem_json',
  }
  if (typeof fields.upstream === 'object' && fields.upstream !== null) {
    const up = fields.upstream as Record<string, unknown>
    failure.upstream = {
      service: typeof up.service === 'string' ? up.service : undefined,
      status: typeof up.status === 'number' ? up.status : undefined,
      code: typeof up.code === 'string' ? up.code : undefined,
    }
  }
  if (typeof fields.retryAfterSeconds === 'number')
    failure.retryAfterSeconds = fields.retryAfterSeconds
  return failure
}

export interface FailureTally {
  total: number
  saveable: number
  unsaveable: number
  /** Count per signature, with its class; most frequent first when reported. */
  bySignature: Map<string, { class: FailureClass; count: number }>
}

export function createFailureTally(): FailureTally {
  return { total: 0, saveable: 0, unsaveable: 0, bySignature: new Map() }
}

export function recordFailure(tally: FailureTally, failure: Failure): void {
  const failureClass = classifyFailure(failure)
  tally.total += 1
  tally[failureClass] += 1
  const signature = failureSignature(failure)
  const entry = tally.bySignature.get(signature) ?? { class: failureClass, count: 0 }
  entry.count += 1
  tally.bySignature.set(signature, entry)
}
