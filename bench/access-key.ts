// Access-key mode in the new-identity phase: req/s, p50/p99, upstream calls (which must be 0) and ratios to the references.
import { formatNumber, ratio } from './table'
import {
  LABELS,
  type AccessKeySummary,
  type ContestantName,
  type PhaseResult,
  type Segment,
} from './types'

/** The phase the access-key contestants run in: CPU-bound, next to ours (Entra), naive and ok. */
export const ACCESS_KEY_PHASE = 'new-identity'

/** a / b of a figure within each round where both ran. */
function perRound(
  phase: PhaseResult,
  a: ContestantName,
  b: ContestantName,
  pick: (s: Segment) => number,
): number[] {
  return (phase.segments[a] ?? []).flatMap((segment) => {
    const other = phase.segments[b]?.find((s) => s.round === segment.round)
    const value = other === undefined ? undefined : ratio(pick(segment), pick(other))
    return value === undefined ? [] : [value]
  })
}

/** undefined when the phase did not run (interrupted) or ran without the access-key contestant. */
export function summarizeAccessKey(phases: PhaseResult[]): AccessKeySummary | undefined {
  const phase = phases.find((p) => p.id === ACCESS_KEY_PHASE)
  if (phase?.segments.oursKey === undefined) return undefined
  const contestants: AccessKeySummary['contestants'] = {}
  for (const name of ['oursKey', 'naiveKey'] as const) {
    const segments = phase.segments[name]
    if (segments === undefined) continue
    const sum = (pick: (s: Segment) => number) => segments.reduce((n, s) => n + pick(s), 0)
    const negotiations = sum((s) => s.requests - s.errors)
    // Every instrumented emulator route (Entra, Web PubSub REST, OIDC), not only the two the
    // Entra mode uses: in this mode nothing at all should reach the emulator.
    const upstreamCalls = sum((s) => Object.values(s.upstream).reduce((n, v) => n + v, 0))
    contestants[name] = {
      requestsPerSecond: phase.requestsPerSecond[name],
      p50Ms: phase.latency[name]?.p50,
      p99Ms: phase.latency[name]?.p99,
      negotiations,
      errors: phase.errors[name] ?? 0,
      upstreamCalls,
      upstreamTlsHandshakes: sum((s) => s.upstreamTlsHandshakes),
      upstreamCallsPerNegotiation: upstreamCalls / Math.max(1, negotiations),
    }
  }
  const rps = phase.requestsPerSecond
  const pair = (b: ContestantName) => ({
    requestsPerSecond: ratio(rps.oursKey, rps[b]),
    perRound: perRound(phase, 'oursKey', b, (s) => s.requestsPerSecond),
    p50: ratio(phase.latency.oursKey?.p50, phase.latency[b]?.p50),
  })
  return {
    phase: phase.id,
    concurrency: phase.concurrency,
    contestants,
    ratios: {
      ok: pair('ok'),
      naive: pair('naive'),
      naiveKey: pair('naiveKey'),
      ours: pair('ours'),
    },
  }
}

/** The printed block: one line per access-key contestant, the zero-upstream check, the ratios. */
export function accessKeyLines(summary: AccessKeySummary | undefined): string[] {
  if (summary === undefined) return ['access-key mode: not measured']
  const lines = [
    `access-key mode (WEBPUBSUB_CONNECTION_STRING, tokens signed in the Worker), new identity, c=${summary.concurrency}`,
  ]
  const entries = Object.entries(summary.contestants) as [
    ContestantName,
    AccessKeySummary['contestants'][ContestantName],
  ][]
  const width = Math.max(...entries.map(([name]) => LABELS[name].length))
  for (const [name, c] of entries) {
    if (c === undefined) continue
    lines.push(
      `  ${LABELS[name].padEnd(width)}  ${formatNumber(c.requestsPerSecond, 0)} req/s, ` +
        `p50 ${formatNumber(c.p50Ms)} ms, p99 ${formatNumber(c.p99Ms)} ms, ` +
        `upstream calls / negotiation ${formatNumber(c.upstreamCallsPerNegotiation, 4)} ` +
        `(${c.upstreamCalls} emulator requests and ${c.upstreamTlsHandshakes} TLS handshakes ` +
        `over ${c.negotiations} negotiations${c.errors > 0 ? `, ${c.errors} ERRORS` : ''})`,
    )
  }
  const zero = entries.every(([, c]) => c?.upstreamCalls === 0 && c.upstreamTlsHandshakes === 0)
  lines.push(`  ${zero ? 'PASS' : 'MISS'}  0 upstream calls and 0 TLS handshakes at the emulator`)
  const names: [keyof AccessKeySummary['ratios'], string][] = [
    ['ok', 'ok'],
    ['naive', 'naive'],
    ['naiveKey', 'naive (access key)'],
    ['ours', 'ours (Entra)'],
  ]
  for (const [key, label] of names) {
    const r = summary.ratios[key]
    if (r.requestsPerSecond === undefined) continue
    const rounds = r.perRound.map((v) => formatNumber(v)).join(', ')
    lines.push(
      `  ${LABELS.oursKey} / ${label}: req/s ${formatNumber(r.requestsPerSecond)}×` +
        `${rounds === '' ? '' : ` (per round: ${rounds})`}, p50 ${formatNumber(r.p50)}×`,
    )
  }
  return lines
}
