import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ALL_DOWN_PROBE_INTERVAL_MS,
  BUCKET_MS,
  CONSECUTIVE_FAILURES,
  createResourceHealth,
  FIRST_OPEN_MS,
  FLAP_MEMORY_MS,
  IDLE_PROBE_INTERVAL_MS,
  MAX_OPEN_MS,
  PROBE_LEASE_MS,
} from '../../src/webpubsub/resource-health'

const ENDPOINTS = ['https://primary.example', 'https://secondary.example']

function setup(passive = true) {
  let nowMs = 1_000_000
  const health = createResourceHealth({ endpoints: ENDPOINTS, now: () => nowMs, passive })
  return {
    health,
    advance: (ms: number) => {
      nowMs += ms
    },
    now: () => nowMs,
  }
}

describe('resource-health', () => {
  it('keeps every resource available while calls succeed', () => {
    const { health } = setup()
    for (let i = 0; i < 50; i++) health.recordSuccess(0)
    expect(health.available()).toEqual([0, 1])
    expect(health.status()[0]).toMatchObject({ state: 'closed', recentCalls: 50 })
  })

  it('opens after three failures in a row among few calls', () => {
    const { health } = setup()
    health.recordFailure(0)
    health.recordFailure(0)
    expect(health.available()).toEqual([0, 1])
    health.recordFailure(0)
    expect(health.available()).toEqual([1])
    expect(health.status()[0]).toMatchObject({ state: 'open' })
  })

  it('opens at once on failures in a row, however many calls succeeded just before', () => {
    const { health } = setup()
    for (let i = 0; i < 5_000; i++) health.recordSuccess(0)
    for (let i = 0; i < CONSECUTIVE_FAILURES - 1; i++) health.recordFailure(0)
    expect(health.available()).toEqual([0, 1])
    health.recordFailure(0)
    expect(health.available()).toEqual([1])
  })

  it('counts a streak only while nothing succeeds in between', () => {
    const { health } = setup()
    for (let i = 0; i < 400; i++) health.recordSuccess(0)
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < CONSECUTIVE_FAILURES - 1; i++) health.recordFailure(0)
      for (let i = 0; i < 300; i++) health.recordSuccess(0)
    }
    // 80 failures in 6,480 calls: neither a streak nor a quarter of the calls.
    expect(health.available()).toEqual([0, 1])
  })

  it('opens when at least a quarter of the calls fail, without a streak', () => {
    const { health } = setup()
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) health.recordSuccess(0)
      health.recordFailure(0)
    }
    expect(health.available()).toEqual([1])
    const other = setup()
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 4; j++) other.health.recordSuccess(0)
      other.health.recordFailure(0)
    }
    expect(other.health.available()).toEqual([0, 1])
  })

  it('does not open for rare failures among many successes', () => {
    const { health, advance } = setup()
    for (let i = 0; i < 60; i++) {
      if (i % 20 === 0) health.recordFailure(0)
      else health.recordSuccess(0)
      advance(100)
    }
    expect(health.available()).toEqual([0, 1])
  })

  it('forgets failures older than two windows', () => {
    const { health, advance } = setup()
    health.recordFailure(0)
    health.recordFailure(0)
    advance(2 * BUCKET_MS + 1)
    health.recordFailure(0)
    expect(health.available()).toEqual([0, 1])
  })

  it('opens a flapping resource (every other call fails)', () => {
    const { health, advance } = setup()
    for (let i = 0; i < 6; i++) {
      if (i % 2 === 0) health.recordFailure(0)
      else health.recordSuccess(0)
      advance(50)
    }
    expect(health.available()).toEqual([1])
  })

  it('asks for a probe only once the open time is over, and leases it', () => {
    const { health, advance } = setup()
    for (let i = 0; i < 3; i++) health.recordFailure(0)
    expect(health.takeDueProbes()).toEqual([])
    advance(FIRST_OPEN_MS - 1)
    expect(health.takeDueProbes()).toEqual([])
    advance(1)
    expect(health.status()[0]?.state).toBe('half-open')
    expect(health.takeDueProbes()).toEqual([0])
    // Leased: no second probe while the first runs...
    expect(health.takeDueProbes()).toEqual([])
    // ...unless it never settles.
    advance(PROBE_LEASE_MS)
    expect(health.takeDueProbes()).toEqual([0])
  })

  it('returns traffic when a probe passes, and waits twice as long when it fails', () => {
    const { health, advance } = setup()
    for (let i = 0; i < 3; i++) health.recordFailure(0)
    advance(FIRST_OPEN_MS)
    expect(health.takeDueProbes()).toEqual([0])
    health.recordProbe(0, false)
    expect(health.available()).toEqual([1])
    expect(health.status()[0]).toMatchObject({ openUntilMs: expect.any(Number) })
    advance(2 * FIRST_OPEN_MS - 1)
    expect(health.takeDueProbes()).toEqual([])
    advance(1)
    expect(health.takeDueProbes()).toEqual([0])
    health.recordProbe(0, true)
    expect(health.available()).toEqual([0, 1])
    expect(health.status()[0]).toMatchObject({ state: 'closed', recentFailures: 0 })
  })

  it('keeps a resource that opens again soon after closing open longer each time, up to a cap', () => {
    const { health, advance, now } = setup()
    const openTimes: number[] = []
    for (let round = 0; round < 8; round++) {
      for (let i = 0; i < 3; i++) health.recordFailure(0)
      const until = health.status()[0]?.openUntilMs ?? 0
      openTimes.push(until - now())
      advance(until - now())
      health.takeDueProbes()
      health.recordProbe(0, true)
      advance(1_000)
    }
    expect(openTimes.slice(0, 4)).toEqual([
      FIRST_OPEN_MS,
      2 * FIRST_OPEN_MS,
      4 * FIRST_OPEN_MS,
      8 * FIRST_OPEN_MS,
    ])
    expect(Math.max(...openTimes)).toBe(MAX_OPEN_MS)
    // Healthy for longer than the flap memory: the next opening is short again.
    advance(FLAP_MEMORY_MS)
    for (let i = 0; i < 3; i++) health.recordFailure(0)
    expect((health.status()[0]?.openUntilMs ?? 0) - now()).toBe(FIRST_OPEN_MS)
  })

  it('applies shared news only when it is newer than what it knows', () => {
    const { health, advance, now } = setup()
    health.recordSuccess(0)
    health.recordProbe(0, false, { atMs: now() - 1_000 })
    expect(health.available()).toEqual([0, 1])
    advance(10)
    health.recordProbe(0, false, { atMs: now() })
    expect(health.available()).toEqual([1])
    // An older "healthy" does not close what this isolate saw fail since.
    health.recordProbe(0, true, { atMs: now() - 5 })
    expect(health.available()).toEqual([1])
  })

  it('tells how long until a probe may run, at least one second', () => {
    const { health, advance } = setup()
    for (let i = 0; i < 3; i++) health.recordFailure(0)
    expect(health.retryAfterSeconds()).toBe(FIRST_OPEN_MS / 1000)
    advance(FIRST_OPEN_MS + 3_000)
    expect(health.retryAfterSeconds()).toBe(1)
  })

  it('probes every resource every 2 s while all are down, keeping their schedules', () => {
    const { health, advance } = setup()
    for (const index of [0, 1]) for (let i = 0; i < 3; i++) health.recordFailure(index)
    expect(health.available()).toEqual([])
    expect(health.retryAfterSeconds()).toBe(ALL_DOWN_PROBE_INTERVAL_MS / 1000)
    // Never probed yet: both at once, long before their open time is over.
    expect(health.takeDueProbes()).toEqual([0, 1])
    health.recordProbe(0, false)
    health.recordProbe(1, false)
    const before = health.status().map((s) => s.openUntilMs)
    advance(ALL_DOWN_PROBE_INTERVAL_MS - 1)
    expect(health.takeDueProbes()).toEqual([])
    advance(1)
    expect(health.takeDueProbes()).toEqual([0, 1])
    // An early probe that fails does not push the scheduled one further out.
    health.recordProbe(0, false)
    expect(health.status()[0]?.openUntilMs).toBe(before[0])
    // The first one back takes traffic at once; the other is then probed on its own schedule.
    health.recordProbe(1, true)
    expect(health.available()).toEqual([1])
    advance(ALL_DOWN_PROBE_INTERVAL_MS)
    expect(health.takeDueProbes()).toEqual([])
  })

  it('probes closed resources now and then when no call reports on them (access-key mode)', () => {
    const passive = setup(true)
    expect(passive.health.takeDueProbes()).toEqual([])
    const { health, advance } = setup(false)
    expect(health.takeDueProbes()).toEqual([0, 1])
    health.recordProbe(0, true)
    health.recordProbe(1, true)
    advance(IDLE_PROBE_INTERVAL_MS - 1)
    expect(health.takeDueProbes()).toEqual([])
    advance(1)
    expect(health.takeDueProbes()).toEqual([0, 1])
    health.recordProbe(1, false)
    expect(health.available()).toEqual([0])
  })

  it('lists available resources in order and never an open one (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            index: fc.integer({ min: 0, max: 1 }),
            kind: fc.constantFrom('success', 'failure', 'probe-ok', 'probe-down', 'wait'),
            ms: fc.integer({ min: 0, max: 20_000 }),
          }),
          { maxLength: 60 },
        ),
        (steps) => {
          const { health, advance } = setup()
          for (const step of steps) {
            if (step.kind === 'success') health.recordSuccess(step.index)
            else if (step.kind === 'failure') health.recordFailure(step.index)
            else if (step.kind === 'probe-ok') health.recordProbe(step.index, true)
            else if (step.kind === 'probe-down') health.recordProbe(step.index, false)
            else advance(step.ms)
            const status = health.status()
            const expected = [0, 1].filter((index) => status[index]?.state === 'closed')
            expect(health.available()).toEqual(expected)
            expect(health.retryAfterSeconds()).toBeGreaterThanOrEqual(1)
            expect(health.retryAfterSeconds()).toBeLessThanOrEqual(MAX_OPEN_MS / 1000)
          }
        },
      ),
      { numRuns: 300 },
    )
  })
})
