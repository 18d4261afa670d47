// Prints the benchmark's result as a table: medians and percentiles per contestant, and ours / SDK.
import type { RouteCounters } from './emulator-control'
import { median } from './stats'
import type { BenchReport, ContestantName, PerContestant, PhaseResult } from './types'

type Row = [label: string, ours: string, sdk: string, ratio: string]

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

function row(label: string, values: PerContestant<number | undefined>, digits?: number): Row {
  return [
    label,
    formatNumber(values.ours, digits),
    formatNumber(values.sdk, digits),
    ratio(values.ours, values.sdk),
  ]
}

type Metric = [label: string, value: (c: ContestantName) => number | undefined, digits?: number]

function phaseRows(phase: PhaseResult): Row[] {
  const metrics: Metric[] = [
    ['latency p50 ms', (c) => phase.latency[c].p50],
    ['latency p90 ms', (c) => phase.latency[c].p90],
    ['latency p99 ms', (c) => phase.latency[c].p99],
    ['requests/s (median of rounds)', (c) => phase.requestsPerSecond[c], 0],
    ['server process CPU ms / request', (c) => phase.serverCpuMsPerRequest[c]],
  ]
  if (isNegotiation(phase))
    metrics.push(['emulator CPU ms / request', (c) => phase.emulatorCpuMsPerRequest[c]])
  if (phase.errors.ours + phase.errors.sdk > 0)
    metrics.push(['ERRORS (non-200 or network)', (c) => phase.errors[c], 0])
  const title: Row = [`${phase.name}, concurrency ${phase.concurrency}`, '', '', '']
  return [
    title,
    ...metrics.map(([label, value, digits]) =>
      row(`  ${label}`, { ours: value('ours'), sdk: value('sdk') }, digits),
    ),
  ]
}

const isNegotiation = (phase: PhaseResult) => phase.path.startsWith('/negotiate')

/** Upstream requests per successful negotiation over every warm phase. */
function upstreamPerNegotiation(phases: PhaseResult[]): PerContestant<RouteCounters> {
  const result: PerContestant<RouteCounters> = { ours: {}, sdk: {} }
  for (const contestant of ['ours', 'sdk'] as const) {
    const total: RouteCounters = {}
    let ok = 0
    for (const phase of phases.filter(isNegotiation))
      for (const segment of phase.segments[contestant]) {
        ok += segment.requests - segment.errors
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

function table(rows: Row[]): string {
  const header: Row = ['', 'ours', 'SDK', 'ours/SDK']
  const all = [header, ...rows]
  const widths = [0, 1, 2, 3].map((i) => Math.max(...all.map((r) => r[i]?.length ?? 0)))
  return all
    .map((r) =>
      r[1] === '' && r[2] === '' && r !== header
        ? r[0]
        : [
            r[0].padEnd(widths[0]!),
            ...r.slice(1).map((cell, i) => cell.padStart(widths[i + 1]!)),
          ].join('   '),
    )
    .join('\n')
}

export function printReport(report: BenchReport): void {
  const { machine, options } = report
  const lines: string[] = [
    '',
    'GET /negotiate — ours (workerd via Miniflare) vs the official Azure SDK (Node), same TLS emulator',
    `${report.date} · ${machine.cpuModel} × ${machine.cpuCount} · Node ${machine.node} · ` +
      `${options.rounds} rounds × ${options.durationMsPerSegment / 1000} s per contestant and phase, interleaved`,
    '',
  ]
  const rows: Row[] = report.phases.flatMap(phaseRows)

  // What a negotiation adds to the cheapest request each server can answer, sequentially.
  const floor = report.phases.find((p) => !isNegotiation(p) && p.concurrency === 1)
  const sequential = report.phases.find((p) => isNegotiation(p) && p.concurrency === 1)
  if (floor !== undefined && sequential !== undefined) {
    rows.push(['negotiation work above the floor (sequential p50 − /healthz p50)', '', '', ''])
    rows.push(
      row('  ms', {
        ours: sequential.latency.ours.p50 - floor.latency.ours.p50,
        sdk: sequential.latency.sdk.p50 - floor.latency.sdk.p50,
      }),
    )
  }

  const upstream = upstreamPerNegotiation(report.phases)
  rows.push(['upstream calls per negotiation, warm (emulator counters)', '', '', ''])
  for (const route of ['entra.token', 'webpubsub.generateToken'])
    rows.push(
      row(`  ${route}`, { ours: upstream.ours[route] ?? 0, sdk: upstream.sdk[route] ?? 0 }, 4),
    )
  const others = new Set([...Object.keys(upstream.ours), ...Object.keys(upstream.sdk)])
  for (const route of others)
    if (route !== 'entra.token' && route !== 'webpubsub.generateToken')
      rows.push(
        row(`  ${route}`, { ours: upstream.ours[route] ?? 0, sdk: upstream.sdk[route] ?? 0 }, 4),
      )

  const { cold } = report
  if (cold.repetitions > 0) {
    rows.push([`cold start: fresh process, median of ${cold.repetitions}`, '', '', ''])
    rows.push(
      row('  first negotiation ms', {
        ours: median(cold.firstMs.ours),
        sdk: median(cold.firstMs.sdk),
      }),
    )
    rows.push(
      row('  second negotiation ms', {
        ours: median(cold.secondMs.ours),
        sdk: median(cold.secondMs.sdk),
      }),
    )
  }

  rows.push(['memory after load (process RSS; workerd = the whole runtime)', '', '', ''])
  rows.push(
    row('  RSS MiB', { ours: report.memoryMiB.ours?.rss, sdk: report.memoryMiB.sdk?.rss }, 1),
  )
  rows.push(
    row(
      '  peak RSS MiB',
      { ours: report.memoryMiB.ours?.peak, sdk: report.memoryMiB.sdk?.peak },
      1,
    ),
  )
  lines.push(table(rows), '')

  lines.push(
    `warm-up upstream: ours ${countersText(report.warmupUpstream.ours)}; SDK ${countersText(report.warmupUpstream.sdk)}`,
  )
  if (cold.repetitions > 0)
    lines.push(
      `cold first negotiations upstream (all ${cold.repetitions}): ours ${countersText(cold.upstream.ours)}; ` +
        `SDK ${countersText(cold.upstream.sdk)}`,
    )
  const sources: Record<string, number> = {}
  for (const phase of report.phases)
    for (const segment of phase.segments.ours)
      for (const [source, n] of Object.entries(segment.entraSources))
        sources[source] = (sources[source] ?? 0) + n
  lines.push(`ours, Entra token source per negotiation (Server-Timing): ${countersText(sources)}`)
  for (const bundle of report.bundles)
    lines.push(
      'error' in bundle
        ? `bundle: not measured (${bundle.error.split('\n')[0]})`
        : `bundle: ${bundle.file} ${(bundle.bytes / 1024).toFixed(1)} KiB, gzip -9 ${(bundle.gzipBytes / 1024).toFixed(1)} KiB` +
            ` (${bundle.command}${bundle.wranglerSays ? `; wrangler: ${bundle.wranglerSays}` : ''})`,
    )
  lines.push(
    'ratios: ours / SDK — below 1× is better for latency, CPU and memory; above 1× for requests/s',
  )
  console.log(lines.join('\n'))
}
