// The soak's command-line flags, their defaults and limits, and the command line that replays a run.
import { parseArgs } from 'node:util'

export interface SoakOptions {
  negotiations: number
  concurrency: number
  /** Chance that one `:generateToken` call faults. */
  faultRate: number
  /** Chance that one Entra token call or one KV operation faults. */
  refreshFaultRate: number
  seed: number
  /** Negotiations before the memory slopes are fitted. */
  warmup: number
  reference: boolean
  /** Two resources and a seeded schedule of outages instead of the fault mix (soak-failover.ts). */
  failover: boolean
}

export function readSoakOptions(args: string[] = process.argv.slice(2)): SoakOptions {
  const { values } = parseArgs({
    args,
    options: {
      negotiations: { type: 'string' },
      concurrency: { type: 'string' },
      'fault-rate': { type: 'string' },
      'refresh-fault-rate': { type: 'string' },
      seed: { type: 'string' },
      warmup: { type: 'string' },
      reference: { type: 'boolean', default: false },
      failover: { type: 'boolean', default: false },
    },
  })
  const number = (
    raw: string | undefined,
    fallback: number,
    name: string,
    min: number,
    max: number,
  ) => {
    if (raw === undefined) return fallback
    const value = Number(raw)
    if (!(Number.isFinite(value) && value >= min && value <= max))
      throw new Error(`--${name} must be a number ${min}–${max}, got ${raw}`)
    return value
  }
  const negotiations = Math.round(
    number(values.negotiations, 50_000, 'negotiations', 100, 10_000_000),
  )
  return {
    negotiations,
    concurrency: Math.round(number(values.concurrency, 16, 'concurrency', 1, 1024)),
    faultRate: number(values['fault-rate'], 0.01, 'fault-rate', 0, 1),
    refreshFaultRate: number(values['refresh-fault-rate'], 0.2, 'refresh-fault-rate', 0, 1),
    // A random seed by default, printed and reported, so that a run can be replayed.
    seed: Math.round(
      number(values.seed, Math.floor(Math.random() * 2 ** 31), 'seed', 0, 2 ** 32 - 1),
    ),
    // workerd's RSS climbs steeply at first; the memory slopes are fitted after this many.
    warmup: Math.round(
      number(values.warmup, Math.min(10_000, negotiations / 5), 'warmup', 0, negotiations),
    ),
    reference: values.reference ?? false,
    failover: values.failover ?? false,
  }
}

/** Every option spelt out, the seed included: the line that repeats this run's faults. */
export function soakCommand(options: SoakOptions): string {
  // The failover soak's length is its schedule's, and it injects only the schedule.
  if (options.failover)
    return `npm run soak -- --failover --concurrency ${options.concurrency} --seed ${options.seed}`
  return [
    'npm run soak --',
    `--negotiations ${options.negotiations}`,
    `--concurrency ${options.concurrency}`,
    `--fault-rate ${options.faultRate}`,
    `--refresh-fault-rate ${options.refreshFaultRate}`,
    `--seed ${options.seed}`,
    `--warmup ${options.warmup}`,
    ...(options.reference ? ['--reference'] : []),
    ...(options.failover ? ['--failover'] : []),
  ].join(' ')
}
