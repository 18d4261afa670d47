// The load generator: N concurrent loops of GET /negotiate with Node's fetch, bounded by time and by count.

export interface LoadOptions {
  /** Full URL, e.g. http://127.0.0.1:41234/negotiate?hub=chat */
  url: string
  concurrency: number
  durationMs: number
  /** A hard cap on requests, in case the server is far faster than expected. */
  maxRequests: number
  /** Stops the loops early (SIGINT). */
  signal: AbortSignal
  /** Sent with every request, e.g. a caller's bearer token. */
  headers?: Record<string, string>
}

export interface LoadResult {
  /** Completed requests, successful or not. */
  requests: number
  /** Non-200 answers and network errors. */
  errors: number
  /** The first error seen, to say what went wrong. */
  firstError?: string
  elapsedMs: number
  /** Latency of each successful request, including reading the body. */
  latenciesMs: number[]
  /** Where our negotiator got its Entra token (Server-Timing `entra;desc=…`): memory, kv, fetch. */
  entraSources: Record<string, number>
}

const REQUEST_TIMEOUT_MS = 10_000

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const result: LoadResult = {
    requests: 0,
    errors: 0,
    elapsedMs: 0,
    latenciesMs: [],
    entraSources: {},
  }
  let started = 0
  const startMs = performance.now()
  const deadlineMs = startMs + options.durationMs

  const loop = async (): Promise<void> => {
    while (
      !options.signal.aborted &&
      started < options.maxRequests &&
      performance.now() < deadlineMs
    ) {
      started += 1
      const sent = performance.now()
      try {
        const response = await fetch(options.url, {
          headers: options.headers,
          signal: AbortSignal.any([options.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
        })
        // The body is part of the answer a browser waits for; reading it also frees the socket.
        const body = await response.text()
        const latencyMs = performance.now() - sent
        result.requests += 1
        if (response.status !== 200) {
          result.errors += 1
          result.firstError ??= `${response.status} ${body.slice(0, 300)}`
          continue
        }
        result.latenciesMs.push(latencyMs)
        const source = entraSource(response)
        if (source !== undefined)
          result.entraSources[source] = (result.entraSources[source] ?? 0) + 1
      } catch (error) {
        if (options.signal.aborted) return
        result.requests += 1
        result.errors += 1
        result.firstError ??= (error as Error).message
      }
    }
  }

  await Promise.all(Array.from({ length: options.concurrency }, loop))
  result.elapsedMs = performance.now() - startMs
  return result
}

/** Where our negotiator got the answer's Entra token, from its Server-Timing header. */
function entraSource(response: Response): string | undefined {
  return /entra;[^,]*desc="?(\w+)/.exec(response.headers.get('server-timing') ?? '')?.[1]
}

/** One request, timed; for cold starts. Throws on anything but 200. */
export async function timeOne(url: string): Promise<{ ms: number; entraSource?: string }> {
  const sent = performance.now()
  const response = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
  const body = await response.text()
  const ms = performance.now() - sent
  if (response.status !== 200) throw new Error(`${url}: ${response.status} ${body.slice(0, 300)}`)
  return { ms, entraSource: entraSource(response) }
}
