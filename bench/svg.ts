// Small SVG building blocks for the benchmark chart: escaped text, rectangles, lines, axis ticks.

export const escapeXml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

const round = (n: number) => Math.round(n * 10) / 10

export interface TextOptions {
  size?: number
  anchor?: 'start' | 'middle' | 'end'
  weight?: 'normal' | 'bold'
  fill?: string
}

export function text(x: number, y: number, content: string, options: TextOptions = {}): string {
  const { size = 12, anchor = 'start', weight = 'normal', fill = '#1f2937' } = options
  return (
    `<text x="${round(x)}" y="${round(y)}" font-size="${size}" text-anchor="${anchor}"` +
    `${weight === 'bold' ? ' font-weight="bold"' : ''} fill="${fill}">${escapeXml(content)}</text>`
  )
}

export function rect(
  x: number,
  y: number,
  width: number,
  height: number,
  fill: string,
  opacity = 1,
): string {
  return (
    `<rect x="${round(x)}" y="${round(y)}" width="${round(Math.max(0, width))}" ` +
    `height="${round(height)}" fill="${fill}"${opacity < 1 ? ` fill-opacity="${opacity}"` : ''}/>`
  )
}

export function line(x1: number, y1: number, x2: number, y2: number, stroke = '#e5e7eb'): string {
  return `<line x1="${round(x1)}" y1="${round(y1)}" x2="${round(x2)}" y2="${round(y2)}" stroke="${stroke}"/>`
}

/** A log-10 scale from `lo` to `hi` (both > 0) onto [x0, x1]. */
export function logScale(
  lo: number,
  hi: number,
  x0: number,
  x1: number,
): (value: number) => number {
  const a = Math.log10(lo)
  const b = Math.log10(hi)
  return (value) => x0 + ((Math.log10(Math.max(value, lo)) - a) / (b - a)) * (x1 - x0)
}

/** The 1-2-5 steps between lo and hi: ticks a reader can name. */
export function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = []
  for (let decade = Math.floor(Math.log10(lo)); decade <= Math.ceil(Math.log10(hi)); decade += 1)
    for (const step of [1, 2, 5]) {
      const value = step * 10 ** decade
      if (value >= lo * 0.999 && value <= hi * 1.001) ticks.push(value)
    }
  return ticks
}

/** The nearest 1-2-5 steps below `min` and above `max` (both > 0): a log axis's ends. */
export function logBounds(min: number, max: number): [number, number] {
  const steps = (decade: number) => [1, 2, 5].map((step) => step * 10 ** decade)
  const lo = Math.max(...steps(Math.floor(Math.log10(min))).filter((v) => v <= min))
  const hi = Math.min(
    ...steps(Math.floor(Math.log10(max)))
      .concat(10 ** Math.ceil(Math.log10(max)))
      .filter((v) => v >= max),
  )
  return [lo, hi]
}

/** Round linear ticks (1, 2 or 5 × a power of ten apart) from 0 to at least `max`. */
export function linearTicks(max: number, count = 5): number[] {
  const raw = Math.max(max, 1) / count
  const power = 10 ** Math.floor(Math.log10(raw))
  const step = ([1, 2, 5, 10].find((s) => s * power >= raw) ?? 10) * power
  const ticks: number[] = []
  for (let value = 0; value <= max + step * 0.999; value += step) ticks.push(value)
  return ticks
}

export const tickLabel = (value: number): string =>
  value >= 1 ? String(Math.round(value)) : String(Number(value.toPrecision(2)))
