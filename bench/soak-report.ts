// The soak's figures: the report written to reports/soak.json, the memory fits, and the goals.
import type { FailureClass } from './soak-classify'
import type { KvFaultCounts } from './soak-worker'
import type { LatencySummary } from './stats'

/** RSS counts as flat when the fitted slope after warm-up stays within this, either way. */
export const FLAT_RSS_MIB_PER_10K = 1
/** Upstream calls per negotiation: one `:generateToken`, plus a little for refreshes and retries. */
export const MAX_UPSTREAM_PER_NEGOTIATION = 1.01

export interface RssSample {
  /** Since the measured load started. */
  tMs: number
  /** Negotiations answered by then. */
  done: number
  workerdMiB: number
  /** The negotiator isolate's V8 heap, garbage included (soak-heap.ts); absent for the reference. */
  heapUsedMiB?: number
  heapTotalMiB?: number
  emulatorMiB?: number
}

/** The negotiator isolate's heap right after a full collection: what its code keeps alive. */
export interface LiveHeapPoint {
  tMs: number
  done: number
  usedMiB: number
}

export interface Goal {
  name: string
  target: string
  value: string
  pass: boolean
}

export interface SoakReport {
  date: string
  command: string
  /** The commit and a digest of src/ as bundled (bench/soak-stage.ts). */
  source: { gitHead?: string; srcSha256: string }
  machine: Record<string, unknown>
  versions: Record<string, string | undefined>
  options: Record<string, number | string>
  /** Token lifetime, fault rates and mixes per route, KV fault rate, seed. */
  faultPlan: Record<string, unknown>
  negotiations: number
  ok: number
  wallTimeMs: number
  requestsPerSecond: number
  /** Successful negotiations, time to the full body. */
  latencyMs: LatencySummary
  failures: {
    total: number
    saveable: number
    unsaveable: number
    bySignature: { signature: string; class: FailureClass; count: number }[]
  }
  upstream: {
    /** Emulator counter deltas over the measured run, per route. */
    calls: Record<string, number>
    entraToken: number
    generateToken: number
    perNegotiation: number
    /** The same, less one call per injected status fault on entra.token or :generateToken. */
    perNegotiationNetOfStatusFaults: number
  }
  faultsInjected: {
    /** Emulator fault counters per route and kind (`status:503`, `latency`, …). */
    emulator: Record<string, Record<string, number>>
    kv: KvFaultCounts
    total: number
    /** Upstream calls + KV operations that could have been faulted. */
    operations: number
    share: number
  }
  /** Where the Entra token of each successful answer came from (Server-Timing). */
  entraSources: Record<string, number>
  rss: RssSummary
  /** Live heap after warm-up, midway and at the end, and its least-squares slope over them. */
  liveHeap: { points: LiveHeapPoint[]; slopeMiBPer10kNegotiations: number }
  /** With --reference: the same load on a Worker that only answers. */
  reference?: {
    negotiations: number
    failures: number
    requestsPerSecond: number
    rss: RssSummary
  }
  goals: Goal[]
}

export interface RssSummary {
  warmupNegotiations: number
  samples: RssSample[]
  /** Least-squares fits over the samples taken after warm-up. */
  slopeMiBPer10kNegotiations: number
  slopeMiBPerMinute: number
  afterWarmupMiB: number
  endMiB: number
  peakMiB: number
  samplesFitted: number
}

/** Least-squares slope of y over x; NaN with fewer than two distinct x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length)
  if (n < 2) return Number.NaN
  let sx = 0
  let sy = 0
  for (let i = 0; i < n; i++) {
    sx += xs[i] ?? 0
    sy += ys[i] ?? 0
  }
  const mx = sx / n
  const my = sy / n
  let sxy = 0
  let sxx = 0
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] ?? 0) - mx
    sxy += dx * ((ys[i] ?? 0) - my)
    sxx += dx * dx
  }
  return sxx === 0 ? Number.NaN : sxy / sxx
}

export function rssFits(samples: readonly RssSample[], warmupNegotiations: number) {
  const fitted = samples.filter((s) => s.done >= warmupNegotiations)
  const mib = fitted.map((s) => s.workerdMiB)
  return {
    slopeMiBPer10kNegotiations:
      slope(
        fitted.map((s) => s.done),
        mib,
      ) * 10_000,
    slopeMiBPerMinute:
      slope(
        fitted.map((s) => s.tMs),
        mib,
      ) * 60_000,
    afterWarmupMiB: mib[0] ?? Number.NaN,
    endMiB: mib[mib.length - 1] ?? Number.NaN,
    peakMiB: Math.max(...samples.map((s) => s.workerdMiB)),
    samplesFitted: fitted.length,
  }
}

export function liveHeapSlope(points: readonly LiveHeapPoint[]): number {
  return (
    slope(
      points.map((p) => p.done),
      points.map((p) => p.usedMiB),
    ) * 10_000
  )
}

export function soakGoals(report: Omit<SoakReport, 'goals'>): Goal[] {
  const { failures, upstream, rss, liveHeap } = report
  return [
    {
      name: 'saveable failures',
      target: '0',
      value: String(failures.saveable),
      pass: failures.saveable === 0,
    },
    {
      name: 'upstream calls per negotiation',
      target: `≤ ${MAX_UPSTREAM_PER_NEGOTIATION}`,
      value: upstream.perNegotiation.toFixed(4),
      pass: upstream.perNegotiation <= MAX_UPSTREAM_PER_NEGOTIATION,
    },
    ...memoryGoals(rss, liveHeap),
  ]
}

/** The memory goals, shared with the failover soak. */
export function memoryGoals(
  rss: Pick<RssSummary, 'slopeMiBPer10kNegotiations' | 'slopeMiBPerMinute'>,
  liveHeap: SoakReport['liveHeap'],
): Goal[] {
  const slopeText = `${rss.slopeMiBPer10kNegotiations.toFixed(2)} MiB per 10k (${rss.slopeMiBPerMinute.toFixed(2)} MiB/min)`
  return [
    {
      name: 'workerd RSS after warm-up',
      target: `flat: |slope| < ${FLAT_RSS_MIB_PER_10K} MiB per 10k negotiations`,
      value: slopeText,
      // NaN (too few samples) is not flat: the run was too short to say.
      pass: Math.abs(rss.slopeMiBPer10kNegotiations) < FLAT_RSS_MIB_PER_10K,
    },
    {
      // One-sided: a leak only grows; a heap that shrinks (JIT code dropped, caches trimmed) is fine.
      name: 'negotiator isolate live heap after warm-up',
      target: `no growth: slope < ${FLAT_RSS_MIB_PER_10K} MiB per 10k negotiations`,
      value: `${liveHeap.slopeMiBPer10kNegotiations.toFixed(3)} MiB per 10k`,
      pass: liveHeap.slopeMiBPer10kNegotiations < FLAT_RSS_MIB_PER_10K,
    },
  ]
}
