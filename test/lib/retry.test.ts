// Tests for fetchWithRetry: statuses, server waits, backoff, deadline, timeouts, body release.
import { describe, expect, it } from 'vitest'
import {
  fetchWithRetry,
  isRetryableStatus,
  RetryExhaustedError,
  type RetryOptions,
  type UpstreamRequest,
} from '../../src/lib/retry'

const START_MS = Date.UTC(2026, 0, 15, 12, 0, 0)
const URL_ = 'https://login.example.test/tenant/oauth2/v2.0/token'

/** What the fake fetch answers next: a response, a thrown error, or waiting for the abort. */
type Step = Response | Error | 'hang'

/** A fake clock, a sleep that advances it and records delays, and a fetch answering queued steps. */
function harness(steps: Step[]) {
  const state = {
    nowMs: START_MS,
    delays: [] as number[],
    timeouts: [] as number[],
    signals: [] as (AbortSignal | undefined)[],
    fetchCalls: 0,
  }
  const fakeFetch = (async (_input: RequestInfo | URL, init?: RequestInit) => {
    state.fetchCalls++
    state.signals.push(init?.signal ?? undefined)
    const step = steps.shift()
    if (step === undefined) throw new Error('fake fetch: no step queued')
    if (step instanceof Error) throw step
    if (step === 'hang') {
      const signal = init?.signal
      if (!signal) throw new Error('fake fetch: hang without a signal')
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve()
        else signal.addEventListener('abort', () => resolve(), { once: true })
      })
      // The attempt hung for its whole timeout: move the fake clock accordingly.
      state.nowMs += state.timeouts.at(-1) ?? 0
      throw signal.reason
    }
    return step
  }) as typeof globalThis.fetch
  const options = (extra: Partial<RetryOptions> = {}): RetryOptions => ({
    fetch: fakeFetch,
    now: () => state.nowMs,
    sleep: async (ms) => {
      state.delays.push(ms)
      state.nowMs += ms
    },
    deadlineMs: START_MS + 60_000,
    random: () => 0.5,
    // Records the timeout and fires on the next real tick; only a hanging attempt notices.
    timeoutSignal: (ms) => {
      state.timeouts.push(ms)
      const controller = new AbortController()
      setTimeout(() => {
        controller.abort(new DOMException('The operation timed out.', 'TimeoutError'))
      }, 0)
      return controller.signal
    },
    ...extra,
  })
  return { state, options }
}

const makeRequest = (): UpstreamRequest => ({
  url: URL_,
  init: { method: 'POST', body: 'grant_type=x' },
})

function status(code: number, headers: Record<string, string> = {}, body = ''): Response {
  return new Response(code === 204 || code === 304 ? null : body, { status: code, headers })
}

/** A response whose body records whether it was cancelled. */
function trackedResponse(code: number): { response: Response; cancelled: () => boolean } {
  let cancelled = false
  const body = new ReadableStream<Uint8Array>({
    cancel() {
      cancelled = true
    },
  })
  return { response: new Response(body, { status: code }), cancelled: () => cancelled }
}

describe('isRetryableStatus', () => {
  it.each([408, 429, 500, 502, 503, 504, 507, 599])('retries %i', (code) => {
    expect(isRetryableStatus(code)).toBe(true)
  })

  it.each([200, 204, 301, 304, 400, 401, 403, 404, 409, 412, 499, 501, 505, 600])(
    'does not retry %i',
    (code) => {
      expect(isRetryableStatus(code)).toBe(false)
    },
  )
})

describe('fetchWithRetry', () => {
  it('returns the first answer when it succeeds, without sleeping', async () => {
    const { state, options } = harness([status(200, {}, 'ok')])
    const result = await fetchWithRetry(makeRequest, options())
    expect(result.attempts).toBe(1)
    expect(await result.response.text()).toBe('ok')
    expect(state.delays).toEqual([])
  })

  it.each([400, 401, 403, 404, 409, 501, 505])(
    'returns %i at once without retrying',
    async (code) => {
      const { state, options } = harness([status(code), status(200)])
      const result = await fetchWithRetry(makeRequest, options())
      expect(result.response.status).toBe(code)
      expect(result.attempts).toBe(1)
      expect(state.fetchCalls).toBe(1)
      expect(state.delays).toEqual([])
    },
  )

  it.each([408, 429, 500, 502, 503, 504])(
    'retries %i and returns the next success',
    async (code) => {
      const { state, options } = harness([status(code), status(200)])
      const result = await fetchWithRetry(makeRequest, options())
      expect(result.response.status).toBe(200)
      expect(result.attempts).toBe(2)
      expect(state.fetchCalls).toBe(2)
      // random 0.5 × min(2000, 200 · 2^0)
      expect(state.delays).toEqual([100])
    },
  )

  it('calls makeRequest for every attempt so each body can be read', async () => {
    const bodies: string[] = []
    const answers = [status(503), status(200)]
    const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      bodies.push(await new Request(input, init).text())
      return answers.shift() as Response
    }) as typeof globalThis.fetch
    const { options } = harness([])
    const result = await fetchWithRetry(makeRequest, options({ fetch }))
    expect(result.response.status).toBe(200)
    expect(bodies).toEqual(['grant_type=x', 'grant_type=x'])
  })

  it('accepts an async makeRequest and awaits it before every attempt', async () => {
    let built = 0
    const { state, options } = harness([status(500), status(200)])
    const asyncRequest = async (): Promise<UpstreamRequest> => {
      built++
      return makeRequest()
    }
    const result = await fetchWithRetry(asyncRequest, options())
    expect(result.response.status).toBe(200)
    expect(built).toBe(2)
    expect(state.fetchCalls).toBe(2)
  })

  it('waits Retry-After seconds exactly, without jitter', async () => {
    const { state, options } = harness([status(429, { 'Retry-After': '2' }), status(200)])
    const result = await fetchWithRetry(makeRequest, options({ random: () => 0.123 }))
    expect(result.response.status).toBe(200)
    expect(state.delays).toEqual([2_000])
  })

  it('waits until a Retry-After HTTP-date', async () => {
    const date = new Date(START_MS + 3_000).toUTCString()
    const { state, options } = harness([status(503, { 'Retry-After': date }), status(200)])
    await fetchWithRetry(makeRequest, options())
    expect(state.delays).toEqual([3_000])
  })

  it('waits retry-after-ms', async () => {
    const { state, options } = harness([status(503, { 'retry-after-ms': '150' }), status(200)])
    await fetchWithRetry(makeRequest, options())
    expect(state.delays).toEqual([150])
  })

  it('waits x-ms-retry-after-ms', async () => {
    const { state, options } = harness([status(429, { 'x-ms-retry-after-ms': '250' }), status(200)])
    await fetchWithRetry(makeRequest, options())
    expect(state.delays).toEqual([250])
  })

  it.each([
    ['Retry-After', '1000000000000000000000'],
    ['x-ms-retry-after-ms', '9'.repeat(400)],
  ])('sleeps at most one hour for a huge %s', async (name, value) => {
    const { state, options } = harness([status(429, { [name]: value }), status(200)])
    const result = await fetchWithRetry(
      makeRequest,
      options({ deadlineMs: START_MS + 2 * 3_600_000 }),
    )
    expect(result.response.status).toBe(200)
    expect(state.delays).toEqual([3_600_000])
  })

  it('returns the 429 without sleeping when Retry-After ends after the deadline', async () => {
    const throttled = status(429, { 'Retry-After': '10' }, '{"error":"throttled"}')
    const { state, options } = harness([throttled, status(200)])
    const result = await fetchWithRetry(makeRequest, options({ deadlineMs: START_MS + 5_000 }))
    expect(result.response.status).toBe(429)
    expect(result.attempts).toBe(1)
    expect(state.delays).toEqual([])
    expect(state.fetchCalls).toBe(1)
    // The returned response is the caller's to read: it must not have been cancelled.
    expect(await result.response.text()).toBe('{"error":"throttled"}')
  })

  it('stops after maxAttempts (default 4) and returns the last response', async () => {
    const { state, options } = harness([status(503), status(503), status(502), status(504)])
    const result = await fetchWithRetry(makeRequest, options())
    expect(result.response.status).toBe(504)
    expect(result.attempts).toBe(4)
    expect(state.fetchCalls).toBe(4)
    expect(state.delays).toEqual([100, 200, 400])
  })

  it('honours a smaller maxAttempts', async () => {
    const { state, options } = harness([status(503), status(503), status(200)])
    const result = await fetchWithRetry(makeRequest, options({ maxAttempts: 2 }))
    expect(result.response.status).toBe(503)
    expect(result.attempts).toBe(2)
    expect(state.fetchCalls).toBe(2)
  })

  it('retries a network error and returns the next success', async () => {
    const retries: unknown[] = []
    const { state, options } = harness([new TypeError('Network connection lost.'), status(200)])
    const result = await fetchWithRetry(makeRequest, options({ onRetry: (i) => retries.push(i) }))
    expect(result.response.status).toBe(200)
    expect(result.attempts).toBe(2)
    expect(state.delays).toEqual([100])
    expect(retries).toEqual([{ attempt: 1, status: undefined, reason: 'network', delayMs: 100 }])
  })

  it('throws RetryExhaustedError(network) with the cause when every attempt fails', async () => {
    const lastError = new TypeError('connection refused')
    const { options } = harness([
      new TypeError('a'),
      new TypeError('b'),
      new TypeError('c'),
      lastError,
    ])
    const error = await fetchWithRetry(makeRequest, options()).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RetryExhaustedError)
    expect(error).toMatchObject({ name: 'RetryExhaustedError', reason: 'network', attempts: 4 })
    expect((error as RetryExhaustedError).cause).toBe(lastError)
  })

  it('aborts an attempt at its timeout and retries', async () => {
    const retries: unknown[] = []
    const { state, options } = harness(['hang', status(200)])
    const result = await fetchWithRetry(makeRequest, options({ onRetry: (i) => retries.push(i) }))
    expect(result.response.status).toBe(200)
    expect(result.attempts).toBe(2)
    expect(state.signals[0]?.aborted).toBe(true)
    expect(state.timeouts[0]).toBe(3_000)
    expect(retries).toEqual([{ attempt: 1, status: undefined, reason: 'timeout', delayMs: 100 }])
  })

  it('caps the attempt timeout at the time left before the deadline', async () => {
    const { state, options } = harness(['hang'])
    const error = await fetchWithRetry(
      makeRequest,
      options({ deadlineMs: START_MS + 1_200 }),
    ).catch((e: unknown) => e)
    expect(state.timeouts).toEqual([1_200])
    expect(error).toMatchObject({ reason: 'timeout', attempts: 1 })
    expect(state.nowMs).toBeLessThanOrEqual(START_MS + 1_200)
  })

  it('times out with the default AbortSignal.timeout on the real clock', async () => {
    const { options } = harness(['hang', 'hang'])
    const error = await fetchWithRetry(
      makeRequest,
      options({ timeoutSignal: undefined, attemptTimeoutMs: 20, maxAttempts: 2 }),
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RetryExhaustedError)
    expect(error).toMatchObject({ reason: 'timeout', attempts: 2 })
  })

  it('cancels the bodies of retried responses but not of the returned one', async () => {
    const first = trackedResponse(503)
    const second = trackedResponse(429)
    const last = trackedResponse(200)
    const { options } = harness([first.response, second.response, last.response])
    const result = await fetchWithRetry(makeRequest, options())
    expect(result.response).toBe(last.response)
    expect(first.cancelled()).toBe(true)
    expect(second.cancelled()).toBe(true)
    expect(last.cancelled()).toBe(false)
  })

  it('does not cancel the body of a final retryable response', async () => {
    const only = trackedResponse(503)
    const { options } = harness([only.response])
    const result = await fetchWithRetry(makeRequest, options({ maxAttempts: 1 }))
    expect(result.response.status).toBe(503)
    expect(only.cancelled()).toBe(false)
  })

  it('draws full-jitter backoff in [0, min(max, base · 2^n)) from the injected random', async () => {
    const fiveFailures = () => [
      status(503),
      status(503),
      status(503),
      status(503),
      status(503),
      status(200),
    ]
    const low = harness(fiveFailures())
    await fetchWithRetry(makeRequest, low.options({ maxAttempts: 6, random: () => 0 }))
    expect(low.state.delays).toEqual([0, 0, 0, 0, 0])

    const high = harness(fiveFailures())
    await fetchWithRetry(makeRequest, high.options({ maxAttempts: 6, random: () => 0.999999 }))
    expect(high.state.delays).toEqual([199, 399, 799, 1_599, 1_999])

    const custom = harness(fiveFailures())
    const extra = { maxAttempts: 6, random: () => 0.5, baseDelayMs: 50, maxDelayMs: 300 }
    await fetchWithRetry(makeRequest, custom.options(extra))
    expect(custom.state.delays).toEqual([25, 50, 100, 150, 150])
  })

  it('returns instead of sleeping when the backoff would end past the deadline', async () => {
    const { state, options } = harness([status(503), status(503), status(503), status(200)])
    const result = await fetchWithRetry(
      makeRequest,
      options({ deadlineMs: START_MS + 1_000, maxAttempts: 10, random: () => 0.99 }),
    )
    // 198 ms (t=198), 396 ms (t=594), then 792 ms would pass the deadline: stop with the 503.
    expect(state.delays).toEqual([198, 396])
    expect(result.response.status).toBe(503)
    expect(result.attempts).toBe(3)
    expect(state.nowMs).toBeLessThanOrEqual(START_MS + 1_000)
  })

  it('does not start an attempt with less than 50 ms left', async () => {
    const { state, options } = harness([status(200)])
    const error = await fetchWithRetry(makeRequest, options({ deadlineMs: START_MS + 40 })).catch(
      (e: unknown) => e,
    )
    expect(state.fetchCalls).toBe(0)
    expect(error).toBeInstanceOf(RetryExhaustedError)
    expect(error).toMatchObject({ reason: 'timeout', attempts: 0 })
  })

  it('reports each retried attempt to onRetry with its status and delay', async () => {
    const retries: unknown[] = []
    const { options } = harness([status(503), status(429, { 'Retry-After': '1' }), status(200)])
    await fetchWithRetry(makeRequest, options({ onRetry: (i) => retries.push(i) }))
    expect(retries).toEqual([
      { attempt: 1, status: 503, reason: 'status', delayMs: 100 },
      { attempt: 2, status: 429, reason: 'status', delayMs: 1_000 },
    ])
  })

  it('lets an error thrown by makeRequest escape without retrying', async () => {
    const { state, options } = harness([status(200)])
    const broken = (): UpstreamRequest => {
      throw new Error('bad request input')
    }
    await expect(fetchWithRetry(broken, options())).rejects.toThrow('bad request input')
    expect(state.fetchCalls).toBe(0)
  })
})
