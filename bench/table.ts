// Formats the report's table: a value per contestant, then the ratios ours / naive, ours / SDK, naive / ok.
import { CONTESTANTS, LABELS, type ContestantName } from './types'

type Value = (c: ContestantName) => number | undefined
/** A table line: a section title alone, or a label with a value per contestant. */
export type Line = string | [label: string, value: Value, digits?: number]

/** The ratios printed: ours against the same calls with nothing else, against the SDK; naive against the floor. */
const RATIOS: [ContestantName, ContestantName][] = [
  ['ours', 'naive'],
  ['ours', 'sdk'],
  ['naive', 'ok'],
]

export function formatNumber(value: number | undefined, digits?: number): string {
  if (value === undefined || !Number.isFinite(value)) return '–'
  if (digits !== undefined) return value.toFixed(digits)
  if (Math.abs(value) >= 100) return value.toFixed(0)
  if (Math.abs(value) >= 10) return value.toFixed(1)
  return value.toFixed(2)
}

export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || !(b > 0) || !Number.isFinite(a)) return undefined
  return a / b
}

const ratioText = (value: number | undefined) => (value === undefined ? '' : `${value.toFixed(2)}×`)

/** "ours (access key)" → ["ours", "(access key)"]: long labels take two header lines, not width. */
function headerLines(label: string): [string, string] {
  const at = label.indexOf(' (')
  return at < 0 ? [label, ''] : [label.slice(0, at), label.slice(at + 1)]
}

export function table(lines: Line[]): string {
  const labels = [
    '',
    ...CONTESTANTS.map((c) => LABELS[c]),
    ...RATIOS.map(([a, b]) => `${LABELS[a]}/${LABELS[b]}`),
  ].map(headerLines)
  const header = labels.map(([first]) => first)
  const subheader = labels.map(([, second]) => second)
  const rows: (string[] | string)[] = lines.map((line) => {
    if (typeof line === 'string') return line
    const [label, value, digits] = line
    const values = Object.fromEntries(CONTESTANTS.map((c) => [c, value(c)])) as Record<
      ContestantName,
      number | undefined
    >
    return [
      `  ${label}`,
      ...CONTESTANTS.map((c) => (values[c] === undefined ? '' : formatNumber(values[c], digits))),
      ...RATIOS.map(([a, b]) => ratioText(ratio(values[a], values[b]))),
    ]
  })
  const cells = [header, subheader, ...rows.filter((r): r is string[] => typeof r !== 'string')]
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]?.length ?? 0)))
  const format = (r: string[]) =>
    r
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('   ')
      .trimEnd()
  const heading = subheader.some((cell) => cell !== '') ? [header, subheader] : [header]
  return [...heading, ...rows].map((r) => (typeof r === 'string' ? r : format(r))).join('\n')
}
