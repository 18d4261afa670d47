// Turns the rounds of one phase into per-contestant summaries: pooled latency, median throughput, costs.
import type { RouteCounters } from './emulator-control'
import { median, summarize } from './stats'
import type { ContestantName, PerContestant, PhaseResult, Segment } from './types'

export function summarizePhase(
  phase: { name: string; path: string; concurrency: number },
  segments: PerContestant<Segment[]>,
  samples: PerContestant<number[]>,
): PhaseResult {
  const per = <T>(f: (list: Segment[], contestant: ContestantName) => T): PerContestant<T> => ({
    ours: f(segments.ours, 'ours'),
    sdk: f(segments.sdk, 'sdk'),
  })
  const successes = (list: Segment[]) =>
    Math.max(
      1,
      list.reduce((sum, s) => sum + s.requests - s.errors, 0),
    )
  const cpuPerNegotiation = (list: Segment[], pick: (s: Segment) => number | undefined) => {
    const values = list.map(pick)
    if (values.some((value) => value === undefined)) return undefined
    return (values as number[]).reduce((a, b) => a + b, 0) / successes(list)
  }
  return {
    name: phase.name,
    path: phase.path,
    concurrency: phase.concurrency,
    segments,
    latency: per((_, contestant) => summarize(samples[contestant])),
    requestsPerSecond: per((list) => median(list.map((s) => s.requestsPerSecond))),
    upstreamPerNegotiation: per((list) => {
      const total: RouteCounters = {}
      for (const s of list)
        for (const [route, value] of Object.entries(s.upstream))
          total[route] = (total[route] ?? 0) + value
      const ok = successes(list)
      return Object.fromEntries(Object.entries(total).map(([route, value]) => [route, value / ok]))
    }),
    serverCpuMsPerRequest: per((list) => cpuPerNegotiation(list, (s) => s.serverCpuMs)),
    emulatorCpuMsPerRequest: per((list) => cpuPerNegotiation(list, (s) => s.emulatorCpuMs)),
    errors: per((list) => list.reduce((sum, s) => sum + s.errors, 0)),
  }
}
