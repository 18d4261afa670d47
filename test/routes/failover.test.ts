// Failover across two Web PubSub resources of the emulator (its main origin and a second one).
import { beforeEach, describe, expect, it } from 'vitest'
import { ALL_DOWN_PROBE_INTERVAL_MS, FIRST_OPEN_MS } from '../../src/webpubsub/resource-health'
import { emulator, emulatorSecondaryUrl, emulatorUrl, resourceControl } from '../support/emulator'
import { createHarness, problemOf, type Harness } from '../support/harness'
import { KvDouble } from '../support/kv-double'
import { mintUserToken, userTokenIssuer } from '../support/user-token'

beforeEach(() => emulator.reset())

const primary = () => resourceControl(emulatorUrl())
const secondary = () => resourceControl(emulatorSecondaryUrl())
const failoverVars = (extra: Record<string, unknown> = {}) => ({
  WEBPUBSUB_SECONDARY_ENDPOINTS: emulatorSecondaryUrl(),
  ...extra,
})

interface Negotiated {
  baseUrl: string
  url: string
  token: string
}

/** Negotiates and says which resource issued the token (0 primary, 1 secondary). */
async function negotiateOn(h: Harness, query = ''): Promise<number> {
  const response = await h.request(`/negotiate${query}`)
  expect(response.status, await response.clone().text()).toBe(200)
  const body = (await response.json()) as Negotiated
  if (body.baseUrl.startsWith(`${emulatorUrl().replace('http', 'ws')}/`)) return 0
  if (body.baseUrl.startsWith(`${emulatorSecondaryUrl().replace('http', 'ws')}/`)) return 1
  throw new Error(`unexpected baseUrl ${body.baseUrl}`)
}

describe('failover across resources', () => {
  it('issues from the primary while it is healthy, and never touches the secondary', async () => {
    const h = await createHarness({ vars: failoverVars() })
    for (let i = 0; i < 5; i++) expect(await negotiateOn(h)).toBe(0)
    expect((await primary().counters())['webpubsub.generateToken']).toBe(5)
    const second = await secondary().counters()
    expect(second['webpubsub.generateToken']).toBe(0)
    expect(second['webpubsub.health']).toBe(0)
  })

  it('serves every negotiation from the secondary while the primary is down', async () => {
    const h = await createHarness({ vars: failoverVars() })
    await primary().outage(true)
    const served: number[] = []
    for (let i = 0; i < 10; i++) served.push(await negotiateOn(h))
    expect(served).toEqual(Array(10).fill(1))
    // The breaker opened after three failed calls: the rest never waited on the primary.
    expect((await primary().counters())['webpubsub.generateToken']).toBe(3)
    expect((await secondary().counters())['webpubsub.generateToken']).toBe(10)
    const log = h.logs.map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(log.filter((line) => line.event === 'resource_failed')).toHaveLength(3)
    expect(log.filter((line) => line.event === 'negotiated').map((l) => l.resource)).toEqual(
      Array(10).fill(emulatorSecondaryUrl()),
    )
  })

  it('returns traffic to the primary once a background probe finds it healthy', async () => {
    const h = await createHarness({ vars: failoverVars() })
    await primary().outage(true)
    for (let i = 0; i < 4; i++) expect(await negotiateOn(h)).toBe(1)
    await primary().outage(false)
    // Still open: no probe yet, traffic stays on the secondary.
    expect(await negotiateOn(h)).toBe(1)
    expect((await primary().counters())['webpubsub.health']).toBe(0)
    h.advance(FIRST_OPEN_MS)
    // This negotiation starts the probe in the background and is itself served by the secondary.
    expect(await negotiateOn(h)).toBe(1)
    expect((await primary().counters())['webpubsub.health']).toBe(1)
    expect(await negotiateOn(h)).toBe(0)
    expect(await negotiateOn(h)).toBe(0)
  })

  it('answers 503 webpubsub_unavailable with Retry-After within the budget when both are down', async () => {
    // Retries' backoff advances the harness clock instead of waiting.
    const h = await createHarness({
      vars: failoverVars(),
      upstreamDeadlineMs: 3_000,
      instantSleep: true,
    })
    await primary().outage(true)
    await secondary().outage(true)
    const startMs = Date.now()
    const response = await h.request('/negotiate')
    const elapsedMs = Date.now() - startMs
    expect(response.status).toBe(503)
    const problem = await problemOf(response)
    expect(problem.code).toBe('webpubsub_unavailable')
    expect(problem.detail).toMatch(/No Web PubSub resource can issue a client token now/)
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(elapsedMs).toBeLessThan(3_000 + 1_000)
    // Once both breakers are open, a negotiation answers at once without calling either.
    for (let i = 0; i < 5; i++) await h.request('/negotiate')
    const before = [
      (await primary().counters())['webpubsub.generateToken'],
      (await secondary().counters())['webpubsub.generateToken'],
    ]
    const quick = await h.request('/negotiate')
    expect(quick.status).toBe(503)
    expect(Number(quick.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect([
      (await primary().counters())['webpubsub.generateToken'],
      (await secondary().counters())['webpubsub.generateToken'],
    ]).toEqual(before)
  })

  it('uses the first resource back within seconds when all were down', async () => {
    const h = await createHarness({ vars: failoverVars(), instantSleep: true })
    await primary().outage(true)
    await secondary().outage(true)
    for (let i = 0; i < 4; i++) expect((await h.request('/negotiate')).status).toBe(503)
    const refused = await h.request('/negotiate')
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe(String(ALL_DOWN_PROBE_INTERVAL_MS / 1000))
    await secondary().outage(false)
    h.advance(ALL_DOWN_PROBE_INTERVAL_MS)
    // This request finds both down and starts the probes; the secondary's passes...
    expect((await h.request('/negotiate')).status).toBe(503)
    // ...so the next is served there, long before the breakers' own open time is over.
    expect(await negotiateOn(h)).toBe(1)
    expect(await negotiateOn(h)).toBe(1)
  })

  it('moves on to the secondary within the budget when the primary hangs', async () => {
    const h = await createHarness({ vars: failoverVars(), upstreamDeadlineMs: 2_000 })
    await primary().fault({ route: 'webpubsub.generateToken', kind: 'hang', times: 1 })
    const startMs = Date.now()
    expect(await negotiateOn(h)).toBe(1)
    // The primary had half the budget (one attempt), the secondary the rest.
    expect(Date.now() - startMs).toBeLessThan(2_000)
    expect(Date.now() - startMs).toBeGreaterThanOrEqual(900)
  })

  it('does not bounce clients between resources while the primary flaps', async () => {
    const h = await createHarness({ vars: failoverVars() })
    const failNextCall = () =>
      primary().fault({ route: 'webpubsub.generateToken', kind: 'status', status: 503, times: 1 })
    const served: number[] = []
    // Every other Auth API call of the primary fails: each client still gets a token (from the
    // secondary when the primary fails it), and after the third failure the breaker opens...
    for (let i = 0; i < 6; i++) {
      if (i % 2 === 0) await failNextCall()
      served.push(await negotiateOn(h))
    }
    expect(served).toEqual([1, 0, 1, 0, 1, 1])
    // ...so from then on every client goes to the secondary, none to the flapping primary.
    for (let i = 0; i < 10; i++) served.push(await negotiateOn(h))
    expect(served.slice(4)).toEqual(Array(12).fill(1))
    // It comes back after a passing probe and soon fails again: it now stays out twice as long.
    h.advance(FIRST_OPEN_MS)
    expect(await negotiateOn(h)).toBe(1)
    expect(await negotiateOn(h)).toBe(0)
    for (let i = 0; i < 3; i++) {
      await failNextCall()
      expect(await negotiateOn(h)).toBe(1)
    }
    const ready = (await (await h.request('/readyz')).json()) as {
      resources: { endpoint: string; state: string; probeAfter?: string }[]
    }
    expect(ready.resources[0]).toMatchObject({ endpoint: emulatorUrl(), state: 'open' })
    const openForMs = Date.parse(ready.resources[0]?.probeAfter ?? '') - h.now()
    expect(openForMs).toBeGreaterThan(FIRST_OPEN_MS)
    expect(openForMs).toBeLessThanOrEqual(2 * FIRST_OPEN_MS)
  })

  it('shares the cron probe through KV: a new isolate starts on the healthy resource', async () => {
    const kv = new KvDouble({ now: () => Date.now() })
    const cron = await createHarness({ vars: failoverVars({ TOKEN_CACHE: kv }) })
    await primary().outage(true)
    expect(await cron.scheduled()).toBe('refreshed')
    expect(
      cron.logs.some((line) => line.includes('"scheduled_health"') && line.includes('"down":1')),
    ).toBe(true)
    const before = (await primary().counters())['webpubsub.generateToken']
    const fresh = await createHarness({ vars: failoverVars({ TOKEN_CACHE: kv }) })
    expect(await negotiateOn(fresh)).toBe(1)
    expect((await primary().counters())['webpubsub.generateToken']).toBe(before)
  })

  it("never reuses a down resource's token: reuse is keyed by endpoint", async () => {
    const audience = 'api://failover-reuse'
    const h = await createHarness({
      vars: failoverVars({
        AUTH_MODE: 'jwt',
        AUTH_ISSUER: userTokenIssuer(),
        AUTH_AUDIENCE: audience,
      }),
    })
    const token = await mintUserToken({ sub: 'alice', audience })
    const ask = async () => {
      const response = await h.request('/negotiate', {
        headers: { authorization: `Bearer ${token}` },
      })
      expect(response.status).toBe(200)
      return (await response.json()) as Negotiated
    }
    const fromPrimary = await ask()
    expect((await ask()).token).toBe(fromPrimary.token)
    // Three users' calls fail on the primary: its breaker opens.
    await primary().outage(true)
    for (const sub of ['bob', 'carol', 'dave']) {
      const other = await mintUserToken({ sub, audience })
      await h.request('/negotiate', { headers: { authorization: `Bearer ${other}` } })
    }
    const afterwards = await ask()
    expect(afterwards.token).not.toBe(fromPrimary.token)
    expect(afterwards.baseUrl.startsWith(emulatorSecondaryUrl().replace('http', 'ws'))).toBe(true)
    expect((await ask()).token).toBe(afterwards.token)
  })

  it('lists every resource and its state in /readyz', async () => {
    const h = await createHarness({ vars: failoverVars(), instantSleep: true })
    const ready = await h.request('/readyz')
    expect(ready.status).toBe(200)
    expect(((await ready.json()) as { resources: unknown }).resources).toEqual([
      { endpoint: emulatorUrl(), state: 'closed' },
      { endpoint: emulatorSecondaryUrl(), state: 'closed' },
    ])
    await primary().outage(true)
    await secondary().outage(true)
    for (let i = 0; i < 3; i++) await h.request('/negotiate')
    const down = await h.request('/readyz')
    expect(down.status).toBe(503)
    const problem = await problemOf(down)
    expect(problem.code).toBe('webpubsub_unavailable')
    expect((problem.resources as { state: string }[]).map((r) => r.state)).toEqual(['open', 'open'])
  })
})
