// Prints the failover soak: the schedule as run, the 5 s timeline, the figures and PASS/MISS per goal.
import type { FailoverFigures, FailoverWindows, TimelineRow } from './soak-failover-analysis'
import type { FailoverSchedule } from './soak-failover-schedule'
import type { Goal, LiveHeapPoint, RssSummary } from './soak-report'

export interface FailoverReport {
  date: string
  command: string
  source: { gitHead?: string; srcSha256: string }
  machine: Record<string, unknown>
  versions: Record<string, string | undefined>
  schedule: FailoverSchedule
  /** What the schedule did, when (ms since the load started). */
  events: { tMs: number; what: string }[]
  windows: FailoverWindows
  negotiations: number
  ok: number
  durationMs: number
  requestsPerSecond: number
  figures: FailoverFigures
  timeline: TimelineRow[]
  breakerSamples: number
  rss: RssSummary
  liveHeap: { points: LiveHeapPoint[]; slopeMiBPer10kNegotiations: number }
  goals: Goal[]
}

const pct = (part: number, whole: number) =>
  whole === 0 ? '    –' : `${((part * 100) / whole).toFixed(1).padStart(5)}`

/** Per 5 s: requests, % on the primary, % on the secondary, % 503, and what happened. */
export function timelineLines(rows: readonly TimelineRow[]): string[] {
  const lines = ['     t    req  %prim   %sec   %503  events']
  for (const row of rows) {
    if (row.requests === 0 && row.notes.length === 0) continue
    const other = row.other === 0 ? '' : ` (+${row.other} other failures)`
    lines.push(
      `${String(row.fromS).padStart(4)} s ${String(row.requests).padStart(6)}  ${pct(row.primary, row.requests)}  ${pct(row.secondary, row.requests)}  ${pct(row.unavailable, row.requests)}  ${row.notes.join('; ')}${other}`,
    )
  }
  return lines
}

export function printFailoverReport(report: FailoverReport): void {
  const load = (key: string) =>
    ((report.machine[key] as number[] | undefined)?.[0] ?? Number.NaN).toFixed(1)
  const machine = report.machine as { cpuCount?: number; cpuModel?: string }
  const { figures, rss } = report
  const lines = [
    '',
    `soak (failover): ${report.command}`,
    `source: commit ${report.source.gitHead ?? 'unknown'}, src/ sha256 ${report.source.srcSha256.slice(0, 16)}…`,
    `machine: ${machine.cpuCount} × ${machine.cpuModel}, 1-min load average ${load('loadAverageAtStart')} at the start, ${load('loadAverageAtEnd')} at the end`,
    `negotiations ${report.negotiations.toLocaleString('en-US')} (ok ${report.ok.toLocaleString('en-US')}) in ${(report.durationMs / 1000).toFixed(1)} s: ${report.requestsPerSecond.toFixed(0)} req/s; ${report.breakerSamples} /readyz samples`,
    '',
    'timeline (per 5 s):',
    ...timelineLines(report.timeline),
    '',
    `both-down windows as callers saw them: ${figures.bothDown.windows
      .map((w) => `${(w.startMs / 1000).toFixed(1)}–${(w.endMs / 1000).toFixed(1)} s`)
      .join(', ')}`,
  ]
  figures.flaps.forEach((flap, i) =>
    lines.push(
      `flap ${i + 1}: primary seen open ${flap.openIntervals
        .map((w) => `${(w.startMs / 1000).toFixed(1)}–${(w.endMs / 1000).toFixed(1)} s`)
        .join(', ')}`,
    ),
  )
  lines.push(
    `workerd RSS: ${rss.afterWarmupMiB.toFixed(1)} → ${rss.endMiB.toFixed(1)} MiB, peak ${rss.peakMiB.toFixed(1)} MiB; slope ${rss.slopeMiBPer10kNegotiations.toFixed(2)} MiB per 10k (${rss.samplesFitted} samples)`,
    `negotiator isolate live heap (after a full GC): ${report.liveHeap.points
      .map((p) => `${p.usedMiB.toFixed(2)} MiB at ${p.done}`)
      .join(', ')}`,
    '',
    'goals:',
  )
  for (const goal of report.goals)
    lines.push(
      `  ${goal.pass ? 'PASS' : 'MISS'}  ${goal.name}: ${goal.value} (goal ${goal.target})`,
    )
  console.log(lines.join('\n'))
}
