// Validates `POST /_emulator/chaos` bodies into a seeded random-fault rule for one route.
import { randomInt } from 'node:crypto'
import { isRouteName, type RouteName } from '../lib/route-names'
import { seededRandom } from '../lib/prng'
import type { ChaosFault, ChaosRule, InjectedFault } from '../state'

const CHAOS_KINDS: readonly InjectedFault['kind'][] = [
  'status',
  'latency',
  'hang',
  'malformed',
  'empty',
]
/** Enough for any realistic mix; a bound keeps one request from building a huge rule. */
const MAX_FAULTS = 32
const MAX_SEED = 2 ** 32 - 1
/** A spike longer than ten minutes is a hang: use the `hang` kind for that. */
const MAX_LATENCY_MS = 600_000

export type ChaosRequest =
  { ok: true; route: RouteName; rule: ChaosRule | undefined } | { ok: false; problem: string }

/** A rule, or `rule: undefined` for rate 0 (chaos off for that route); the first problem otherwise. */
export function parseChaosRequest(body: Record<string, unknown>): ChaosRequest {
  const fail = (problem: string): ChaosRequest => ({ ok: false, problem })
  const { route, rate, faults, seed } = body
  if (!isRouteName(route)) return fail(`unknown route ${JSON.stringify(route)}`)
  if (!(typeof rate === 'number' && rate >= 0 && rate <= 1))
    return fail('rate must be a number from 0 to 1')
  if (
    seed !== undefined &&
    !(Number.isInteger(seed) && (seed as number) >= 0 && (seed as number) <= MAX_SEED)
  )
    return fail(`seed must be an integer from 0 to ${MAX_SEED}`)
  if (rate === 0 && faults === undefined) return { ok: true, route, rule: undefined }
  if (!Array.isArray(faults) || faults.length === 0 || faults.length > MAX_FAULTS)
    return fail(`faults must be an array of 1–${MAX_FAULTS} faults`)
  const parsed: ChaosFault[] = []
  for (const [i, raw] of faults.entries()) {
    const fault = parseFault(raw)
    if (typeof fault === 'string') return fail(`faults[${i}]: ${fault}`)
    parsed.push(fault)
  }
  if (rate === 0) return { ok: true, route, rule: undefined }
  // Without a seed one is chosen and answered, so that an interesting run can be replayed.
  const chosenSeed = (seed as number | undefined) ?? randomInt(MAX_SEED)
  return {
    ok: true,
    route,
    rule: { rate, faults: parsed, seed: chosenSeed, random: seededRandom(chosenSeed, route) },
  }
}

const FAULT_FIELDS = new Set(['kind', 'status', 'retryAfterSeconds', 'ms', 'weight'])

function parseFault(raw: unknown): ChaosFault | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'expected an object'
  // Unknown fields are refused, so that a misspelt option (`retryAfter`) cannot go unnoticed.
  const unknown = Object.keys(raw).find((key) => !FAULT_FIELDS.has(key))
  if (unknown !== undefined) return `unknown field ${JSON.stringify(unknown)}`
  const { kind, status, retryAfterSeconds, ms, weight = 1 } = raw as Record<string, unknown>
  if (!CHAOS_KINDS.includes(kind as InjectedFault['kind']))
    return `kind must be one of ${CHAOS_KINDS.join(', ')}`
  if (!(typeof weight === 'number' && Number.isFinite(weight) && weight > 0))
    return 'weight must be a number > 0'
  if (kind !== 'status' && (status !== undefined || retryAfterSeconds !== undefined))
    return 'status and retryAfterSeconds apply to status faults only'
  if (kind !== 'latency' && ms !== undefined) return 'ms applies to latency faults only'
  switch (kind) {
    case 'status': {
      if (!(Number.isInteger(status) && (status as number) >= 400 && (status as number) <= 599))
        return 'status faults need an integer status 400–599'
      if (
        retryAfterSeconds !== undefined &&
        !(typeof retryAfterSeconds === 'number' && retryAfterSeconds >= 0)
      )
        return 'retryAfterSeconds must be a number ≥ 0'
      const fault: ChaosFault = { kind, status: status as number, weight }
      if (retryAfterSeconds !== undefined) fault.retryAfterSeconds = retryAfterSeconds
      return fault
    }
    case 'latency':
      if (!(typeof ms === 'number' && ms >= 0 && ms <= MAX_LATENCY_MS))
        return `latency faults need ms from 0 to ${MAX_LATENCY_MS}`
      return { kind, ms, weight }
    default:
      return { kind: kind as ChaosFault['kind'], weight }
  }
}
