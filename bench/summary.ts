// Turns the rounds of one phase into per-contestant summaries: pooled latency, median throughput, costs.
import type { RouteCounters } from './emulator-control'
import { median, summarize } from './stats'
import type { PerContestant, PhaseResult, Segment } from './types'

/** Successful requests over a list of segments (at least 1, to divide by). */
export const successes = (list: Segment[]): number =>
  Math.max(
    1,
    list.reduce((sum, s) => sum + s.requests - s.errors, 0),
  )

/** Upstream requests per successful request, per route, over a list of segments. */
export function upstreamPerRequest(list: Segment[]): RouteCounters {
  const total: RouteCounters = {}
  for (const s of list)
    for (const [route, value] of Object.entries(s.upstream))
      total[route] = (total[route] ?? 0) + value
  const ok = successes(list)
  return Object.fromEntries(Object.entries(total).map(([route, value]) => [route, value / ok]))
}

function cpuPerRequest(list: Segment[], pick: (s: Segment) => number | undefined) {
  const values = list.map(pick)
  if (values.some((value) => value === undefined)) return undefined
  return (values as number[]).reduce((a, b) => a + b, 0) / successes(list)
}

export function summarizePhase(
  phase: { id: string; name: string; concurrency: number; negotiation: boolean },
  paths: PerContestant<string>,
  segments: PerContestant<Segment[]>,
  samples: PerContestant<number[]>,
): PhaseResult {
  const per = <T>(f: (list: Segment[], name: keyof typeof segments) => T): PerContestant<T> => {
    const result: PerContestant<T> = {}
    for (const [name, list] of Object.entries(segments) as [keyof typeof segments, Segment[]][])
      result[name] = f(list, name)
    return result
  }
  return {
    id: phase.id,
    name: phase.name,
    concurrency: phase.concurrency,
    negotiation: phase.negotiation,
    paths,
    segments,
    latency: per((_, name) => summarize(samples[name] ?? [])),
    requestsPerSecond: per((list) => median(list.map((s) => s.requestsPerSecond))),
    upstreamPerRequest: per(upstreamPerRequest),
    serverCpuMsPerRequest: per((list) => cpuPerRequest(list, (s) => s.serverCpuMs)),
    emulatorCpuMsPerRequest: per((list) => cpuPerRequest(list, (s) => s.emulatorCpuMs)),
    clientCpuMsPerRequest: per((list) => cpuPerRequest(list, (s) => s.clientCpuMs)),
    errors: per((list) => list.reduce((sum, s) => sum + s.errors, 0)),
  }
}
