// What the benchmark chart shows: per phase, a row per contestant with its latency percentiles or its requests/s.
import {
  NEW_IDENTITY_MIN_SHARE_OF_NAIVE,
  REPEAT_MAX_AUTH_API_CALLS,
  REPEAT_MAX_P50_SHARE_OF_SDK,
} from './goals'
import { AUTH_API_ROUTE } from './scenarios'
import { median } from './stats'
import { formatNumber, ratio } from './table'
import {
  CONTESTANTS,
  LABELS,
  type BenchReport,
  type ContestantName,
  type PhaseResult,
} from './types'

export const COLORS: Record<ContestantName, string> = {
  ours: '#2563eb',
  oursQuiet: '#93c5fd',
  oursKey: '#7c3aed',
  naive: '#0d9488',
  naiveKey: '#65a30d',
  ok: '#6b7280',
  sdk: '#ea580c',
}

/** "naive" → "naive (reference)", "naive (access key)" → "naive (access key, reference)". */
export function referenceLabel(label: string): string {
  return label.endsWith(')') ? `${label.slice(0, -1)}, reference)` : `${label} (reference)`
}

/** The platform references: the naive Workers beside ours (not in the sequential phase, where
 * naive is measured for its own latency), and the "ok" Worker. */
const isReference = (c: ContestantName, phase: PhaseResult, panel: 'latency' | 'throughput') =>
  c === 'ok' ||
  c === 'naiveKey' ||
  (c === 'naive' && (panel === 'throughput' || phase.id !== 'sequential'))

export interface Row {
  label: string
  color: string
  /** Drawn back to front: the largest, lightest first. */
  bars: { value: number; opacity: number }[]
  note: string
}
export interface Group {
  title: string
  rows: Row[]
}

const times = (value: number | undefined) => `${formatNumber(value)}×`

/** The goal each panel shows beside a phase's title, with the measured ratio. */
function goalNote(phase: PhaseResult, panel: 'latency' | 'throughput'): string {
  if (panel === 'latency' && phase.id === 'repeat-identity-c1') {
    const share = ratio(phase.latency.ours?.p50, phase.latency.sdk?.p50)
    return ` · ours/SDK p50 ${times(share)}: the Auth API round trip saved, without queueing`
  }
  if (panel === 'latency' && phase.id === 'repeat-identity') {
    const share = ratio(phase.latency.ours?.p50, phase.latency.sdk?.p50)
    const calls = phase.upstreamPerRequest.ours?.[AUTH_API_ROUTE] ?? 0
    return (
      ` · ours/SDK p50 ${times(share)} (goal ≤ ${REPEAT_MAX_P50_SHARE_OF_SDK}×), ` +
      `Auth API calls/negotiation ${formatNumber(calls, 2)} (goal ≤ ${REPEAT_MAX_AUTH_API_CALLS})`
    )
  }
  if (panel === 'throughput' && phase.id === 'new-identity') {
    const { ours, oursQuiet, oursKey, naive, ok, sdk } = phase.requestsPerSecond
    const accessKey =
      oursKey === undefined
        ? ''
        : ` · ${LABELS.oursKey}/ok ${times(ratio(oursKey, ok))}, /naive ${times(ratio(oursKey, naive))}`
    return (
      ` · ours/naive ${times(ratio(ours, naive))} (goal ≥ ${NEW_IDENTITY_MIN_SHARE_OF_NAIVE}×), ` +
      `ours/SDK ${times(ratio(ours, sdk))}` +
      (oursQuiet === undefined
        ? ''
        : ` · ${LABELS.oursQuiet}/naive ${times(ratio(oursQuiet, naive))}`) +
      accessKey
    )
  }
  return ''
}

export function latencyGroups(report: BenchReport): Group[] {
  const groups: Group[] = report.phases.map((phase) => ({
    title: `${phase.name}, c=${phase.concurrency}${goalNote(phase, 'latency')}`,
    rows: CONTESTANTS.flatMap((c) => {
      const l = phase.latency[c]
      if (l === undefined || !(l.count > 0)) return []
      return [
        {
          label: isReference(c, phase, 'latency') ? referenceLabel(LABELS[c]) : LABELS[c],
          color: COLORS[c],
          bars: [
            { value: l.p99, opacity: 0.25 },
            { value: l.p90, opacity: 0.5 },
            { value: l.p50, opacity: 1 },
          ],
          note: `${formatNumber(l.p50)} · ${formatNumber(l.p90)} · ${formatNumber(l.p99)} ms`,
        },
      ]
    }),
  }))
  const { cold } = report
  if (cold.repetitions > 0) {
    const row = (label: string, color: string, values: number[]): Row => ({
      label,
      color,
      bars: [{ value: median(values), opacity: 1 }],
      note: `median ${formatNumber(median(values))} ms`,
    })
    groups.push({
      title: `cold start, first negotiation (median of ${cold.repetitions})`,
      rows: [
        row('ours, empty KV', COLORS.ours, cold.ours.firstMs),
        row('ours, new isolate, warm KV', COLORS.ours, cold.oursWarmKv.firstMs),
        row('SDK', COLORS.sdk, cold.sdk.firstMs),
      ],
    })
  }
  return groups.filter((g) => g.rows.length > 0)
}

export function throughputGroups(report: BenchReport): Group[] {
  return report.phases
    .filter((phase) => phase.concurrency > 1)
    .map((phase) => ({
      title: `${phase.name}, c=${phase.concurrency}${goalNote(phase, 'throughput')}`,
      rows: CONTESTANTS.flatMap((c) => {
        const value = phase.requestsPerSecond[c]
        if (value === undefined || !Number.isFinite(value)) return []
        return [
          {
            label: isReference(c, phase, 'throughput') ? referenceLabel(LABELS[c]) : LABELS[c],
            color: COLORS[c],
            bars: [{ value, opacity: 1 }],
            note: `${formatNumber(value, 0)} req/s`,
          },
        ]
      }),
    }))
}
