import { decodeJwt } from 'jose'
import { beforeEach, describe, expect, it } from 'vitest'
import { emulator, emulatorUrl } from '../support/emulator'
import { createHarness, problemOf } from '../support/harness'

beforeEach(() => emulator.reset())

const host = () => new URL(emulatorUrl()).host

describe('routes/negotiate', () => {
  it("issues a client URL shaped like the SDK's, with expiry and no-store", async () => {
    const h = await createHarness()
    const response = await h.request('/negotiate?hub=chat')
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const body = (await response.json()) as Record<string, string>
    expect(body.baseUrl).toBe(`ws://${host()}/client/hubs/chat`)
    expect(body.url).toBe(`${body.baseUrl}?access_token=${body.token}`)
    expect(body.hub).toBe('chat')
    const claims = decodeJwt(body.token ?? '')
    expect(claims.aud).toBe(`https://${host()}/client/hubs/chat`)
    expect(claims.sub).toBe(body.userId)
    expect(body.expiresAt).toBe(new Date((claims.exp ?? 0) * 1000).toISOString())
    // TOKEN_TTL_MINUTES defaults to 60.
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600)
  })

  it('uses the first hub by default, matches hubs case-insensitively, and honours TOKEN_TTL_MINUTES', async () => {
    const h = await createHarness({ vars: { TOKEN_TTL_MINUTES: '5' } })
    const first = (await (await h.request('/negotiate')).json()) as Record<string, string>
    expect(first.hub).toBe('chat')
    const claims = decodeJwt(first.token ?? '')
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(300)
    const second = (await (await h.request('/negotiate?hub=LOBBY')).json()) as Record<
      string,
      string
    >
    expect(second.hub).toBe('lobby')
  })

  it('gives every anonymous negotiation a fresh user id', async () => {
    const h = await createHarness()
    const ids = new Set<string>()
    for (let i = 0; i < 3; i++) {
      ids.add(((await (await h.request('/negotiate')).json()) as { userId: string }).userId)
    }
    expect(ids.size).toBe(3)
  })

  it.each([
    ['mqtt', 'clients/mqtt/hubs/chat'],
    ['socketio', 'clients/socketio/hubs/chat'],
    ['default', 'client/hubs/chat'],
  ])('negotiates protocol=%s with the matching path and aud', async (protocol, path) => {
    const h = await createHarness()
    const body = (await (await h.request(`/negotiate?protocol=${protocol}`)).json()) as Record<
      string,
      string
    >
    expect(body.baseUrl).toBe(`ws://${host()}/${path}`)
    expect(decodeJwt(body.token ?? '').aud).toBe(`https://${host()}/${path}`)
  })

  it('accepts POST with a JSON or form body', async () => {
    const h = await createHarness()
    const json = await h.request('/negotiate', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hub: 'lobby', protocol: 'mqtt' }),
    })
    expect(((await json.json()) as { baseUrl: string }).baseUrl).toBe(
      `ws://${host()}/clients/mqtt/hubs/lobby`,
    )
    const form = await h.request('/negotiate', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'hub=lobby',
    })
    expect(((await form.json()) as { hub: string }).hub).toBe('lobby')
  })

  it.each([
    ['/negotiate?hub=unknown', 'hub_not_allowed'],
    ['/negotiate?hub=1bad', 'parameter_invalid'],
    ['/negotiate?hub=chat&hub=lobby', 'parameter_invalid'],
    ['/negotiate?protocol=signalr', 'protocol_invalid'],
    ['/negotiate?userId=alice', 'parameter_not_allowed'],
    ['/negotiate?role=webpubsub.sendToGroup', 'parameter_not_allowed'],
    ['/negotiate?roles=admin', 'parameter_not_allowed'],
    ['/negotiate?minutesToExpire=9999', 'parameter_invalid'],
    ['/negotiate?minutesToExpire=abc', 'parameter_invalid'],
  ])('answers %s with 400 %s and makes no upstream call', async (path, code) => {
    const h = await createHarness()
    const response = await h.request(path)
    expect(response.status).toBe(400)
    const problem = await problemOf(response)
    expect(problem).toMatchObject({
      code,
      status: 400,
      type: `urn:webpubsub-edge-negotiator:error:${code}`,
    })
    expect(typeof problem.detail).toBe('string')
    expect(typeof problem.requestId).toBe('string')
    const counters = await emulator.counters()
    expect(counters['entra.token']).toBe(0)
    expect(counters['webpubsub.generateToken']).toBe(0)
  })

  it.each([
    ['not JSON', 'application/json', '{'],
    ['a JSON array', 'application/json', '[]'],
    ['a non-string value', 'application/json', '{"hub":1}'],
    ['an unknown content type', 'text/plain', 'hub=chat'],
    ['a body that is too large', 'application/x-www-form-urlencoded', `hub=${'a'.repeat(5000)}`],
  ])('rejects a POST with %s', async (_label, type, body) => {
    const h = await createHarness()
    const response = await h.request('/negotiate', {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    })
    expect(response.status).toBe(400)
    expect((await problemOf(response)).code).toBe('parameter_invalid')
    expect((await emulator.counters())['entra.token']).toBe(0)
  })

  it('answers 405 for other methods and 404 elsewhere', async () => {
    const h = await createHarness()
    const put = await h.request('/negotiate', { method: 'PUT' })
    expect(put.status).toBe(405)
    expect((await problemOf(put)).code).toBe('method_not_allowed')
    const missing = await h.request('/nope')
    expect(missing.status).toBe(404)
    expect((await problemOf(missing)).code).toBe('not_found')
  })

  it('writes Server-Timing with the Entra source, the Auth API and the total', async () => {
    const h = await createHarness()
    const first = await h.request('/negotiate')
    expect(first.headers.get('server-timing')).toMatch(/entra;dur=[\d.]+;desc="fetch"/)
    expect(first.headers.get('server-timing')).toMatch(/authapi;dur=[\d.]+/)
    expect(first.headers.get('server-timing')).toMatch(/total;dur=[\d.]+/)
    const second = await h.request('/negotiate')
    expect(second.headers.get('server-timing')).toMatch(/entra;dur=[\d.]+;desc="memory"/)
  })

  it('answers 500 config_invalid with every problem when the configuration is broken', async () => {
    const h = await createHarness({ vars: { AUTH_MODE: undefined, WEBPUBSUB_HUBS: '' } })
    const response = await h.request('/negotiate')
    expect(response.status).toBe(500)
    const problem = await problemOf(response)
    expect(problem.code).toBe('config_invalid')
    expect(problem.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ variable: 'AUTH_MODE' }),
        expect.objectContaining({ variable: 'WEBPUBSUB_HUBS' }),
      ]),
    )
    expect(h.logs.some((line) => line.includes('"config_invalid"'))).toBe(true)
    expect((await emulator.counters())['entra.token']).toBe(0)
  })
})

describe('routes/negotiate with a policy', () => {
  const POLICY = {
    hubs: {
      chat: {
        roles: ['webpubsub.joinLeaveGroups.room.*', 'webpubsub.sendToGroup.user.{sub}'],
        groups: ['user.{sub}'],
        requestableGroups: ['room.*'],
        ttlMinutes: { default: 20, min: 5, max: 30 },
      },
    },
  }

  it("grants the policy's roles and groups and tells the client what it got", async () => {
    const h = await createHarness({ vars: { POLICY } })
    const response = await h.request('/negotiate?hub=chat&group=room.1&minutesToExpire=25')
    expect(response.status).toBe(200)
    const body = (await response.json()) as Record<string, unknown>
    const userId = body.userId as string
    expect(body.roles).toEqual([
      'webpubsub.joinLeaveGroups.room.*',
      `webpubsub.sendToGroup.user.${userId}`,
    ])
    expect(body.groups).toEqual([`user.${userId}`, 'room.1'])
    const claims = decodeJwt(body.token as string)
    expect(claims.role).toEqual(body.roles)
    expect(claims['webpubsub.group']).toEqual(body.groups)
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(25 * 60)
    const expiresAt = Date.parse(body.expiresAt as string)
    const refreshAfter = Date.parse(body.refreshAfter as string)
    expect(refreshAfter).toBeLessThan(expiresAt - 5 * 60_000)
    expect(refreshAfter).toBeGreaterThan(Date.now())
  })

  it('refuses a group the policy does not let callers ask for, without an upstream call', async () => {
    const h = await createHarness({ vars: { POLICY } })
    const response = await h.request('/negotiate?hub=chat&group=admins')
    expect(response.status).toBe(403)
    expect((await problemOf(response)).code).toBe('group_not_allowed')
    expect((await emulator.counters())['entra.token']).toBe(0)
  })

  it('reports a broken policy as config_invalid', async () => {
    const h = await createHarness({
      vars: { POLICY: { hubs: { chat: { roles: ['webpubsub.everything'] } } } },
    })
    const problem = await problemOf(await h.request('/negotiate'))
    expect(problem.code).toBe('config_invalid')
    expect(problem.problems).toEqual([expect.objectContaining({ variable: 'POLICY' })])
  })
})

describe('routes/negotiate request bodies', () => {
  const POLICY = { hubs: { chat: { requestableGroups: ['room.*'] } } }

  it('takes repeatable fields as JSON lists', async () => {
    const h = await createHarness({ vars: { POLICY } })
    const response = await h.request('/negotiate', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hub: 'chat', group: ['room.a', 'room.b'] }),
    })
    expect(response.status).toBe(200)
    expect(((await response.json()) as { groups: string[] }).groups).toEqual(['room.a', 'room.b'])
  })

  it('refuses a declared Content-Length over the limit before reading the body', async () => {
    const h = await createHarness()
    const response = await h.request('/negotiate', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': '100000' },
      body: '{}',
    })
    expect(response.status).toBe(400)
    expect((await problemOf(response)).detail).toContain('larger than 4096 bytes')
  })
})
