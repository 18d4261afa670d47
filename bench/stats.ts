// Order statistics for latency samples and per-round values.

/** The q-quantile (0–1) by linear interpolation between closest ranks; NaN for no samples. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const position = (sorted.length - 1) * q
  const lower = Math.floor(position)
  const upper = Math.ceil(position)
  const low = sorted[lower] ?? Number.NaN
  const high = sorted[upper] ?? Number.NaN
  return low + (high - low) * (position - lower)
}

export const median = (values: readonly number[]): number => quantile(values, 0.5)

export interface LatencySummary {
  count: number
  p50: number
  p90: number
  p99: number
  min: number
  max: number
  mean: number
}

export function summarize(values: readonly number[]): LatencySummary {
  let sum = 0
  let min = Number.POSITIVE_INFINITY
  let max = Number.NEGATIVE_INFINITY
  for (const value of values) {
    sum += value
    if (value < min) min = value
    if (value > max) max = value
  }
  return {
    count: values.length,
    p50: quantile(values, 0.5),
    p90: quantile(values, 0.9),
    p99: quantile(values, 0.99),
    min: values.length === 0 ? Number.NaN : min,
    max: values.length === 0 ? Number.NaN : max,
    mean: values.length === 0 ? Number.NaN : sum / values.length,
  }
}
