// The fuzz run's size and seed, handed from vitest.config.ts into workerd through provide/inject.
import { inject } from 'vitest'

export interface FuzzSettings {
  /** Cases over the whole suite (FUZZ_RUNS). */
  totalRuns: number
  /** Cases per property, so that all properties together run at least totalRuns. */
  runsPerProperty: number
  /** The base seed (FUZZ_SEED, or a random one chosen per vitest run). */
  seed: number
  /** A generous per-test timeout for runsPerProperty cases, in ms. */
  timeoutMs: number
}

/** Milliseconds one case may take on a slow machine, with its share of shrinking on failure. */
const BUDGET_PER_CASE_MS = 60

export function fuzzSettings(properties: number): FuzzSettings {
  const totalRuns = inject('fuzzRuns')
  const seed = inject('fuzzSeed')
  const runsPerProperty = Math.ceil(totalRuns / properties)
  return {
    totalRuns,
    runsPerProperty,
    seed,
    timeoutMs: 60_000 + runsPerProperty * BUDGET_PER_CASE_MS,
  }
}

export function replayHint(settings: FuzzSettings): string {
  return `FUZZ_SEED=${settings.seed} FUZZ_RUNS=${settings.totalRuns} npx vitest run --project worker test/fuzz`
}
