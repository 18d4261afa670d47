// Control API chaos: seeded random faults at a rate, counted per route and kind, cleared by reset.
import { describe, expect, it } from 'vitest'
import type { RunningEmulator } from '../../emulator/index'
import { mulberry32, seededRandom } from '../../emulator/lib/prng'
import { SCOPE, entraErrorOf, postForm, tokenUrl, useEmulator } from './helpers'

const control = (e: RunningEmulator, path: string, method = 'GET', body?: unknown) =>
  fetch(`${e.url}/_emulator${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  })

const faultCounts = async (e: RunningEmulator) =>
  (
    (await (await control(e, '/counters')).json()) as {
      faults: Record<string, Record<string, number>>
    }
  ).faults

/** Sequential health checks; the statuses in order (requests on one route are drawn in order). */
async function healthStatuses(e: RunningEmulator, count: number): Promise<number[]> {
  const statuses: number[] = []
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${e.url}/api/health`)
    await res.arrayBuffer()
    statuses.push(res.status)
  }
  return statuses
}

const MIX = [
  { kind: 'status', status: 503 },
  { kind: 'status', status: 429, retryAfterSeconds: 1 },
  { kind: 'latency', ms: 1 },
]

describe('seededRandom', () => {
  it('repeats a sequence for the same seed and stream, in [0, 1)', () => {
    const a = seededRandom(42, 'entra.token')
    const b = seededRandom(42, 'entra.token')
    const first = Array.from({ length: 1000 }, () => a())
    expect(Array.from({ length: 1000 }, () => b())).toEqual(first)
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true)
    // Roughly uniform: a broken generator (all equal, or stuck in a corner) fails this.
    expect(first.filter((x) => x < 0.5).length).toBeGreaterThan(400)
    expect(first.filter((x) => x < 0.5).length).toBeLessThan(600)
  })

  it('gives other seeds and other streams other sequences', () => {
    const take = (next: () => number) => Array.from({ length: 8 }, () => next())
    const base = take(seededRandom(42, 'entra.token'))
    expect(take(seededRandom(43, 'entra.token'))).not.toEqual(base)
    expect(take(seededRandom(42, 'webpubsub.generateToken'))).not.toEqual(base)
    expect(take(mulberry32(0))).not.toEqual(take(mulberry32(1)))
  })
})

describe('control API chaos', () => {
  it('faults every request at rate 1, counted per route and kind', async () => {
    const emulator = await useEmulator()
    const set = await control(emulator, '/chaos', 'POST', {
      route: 'webpubsub.health',
      rate: 1,
      faults: [{ kind: 'status', status: 503 }],
      seed: 7,
    })
    expect(set.status).toBe(200)
    expect(await set.json()).toEqual({
      route: 'webpubsub.health',
      rate: 1,
      faults: [{ kind: 'status', status: 503, weight: 1 }],
      seed: 7,
    })
    expect(await healthStatuses(emulator, 20)).toEqual(Array(20).fill(503))
    expect(await faultCounts(emulator)).toEqual({ 'webpubsub.health': { 'status:503': 20 } })
  })

  it('never faults at rate 0, and rate 0 turns a route’s chaos off', async () => {
    const emulator = await useEmulator()
    await control(emulator, '/chaos', 'POST', { route: 'webpubsub.health', rate: 1, faults: MIX })
    const off = await control(emulator, '/chaos', 'POST', { route: 'webpubsub.health', rate: 0 })
    expect(off.status).toBe(200)
    expect(await off.json()).toEqual({ route: 'webpubsub.health', rate: 0 })
    expect(await healthStatuses(emulator, 50)).toEqual(Array(50).fill(200))
    // rate 0 with a fault list is accepted too, and faults nothing.
    await control(emulator, '/chaos', 'POST', { route: 'webpubsub.health', rate: 0, faults: MIX })
    expect(await healthStatuses(emulator, 50)).toEqual(Array(50).fill(200))
    expect(await faultCounts(emulator)).toEqual({})
  })

  it('replays the same faults for the same seed, and counts each kind', async () => {
    const emulator = await useEmulator()
    const run = async (seed: number) => {
      await control(emulator, '/reset', 'POST')
      await control(emulator, '/chaos', 'POST', {
        route: 'webpubsub.health',
        rate: 0.5,
        faults: MIX,
        seed,
      })
      return { statuses: await healthStatuses(emulator, 60), counts: await faultCounts(emulator) }
    }
    const first = await run(1234)
    const again = await run(1234)
    expect(again).toEqual(first)
    const counts = first.counts['webpubsub.health'] ?? {}
    // Each status fault shows as its status; latency faults answer normally (200) but count.
    expect(first.statuses.filter((s) => s === 503).length).toBe(counts['status:503'])
    expect(first.statuses.filter((s) => s === 429).length).toBe(counts['status:429'])
    expect(Object.keys(counts).sort()).toEqual(['latency', 'status:429', 'status:503'])
    const faulted = Object.values(counts).reduce((sum, n) => sum + n, 0)
    expect(faulted).toBeGreaterThan(10)
    expect(faulted).toBeLessThan(50)
    const other = await run(4321)
    expect(other.statuses).not.toEqual(first.statuses)
  })

  it('follows the weights', async () => {
    const emulator = await useEmulator()
    await control(emulator, '/chaos', 'POST', {
      route: 'webpubsub.health',
      rate: 1,
      faults: [
        { kind: 'status', status: 500, weight: 9 },
        { kind: 'status', status: 502, weight: 1 },
      ],
      seed: 99,
    })
    await healthStatuses(emulator, 200)
    const counts = (await faultCounts(emulator))['webpubsub.health'] ?? {}
    expect((counts['status:500'] ?? 0) + (counts['status:502'] ?? 0)).toBe(200)
    expect(counts['status:500']).toBeGreaterThan(150)
    expect(counts['status:502']).toBeGreaterThan(5)
  })

  it('answers an Entra-shaped throttle with Retry-After on entra.token', async () => {
    const emulator = await useEmulator()
    await control(emulator, '/chaos', 'POST', {
      route: 'entra.token',
      rate: 1,
      faults: [{ kind: 'status', status: 429, retryAfterSeconds: 1 }],
    })
    const res = await postForm(tokenUrl(emulator), {
      grant_type: 'client_credentials',
      client_id: emulator.demo.apps.ownerSecret.clientId,
      client_secret: emulator.demo.apps.ownerSecret.clientSecret!,
      scope: SCOPE,
    })
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('1')
    expect((await entraErrorOf(res)).error).toBe('temporarily_unavailable')
  })

  it('answers the chosen seed when none is given', async () => {
    const emulator = await useEmulator()
    const res = await control(emulator, '/chaos', 'POST', {
      route: 'webpubsub.health',
      rate: 0.1,
      faults: MIX,
    })
    const { seed } = (await res.json()) as { seed: number }
    expect(Number.isInteger(seed)).toBe(true)
  })

  it('lets a queued fault go first, and counts queued faults too', async () => {
    const emulator = await useEmulator()
    await control(emulator, '/chaos', 'POST', {
      route: 'webpubsub.health',
      rate: 1,
      faults: [{ kind: 'status', status: 503 }],
    })
    await control(emulator, '/faults', 'POST', {
      route: 'webpubsub.health',
      kind: 'status',
      status: 500,
    })
    expect(await healthStatuses(emulator, 2)).toEqual([500, 503])
    expect(await faultCounts(emulator)).toEqual({
      'webpubsub.health': { 'status:500': 1, 'status:503': 1 },
    })
  })

  it('is cleared with its counts by reset', async () => {
    const emulator = await useEmulator()
    await control(emulator, '/chaos', 'POST', {
      route: 'webpubsub.health',
      rate: 1,
      faults: [{ kind: 'empty' }],
    })
    await healthStatuses(emulator, 3)
    expect(await faultCounts(emulator)).toEqual({ 'webpubsub.health': { empty: 3 } })
    expect((await control(emulator, '/reset', 'POST')).status).toBe(204)
    expect(await faultCounts(emulator)).toEqual({})
    expect(await healthStatuses(emulator, 5)).toEqual(Array(5).fill(200))
  })

  it('rejects bad chaos requests with 400', async () => {
    const emulator = await useEmulator()
    const status503 = { kind: 'status', status: 503 }
    const bad: unknown[] = [
      { route: 'entra.nope', rate: 0.1, faults: [status503] },
      { route: 'entra.token', faults: [status503] },
      { route: 'entra.token', rate: 1.5, faults: [status503] },
      { route: 'entra.token', rate: -0.1, faults: [status503] },
      { route: 'entra.token', rate: '0.1', faults: [status503] },
      { route: 'entra.token', rate: 0.1 },
      { route: 'entra.token', rate: 0.1, faults: [] },
      { route: 'entra.token', rate: 0.1, faults: [status503], seed: -1 },
      { route: 'entra.token', rate: 0.1, faults: [status503], seed: 1.5 },
      { route: 'entra.token', rate: 0.1, faults: [status503], seed: 2 ** 32 },
      { route: 'entra.token', rate: 0.1, faults: ['503'] },
      { route: 'entra.token', rate: 0.1, faults: [{ kind: 'explode' }] },
      { route: 'entra.token', rate: 0.1, faults: [{ kind: 'status' }] },
      { route: 'entra.token', rate: 0.1, faults: [{ kind: 'status', status: 200 }] },
      { route: 'entra.token', rate: 0.1, faults: [{ ...status503, retryAfterSeconds: -1 }] },
      { route: 'entra.token', rate: 0.1, faults: [{ ...status503, retryAfter: 1 }] },
      { route: 'entra.token', rate: 0.1, faults: [{ ...status503, weight: 0 }] },
      { route: 'entra.token', rate: 0.1, faults: [{ kind: 'latency' }] },
      { route: 'entra.token', rate: 0.1, faults: [{ kind: 'latency', ms: -5 }] },
      { route: 'entra.token', rate: 0.1, faults: [{ kind: 'latency', ms: 5, status: 503 }] },
      { route: 'entra.token', rate: 0.1, faults: [{ kind: 'hang', ms: 5 }] },
      { route: 'entra.token', rate: 0.1, faults: Array(33).fill(status503) },
    ]
    for (const body of bad) {
      const res = await control(emulator, '/chaos', 'POST', body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(((await res.json()) as { error: string }).error.length).toBeGreaterThan(3)
    }
    expect(await healthStatuses(emulator, 3)).toEqual([200, 200, 200])
  })
})
