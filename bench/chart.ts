// The benchmark chart (reports/bench.svg): latency percentiles per phase and contestant, and requests/s with the platform references.
import { COLORS, latencyGroups, throughputGroups, type Group } from './chart-data'
import { line, linearTicks, logBounds, logScale, logTicks, rect, text, tickLabel } from './svg'
import { CONTESTANTS, LABELS, type BenchReport } from './types'

const WIDTH = 980
const LABEL_RIGHT = 240
const PLOT_LEFT = 250
const PLOT_RIGHT = 800
const ROW = 17
const BAR = 11
const GROUP = 22

/** One panel: a heading, then groups of labelled bar rows over vertical grid lines. */
function panel(
  top: number,
  heading: string,
  groups: Group[],
  scale: (value: number) => number,
  ticks: number[],
  unit: string,
): { parts: string[]; bottom: number } {
  const rows: string[] = []
  let y = top + 26
  for (const group of groups) {
    rows.push(text(12, y + 14, group.title, { weight: 'bold' }))
    y += GROUP
    for (const row of group.rows) {
      rows.push(text(LABEL_RIGHT, y + BAR - 1, row.label, { anchor: 'end', size: 11 }))
      for (const bar of row.bars)
        rows.push(rect(PLOT_LEFT, y, scale(bar.value) - PLOT_LEFT, BAR, row.color, bar.opacity))
      const end = Math.max(...row.bars.map((bar) => scale(bar.value)))
      rows.push(text(end + 6, y + BAR - 1, row.note, { size: 11, fill: '#374151' }))
      y += ROW
    }
  }
  const gridBottom = y + 4
  const grid = ticks.flatMap((tick) => [
    line(scale(tick), top + 30, scale(tick), gridBottom),
    text(scale(tick), gridBottom + 14, tickLabel(tick), { anchor: 'middle', size: 10 }),
  ])
  grid.push(text(PLOT_RIGHT + 40, gridBottom + 14, unit, { size: 10, fill: '#6b7280' }))
  return {
    parts: [text(12, top + 14, heading, { size: 14, weight: 'bold' }), ...grid, ...rows],
    bottom: gridBottom + 24,
  }
}

/** A swatch and a label per contestant, each as wide as its label (about 6 px a character at 11 px). */
function legendParts(): { parts: string[]; end: number } {
  const parts: string[] = []
  let x = 12
  for (const c of CONTESTANTS) {
    parts.push(rect(x, 54, 12, 12, COLORS[c]), text(x + 18, 64, LABELS[c], { size: 11 }))
    x += 18 + LABELS[c].length * 6 + 16
  }
  return { parts, end: x }
}

export function renderChart(report: BenchReport): string {
  const latency = latencyGroups(report)
  const values = latency.flatMap((g) => g.rows.flatMap((r) => r.bars.map((b) => b.value)))
  const finite = values.filter((v) => Number.isFinite(v) && v > 0)
  const [lo, hi] = logBounds(Math.min(...finite, 10) * 0.9, Math.max(...finite, 1))
  const logX = logScale(lo, hi, PLOT_LEFT, PLOT_RIGHT)

  const throughput = throughputGroups(report)
  const maxRate = Math.max(
    1,
    ...throughput.flatMap((g) => g.rows.map((r) => r.bars[0]?.value ?? 0)),
  )
  const rateTicks = linearTicks(maxRate)
  const rateMax = rateTicks[rateTicks.length - 1] ?? maxRate
  const linearX = (value: number) => PLOT_LEFT + (value / rateMax) * (PLOT_RIGHT - PLOT_LEFT)

  const { machine, options } = report
  const legend = legendParts()
  const header = [
    text(12, 24, 'GET /negotiate: ours vs the official Azure SDK, with platform references', {
      size: 16,
      weight: 'bold',
    }),
    text(
      12,
      42,
      `${report.date.slice(0, 16).replace('T', ' ')} UTC · ${machine.cpuModel} × ${machine.cpuCount} · ` +
        `${options.rounds} rounds × ${options.durationMsPerSegment / 1000} s · load average ` +
        `${report.loadAverage.start[0]?.toFixed(1)} → ${report.loadAverage.end[0]?.toFixed(1)} · ` +
        'ours, naive and ok in workerd (Miniflare), the SDK on Node, one TLS emulator',
      { size: 11, fill: '#4b5563' },
    ),
    ...legend.parts,
    text(legend.end + 16, 64, 'latency bars, dark to light: p50, p90, p99 (labels in that order)', {
      size: 11,
      fill: '#4b5563',
    }),
  ]
  const first = panel(76, 'Latency per request (log scale)', latency, logX, logTicks(lo, hi), 'ms')
  const second = panel(
    first.bottom + 8,
    'Requests per second, median of rounds (the naive Workers and ok: platform references)',
    throughput,
    linearX,
    rateTicks,
    'req/s',
  )
  const height = Math.ceil(second.bottom + 8)
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" ` +
      `viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif">`,
    rect(0, 0, WIDTH, height, '#ffffff'),
    ...header,
    ...first.parts,
    ...second.parts,
    '</svg>',
    '',
  ].join('\n')
}
