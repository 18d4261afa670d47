// The failover soak's figures: traffic share per second, switches, the 5 s timeline, and the goals, from plain records.
import { FIRST_OPEN_MS, MAX_OPEN_MS } from '../src/webpubsub/resource-health'
import { WORKER_DEADLINE_MS } from './soak-classify'
import type { Goal } from './soak-report'
import { quantile } from './stats'

/** One negotiation; times in ms since the load started. */
export interface NegotiationRecord {
  sentMs: number
  doneMs: number
  status: number
  /** Which resource issued it (from `baseUrl`); -1 for a failure. */
  resource: number
  /** The problem's `code` of a failure; '' for a 200. */
  code: string
  retryAfter: boolean
}

/** What the negotiator's /readyz said about its breakers at one moment. */
export interface BreakerSample {
  tMs: number
  /** Per resource: closed, open, half-open; undefined when /readyz did not list them. */
  states: (string | undefined)[]
  /** Per resource, while open: when the next probe may run (ms since the load started). */
  probeAfterMs: (number | undefined)[]
}

export interface Window {
  startMs: number
  endMs: number
}

export interface FailoverWindows {
  /** The primary hard down (each phase of kind outage). */
  outages: Window[]
  /** The secondary down too, inside an outage. */
  bothDown: Window[]
  flaps: Window[]
}

export interface Second {
  /** Negotiations answered in this second. */
  total: number
  primary: number
  secondary: number
  /** 503 webpubsub_unavailable. */
  unavailable: number
  /** Other failures. */
  otherFailures: number
  /** Consecutive successful answers (by answer time) from different resources, counted here. */
  switches: number
}

/** A second counts as on one resource when at least this share of its answers came from it. */
export const SHARE_THRESHOLD = 0.9
/** Seconds with fewer answers say nothing about shares (a stalled isolate, the run's edges). */
export const MIN_ANSWERS_PER_SECOND = 10
/** A probe, the answers in flight and the 1 s granularity of the shares. */
export const RETURN_SLACK_MS = 2_000

export function perSecond(records: readonly NegotiationRecord[], durationMs: number): Second[] {
  const seconds: Second[] = Array.from({ length: Math.ceil(durationMs / 1000) + 1 }, () => ({
    total: 0,
    primary: 0,
    secondary: 0,
    unavailable: 0,
    otherFailures: 0,
    switches: 0,
  }))
  const byAnswer = [...records].sort((a, b) => a.doneMs - b.doneMs)
  let lastResource = -1
  for (const record of byAnswer) {
    const second = seconds[Math.floor(record.doneMs / 1000)]
    if (second === undefined) continue
    second.total += 1
    if (record.status === 200) {
      if (record.resource === 0) second.primary += 1
      else second.secondary += 1
      if (lastResource !== -1 && record.resource !== lastResource) second.switches += 1
      lastResource = record.resource
    } else if (record.status === 503 && record.code === 'webpubsub_unavailable') {
      second.unavailable += 1
    } else second.otherFailures += 1
  }
  return seconds
}

const share = (part: number, whole: number) => (whole === 0 ? Number.NaN : part / whole)

export interface TimelineRow {
  fromS: number
  requests: number
  primary: number
  secondary: number
  unavailable: number
  other: number
  /** What the schedule did in these 5 s, and the primary's breaker states seen. */
  notes: string[]
}

export function timeline(
  seconds: readonly Second[],
  events: readonly { tMs: number; what: string }[],
  breakers: readonly BreakerSample[],
  stepS = 5,
): TimelineRow[] {
  const rows: TimelineRow[] = []
  for (let from = 0; from < seconds.length; from += stepS) {
    const slice = seconds.slice(from, from + stepS)
    const sum = (key: keyof Second) => slice.reduce((total, s) => total + s[key], 0)
    const inRow = (tMs: number) => tMs >= from * 1000 && tMs < (from + stepS) * 1000
    const states = new Set(
      breakers.filter((b) => inRow(b.tMs)).map((b) => b.states[0] ?? 'unknown'),
    )
    const notes = events.filter((e) => inRow(e.tMs)).map((e) => e.what)
    if (states.size > 0 && !(states.size === 1 && states.has('closed')))
      notes.push(`primary breaker ${[...states].join('/')}`)
    rows.push({
      fromS: from,
      requests: sum('total'),
      primary: sum('primary'),
      secondary: sum('secondary'),
      unavailable: sum('unavailable'),
      other: sum('otherFailures'),
      notes,
    })
  }
  return rows
}

const overlaps = (record: NegotiationRecord, window: Window) =>
  record.sentMs < window.endMs && record.doneMs >= window.startMs

/**
 * A both-down window as callers see it. When the secondary's breaker opened in it, negotiations
 * keep answering 503 until its first probe: FIRST_OPEN_MS after it opened (it had not opened
 * before, so its open time is the first one). The window ends at the first /readyz sample after
 * the secondary came back that shows a resource taking traffic, and never later than that bound.
 */
export function effectiveBothDown(window: Window, breakers: readonly BreakerSample[]): Window {
  const cap = Math.max(window.endMs, window.startMs + FIRST_OPEN_MS + 1_000)
  const usable = breakers.find(
    (b) => b.tMs >= window.endMs && b.states.some((state) => state === 'closed'),
  )
  return { startMs: window.startMs, endMs: Math.min(cap, usable?.tMs ?? cap) }
}

/** Intervals in which /readyz showed the primary open (or half-open, its probe under way). */
export function primaryOpenIntervals(breakers: readonly BreakerSample[]): Window[] {
  const intervals: Window[] = []
  let current: Window | undefined
  for (const sample of breakers) {
    const state = sample.states[0]
    if (state === 'open' || state === 'half-open') {
      if (current === undefined) current = { startMs: sample.tMs, endMs: sample.tMs }
      else current.endMs = sample.tMs
    } else if (state === 'closed' && current !== undefined) {
      intervals.push(current)
      current = undefined
    }
  }
  if (current !== undefined) intervals.push(current)
  return intervals
}

/** First whole second from `endMs` on with ≥ 90 % on the primary: ms from `endMs` to its end. */
export function returnToPrimaryMs(seconds: readonly Second[], endMs: number): number | undefined {
  for (let k = Math.ceil(endMs / 1000); k < seconds.length; k++) {
    const s = seconds[k]!
    if (s.total >= MIN_ANSWERS_PER_SECOND && s.primary >= SHARE_THRESHOLD * s.total)
      return (k + 1) * 1000 - endMs
  }
  return undefined
}

/**
 * How long traffic may take to come back by the breaker's rules: if the primary was open when the
 * misbehaviour ended, until its next probe (probeAfter as /readyz showed it right after the end,
 * so a probe that failed just before counts with its doubled wait), plus RETURN_SLACK_MS.
 */
export function returnBoundMs(breakers: readonly BreakerSample[], endMs: number): number {
  const after = breakers.find((b) => b.tMs >= endMs)
  const probeAfter = after?.states[0] === 'closed' ? undefined : after?.probeAfterMs[0]
  const wait = probeAfter === undefined ? 0 : Math.max(0, probeAfter - endMs)
  return Math.min(wait, MAX_OPEN_MS) + RETURN_SLACK_MS
}

export interface FlapFigures {
  /** Seconds wholly inside an interval where the primary was seen open (1 s margin each side). */
  openSeconds: number
  /** Of those, the ones with ≥ 90 % of answers on the secondary. */
  onSecondary: number
  minSecondaryShare: number
  /** ms from the flap's start until the breaker was first seen open; undefined: never. */
  firstOpenAfterMs: number | undefined
  /** Open intervals seen in the flap, as [start, end] s since the load started. */
  openIntervals: Window[]
  switches: number
  maxSwitchesPerSecond: number
  /** After the first opening: seconds with 10–90 % on the primary (traffic split both ways). */
  mixedSecondsAfterOpen: number
}

export function flapFigures(
  seconds: readonly Second[],
  flap: Window,
  breakers: readonly BreakerSample[],
): FlapFigures {
  const open = primaryOpenIntervals(breakers).filter(
    (w) => w.endMs >= flap.startMs && w.startMs <= flap.endMs,
  )
  let openSeconds = 0
  let onSecondary = 0
  let minSecondaryShare = Number.POSITIVE_INFINITY
  for (const w of open) {
    // The first and last second of an interval hold answers from before it opened or after the probe.
    for (let k = Math.ceil(w.startMs / 1000) + 1; (k + 2) * 1000 <= w.endMs; k++) {
      const s = seconds[k]
      if (s === undefined || s.total < MIN_ANSWERS_PER_SECOND) continue
      openSeconds += 1
      const secondaryShare = share(s.secondary, s.total)
      minSecondaryShare = Math.min(minSecondaryShare, secondaryShare)
      if (secondaryShare >= SHARE_THRESHOLD) onSecondary += 1
    }
  }
  const firstOpen = open[0]
  let switches = 0
  let maxSwitchesPerSecond = 0
  let mixed = 0
  for (let k = Math.floor(flap.startMs / 1000); k * 1000 < flap.endMs; k++) {
    const s = seconds[k]
    if (s === undefined) continue
    switches += s.switches
    maxSwitchesPerSecond = Math.max(maxSwitchesPerSecond, s.switches)
    const primaryShare = share(s.primary, s.total)
    if (
      firstOpen !== undefined &&
      k * 1000 > firstOpen.startMs &&
      s.total >= MIN_ANSWERS_PER_SECOND &&
      primaryShare > 1 - SHARE_THRESHOLD &&
      primaryShare < SHARE_THRESHOLD
    )
      mixed += 1
  }
  return {
    openSeconds,
    onSecondary,
    minSecondaryShare: openSeconds === 0 ? Number.NaN : minSecondaryShare,
    firstOpenAfterMs:
      firstOpen === undefined ? undefined : Math.max(0, firstOpen.startMs - flap.startMs),
    openIntervals: open,
    switches,
    maxSwitchesPerSecond,
    mixedSecondsAfterOpen: mixed,
  }
}

export interface FailoverFigures {
  failuresOutside: { count: number; signatures: Record<string, number> }
  bothDown: {
    windows: Window[]
    /** Failures in the windows, and how many of those came after the scheduled end (grace). */
    failures: number
    inGrace: number
    /** Failures that are not 503 webpubsub_unavailable with Retry-After. */
    wrongShape: number
    p99LatencyMs: number
    maxLatencyMs: number
  }
  flaps: FlapFigures[]
  returns: { what: string; endMs: number; returnMs: number | undefined; boundMs: number }[]
  latencyAllMs: { p50: number; p99: number; max: number }
}

export function failoverFigures(
  records: readonly NegotiationRecord[],
  windows: FailoverWindows,
  breakers: readonly BreakerSample[],
  durationMs: number,
): FailoverFigures {
  const seconds = perSecond(records, durationMs)
  const effective = windows.bothDown.map((w) => effectiveBothDown(w, breakers))
  const inside = records.filter((r) => effective.some((w) => overlaps(r, w)))
  const outside = records.filter((r) => !effective.some((w) => overlaps(r, w)))
  const signatures: Record<string, number> = {}
  for (const r of outside.filter((r) => r.status !== 200)) {
    const key = `${r.status} ${r.code}`
    signatures[key] = (signatures[key] ?? 0) + 1
  }
  const failedInside = inside.filter((r) => r.status !== 200)
  const latencies = failedInside.map((r) => r.doneMs - r.sentMs)
  const inGrace = failedInside.filter((r) => windows.bothDown.every((w) => !overlaps(r, w))).length
  const all = records.map((r) => r.doneMs - r.sentMs)
  return {
    failuresOutside: {
      count: outside.length - outside.filter((r) => r.status === 200).length,
      signatures,
    },
    bothDown: {
      windows: effective,
      failures: failedInside.length,
      inGrace,
      wrongShape: failedInside.filter(
        (r) => !(r.status === 503 && r.code === 'webpubsub_unavailable' && r.retryAfter),
      ).length,
      p99LatencyMs: quantile(latencies, 0.99),
      maxLatencyMs: latencies.length === 0 ? Number.NaN : Math.max(...latencies),
    },
    flaps: windows.flaps.map((flap) => flapFigures(seconds, flap, breakers)),
    returns: [
      ...windows.outages.map((w) => ({ what: 'outage', endMs: w.endMs })),
      ...windows.flaps.map((w) => ({ what: 'flap', endMs: w.endMs })),
    ]
      .sort((a, b) => a.endMs - b.endMs)
      .map(({ what, endMs }) => ({
        what,
        endMs,
        returnMs: returnToPrimaryMs(seconds, endMs),
        boundMs: returnBoundMs(breakers, endMs),
      })),
    latencyAllMs: {
      p50: quantile(all, 0.5),
      p99: quantile(all, 0.99),
      max: all.length === 0 ? Number.NaN : Math.max(...all),
    },
  }
}

const s1 = (ms: number | undefined) => (ms === undefined ? 'never' : `${(ms / 1000).toFixed(1)} s`)
const pct = (x: number) => `${(x * 100).toFixed(1)}%`

/** The failover goals (the memory goals come from soak-report.ts's rules). */
export function failoverGoals(figures: FailoverFigures): Goal[] {
  const { failuresOutside, bothDown } = figures
  const goals: Goal[] = [
    {
      name: 'negotiations outside the both-down windows',
      target: 'all 200',
      value: `${failuresOutside.count} failed${
        failuresOutside.count === 0
          ? ''
          : ` (${Object.entries(failuresOutside.signatures)
              .map(([k, n]) => `${k} ×${n}`)
              .join(', ')})`
      }`,
      pass: failuresOutside.count === 0,
    },
    {
      name: 'failures in the both-down windows',
      target: `all 503 webpubsub_unavailable with Retry-After, p99 < ${WORKER_DEADLINE_MS / 1000} s`,
      value: `${bothDown.failures} failed (${bothDown.inGrace} after the scheduled end, until a breaker closed), ${bothDown.wrongShape} of another shape; p99 ${bothDown.p99LatencyMs.toFixed(0)} ms, max ${bothDown.maxLatencyMs.toFixed(0)} ms`,
      pass:
        bothDown.failures > 0 &&
        bothDown.wrongShape === 0 &&
        bothDown.p99LatencyMs < WORKER_DEADLINE_MS,
    },
  ]
  figures.flaps.forEach((flap, i) => {
    goals.push(
      {
        name: `flap ${i + 1}: traffic while the primary's breaker is open`,
        target: `breaker opens; each open second ≥ ${SHARE_THRESHOLD * 100}% on the secondary`,
        value: `opened after ${s1(flap.firstOpenAfterMs)}; ${flap.onSecondary} of ${flap.openSeconds} open seconds, lowest ${pct(flap.minSecondaryShare)} on the secondary`,
        pass: flap.openSeconds > 0 && flap.onSecondary === flap.openSeconds,
      },
      {
        name: `flap ${i + 1}: bouncing after the breaker opened`,
        target: `seconds split 10–90% between resources ≤ 2 per opening + 1`,
        value: `${flap.mixedSecondsAfterOpen} split seconds, ${flap.openIntervals.length} openings; ${flap.switches} switches in all, at most ${flap.maxSwitchesPerSecond} in a second`,
        pass:
          flap.openIntervals.length > 0 &&
          flap.mixedSecondsAfterOpen <= 2 * flap.openIntervals.length + 1,
      },
    )
  })
  for (const r of figures.returns)
    goals.push({
      name: `traffic back on the primary after the ${r.what} ending at ${s1(r.endMs)}`,
      target: `≤ the wait for the breaker's next probe + ${RETURN_SLACK_MS / 1000} s (${s1(r.boundMs)})`,
      value: s1(r.returnMs),
      pass: r.returnMs !== undefined && r.returnMs <= r.boundMs,
    })
  goals.push({
    name: 'latency of every negotiation, whole run',
    target: `p99 < ${WORKER_DEADLINE_MS / 1000} s (the Worker's budget)`,
    value: `p50 ${figures.latencyAllMs.p50.toFixed(1)} ms, p99 ${figures.latencyAllMs.p99.toFixed(1)} ms, max ${figures.latencyAllMs.max.toFixed(0)} ms`,
    pass: figures.latencyAllMs.p99 < WORKER_DEADLINE_MS,
  })
  return goals
}
