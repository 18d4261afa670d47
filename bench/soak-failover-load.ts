// The failover soak's load and its observer: negotiations recorded one by one, and the breakers read from /readyz.
import type { BreakerSample, NegotiationRecord } from './soak-failover-analysis'
import { failureFromBody, recordFailure } from './soak-classify'
import type { SoakProgress } from './soak-load'

/** Far beyond the Worker's 5 s deadline: only a Worker that hangs runs into it. */
const CLIENT_TIMEOUT_MS = 30_000
/** Often enough to see a 5 s open period begin and end; one cheap request each. */
export const BREAKER_SAMPLE_EVERY_MS = 250

export interface FailoverLoad {
  records: NegotiationRecord[]
  breakers: BreakerSample[]
  /** Resolves when every loop has ended after stop(). */
  done: Promise<void>
  stop(): void
}

/**
 * `concurrency` loops of GET /negotiate until stop(); the resource of each 200 is the one whose
 * port its `baseUrl` names. Times are ms since `startedAt` (performance.now()).
 */
export function startFailoverLoad(options: {
  url: string
  negotiatorUrl: string
  endpoints: readonly string[]
  concurrency: number
  signal: AbortSignal
  progress: SoakProgress
  startedAt: number
}): FailoverLoad {
  const { progress, startedAt } = options
  const ports = options.endpoints.map((endpoint) => new URL(endpoint).port)
  const records: NegotiationRecord[] = []
  const breakers: BreakerSample[] = []
  let stopped = false
  const since = () => performance.now() - startedAt
  const epochAtStart = Date.now() - since()

  const loop = async (): Promise<void> => {
    while (!stopped && !options.signal.aborted) {
      const sentMs = since()
      let record: NegotiationRecord
      try {
        const response = await fetch(options.url, {
          signal: AbortSignal.any([options.signal, AbortSignal.timeout(CLIENT_TIMEOUT_MS)]),
        })
        const body = await response.text()
        const doneMs = since()
        let baseUrl: unknown
        if (response.status === 200) {
          try {
            baseUrl = (JSON.parse(body) as { baseUrl?: unknown }).baseUrl
          } catch {
            baseUrl = undefined
          }
        }
        const resource = typeof baseUrl === 'string' ? ports.indexOf(new URL(baseUrl).port) : -1
        if (response.status === 200 && resource !== -1) {
          record = { sentMs, doneMs, status: 200, resource, code: '', retryAfter: false }
          progress.ok += 1
        } else {
          const failure =
            response.status === 200
              ? { status: 200, code: 'incomplete_success_body' }
              : failureFromBody(response.status, body)
          recordFailure(progress.failures, failure)
          record = {
            sentMs,
            doneMs,
            status: response.status,
            resource: -1,
            code: failure.code,
            retryAfter: response.headers.has('retry-after'),
          }
        }
      } catch {
        if (options.signal.aborted) return
        recordFailure(progress.failures, { status: 0, code: 'transport_error' })
        record = {
          sentMs,
          doneMs: since(),
          status: 0,
          resource: -1,
          code: 'transport_error',
          retryAfter: false,
        }
      }
      records.push(record)
      progress.done += 1
    }
  }

  const sampleBreakers = async (): Promise<void> => {
    const tMs = since()
    try {
      const response = await fetch(`${options.negotiatorUrl}/readyz`, {
        signal: AbortSignal.timeout(2_000),
      })
      const body = (await response.json()) as {
        resources?: { state?: string; probeAfter?: string }[]
      }
      const list = body.resources ?? []
      breakers.push({
        tMs,
        states: options.endpoints.map((_, i) => list[i]?.state),
        probeAfterMs: options.endpoints.map((_, i) => {
          const at = list[i]?.probeAfter
          return at === undefined ? undefined : Date.parse(at) - epochAtStart
        }),
      })
    } catch {
      // A missed sample leaves a gap; the analysis reads the samples it has.
    }
  }
  let sampling = false
  const timer = setInterval(() => {
    if (sampling) return
    sampling = true
    void sampleBreakers().finally(() => (sampling = false))
  }, BREAKER_SAMPLE_EVERY_MS)

  const done = Promise.all(Array.from({ length: options.concurrency }, loop)).then(() =>
    clearInterval(timer),
  )
  return {
    records,
    breakers,
    done,
    stop: () => {
      stopped = true
    },
  }
}
