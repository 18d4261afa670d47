// Prints the soak's report as text: the figures, the failures by signature, and PASS/MISS per goal.
import type { RssSummary, SoakReport } from './soak-report'

const int = (n: number) => Math.round(n).toLocaleString('en-US')
const pct = (n: number) => `${(n * 100).toFixed(2)}%`

function describeRss(rss: RssSummary): string {
  return `${rss.afterWarmupMiB.toFixed(1)} MiB after warm-up (${int(rss.warmupNegotiations)} negotiations), ${rss.endMiB.toFixed(1)} MiB at the end, peak ${rss.peakMiB.toFixed(1)} MiB; slope ${rss.slopeMiBPer10kNegotiations.toFixed(2)} MiB per 10k negotiations, ${rss.slopeMiBPerMinute.toFixed(2)} MiB/min (${rss.samplesFitted} samples)`
}

export function printSoakReport(report: SoakReport): void {
  const { failures, upstream, faultsInjected: injected, rss } = report
  const lines: string[] = []
  const machine = report.machine as { cpuCount?: number; cpuModel?: string }
  const load = (key: string) =>
    ((report.machine[key] as number[] | undefined)?.[0] ?? Number.NaN).toFixed(1)
  lines.push(
    '',
    `soak: ${report.command}`,
    `source: commit ${report.source.gitHead ?? 'unknown'}, src/ sha256 ${report.source.srcSha256.slice(0, 16)}…`,
    `machine: ${machine.cpuCount} × ${machine.cpuModel}, 1-min load average ${load('loadAverageAtStart')} at the start, ${load('loadAverageAtEnd')} at the end`,
  )
  lines.push(
    `negotiations ${int(report.negotiations)} (ok ${int(report.ok)}) in ${(report.wallTimeMs / 1000).toFixed(1)} s: ${report.requestsPerSecond.toFixed(0)} req/s`,
    `latency of successful negotiations: p50 ${report.latencyMs.p50.toFixed(1)} ms, p90 ${report.latencyMs.p90.toFixed(1)} ms, p99 ${report.latencyMs.p99.toFixed(1)} ms, max ${report.latencyMs.max.toFixed(0)} ms`,
    `failures ${failures.total}: saveable ${failures.saveable}, unsaveable ${failures.unsaveable}`,
  )
  for (const { signature, class: kind, count } of failures.bySignature)
    lines.push(`  ${String(count).padStart(6)}  ${kind.padEnd(10)}  ${signature}`)
  const statusFaults = (route: string) =>
    Object.entries(injected.emulator[route] ?? {})
      .filter(([kind]) => kind.startsWith('status:'))
      .reduce((sum, [, n]) => sum + n, 0)
  lines.push(
    `upstream calls: entra.token ${int(upstream.entraToken)} + webpubsub.generateToken ${int(upstream.generateToken)} = ${upstream.perNegotiation.toFixed(4)} per negotiation; ${upstream.perNegotiationNetOfStatusFaults.toFixed(4)} net of one retry per injected status fault`,
    `  :generateToken beyond one per negotiation: ${int(upstream.generateToken - report.negotiations)}, against ${int(statusFaults('webpubsub.generateToken'))} injected status faults on it (each needs one more call)`,
    `  entra.token: ${int(upstream.entraToken)}, of which ${int(statusFaults('entra.token'))} answered an injected status fault; the rest are refreshes (refresh_in ${String(report.faultPlan.entraRefreshInSeconds)} s) and re-fetches after a 401`,
    `faults injected: ${int(injected.total)} of ${int(injected.operations)} faultable operations (${pct(injected.share)})`,
  )
  for (const [route, kinds] of Object.entries(injected.emulator))
    lines.push(
      `  ${route}: ${Object.entries(kinds)
        .map(([kind, n]) => `${kind} ${n}`)
        .join(', ')}`,
    )
  const kv = injected.kv
  lines.push(
    `  kv: get ${kv.get.faults}/${kv.get.calls}, put ${kv.put.faults}/${kv.put.calls}, delete ${kv.delete.faults}/${kv.delete.calls} (faults/calls)`,
    `entra token of successful answers: ${Object.entries(report.entraSources)
      .map(([source, n]) => `${source} ${int(n)}`)
      .join(', ')}`,
    `workerd RSS: ${describeRss(rss)}`,
    `negotiator isolate live heap (after a full GC): ${report.liveHeap.points
      .map((p) => `${p.usedMiB.toFixed(2)} MiB at ${int(p.done)}`)
      .join(', ')}; slope ${report.liveHeap.slopeMiBPer10kNegotiations.toFixed(3)} MiB per 10k`,
  )
  if (report.reference !== undefined) {
    const ref = report.reference
    lines.push(
      `reference Worker (only answers), ${int(ref.negotiations)} requests at ${ref.requestsPerSecond.toFixed(0)} req/s, ${ref.failures} failures: workerd RSS ${describeRss(ref.rss)}`,
    )
  }
  lines.push('', 'goals:')
  for (const goal of report.goals)
    lines.push(
      `  ${goal.pass ? 'PASS' : 'MISS'}  ${goal.name}: ${goal.value} (goal ${goal.target})`,
    )
  console.log(lines.join('\n'))
}
