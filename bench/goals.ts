// The goals issue 9 records, checked against one run: PASS or MISS each, with the measured figure.
import { AUTH_API_ROUTE } from './scenarios'
import { formatNumber, ratio } from './table'
import type { BenchReport, ContestantName, PhaseResult, Segment } from './types'

export interface GoalResult {
  goal: string
  measured: string
  /** undefined when the run did not measure it (interrupted, --cold 0). */
  pass: boolean | undefined
}

/** Our requests/s at least this share of the naive Worker's, new identity each time. */
export const NEW_IDENTITY_MIN_SHARE_OF_NAIVE = 0.95
/** Our p50 at most this share of the SDK's for one caller negotiating again and again. */
export const REPEAT_MAX_P50_SHARE_OF_SDK = 0.2
/** Auth API calls per negotiation for that caller: the client token reused. */
export const REPEAT_MAX_AUTH_API_CALLS = 0.01

/** a / b within each round, where both ran next to each other: how much the ratio moved. */
function perRound(
  phase: PhaseResult | undefined,
  pick: (segment: Segment) => number,
  a: ContestantName = 'ours',
  b: ContestantName = 'naive',
): string {
  const ratios = (phase?.segments[a] ?? []).flatMap((segment) => {
    const other = phase?.segments[b]?.find((s) => s.round === segment.round)
    return other === undefined ? [] : [ratio(pick(segment), pick(other))]
  })
  return ratios.length === 0 ? '' : ` (per round: ${ratios.map((r) => formatNumber(r)).join(', ')})`
}

const verdict = (pass: boolean | undefined) =>
  pass === undefined ? 'n/a ' : pass ? 'PASS' : 'MISS'

export function evaluateGoals(report: BenchReport): GoalResult[] {
  const phase = (id: string) => report.phases.find((p) => p.id === id)
  const goals: GoalResult[] = []

  const fresh = phase('new-identity')
  const share = ratio(fresh?.requestsPerSecond.ours, fresh?.requestsPerSecond.naive)
  goals.push({
    goal: `new identity, c=${fresh?.concurrency ?? 20}: ours req/s ≥ ${NEW_IDENTITY_MIN_SHARE_OF_NAIVE}× naive`,
    measured:
      `${formatNumber(fresh?.requestsPerSecond.ours, 0)} / ${formatNumber(fresh?.requestsPerSecond.naive, 0)} req/s = ` +
      `${formatNumber(share)}×${perRound(fresh, (s) => s.requestsPerSecond)}`,
    pass: share === undefined ? undefined : share >= NEW_IDENTITY_MIN_SHARE_OF_NAIVE,
  })

  const repeat = phase('repeat-identity')
  const p50Share = ratio(repeat?.latency.ours?.p50, repeat?.latency.sdk?.p50)
  goals.push({
    goal: `repeat identity: ours p50 ≤ ${REPEAT_MAX_P50_SHARE_OF_SDK}× SDK p50`,
    measured:
      `${formatNumber(repeat?.latency.ours?.p50)} / ${formatNumber(repeat?.latency.sdk?.p50)} ms = ` +
      `${formatNumber(p50Share)}×${perRound(repeat, (s) => s.latency.p50, 'ours', 'sdk')}`,
    pass: p50Share === undefined ? undefined : p50Share <= REPEAT_MAX_P50_SHARE_OF_SDK,
  })
  const calls = repeat?.upstreamPerRequest.ours?.[AUTH_API_ROUTE] ?? (repeat ? 0 : undefined)
  goals.push({
    goal: `repeat identity: ours Auth API calls / negotiation ≤ ${REPEAT_MAX_AUTH_API_CALLS}`,
    measured: formatNumber(calls, 4),
    pass: calls === undefined ? undefined : calls <= REPEAT_MAX_AUTH_API_CALLS,
  })

  const warm = report.cold.oursWarmKv
  const runs = warm.firstMs.length
  const entraCalls = warm.upstream['entra.token'] ?? 0
  goals.push({
    goal: 'cold isolate with a warm KV: 0 Entra calls',
    measured: runs === 0 ? 'not measured' : `${entraCalls} in ${runs} first negotiations`,
    pass: runs === 0 ? undefined : entraCalls === 0,
  })
  return goals
}

/**
 * Not a goal: ours with LOG_LEVEL=warn beside ours and naive in the CPU-bound phase, so that the
 * price of the audit line (one console.log per negotiation, on by default) shows on its own.
 */
export function auditLineLines(report: BenchReport): string[] {
  const fresh = report.phases.find((p) => p.id === 'new-identity')
  const rps = fresh?.requestsPerSecond
  if (rps?.oursQuiet === undefined) return []
  const cpu = (c: ContestantName) => fresh?.serverCpuMsPerRequest[c]
  return [
    `the audit line, c=${fresh?.concurrency}: ours without it (LOG_LEVEL=warn) ` +
      `${formatNumber(rps.oursQuiet, 0)} req/s = ${formatNumber(ratio(rps.oursQuiet, rps.naive))}× naive` +
      `${perRound(fresh, (s) => s.requestsPerSecond, 'oursQuiet', 'naive')}; ` +
      `ours with it = ${formatNumber(ratio(rps.ours, rps.oursQuiet))}× ours without` +
      `${perRound(fresh, (s) => s.requestsPerSecond, 'ours', 'oursQuiet')}; ` +
      `server CPU ms/request ${formatNumber(cpu('ours'))} with, ${formatNumber(cpu('oursQuiet'))} without, ` +
      `${formatNumber(cpu('naive'))} naive`,
  ]
}

export function goalLines(goals: GoalResult[]): string[] {
  return goals.map((g) => `  ${verdict(g.pass)}  ${g.goal}: ${g.measured}`)
}
