// Sends one upstream request with the Azure SDK's retry rules, never past a deadline.
import type { Now, Sleep } from './clock'
import { retryAfterMs } from './retry-after'

export { retryAfterMs } from './retry-after'

export interface RetryOptions {
  fetch: typeof fetch
  now: Now
  sleep: Sleep
  /** Absolute epoch ms by which the whole operation must end. */
  deadlineMs: number
  /** Total attempts including the first; default 4 (1 + 3 retries, as the Azure SDK). */
  maxAttempts?: number
  /** Cap for one attempt; default 3000. The effective timeout is min(this, time left). */
  attemptTimeoutMs?: number
  /** Backoff base and cap for exponential backoff with full jitter; defaults 200 / 2000. */
  baseDelayMs?: number
  maxDelayMs?: number
  random?: () => number
  /** Called once per attempt that will be retried; for logs. Never pass bodies. */
  onRetry?: (info: {
    attempt: number
    status?: number
    reason: 'status' | 'timeout' | 'network'
    delayMs: number
  }) => void
  /**
   * Makes the signal that aborts one attempt after `timeoutMs`; default `AbortSignal.timeout`.
   * Tests inject it because `AbortSignal.timeout` runs on the real clock, not on `now`.
   */
  timeoutSignal?: (timeoutMs: number) => AbortSignal
}

/** One attempt's request, given to fetch as it is: no Request object is built for it. */
export interface UpstreamRequest {
  url: string
  init: RequestInit
}

export interface RetryResult {
  response: Response
  attempts: number
}

/** The last attempt failed without a response (network error or timeout) and no retry is left. */
export class RetryExhaustedError extends Error {
  readonly reason: 'timeout' | 'network'
  /** Attempts made; 0 when the deadline left no room for even the first one. */
  readonly attempts: number

  constructor(reason: 'timeout' | 'network', attempts: number, options?: { cause?: unknown }) {
    super(
      reason === 'timeout'
        ? `request timed out after ${attempts} attempt(s)`
        : `request failed (network error) after ${attempts} attempt(s)`,
      options,
    )
    this.name = 'RetryExhaustedError'
    this.reason = reason
    this.attempts = attempts
  }
}

/** 408, 429 and 5xx except 501 (Not Implemented) and 505 (HTTP Version Not Supported), as the
 * Azure SDK: those two describe the request, so repeating it cannot succeed. */
export function isRetryableStatus(status: number): boolean {
  if (status === 408 || status === 429) return true
  return status >= 500 && status <= 599 && status !== 501 && status !== 505
}

/** An attempt with less time than this cannot realistically complete: do not start it. */
const MIN_ATTEMPT_MS = 50

type Outcome =
  | { kind: 'response'; response: Response }
  | { kind: 'failure'; reason: 'timeout' | 'network'; error: unknown }

/**
 * makeRequest is called for every attempt (a body stream can be read only once). It may be async,
 * for a request that must be signed afresh each time (a client assertion with a unique `jti`).
 */
export async function fetchWithRetry(
  makeRequest: () => UpstreamRequest | Promise<UpstreamRequest>,
  options: RetryOptions,
): Promise<RetryResult> {
  const { now, sleep, deadlineMs } = options
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4)
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 3000
  const baseDelayMs = options.baseDelayMs ?? 200
  const maxDelayMs = options.maxDelayMs ?? 2000
  const random = options.random ?? Math.random
  const timeoutSignal = options.timeoutSignal ?? ((ms: number) => AbortSignal.timeout(ms))

  let last: Outcome | undefined
  for (let attempt = 1; ; attempt++) {
    if (deadlineMs - now() < MIN_ATTEMPT_MS) return finish(last, attempt - 1)
    const request = await makeRequest()

    // One signal per attempt and nothing combined with it: the deadline is already folded into
    // the timeout. It keeps running after headers arrive, so it also bounds the caller's read of
    // the returned body to the deadline.
    const leftMs = Math.max(0, deadlineMs - now())
    const signal = timeoutSignal(Math.min(attemptTimeoutMs, leftMs))
    last = await attemptOnce(options.fetch, request, signal)

    if (last.kind === 'response' && !isRetryableStatus(last.response.status)) {
      return { response: last.response, attempts: attempt }
    }
    if (attempt >= maxAttempts) return finish(last, attempt)

    // The server's own wait wins and is used as given: jitter would only make us early or late.
    const askedMs =
      last.kind === 'response' ? retryAfterMs(last.response.headers, now()) : undefined
    const delayMs = askedMs ?? backoffMs(attempt, baseDelayMs, maxDelayMs, random)
    // Sleeping only to arrive with no time for the next attempt is pointless: answer now.
    if (now() + delayMs + MIN_ATTEMPT_MS > deadlineMs) return finish(last, attempt)

    if (last.kind === 'response') {
      // Release the connection of a response we are about to drop; nobody awaits the outcome.
      last.response.body?.cancel().catch(() => undefined)
    }
    options.onRetry?.({
      attempt,
      status: last.kind === 'response' ? last.response.status : undefined,
      reason: last.kind === 'response' ? 'status' : last.reason,
      delayMs,
    })
    await sleep(delayMs)
  }
}

async function attemptOnce(
  fetcher: typeof fetch,
  request: UpstreamRequest,
  signal: AbortSignal,
): Promise<Outcome> {
  try {
    return { kind: 'response', response: await fetcher(request.url, { ...request.init, signal }) }
  } catch (error) {
    // An aborted signal means our timeout fired, whatever error the fetch chose to throw.
    return { kind: 'failure', reason: signal.aborted ? 'timeout' : 'network', error }
  }
}

/** "Full jitter" (AWS Architecture Blog, 2015): uniform in [0, min(cap, base · 2^(n-1))). */
function backoffMs(retry: number, baseMs: number, capMs: number, random: () => number): number {
  const ceilingMs = Math.min(capMs, baseMs * 2 ** (retry - 1))
  return Math.floor(random() * ceilingMs)
}

function finish(last: Outcome | undefined, attempts: number): RetryResult {
  if (last === undefined) throw new RetryExhaustedError('timeout', attempts)
  if (last.kind === 'response') return { response: last.response, attempts }
  throw new RetryExhaustedError(last.reason, attempts, { cause: last.error })
}
