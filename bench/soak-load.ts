// The soak's load: a fixed number of GET /negotiate over N concurrent loops, each answer checked and classified.
import {
  createFailureTally,
  failureFromBody,
  recordFailure,
  type FailureTally,
} from './soak-classify'

/** Far beyond the Worker's 5 s deadline: only a Worker that hangs runs into it. */
const CLIENT_TIMEOUT_MS = 30_000

export interface SoakLoadOptions {
  /** e.g. http://127.0.0.1:41234/negotiate?hub=chat */
  url: string
  total: number
  concurrency: number
  /** Stops the loops early (SIGINT). */
  signal: AbortSignal
}

/** Live totals, read by the progress line and the RSS sampler while the loops run. */
export interface SoakProgress {
  /** Answered (or failed) negotiations. */
  done: number
  ok: number
  failures: FailureTally
  /** Latency of each successful negotiation, body included; the first `ok` entries are set. */
  okLatenciesMs: Float64Array
  /** Server-Timing `entra;desc=` of successful answers: where the Entra token came from. */
  entraSources: Record<string, number>
}

export function createSoakProgress(total: number): SoakProgress {
  return {
    done: 0,
    ok: 0,
    failures: createFailureTally(),
    okLatenciesMs: new Float64Array(total),
    entraSources: {},
  }
}

/** A 200 must carry what a client connects with; anything less is a failure too. */
function isNegotiated(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as { url?: unknown; token?: unknown }
    return typeof parsed.url === 'string' && typeof parsed.token === 'string'
  } catch {
    return false
  }
}

export async function runSoakLoad(options: SoakLoadOptions, progress: SoakProgress): Promise<void> {
  let started = 0
  const loop = async (): Promise<void> => {
    while (!options.signal.aborted && started < options.total) {
      started += 1
      const sent = performance.now()
      try {
        const response = await fetch(options.url, {
          signal: AbortSignal.any([options.signal, AbortSignal.timeout(CLIENT_TIMEOUT_MS)]),
        })
        // Reading the body is part of the answer, and frees the connection for the next request.
        const body = await response.text()
        const latencyMs = performance.now() - sent
        if (response.status === 200 && isNegotiated(body)) {
          progress.okLatenciesMs[progress.ok] = latencyMs
          progress.ok += 1
          const source = /entra;[^,]*desc="?(\w+)/.exec(
            response.headers.get('server-timing') ?? '',
          )?.[1]
          if (source !== undefined)
            progress.entraSources[source] = (progress.entraSources[source] ?? 0) + 1
        } else {
          recordFailure(
            progress.failures,
            response.status === 200
              ? { status: 200, code: 'incomplete_success_body' }
              : failureFromBody(response.status, body),
          )
        }
      } catch {
        if (options.signal.aborted) return
        recordFailure(progress.failures, { status: 0, code: 'transport_error' })
      }
      progress.done += 1
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, loop))
}
