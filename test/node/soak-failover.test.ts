// The failover soak's pure parts: the seeded schedule, shares and switches per second, the timeline and the goals.
import { describe, expect, it } from 'vitest'
import {
  effectiveBothDown,
  failoverFigures,
  failoverGoals,
  flapFigures,
  perSecond,
  returnBoundMs,
  returnToPrimaryMs,
  timeline,
  type BreakerSample,
  type NegotiationRecord,
} from '../../bench/soak-failover-analysis'
import { timelineLines } from '../../bench/soak-failover-print'
import { failoverSchedule } from '../../bench/soak-failover-schedule'

/** `perSecond` answers in second `s`, all from `resource` (-1: 503 webpubsub_unavailable). */
function traffic(
  fromS: number,
  toS: number,
  perS: number,
  resource: (s: number, i: number) => number,
) {
  const records: NegotiationRecord[] = []
  for (let s = fromS; s < toS; s++)
    for (let i = 0; i < perS; i++) {
      const r = resource(s, i)
      const doneMs = s * 1000 + ((i + 0.5) * 1000) / perS
      records.push(
        r === -1
          ? {
              sentMs: doneMs - 20,
              doneMs,
              status: 503,
              resource: -1,
              code: 'webpubsub_unavailable',
              retryAfter: true,
            }
          : { sentMs: doneMs - 20, doneMs, status: 200, resource: r, code: '', retryAfter: false },
      )
    }
  return records
}

const sample = (
  tMs: number,
  primary: string,
  secondary = 'closed',
  probeAfter?: number,
): BreakerSample => ({
  tMs,
  states: [primary, secondary],
  probeAfterMs: [probeAfter, undefined],
})

describe('failoverSchedule', () => {
  it('is the same for a seed and differs between seeds', () => {
    expect(failoverSchedule(7)).toEqual(failoverSchedule(7))
    expect(failoverSchedule(7)).not.toEqual(failoverSchedule(8))
  })

  it('puts a short both-down window inside the second outage, then flaps last', () => {
    for (let seed = 0; seed < 200; seed++) {
      const { phases } = failoverSchedule(seed)
      expect(phases.map((p) => p.kind)).toEqual(['outage', 'outage', 'flap'])
      const second = phases[1]!
      if (second.kind !== 'outage' || second.bothDown === undefined) throw new Error('no both-down')
      const { atMs, lengthMs } = second.bothDown
      expect(lengthMs).toBeGreaterThanOrEqual(2_000)
      expect(lengthMs).toBeLessThanOrEqual(3_000)
      expect(atMs).toBeGreaterThanOrEqual(2_500)
      // The primary stays down at least 2 s after the secondary is back.
      expect(atMs + lengthMs).toBeLessThanOrEqual(second.lengthMs - 2_000)
      const flap = phases[2]!
      expect(flap.kind === 'flap' && flap.rate).toBe(0.5)
    }
  })
})

describe('perSecond', () => {
  it('splits answers by resource and counts switches between consecutive answers', () => {
    const records = traffic(0, 2, 10, (s, i) => (s === 0 ? 0 : i % 2))
    const seconds = perSecond(records, 2_000)
    expect(seconds[0]).toMatchObject({ total: 10, primary: 10, secondary: 0, switches: 0 })
    // 0,1,0,1,…: the first answer switches from the primary of second 0, then every one.
    expect(seconds[1]).toMatchObject({ total: 10, primary: 5, secondary: 5, switches: 9 })
  })

  it('counts 503 webpubsub_unavailable apart from other failures', () => {
    const records = traffic(0, 1, 4, () => -1)
    records.push({ sentMs: 0, doneMs: 10, status: 502, resource: -1, code: 'x', retryAfter: false })
    expect(perSecond(records, 1_000)[0]).toMatchObject({ unavailable: 4, otherFailures: 1 })
  })
})

describe('both-down windows', () => {
  it('last until a breaker shows a resource closed, at most the first open time after the start', () => {
    const window = { startMs: 10_000, endMs: 12_000 }
    expect(
      effectiveBothDown(window, [sample(12_100, 'open', 'open'), sample(14_000, 'open')]),
    ).toEqual({
      startMs: 10_000,
      endMs: 14_000,
    })
    expect(effectiveBothDown(window, [sample(20_000, 'open')]).endMs).toBe(16_000)
  })

  it('fails the goals on a failure outside them, or a 503 without Retry-After inside', () => {
    const records = traffic(0, 20, 20, (s) => (s >= 5 && s < 7 ? -1 : 1))
    const windows = { outages: [], bothDown: [{ startMs: 5_000, endMs: 7_000 }], flaps: [] }
    const breakers = [sample(7_000, 'closed')]
    const pass = failoverGoals(failoverFigures(records, windows, breakers, 20_000))
    expect(pass.slice(0, 2).map((g) => g.pass)).toEqual([true, true])

    const late = [
      ...records,
      {
        sentMs: 9_000,
        doneMs: 9_010,
        status: 503,
        resource: -1,
        code: 'webpubsub_unavailable',
        retryAfter: true,
      },
    ]
    expect(failoverGoals(failoverFigures(late, windows, breakers, 20_000))[0]!.pass).toBe(false)

    const bare = records.map((r) =>
      r.status === 503 && r.doneMs < 5_500 ? { ...r, retryAfter: false } : r,
    )
    expect(failoverGoals(failoverFigures(bare, windows, breakers, 20_000))[1]!.pass).toBe(false)

    const slow = records.map((r) => (r.status === 503 ? { ...r, sentMs: r.doneMs - 5_200 } : r))
    expect(failoverGoals(failoverFigures(slow, windows, breakers, 20_000))[1]!.pass).toBe(false)
  })
})

describe('return to the primary', () => {
  it('is the end of the first whole second with ≥ 90 % on the primary', () => {
    const seconds = perSecond(
      traffic(0, 10, 20, (s) => (s < 6 ? 1 : 0)),
      10_000,
    )
    expect(returnToPrimaryMs(seconds, 3_500)).toBe(3_500)
    expect(
      returnToPrimaryMs(
        perSecond(
          traffic(0, 10, 20, () => 1),
          10_000,
        ),
        3_500,
      ),
    ).toBeUndefined()
  })

  it('may take until the probe the breaker showed right after the end, plus slack', () => {
    expect(
      returnBoundMs(
        [sample(9_000, 'open', 'closed', 20_000), sample(10_100, 'open', 'closed', 25_000)],
        10_000,
      ),
    ).toBe(17_000)
    expect(returnBoundMs([sample(10_100, 'closed')], 10_000)).toBe(2_000)
  })
})

describe('flapFigures', () => {
  const flap = { startMs: 10_000, endMs: 30_000 }
  const breakers = Array.from({ length: 120 }, (_, i) =>
    sample(i * 250, i * 250 >= 14_000 && i * 250 < 25_000 ? 'open' : 'closed'),
  )

  it('checks each second inside an open interval for ≥ 90 % on the secondary', () => {
    const onSecondary = perSecond(
      traffic(0, 30, 20, (s, i) => (s >= 14 && s < 25 ? 1 : i % 2)),
      30_000,
    )
    const good = flapFigures(onSecondary, flap, breakers)
    expect(good.openIntervals).toHaveLength(1)
    expect(good.firstOpenAfterMs).toBe(4_000)
    expect(good.openSeconds).toBe(good.onSecondary)
    expect(good.openSeconds).toBeGreaterThan(5)

    const leaky = perSecond(
      traffic(0, 30, 20, (s, i) => (s === 18 && i < 5 ? 0 : s >= 14 && s < 25 ? 1 : i % 2)),
      30_000,
    )
    const bad = flapFigures(leaky, flap, breakers)
    expect(bad.onSecondary).toBe(bad.openSeconds - 1)
    expect(bad.minSecondaryShare).toBeCloseTo(0.75)
  })

  it('counts split seconds after the first opening as bouncing', () => {
    const split = perSecond(
      traffic(0, 30, 20, (s, i) => (s >= 14 && s < 25 ? 1 : i % 2)),
      30_000,
    )
    // After 25 s the traffic splits again each second: 5 seconds up to the flap's end.
    expect(flapFigures(split, flap, breakers).mixedSecondsAfterOpen).toBe(5)
  })
})

describe('timeline', () => {
  it('sums 5 s rows with shares and what happened', () => {
    const records = traffic(0, 10, 10, (s) => (s < 5 ? 0 : s < 8 ? 1 : -1))
    const rows = timeline(
      perSecond(records, 10_000),
      [{ tMs: 5_200, what: 'primary down' }],
      [sample(6_000, 'open')],
    )
    expect(rows[0]).toMatchObject({ fromS: 0, requests: 50, primary: 50, notes: [] })
    expect(rows[1]).toMatchObject({
      requests: 50,
      secondary: 30,
      unavailable: 20,
      notes: ['primary down', 'primary breaker open'],
    })
    const lines = timelineLines(rows)
    expect(lines[2]).toMatch(
      /^\s+5 s\s+50\s+0\.0\s+60\.0\s+40\.0\s+primary down; primary breaker open$/,
    )
  })
})
