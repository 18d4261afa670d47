// The command line of `npm run bench`: --quick, --duration <s> per segment, --rounds <n>, --cold <n>.
import { parseArgs } from 'node:util'

export interface BenchOptions {
  quick: boolean
  durationMs: number
  rounds: number
  cold: number
  /** Fresh processes compiling and running each bundle (start-up). */
  startup: number
  /** Each warm-up step (concurrency 1, then 8) per target. */
  warmupMs: number
}

export function readOptions(): BenchOptions {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      cold: { type: 'string' },
    },
  })
  const quick = values.quick ?? false
  const number = (raw: string | undefined, fallback: number, name: string, max: number) => {
    if (raw === undefined) return fallback
    const value = Number(raw)
    if (!(Number.isFinite(value) && value >= 0 && value <= max))
      throw new Error(`--${name} must be a number 0–${max}, got ${raw}`)
    return value
  }
  return {
    quick,
    durationMs: Math.max(200, number(values.duration, quick ? 0.5 : 2.5, 'duration', 60) * 1000),
    rounds: Math.max(1, Math.round(number(values.rounds, quick ? 2 : 3, 'rounds', 20))),
    cold: Math.round(number(values.cold, quick ? 1 : 3, 'cold', 20)),
    startup: quick ? 3 : 9,
    warmupMs: quick ? 250 : 750,
  }
}
