// One measured segment: load on one server, with the emulator's counters, TLS handshakes and both processes' CPU around it.
import { counterDelta, type RouteCounters } from './emulator-control'
import { runLoad } from './load'
import { cpuMs } from './proc'
import { summarize } from './stats'
import type { Segment } from './types'
import type { Server } from './workers'

/** A hard cap on requests per segment, in case a server is far faster than expected. */
export const MAX_REQUESTS_PER_SEGMENT = 200_000

export interface Upstream {
  counters(): Promise<RouteCounters>
  tlsHandshakes(): Promise<number>
  /** The emulator's process, for its CPU time. */
  pid: number
}

export interface SegmentPlan {
  /** Path and query, e.g. /negotiate?hub=chat */
  path: string
  /** Sent with every request, e.g. a caller's bearer token. */
  headers?: Record<string, string>
  concurrency: number
  durationMs: number
  round: number
  /** 0 when this server went first in the round, 1 when second, … */
  position: number
}

export async function measureSegment(
  server: Server,
  upstream: Upstream,
  plan: SegmentPlan,
  signal: AbortSignal,
): Promise<{ segment: Segment; latenciesMs: number[] }> {
  const countersBefore = await upstream.counters()
  const handshakesBefore = await upstream.tlsHandshakes()
  const serverCpuBefore = server.pid === undefined ? undefined : cpuMs(server.pid)
  const emulatorCpuBefore = cpuMs(upstream.pid)
  const clientCpuBefore = process.cpuUsage()
  const result = await runLoad({
    url: server.url + plan.path,
    headers: plan.headers,
    concurrency: plan.concurrency,
    durationMs: plan.durationMs,
    maxRequests: MAX_REQUESTS_PER_SEGMENT,
    signal,
  })
  const serverCpuAfter = server.pid === undefined ? undefined : cpuMs(server.pid)
  const emulatorCpuAfter = cpuMs(upstream.pid)
  const clientCpu = process.cpuUsage(clientCpuBefore)
  const handshakesAfter = await upstream.tlsHandshakes()
  const countersAfter = await upstream.counters()
  const segment: Segment = {
    round: plan.round,
    position: plan.position,
    requests: result.requests,
    errors: result.errors,
    firstError: result.firstError,
    elapsedMs: result.elapsedMs,
    requestsPerSecond: ((result.requests - result.errors) * 1000) / result.elapsedMs,
    latency: summarize(result.latenciesMs),
    upstream: counterDelta(countersBefore, countersAfter),
    upstreamTlsHandshakes: handshakesAfter - handshakesBefore,
    serverCpuMs: difference(serverCpuBefore, serverCpuAfter),
    emulatorCpuMs: difference(emulatorCpuBefore, emulatorCpuAfter),
    clientCpuMs: (clientCpu.user + clientCpu.system) / 1000,
    entraSources: result.entraSources,
  }
  return { segment, latenciesMs: result.latenciesMs }
}

function difference(before: number | undefined, after: number | undefined): number | undefined {
  return before === undefined || after === undefined ? undefined : after - before
}
