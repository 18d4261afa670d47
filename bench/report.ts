// Prints the benchmark's result as a table: medians and percentiles per contestant, and ours / SDK.
import type { RouteCounters } from './emulator-control'
import { median } from './stats'
import type { BenchReport, ContestantName, PerContestant, PhaseResult } from './types'

type Row = [label: string, ours: string, sdk: string, ratio: string]
type Value = (c: ContestantName) => number | undefined
/** A table line: a section title alone, or a label with a value per contestant. */
type Line = string | [label: string, value: Value, digits?: number]

function formatNumber(value: number | undefined, digits?: number): string {
  if (value === undefined || !Number.isFinite(value)) return '–'
  if (digits !== undefined) return value.toFixed(digits)
  if (Math.abs(value) >= 100) return value.toFixed(0)
  if (Math.abs(value) >= 10) return value.toFixed(1)
  return value.toFixed(2)
}

function ratio(ours: number | undefined, sdk: number | undefined): string {
  if (ours === undefined || sdk === undefined || !(sdk > 0) || !Number.isFinite(ours)) return '–'
  return `${(ours / sdk).toFixed(2)}×`
}

const isNegotiation = (phase: PhaseResult) => phase.path.startsWith('/negotiate')

function phaseLines(phase: PhaseResult): Line[] {
  const lines: Line[] = [
    `${phase.name}, concurrency ${phase.concurrency}`,
    ['latency p50 ms', (c) => phase.latency[c].p50],
    ['latency p90 ms', (c) => phase.latency[c].p90],
    ['latency p99 ms', (c) => phase.latency[c].p99],
    ['requests/s (median of rounds)', (c) => phase.requestsPerSecond[c], 0],
    ['server process CPU ms / request', (c) => phase.serverCpuMsPerRequest[c]],
  ]
  if (isNegotiation(phase))
    lines.push(['emulator CPU ms / request', (c) => phase.emulatorCpuMsPerRequest[c]])
  if (phase.errors.ours + phase.errors.sdk > 0)
    lines.push(['ERRORS (non-200 or network)', (c) => phase.errors[c], 0])
  return lines
}

/** Upstream requests and TLS handshakes per successful negotiation over every warm phase. */
function upstreamPerNegotiation(phases: PhaseResult[]): PerContestant<RouteCounters> {
  const result: PerContestant<RouteCounters> = { ours: {}, sdk: {} }
  for (const contestant of ['ours', 'sdk'] as const) {
    const total: RouteCounters = { 'TLS handshakes': 0 }
    let ok = 0
    for (const phase of phases.filter(isNegotiation))
      for (const segment of phase.segments[contestant]) {
        ok += segment.requests - segment.errors
        total['TLS handshakes']! += segment.upstreamTlsHandshakes
        for (const [route, value] of Object.entries(segment.upstream))
          total[route] = (total[route] ?? 0) + value
      }
    for (const [route, value] of Object.entries(total))
      result[contestant][route] = value / Math.max(1, ok)
  }
  return result
}

function countersText(counters: RouteCounters): string {
  const entries = Object.entries(counters)
  return entries.length === 0 ? 'none' : entries.map(([route, n]) => `${route} ${n}`).join(', ')
}

function table(lines: Line[]): string {
  const rows: (Row | string)[] = lines.map((line) => {
    if (typeof line === 'string') return line
    const [label, value, digits] = line
    const ours = value('ours')
    const sdk = value('sdk')
    return [`  ${label}`, formatNumber(ours, digits), formatNumber(sdk, digits), ratio(ours, sdk)]
  })
  const header: Row = ['', 'ours', 'SDK', 'ours/SDK']
  const cells = [header, ...rows.filter((r): r is Row => typeof r !== 'string')]
  const widths = [0, 1, 2, 3].map((i) => Math.max(...cells.map((r) => r[i]?.length ?? 0)))
  const format = (r: Row) =>
    [r[0].padEnd(widths[0] ?? 0), ...r.slice(1).map((cell, i) => cell.padStart(widths[i + 1] ?? 0))]
      .join('   ')
      .trimEnd()
  return [header, ...rows].map((r) => (typeof r === 'string' ? r : format(r))).join('\n')
}

export function printReport(report: BenchReport): void {
  const { machine, options, cold } = report
  const lines: Line[] = report.phases.flatMap(phaseLines)

  // What a negotiation adds to the cheapest request each server answers, both sequential.
  const floor = report.phases.find((p) => !isNegotiation(p) && p.concurrency === 1)
  const sequential = report.phases.find((p) => isNegotiation(p) && p.concurrency === 1)
  if (floor !== undefined && sequential !== undefined)
    lines.push('negotiation work above the floor', [
      'sequential p50 − /healthz p50, ms',
      (c) => sequential.latency[c].p50 - floor.latency[c].p50,
    ])

  const upstream = upstreamPerNegotiation(report.phases)
  const routes = new Set(['entra.token', 'webpubsub.generateToken', 'TLS handshakes'])
  for (const route of [...Object.keys(upstream.ours), ...Object.keys(upstream.sdk)])
    routes.add(route)
  lines.push('upstream per negotiation, warm (emulator counters)')
  for (const route of routes) lines.push([route, (c) => upstream[c][route] ?? 0, 4])

  if (cold.repetitions > 0)
    lines.push(
      `cold start: a fresh process each time, median of ${cold.repetitions}`,
      ['first negotiation ms', (c) => median(cold.firstMs[c])],
      ['second negotiation ms', (c) => median(cold.secondMs[c])],
    )

  lines.push('memory: process RSS MiB (workerd = the whole runtime, not one isolate)')
  for (const sample of report.memoryTimeline)
    lines.push([`after ${sample.after}`, (c) => sample[c]?.rss, 1])

  const notes: string[] = []
  const ref = report.floorReference
  if (ref !== undefined)
    notes.push(
      `floor reference, a Worker that only returns "ok" on the same Miniflare setup: ` +
        `p50 ${formatNumber(ref.latency.p50)} ms, p99 ${formatNumber(ref.latency.p99)} ms, ` +
        `${formatNumber(ref.requestsPerSecond, 0)} req/s, ` +
        `workerd CPU ${formatNumber(ref.serverCpuMsPerRequest)} ms/request`,
    )
  notes.push(
    `warm-up upstream: ours ${countersText(report.warmupUpstream.ours)}; ` +
      `SDK ${countersText(report.warmupUpstream.sdk)}`,
  )
  if (cold.repetitions > 0)
    notes.push(
      `cold first negotiations upstream (all ${cold.repetitions}): ` +
        `ours ${countersText(cold.upstream.ours)}; SDK ${countersText(cold.upstream.sdk)}`,
    )
  const sources: Record<string, number> = {}
  for (const phase of report.phases)
    for (const segment of phase.segments.ours)
      for (const [source, n] of Object.entries(segment.entraSources))
        sources[source] = (sources[source] ?? 0) + n
  notes.push(
    `ours, where each answer's Entra token came from (Server-Timing): ${countersText(sources)}`,
  )
  const { bundle } = report
  notes.push(
    'error' in bundle
      ? `bundle: not measured (${bundle.error.split('\n')[0]})`
      : `bundle: ${bundle.file} ${(bundle.bytes / 1024).toFixed(1)} KiB, ` +
          `gzip -9 ${(bundle.gzipBytes / 1024).toFixed(1)} KiB (${bundle.command}` +
          `${bundle.wranglerSays ? `; wrangler: ${bundle.wranglerSays}` : ''})`,
    'ratios are ours / SDK: below 1× is better for latency, CPU, upstream calls and memory; ' +
      'above 1× for requests/s',
  )

  console.log(
    [
      '',
      'GET /negotiate: ours (workerd via Miniflare) vs the official Azure SDK (Node), one TLS emulator',
      `${report.date} · ${machine.cpuModel} × ${machine.cpuCount} · Node ${machine.node} · ` +
        `${options.rounds} rounds × ${options.durationMsPerSegment / 1000} s per contestant and ` +
        'phase, interleaved',
      '',
      table(lines),
      '',
      ...notes,
    ].join('\n'),
  )
}
