// Upstream storms: under throttling, outages and refusals the Worker must not call Entra or the
// Auth API more often than they allow, whatever mix of requests, refreshes, probes and crons.
import { beforeEach, describe, expect, it } from 'vitest'
import { emulator } from '../support/emulator'
import { createHarness, problemOf, type Harness } from '../support/harness'
import { KvDouble } from '../support/kv-double'

beforeEach(() => emulator.reset())

/** A harness with a KV the test can inspect, following the harness clock. */
async function withInspectableKv(): Promise<{ h: Harness; kv: KvDouble }> {
  const clock = { now: () => Date.now() }
  const kv = new KvDouble({ now: () => clock.now() })
  const h = await createHarness({ vars: { TOKEN_CACHE: kv } })
  clock.now = () => h.now()
  return { h, kv }
}

const entraCalls = async () => (await emulator.counters())['entra.token']
const authApiCalls = async () => (await emulator.counters())['webpubsub.generateToken']
const retryAfter = (response: Response) => Number(response.headers.get('retry-after'))

/** The Retry-After a request gets `elapsedMs` into a `windowS` window (the real clock runs on). */
const leftOf = (windowS: number, elapsedMs: number) => [
  Math.floor(windowS - elapsedMs / 1000),
  Math.ceil(windowS - elapsedMs / 1000),
]

describe('routes/negotiate under an Entra throttle', () => {
  it('makes one Entra call for 10 requests during a 60 s 429, answering the time left', async () => {
    await emulator.fault({
      route: 'entra.token',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 60,
      times: -1,
    })
    const h = await createHarness()
    const first = await h.request('/negotiate')
    expect(first.status).toBe(503)
    expect(retryAfter(first)).toBe(60)
    for (let i = 1; i < 10; i++) {
      h.advance(5_000)
      const response = await h.request('/negotiate')
      expect(response.status).toBe(503)
      expect(await problemOf(response)).toMatchObject({
        code: 'entra_throttled',
        upstream: { service: 'entra', status: 429 },
        retryAfterSeconds: retryAfter(response),
      })
      expect(leftOf(60, i * 5_000)).toContain(retryAfter(response))
    }
    expect(await entraCalls()).toBe(1)
    h.advance(20_000) // 65 s after the throttle began
    expect((await h.request('/negotiate')).status).toBe(503)
    expect(await entraCalls()).toBe(2)
  })

  it('keeps /readyz and the cron from calling Entra during the throttle', async () => {
    await emulator.fault({
      route: 'entra.token',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 60,
      times: -1,
    })
    const h = await createHarness()
    expect((await h.request('/negotiate')).status).toBe(503)
    const ready = await h.request('/readyz')
    expect(ready.status).toBe(503)
    expect((await problemOf(ready)).code).toBe('entra_throttled')
    expect(leftOf(60, 0)).toContain(retryAfter(ready))
    await expect(h.scheduled()).rejects.toMatchObject({ code: 'entra_throttled' })
    expect(await entraCalls()).toBe(1)

    await emulator.reset()
    h.advance(61_000)
    expect(await h.scheduled()).toBe('refreshed')
    expect(await entraCalls()).toBe(1)
    expect((await h.request('/negotiate')).status).toBe(200)
    expect(await entraCalls()).toBe(1)
  })

  it('remembers a throttle the cron ran into, for requests too', async () => {
    await emulator.fault({
      route: 'entra.token',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 120,
      times: -1,
    })
    const h = await createHarness()
    await expect(h.scheduled()).rejects.toMatchObject({ code: 'entra_throttled' })
    h.advance(30_000)
    const response = await h.request('/negotiate')
    expect(response.status).toBe(503)
    expect(leftOf(120, 30_000)).toContain(retryAfter(response))
    expect(await entraCalls()).toBe(1)
  })

  it('answers 503 entra_unavailable for a 503 with Retry-After and holds for its length', async () => {
    await emulator.fault({
      route: 'entra.token',
      kind: 'status',
      status: 503,
      retryAfterSeconds: 30,
      times: -1,
    })
    const h = await createHarness()
    for (let i = 0; i < 5; i++) {
      const response = await h.request('/negotiate')
      expect(response.status).toBe(503)
      expect((await problemOf(response)).code).toBe('entra_unavailable')
      expect(leftOf(30, 0)).toContain(retryAfter(response))
    }
    expect(await entraCalls()).toBe(1)
  })

  it('holds 5 s after a 503 without Retry-After, once its own retries are spent', async () => {
    await emulator.fault({ route: 'entra.token', kind: 'status', status: 503, times: -1 })
    const h = await createHarness({ instantSleep: true })
    const first = await h.request('/negotiate')
    expect(first.status).toBe(503)
    expect(retryAfter(first)).toBe(5)
    expect(await entraCalls()).toBe(4) // 1 + 3 retries with backoff
    for (let i = 0; i < 5; i++) {
      const response = await h.request('/negotiate')
      expect((await problemOf(response)).code).toBe('entra_unavailable')
    }
    expect(await entraCalls()).toBe(4)
    h.advance(5_000)
    expect((await h.request('/negotiate')).status).toBe(503)
    expect(await entraCalls()).toBe(8)
  })

  it('serves a cached token during the throttle and starts one background refresh per window', async () => {
    await emulator.settings({ entraTokenLifetimeSeconds: 3600, entraRefreshInSeconds: 1800 })
    const h = await createHarness()
    expect((await h.request('/negotiate')).status).toBe(200)
    await emulator.fault({
      route: 'entra.token',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 60,
      times: -1,
    })
    h.advance(1900_000) // in the refresh window, far from stale
    for (let i = 0; i < 10; i++) {
      expect((await h.request('/negotiate')).status).toBe(200)
      expect((await h.request('/readyz')).status).toBe(200)
      h.advance(5_000)
    }
    // The first refresh ran into the throttle; nothing asked Entra again within its 60 s.
    expect(await entraCalls()).toBe(2)
    h.advance(15_000)
    expect((await h.request('/negotiate')).status).toBe(200)
    expect(await entraCalls()).toBe(3)
    // 12 negotiations, and the one Auth API probe of /readyz (remembered for 5 minutes).
    expect(await authApiCalls()).toBe(13)
  })
})

describe('routes/negotiate after Entra rejects the credential', () => {
  it('makes one Entra call for 20 requests and probes in the refresh window', async () => {
    await emulator.settings({ entraTokenLifetimeSeconds: 3600, entraRefreshInSeconds: 1800 })
    const h = await createHarness()
    expect((await h.request('/negotiate')).status).toBe(200)
    // Entra now refuses the request for good (e.g. the secret was revoked).
    await emulator.fault({ route: 'entra.token', kind: 'status', status: 400, times: -1 })
    h.advance(1900_000)
    for (let i = 0; i < 20; i++) {
      expect((await h.request('/negotiate')).status).toBe(200)
      expect((await h.request('/readyz')).status).toBe(200)
    }
    expect(await entraCalls()).toBe(2)
    expect(h.logs.filter((line) => line.includes('entra_token_refresh_failed'))).toHaveLength(1)
  })
})

describe('routes/negotiate when the Auth API refuses even fresh tokens', () => {
  it('answers from memory while suspended (5, 10, 20, 30 s): one refresh-and-retry per window, no KV traffic', async () => {
    const { h, kv } = await withInspectableKv()
    expect((await h.request('/negotiate')).status).toBe(200)
    await emulator.fault({
      route: 'webpubsub.generateToken',
      kind: 'status',
      status: 401,
      times: -1,
    })
    const first = await h.request('/negotiate')
    expect(first.status).toBe(502)
    expect(retryAfter(first)).toBe(5)
    expect(await entraCalls()).toBe(2) // the one refresh-and-retry
    expect(await authApiCalls()).toBe(3)
    const kvBefore = { reads: kv.reads, writes: kv.writes, deletes: kv.deletes }

    for (let i = 1; i < 5; i++) {
      h.advance(1_000)
      const response = await h.request('/negotiate')
      expect(response.status).toBe(502)
      const problem = await problemOf(response)
      expect(problem).toMatchObject({
        code: 'webpubsub_unauthorized',
        upstream: { service: 'webpubsub', status: 401 },
      })
      expect(problem.detail).toContain('WEBPUBSUB_SCOPE')
      expect(leftOf(5, i * 1_000)).toContain(retryAfter(response))
    }
    expect(await entraCalls()).toBe(2)
    expect(await authApiCalls()).toBe(3)
    expect({ reads: kv.reads, writes: kv.writes, deletes: kv.deletes }).toEqual(kvBefore)

    // /readyz tells the truth meanwhile, without asking anyone either.
    const ready = await h.request('/readyz')
    expect(ready.status).toBe(503)
    expect((await problemOf(ready)).code).toBe('webpubsub_unauthorized')
    expect(await entraCalls()).toBe(2)

    // Each window over: one more try, then a window twice as long (30 s at most).
    const windows: number[] = []
    for (let i = 0; i < 4; i++) {
      h.advance(windows.at(-1) === undefined ? 1_001 : windows.at(-1)! * 1000 + 1)
      const again = await h.request('/negotiate')
      expect(again.status).toBe(502)
      windows.push(retryAfter(again)!)
    }
    expect(windows).toEqual([10, 20, 30, 30])
    expect(await entraCalls()).toBe(2 + windows.length)
  })

  it('recovers after the window once the Auth API accepts tokens again', async () => {
    const h = await createHarness()
    await emulator.fault({
      route: 'webpubsub.generateToken',
      kind: 'status',
      status: 401,
      times: 2,
    })
    expect((await h.request('/negotiate')).status).toBe(502)
    expect((await h.request('/negotiate')).status).toBe(502)
    h.advance(5_000)
    expect((await h.request('/negotiate')).status).toBe(200)
    expect(await entraCalls()).toBe(2)
  })
})
