// Which Web PubSub resources may issue client tokens now: one circuit breaker per resource, in isolate memory.
//
// A breaker is closed (the resource takes traffic) or open (it is skipped). It opens on either of
// two signs, so that it reacts as fast at 1,000 negotiations a second as at one a minute:
// - CONSECUTIVE_FAILURES Auth API calls in a row failed: under heavy traffic a resource that just
//   died is skipped within milliseconds, however many calls it served well in the last seconds
//   (a failure share over a window would wait for the failures to outnumber those);
// - within the last 10–20 s, at least FAILURE_THRESHOLD calls failed and they were at least
//   FAILURE_SHARE of all calls: under light traffic, where five calls in a row take a while.
// One lost request moves no traffic; a dead, flapping or mostly failing resource does.
// An open breaker stays open for a while, then half-opens: the resource is probed
// (GET /api/health, in the background) and closes only when the probe passes. A resource that
// opens again soon after closing (it flaps) stays open twice as long each time, up to
// MAX_OPEN_MS, so that clients are not bounced between resources on every request. While every
// resource is open, each is probed every ALL_DOWN_PROBE_INTERVAL_MS instead, so that the first
// to recover is used at once.
// Resilience guidance: Azure Architecture Center, "Circuit Breaker pattern".

export const FAILURE_THRESHOLD = 3
export const FAILURE_SHARE = 0.25
export const CONSECUTIVE_FAILURES = 5
export const BUCKET_MS = 10_000
export const FIRST_OPEN_MS = 5_000
export const MAX_OPEN_MS = 60_000
/** Opening again within this time after closing counts as flapping: the open time doubles. */
export const FLAP_MEMORY_MS = 2 * 60_000
/** A probe that has not settled after this is forgotten, so that another may start. */
export const PROBE_LEASE_MS = 10_000
/**
 * While every resource is down, each is probed this often whatever its open time: nothing is
 * served meanwhile, so the first one back should take traffic at once, not at its next probe.
 */
export const ALL_DOWN_PROBE_INTERVAL_MS = 2_000
/** Access-key mode has no passive signals: a closed resource is probed at most this often. */
export const IDLE_PROBE_INTERVAL_MS = 30_000

const NONE: readonly number[] = Object.freeze([])

export type BreakerState = 'closed' | 'open' | 'half-open'

export interface ResourceStatus {
  endpoint: string
  state: BreakerState
  /** While open: when the next probe may run (epoch ms). */
  openUntilMs?: number
  /** Failures and calls counted in the current window. */
  recentFailures: number
  recentCalls: number
}

export interface ResourceHealth {
  /** Indexes of the resources that take traffic, in order of preference; empty when none does. */
  available(): readonly number[]
  recordSuccess(index: number): void
  recordFailure(index: number): void
  /**
   * A probe's outcome: this isolate's own (which ends its lease), or the cron's shared through KV
   * (`shared`, at `atMs`), which counts only when it is newer than what this isolate knows.
   */
  recordProbe(index: number, healthy: boolean, shared?: { atMs: number }): void
  /** Resources to probe now; each is leased to the caller until its outcome is recorded. */
  takeDueProbes(): readonly number[]
  /** Whole seconds until a probe may bring a resource back (≥ 1; 2 while every one is down). */
  retryAfterSeconds(): number
  status(): ResourceStatus[]
}

interface Breaker {
  open: boolean
  openUntilMs: number
  openMs: number
  closedAtMs: number
  /** When something was last learnt about it (a call's outcome or a probe). */
  knownAtMs: number
  lastProbeMs: number
  probeLeaseUntilMs: number
  bucketStartMs: number
  failures: number
  calls: number
  previousFailures: number
  previousCalls: number
  /** Failed calls since the last success. */
  streak: number
}

export interface ResourceHealthOptions {
  endpoints: readonly string[]
  now: () => number
  /** True when Auth API answers feed the breakers (Entra mode); false: probes only (access keys). */
  passive: boolean
}

export function createResourceHealth(options: ResourceHealthOptions): ResourceHealth {
  const { endpoints, now, passive } = options
  const breakers: Breaker[] = endpoints.map(() => ({
    open: false,
    openUntilMs: 0,
    openMs: FIRST_OPEN_MS,
    closedAtMs: Number.NEGATIVE_INFINITY,
    knownAtMs: 0,
    lastProbeMs: 0,
    probeLeaseUntilMs: 0,
    bucketStartMs: 0,
    failures: 0,
    calls: 0,
    previousFailures: 0,
    previousCalls: 0,
    streak: 0,
  }))
  const all = endpoints.map((_, index) => index)
  /** The available list, rebuilt only when a breaker changes: the hot path allocates nothing. */
  let availableList: readonly number[] = all

  const rebuild = (): void => {
    const open = breakers.some((breaker) => breaker.open)
    availableList = open ? all.filter((index) => !breakers[index]!.open) : all
  }

  const roll = (breaker: Breaker, atMs: number): void => {
    const age = atMs - breaker.bucketStartMs
    if (age < BUCKET_MS) return
    const adjacent = age < 2 * BUCKET_MS
    breaker.previousFailures = adjacent ? breaker.failures : 0
    breaker.previousCalls = adjacent ? breaker.calls : 0
    breaker.failures = 0
    breaker.calls = 0
    breaker.bucketStartMs = atMs
  }

  const open = (breaker: Breaker, atMs: number, flapping: boolean): void => {
    breaker.openMs = flapping ? Math.min(breaker.openMs * 2, MAX_OPEN_MS) : FIRST_OPEN_MS
    breaker.open = true
    breaker.openUntilMs = atMs + breaker.openMs
    rebuild()
  }

  const close = (breaker: Breaker, atMs: number): void => {
    breaker.open = false
    breaker.closedAtMs = atMs
    breaker.failures = breaker.calls = breaker.previousFailures = breaker.previousCalls = 0
    breaker.streak = 0
    breaker.bucketStartMs = atMs
    rebuild()
  }

  /** One Auth API call's outcome, counted in the current window. */
  const count = (breaker: Breaker, atMs: number, failed: boolean): void => {
    breaker.knownAtMs = atMs
    roll(breaker, atMs)
    breaker.calls += 1
    if (failed) {
      breaker.failures += 1
      breaker.streak += 1
    } else {
      breaker.streak = 0
    }
  }

  const breakerAt = (index: number): Breaker => {
    const breaker = breakers[index]
    if (breaker === undefined) throw new RangeError(`no resource ${index}`)
    return breaker
  }

  return {
    available: () => availableList,

    recordSuccess(index) {
      count(breakerAt(index), now(), false)
    },

    recordFailure(index) {
      const breaker = breakerAt(index)
      const atMs = now()
      count(breaker, atMs, true)
      if (breaker.open) return
      const failures = breaker.failures + breaker.previousFailures
      const calls = breaker.calls + breaker.previousCalls
      const mostlyFailing = failures >= FAILURE_THRESHOLD && failures >= calls * FAILURE_SHARE
      if (breaker.streak >= CONSECUTIVE_FAILURES || mostlyFailing) {
        open(breaker, atMs, atMs - breaker.closedAtMs < FLAP_MEMORY_MS)
      }
    },

    recordProbe(index, healthy, shared) {
      const breaker = breakerAt(index)
      const atMs = shared?.atMs ?? now()
      if (shared === undefined) breaker.probeLeaseUntilMs = 0
      // Older news than what this isolate saw itself changes nothing.
      else if (atMs < breaker.knownAtMs) return
      breaker.knownAtMs = atMs
      breaker.lastProbeMs = Math.max(breaker.lastProbeMs, atMs)
      if (healthy) {
        if (breaker.open) close(breaker, atMs)
      } else if (breaker.open) {
        // Still down after its scheduled probe: wait longer before the next one. An early probe
        // (while every resource is down) keeps the schedule.
        if (atMs >= breaker.openUntilMs) {
          breaker.openMs = Math.min(breaker.openMs * 2, MAX_OPEN_MS)
          breaker.openUntilMs = atMs + breaker.openMs
        }
      } else {
        open(breaker, atMs, atMs - breaker.closedAtMs < FLAP_MEMORY_MS)
      }
    },

    takeDueProbes() {
      // The common case, every breaker closed and no idle probes: nothing to look at.
      if (passive && availableList === all) return NONE
      const atMs = now()
      const allDown = availableList.length === 0
      const due: number[] = []
      breakers.forEach((breaker, index) => {
        if (breaker.probeLeaseUntilMs > atMs) return
        const wanted = breaker.open
          ? atMs >= breaker.openUntilMs ||
            (allDown && atMs - breaker.lastProbeMs >= ALL_DOWN_PROBE_INTERVAL_MS)
          : !passive && atMs - breaker.lastProbeMs >= IDLE_PROBE_INTERVAL_MS
        if (!wanted) return
        breaker.probeLeaseUntilMs = atMs + PROBE_LEASE_MS
        due.push(index)
      })
      return due.length === 0 ? NONE : due
    },

    retryAfterSeconds() {
      const atMs = now()
      let soonestMs = Number.POSITIVE_INFINITY
      for (const breaker of breakers) {
        if (breaker.open) soonestMs = Math.min(soonestMs, breaker.openUntilMs)
      }
      let waitMs = Number.isFinite(soonestMs) ? soonestMs - atMs : 0
      if (availableList.length === 0) waitMs = Math.min(waitMs, ALL_DOWN_PROBE_INTERVAL_MS)
      return Math.min(Math.max(1, Math.ceil(waitMs / 1000)), MAX_OPEN_MS / 1000)
    },

    status() {
      const atMs = now()
      return breakers.map((breaker, index) => ({
        endpoint: endpoints[index]!,
        state: !breaker.open ? 'closed' : atMs >= breaker.openUntilMs ? 'half-open' : 'open',
        ...(breaker.open ? { openUntilMs: breaker.openUntilMs } : {}),
        recentFailures: breaker.failures + breaker.previousFailures,
        recentCalls: breaker.calls + breaker.previousCalls,
      }))
    },
  }
}
