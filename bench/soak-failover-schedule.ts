// The failover soak's seeded schedule: what goes wrong with the primary (and once with both resources), for how long.
import { seededRandom } from '../emulator/lib/prng'

/** One misbehaviour of the primary, applied after the traffic has settled back on it. */
export type FailoverPhase =
  | {
      kind: 'outage'
      /** The primary's `/_emulator/outage` stays down this long. */
      lengthMs: number
      /** The secondary goes down too, `atMs` into the outage, for `lengthMs`. */
      bothDown?: { atMs: number; lengthMs: number }
    }
  | {
      kind: 'flap'
      lengthMs: number
      /** Share of the primary's `:generateToken` calls answered 503 (emulator chaos). */
      rate: number
    }

export interface FailoverSchedule {
  seed: number
  /** Load without faults before the first phase: JIT, Entra token, breakers' windows filled. */
  warmupMs: number
  /** Between phases: traffic back on the primary for this long before the next one starts. */
  settleMs: number
  phases: FailoverPhase[]
}

/** Outside the outage on both sides, so the window is "both down", not "the secondary alone". */
const BOTH_DOWN_MARGIN_MS = 2_000

/**
 * Two hard outages of the primary (the second with a short window where the secondary is down
 * too), then a flapping period. Flapping comes last: it doubles the breaker's open time up to a
 * minute, and every outage within two minutes of a closing would inherit that.
 */
export function failoverSchedule(seed: number): FailoverSchedule {
  const random = seededRandom(seed, 'failover-schedule')
  /** A whole number of 100 ms steps in [min, max] seconds. */
  const between = (min: number, max: number) =>
    Math.round((min + random() * (max - min)) * 10) * 100
  const secondLength = between(8, 12)
  const bothDownLength = between(2, 3)
  const bothDownAt = between(2.5, (secondLength - bothDownLength - BOTH_DOWN_MARGIN_MS) / 1000)
  return {
    seed,
    warmupMs: 10_000,
    settleMs: 5_000,
    phases: [
      { kind: 'outage', lengthMs: between(4, 8) },
      {
        kind: 'outage',
        lengthMs: secondLength,
        bothDown: { atMs: bothDownAt, lengthMs: bothDownLength },
      },
      { kind: 'flap', lengthMs: between(20, 30), rate: 0.5 },
    ],
  }
}

export function describePhase(phase: FailoverPhase): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`
  if (phase.kind === 'flap')
    return `primary flaps for ${s(phase.lengthMs)}: ${Math.round(phase.rate * 100)}% of its :generateToken answer 503`
  const both =
    phase.bothDown === undefined
      ? ''
      : `, the secondary down too from ${s(phase.bothDown.atMs)} in for ${s(phase.bothDown.lengthMs)}`
  return `primary down for ${s(phase.lengthMs)}${both}`
}
