// Prints the benchmark's result: medians and percentiles per contestant and phase, the ratios, the goals.
import { accessKeyLines } from './access-key'
import type { RouteCounters } from './emulator-control'
import { auditLineLines, evaluateGoals, goalLines } from './goals'
import { startupLines } from './startup'
import { AUTH_API_ROUTE } from './scenarios'
import { median } from './stats'
import { successes } from './summary'
import { formatNumber, table, type Line } from './table'
import {
  CONTESTANTS,
  type BenchReport,
  type ColdSeries,
  type ContestantName,
  type PerContestant,
  type PhaseResult,
} from './types'

/** Rows about upstream calls make no sense for the "ok" Worker, which makes none. */
const negotiates = (c: ContestantName) => c !== 'ok'

function phaseLines(phase: PhaseResult): Line[] {
  const lines: Line[] = [
    `${phase.name}, concurrency ${phase.concurrency}`,
    ['latency p50 ms', (c) => phase.latency[c]?.p50],
    ['latency p90 ms', (c) => phase.latency[c]?.p90],
    ['latency p99 ms', (c) => phase.latency[c]?.p99],
    ['requests/s (median of rounds)', (c) => phase.requestsPerSecond[c], 0],
    ['server process CPU ms / request', (c) => phase.serverCpuMsPerRequest[c]],
    ['load generator CPU ms / request', (c) => phase.clientCpuMsPerRequest[c]],
  ]
  if (phase.negotiation)
    lines.push(
      [
        'emulator CPU ms / request',
        (c) => (negotiates(c) ? phase.emulatorCpuMsPerRequest[c] : undefined),
      ],
      [
        'Auth API calls / negotiation',
        (c) =>
          negotiates(c) && phase.upstreamPerRequest[c]
            ? (phase.upstreamPerRequest[c]?.[AUTH_API_ROUTE] ?? 0)
            : undefined,
        4,
      ],
    )
  if (Object.values(phase.errors).some((n) => n > 0))
    lines.push(['ERRORS (non-200 or network)', (c) => phase.errors[c], 0])
  return lines
}

/** Upstream requests and TLS handshakes per successful negotiation, over the new-identity phases. */
function upstreamPerNegotiation(phases: PhaseResult[]): PerContestant<RouteCounters> {
  const result: PerContestant<RouteCounters> = {}
  const counted = phases.filter((p) => p.negotiation && !p.id.startsWith('repeat-identity'))
  for (const name of CONTESTANTS.filter(negotiates)) {
    const segments = counted.flatMap((p) => p.segments[name] ?? [])
    if (segments.length === 0) continue
    const total: RouteCounters = { 'TLS handshakes': 0 }
    for (const segment of segments) {
      total['TLS handshakes'] = (total['TLS handshakes'] ?? 0) + segment.upstreamTlsHandshakes
      for (const [route, value] of Object.entries(segment.upstream))
        total[route] = (total[route] ?? 0) + value
    }
    const n = successes(segments)
    result[name] = Object.fromEntries(Object.entries(total).map(([r, value]) => [r, value / n]))
  }
  return result
}

const countersText = (counters: RouteCounters) => {
  const entries = Object.entries(counters)
  return entries.length === 0 ? 'none' : entries.map(([route, n]) => `${route} ${n}`).join(', ')
}

function coldLines(report: BenchReport): Line[] {
  const { cold } = report
  if (cold.repetitions === 0) return []
  const series = (c: ContestantName): ColdSeries | undefined =>
    c === 'ours' ? cold.ours : c === 'sdk' ? cold.sdk : undefined
  const at = (values: number[] | undefined) => (values === undefined ? undefined : median(values))
  return [
    `cold start: a fresh process each time, median of ${cold.repetitions}`,
    ['first negotiation ms', (c) => at(series(c)?.firstMs)],
    ['second negotiation ms', (c) => at(series(c)?.secondMs)],
    'cold start of a new isolate whose KV another isolate filled',
    ['first negotiation ms', (c) => (c === 'ours' ? median(cold.oursWarmKv.firstMs) : undefined)],
    [
      `Entra calls of the first negotiations (all ${cold.repetitions})`,
      (c) => (c === 'ours' ? (cold.oursWarmKv.upstream['entra.token'] ?? 0) : undefined),
      0,
    ],
  ]
}

export function reportLines(report: BenchReport): Line[] {
  const lines: Line[] = report.phases.flatMap(phaseLines)
  const floor = report.phases.find((p) => p.id === 'floor')
  const sequential = report.phases.find((p) => p.id === 'sequential')
  if (floor !== undefined && sequential !== undefined)
    // The naive Worker has no cheaper route: its platform floor is the "ok" Worker's.
    lines.push('negotiation work above the floor (naive: above the "ok" Worker)', [
      'sequential p50 − /healthz p50, ms',
      (c) => {
        const base = floor.latency[c === 'naive' ? 'ok' : c]?.p50
        const seq = sequential.latency[c]?.p50
        return base === undefined || seq === undefined ? undefined : seq - base
      },
    ])
  const upstream = upstreamPerNegotiation(report.phases)
  const routes = new Set(['entra.token', AUTH_API_ROUTE, 'TLS handshakes'])
  for (const counters of Object.values(upstream))
    for (const r of Object.keys(counters)) routes.add(r)
  lines.push('upstream per negotiation, new identity, warm (emulator counters)')
  for (const route of routes)
    lines.push([
      route,
      (c) => (upstream[c] === undefined ? undefined : (upstream[c][route] ?? 0)),
      4,
    ])
  lines.push(...coldLines(report))
  lines.push('memory: process RSS MiB (workerd = the whole runtime, not one isolate)')
  for (const sample of report.memoryTimeline)
    lines.push([`after ${sample.after}`, (c) => sample[c]?.rss, 1])
  return lines
}

function notes(report: BenchReport): string[] {
  const { cold, bundle, bundleInputs } = report
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`
  const lines = [
    `warm-up upstream: ${Object.entries(report.warmupUpstream)
      .map(([label, counters]) => `${label}: ${countersText(counters)}`)
      .join('; ')}`,
  ]
  if (cold.repetitions > 0)
    lines.push(
      `cold first negotiations upstream (all ${cold.repetitions}): ours ${countersText(cold.ours.upstream)}; ` +
        `ours with a warm KV ${countersText(cold.oursWarmKv.upstream)} (Entra token from: ` +
        `${countersText(cold.oursWarmKv.entraSources)}); SDK ${countersText(cold.sdk.upstream)}`,
    )
  const sources: Record<string, number> = {}
  for (const phase of report.phases)
    for (const segment of phase.segments.ours ?? [])
      for (const [source, n] of Object.entries(segment.entraSources))
        sources[source] = (sources[source] ?? 0) + n
  lines.push(
    `ours, where each answer's Entra token came from (Server-Timing): ${countersText(sources)}`,
  )
  lines.push(
    'error' in bundle
      ? `bundle: not measured (${bundle.error.split('\n')[0]})`
      : `bundle: ${bundle.file} ${kib(bundle.bytes)}, gzip -9 ${kib(bundle.gzipBytes)} (${bundle.command}` +
          `${bundle.wranglerSays ? `; wrangler: ${bundle.wranglerSays}` : ''})`,
  )
  if ('error' in bundleInputs) lines.push(`bundle inputs: not measured (${bundleInputs.error})`)
  else
    lines.push(
      `bundle, esbuild as wrangler (${kib(bundleInputs.bytes)}, gzip -9 ${kib(bundleInputs.gzipBytes)}), ` +
        'minified bytes by package or folder: ' +
        bundleInputs.byGroup.map((g) => `${g.input} ${kib(g.bytes)}`).join(', '),
      `  heaviest inputs: ${bundleInputs.top.map((g) => `${g.input} ${kib(g.bytes)}`).join(', ')}`,
    )
  return lines
}

export function printReport(report: BenchReport): void {
  const { machine, options, loadAverage } = report
  const load = (values: number[]) => values.map((v) => v.toFixed(2)).join(' ')
  console.log(
    [
      '',
      'GET /negotiate: ours, naive and ok (workerd via Miniflare; ours and naive also in access-key mode), ' +
        'the official Azure SDK (Node), one TLS emulator',
      `${report.date} · ${machine.cpuModel} × ${machine.cpuCount} · Node ${machine.node} · ` +
        `${options.rounds} rounds × ${options.durationMsPerSegment / 1000} s per contestant and ` +
        `phase, interleaved · load average ${load(loadAverage.start)} → ${load(loadAverage.end)}`,
      `source: commit ${report.source.gitHead?.slice(0, 7) ?? 'unknown'}, ` +
        `src/ sha256 ${report.source.srcSha256.slice(0, 16)}…`,
      '',
      table(reportLines(report)),
      '',
      ...accessKeyLines(report.accessKey),
      ...startupLines(report.startup),
      '',
      'goals (issue 9)',
      ...goalLines(evaluateGoals(report)),
      ...auditLineLines(report),
      '',
      ...notes(report),
      'ratios: below 1× is better for latency, CPU, upstream calls and memory; above 1× for ' +
        'requests/s. naive: the same two upstream calls and nothing else; naive (access key): one ' +
        'HS256 signature and nothing else; ok: a Worker that only answers',
      `${formatNumber(report.wallSeconds, 0)} s in all`,
    ].join('\n'),
  )
}
