// Route tests of the admin endpoint: its credential, revoking and lifting, and what /negotiate then does.
import { beforeEach, describe, expect, it } from 'vitest'
import revocationRole from '../../deploy/roles/webpubsub-negotiator-revocation.json'
import negotiatorRole from '../../deploy/roles/webpubsub-negotiator.json'
import { createUserIdHasher } from '../../src/lib/user-id-hash'
import {
  authApiTiming,
  clockedHarness,
  jwtVars,
  negotiate,
  userToken,
} from '../support/client-tokens'
import { emulator, emulatorUrl } from '../support/emulator'
import { createHarness, problemOf, type Harness, type HarnessOptions } from '../support/harness'
import { KvDouble } from '../support/kv-double'

beforeEach(() => emulator.reset())

const ADMIN_TOKEN = 'route-test-admin-token-0123456789abcdefghij'
const CACHE_KEY = 'q6Q3ZbB0Qm8N0r5J6s4k2VYwqK0b7Q5u3x6yWcP1nHo='
const adminVars = (extra: Record<string, unknown> = {}) =>
  jwtVars({ ADMIN_TOKEN, TOKEN_CACHE_KEY: CACHE_KEY, ...extra })
const asAdmin = { authorization: `Bearer ${ADMIN_TOKEN}` }

/** One entry of an answer's `connections`: the emulator is the one resource; closed unless told. */
const closeOf = (hub: string, fields: Record<string, unknown> = { outcome: 'closed' }) => ({
  endpoint: emulatorUrl(),
  hub,
  ...fields,
})

function post(h: Harness, path: string, body: unknown, headers: HeadersInit = asAdmin) {
  return h.request(path, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

async function revoke(h: Harness, body: Record<string, unknown>) {
  const response = await post(h, '/admin/revocations', body)
  expect(response.status, await response.clone().text()).toBe(200)
  return (await response.json()) as {
    revocation: Record<string, unknown>
    connections: Record<string, unknown>[]
    appliesEverywhereWithinSeconds: number
  }
}

async function lift(h: Harness, query: string) {
  const response = await h.request(`/admin/revocations?${query}`, {
    method: 'DELETE',
    headers: asAdmin,
  })
  expect(response.status, await response.clone().text()).toBe(200)
  return (await response.json()) as { lifted: unknown[]; stillRevoked: unknown[] }
}

/** A harness whose outbound calls to Entra and the Auth API are counted. */
async function countingHarness(options: HarnessOptions = {}) {
  const calls = { entra: 0, authApi: 0 }
  const h = await createHarness({
    ...options,
    fetch: async (input, init) => {
      const request = new Request(input, init)
      const path = new URL(request.url).pathname
      if (path.endsWith('/oauth2/v2.0/token')) calls.entra++
      if (path.endsWith('/:generateToken')) calls.authApi++
      return fetch(request)
    },
  })
  return { h, calls }
}

const closeCalls = async () => (await emulator.counters())['webpubsub.closeConnections']

describe('routes/admin: the credential', () => {
  it('does not exist without ADMIN_TOKEN: 404 not_found like any unknown path', async () => {
    const h = await createHarness({ vars: jwtVars() })
    const unknown = await problemOf(await h.request('/nope'))
    for (const [path, init] of [
      ['/admin/revocations', { headers: asAdmin }],
      ['/admin/revocations', { method: 'POST', headers: asAdmin, body: '{}' }],
      ['/admin/revocations?userId=a', { method: 'DELETE' }],
      ['/admin/revocations/close-connections', { method: 'POST' }],
      ['/admin/other', {}],
    ] as const) {
      const response = await h.request(path, init)
      expect(response.status, path).toBe(404)
      const problem = await problemOf(response)
      expect({ ...problem, requestId: undefined }).toEqual({ ...unknown, requestId: undefined })
    }
  })

  it('answers 401 admin_unauthenticated with a Bearer challenge to a missing or wrong credential', async () => {
    const h = await createHarness({ vars: adminVars() })
    const cases: [HeadersInit, string][] = [
      [{}, 'Bearer realm="admin"'],
      [{ authorization: `Bearer ${ADMIN_TOKEN}x` }, 'Bearer realm="admin", error="invalid_token"'],
      [
        { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` },
        'Bearer realm="admin", error="invalid_token"',
      ],
      [
        { authorization: `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}` },
        'Bearer realm="admin", error="invalid_token"',
      ],
      [{ authorization: ADMIN_TOKEN }, 'Bearer realm="admin", error="invalid_token"'],
    ]
    for (const [headers, challenge] of cases) {
      for (const path of ['/admin/revocations', '/admin/unknown']) {
        const response = await h.request(path, { headers })
        expect(response.status).toBe(401)
        expect(response.headers.get('www-authenticate')).toBe(challenge)
        const problem = await problemOf(response)
        expect(problem.code).toBe('admin_unauthenticated')
        // Never echoed, whatever was sent.
        expect(JSON.stringify(problem)).not.toContain(ADMIN_TOKEN.slice(0, 16))
      }
    }
    const ok = await h.request('/admin/revocations', { headers: asAdmin })
    expect(ok.status).toBe(200)
    expect(ok.headers.get('cache-control')).toBe('no-store')
    expect(await ok.json()).toEqual({ revocations: [], ended: [] })
    // The right credential on a path that is not there is an ordinary 404.
    expect((await h.request('/admin/unknown', { headers: asAdmin })).status).toBe(404)
  })

  it('refuses an ADMIN_TOKEN shorter than 32 characters, or with anonymous callers, never echoing it', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['short-admin-token-0123456789abc', {}, 'must be 32 to 512'],
      [`${'a'.repeat(40)} b`, {}, 'must be 32 to 512'],
      [ADMIN_TOKEN, { AUTH_MODE: 'anonymous' }, 'verified user ids'],
    ]
    for (const [token, extra, fragment] of cases) {
      const h = await createHarness({ vars: adminVars({ ADMIN_TOKEN: token, ...extra }) })
      const response = await h.request('/negotiate')
      expect(response.status).toBe(500)
      const problem = await problemOf(response)
      expect(problem.code).toBe('config_invalid')
      expect(JSON.stringify(problem.problems)).toContain(fragment)
      expect(JSON.stringify(problem)).not.toContain(token)
      // A configuration problem is said to the admin endpoint too.
      expect((await problemOf(await h.request('/admin/revocations'))).code).toBe('config_invalid')
    }
  })

  it('says that revocation needs the KV binding, and answers other methods with 405', async () => {
    const h = await createHarness({ vars: adminVars({ TOKEN_CACHE: undefined }) })
    const response = await h.request('/admin/revocations', { headers: asAdmin })
    expect(response.status).toBe(503)
    expect(await problemOf(response)).toMatchObject({
      code: 'revocation_unavailable',
      detail: expect.stringContaining('TOKEN_CACHE'),
    })
    expect((await post(h, '/admin/revocations', { userId: 'alice' })).status).toBe(503)
    // Negotiations go on: there is nothing to check without a list.
    expect((await negotiate(h, await userToken('alice'))).response.status).toBe(200)
    for (const [path, allow] of [
      ['/admin/revocations', 'GET, POST, DELETE'],
      ['/admin/revocations/close-connections', 'POST'],
    ]) {
      const put = await h.request(path!, { method: 'PUT', headers: asAdmin })
      expect(put.status).toBe(405)
      expect(put.headers.get('allow')).toBe(allow)
    }
  })
})

describe('routes/admin: revoking', () => {
  it('revokes: /negotiate answers 403 caller_revoked with no Entra or Auth API call', async () => {
    const { h, calls } = await countingHarness({ vars: adminVars() })
    const alice = await userToken('alice')
    await negotiate(h, alice)
    const body = await revoke(h, { userId: 'alice', forSeconds: 3600 })
    expect(body.revocation).toEqual({
      userId: 'alice',
      hub: null,
      revokedAt: expect.any(String),
      until: expect.any(String),
    })
    expect(Math.abs(Date.parse(String(body.revocation.revokedAt)) - h.now())).toBeLessThan(5_000)
    expect(
      Date.parse(String(body.revocation.until)) - Date.parse(String(body.revocation.revokedAt)),
    ).toBe(3_600_000)
    expect(body.appliesEverywhereWithinSeconds).toBe(60)
    const before = { ...calls }
    const refused = await h.request('/negotiate?hub=chat', {
      headers: { authorization: `Bearer ${alice}` },
    })
    expect(refused.status).toBe(403)
    expect(await problemOf(refused)).toMatchObject({
      code: 'caller_revoked',
      status: 403,
      detail: "This user's access has been revoked by the operator.",
    })
    expect(calls).toEqual(before)
    // Every hub: lobby too; bob is not touched.
    const lobby = await h.request('/negotiate?hub=lobby', {
      headers: { authorization: `Bearer ${alice}` },
    })
    expect((await problemOf(lobby)).code).toBe('caller_revoked')
    expect((await negotiate(h, await userToken('bob'))).response.status).toBe(200)
  })

  it('revokes on one hub only when told so', async () => {
    const h = await createHarness({ vars: adminVars() })
    const alice = await userToken('alice')
    const body = await revoke(h, { userId: 'alice', hub: 'LOBBY' })
    expect(body.revocation.hub).toBe('lobby')
    expect(body.connections).toEqual([closeOf('lobby')])
    const lobby = await h.request('/negotiate?hub=lobby', {
      headers: { authorization: `Bearer ${alice}` },
    })
    expect(lobby.status).toBe(403)
    expect((await negotiate(h, alice)).response.status).toBe(200)
  })

  it("closes the user's connections on every configured hub, through the emulator's REST API", async () => {
    const h = await createHarness({ vars: adminVars() })
    const body = await revoke(h, { userId: 'alice@example.com' })
    expect(body.connections).toEqual(['chat', 'lobby', 'news'].map((hub) => closeOf(hub)))
    expect(await closeCalls()).toBe(3)
    // The second sweep closes them again, without touching the list.
    const sweep = await post(h, '/admin/revocations/close-connections', {
      userId: 'alice@example.com',
      hub: 'chat',
    })
    expect(await sweep.json()).toEqual({
      connections: [closeOf('chat')],
    })
    expect(await closeCalls()).toBe(4)
  })

  it('says which role is missing when Web PubSub refuses to close (403), and still revokes', async () => {
    for (const app of ['reader', negotiatorRole] as const) {
      const registered =
        typeof app === 'string'
          ? app
          : { ...(await emulator.registerApp({ role: app })), role: app.Name }
      const h = await createHarness({ app: registered, vars: adminVars() })
      const body = await revoke(h, { userId: 'alice', hub: 'chat' })
      expect(body.connections).toEqual([
        closeOf('chat', {
          outcome: 'forbidden',
          status: 403,
          detail: expect.stringMatching(
            /clientConnection\/write.*Web PubSub Service Owner.*webpubsub-negotiator-revocation\.json/,
          ),
        }),
      ])
      const refused = await h.request('/negotiate?hub=chat', {
        headers: { authorization: `Bearer ${await userToken('alice')}` },
      })
      expect((await problemOf(refused)).code).toBe('caller_revoked')
    }
    // The revocation role grants it.
    const app = await emulator.registerApp({ role: revocationRole })
    const h = await createHarness({ app: { ...app, role: revocationRole.Name }, vars: adminVars() })
    expect((await revoke(h, { userId: 'alice', hub: 'chat' })).connections[0]?.outcome).toBe(
      'closed',
    )
  })

  it('answers per resource when Web PubSub fails, with its status', async () => {
    await emulator.fault({
      route: 'webpubsub.closeConnections',
      kind: 'status',
      status: 500,
      times: -1,
    })
    const h = await createHarness({ vars: adminVars(), instantSleep: true })
    const body = await revoke(h, { userId: 'alice', hub: 'chat' })
    expect(body.connections).toEqual([
      closeOf('chat', {
        outcome: 'failed',
        status: 500,
        upstreamCode: 'Error.InternalServerError',
        detail: expect.stringContaining('run the revocation again'),
      }),
    ])
  })

  it('writes a user_revoked and a user_revocation_lifted line, with the hash under LOG_USER_ID=hash', async () => {
    const h = await createHarness({ vars: adminVars({ LOG_USER_ID: 'hash' }) })
    await revoke(h, { userId: 'alice', hub: 'chat' })
    h.advance(1_000)
    await lift(h, 'userId=alice')
    const lines = h.logs.map((line) => JSON.parse(line) as Record<string, unknown>)
    const hash = await (await createUserIdHasher(Buffer.from(CACHE_KEY, 'base64')))('alice')
    expect(lines.find((l) => l.event === 'user_revoked')).toMatchObject({
      level: 'warn',
      requestId: expect.any(String),
      userIdHash: hash,
      hub: 'chat',
      until: expect.any(String),
      connections: [closeOf('chat')],
    })
    expect(lines.find((l) => l.event === 'user_revocation_lifted')).toMatchObject({
      userIdHash: hash,
      lifted: ['chat'],
      stillRevoked: [],
    })
    expect(h.logs.join('\n')).not.toContain('"alice"')
    expect(h.logs.join('\n')).not.toContain(ADMIN_TOKEN)
  })
})

describe('routes/admin: lifting, listing and reused tokens', () => {
  it('lifts: the user negotiates again, and the list says what ended', async () => {
    const h = await createHarness({ vars: adminVars() })
    const alice = await userToken('alice')
    await revoke(h, { userId: 'alice' })
    h.advance(1_000)
    await revoke(h, { userId: 'bob', hub: 'chat' })
    const listed = await (await h.request('/admin/revocations', { headers: asAdmin })).json()
    expect(listed).toMatchObject({
      revocations: [
        { userId: 'alice', hub: null },
        { userId: 'bob', hub: 'chat' },
      ],
      ended: [],
    })
    h.advance(1_000)
    const lifted = await lift(h, 'userId=alice')
    expect(lifted).toMatchObject({
      lifted: [{ userId: 'alice', liftedAt: expect.any(String) }],
      stillRevoked: [],
    })
    expect((await negotiate(h, alice)).response.status).toBe(200)
    const after = (await (await h.request('/admin/revocations', { headers: asAdmin })).json()) as {
      revocations: unknown[]
      ended: unknown[]
    }
    expect(after.revocations).toHaveLength(1)
    expect(after.ended).toMatchObject([{ userId: 'alice' }])
  })

  it('never hands out a reused token issued before the revocation, after the lift', async () => {
    const h = await createHarness({ vars: adminVars() })
    const alice = await userToken('alice')
    const first = await negotiate(h, alice)
    // Control: without a revocation the same token is reused.
    const reused = await negotiate(h, alice)
    expect(authApiTiming(reused.response)).toBe('reused-memory')
    expect(reused.body.token).toBe(first.body.token)
    await revoke(h, { userId: 'alice' })
    h.advance(1_000)
    await lift(h, 'userId=alice')
    const authApiBefore = (await emulator.counters())['webpubsub.generateToken']
    const after = await negotiate(h, alice)
    expect(authApiTiming(after.response)).toBe('fetched')
    expect((await emulator.counters())['webpubsub.generateToken']).toBe(authApiBefore + 1)
    // Another user's tokens are reused as ever.
    const bob = await userToken('bob')
    await negotiate(h, bob)
    expect(authApiTiming((await negotiate(h, bob)).response)).toBe('reused-memory')
  })

  it("does not take a pre-revocation token from the data centre's Cache API in another isolate", async () => {
    const kv = new KvDouble({ now: () => Date.now() })
    const first = await createHarness({ vars: adminVars({ TOKEN_CACHE: kv }) })
    const alice = await userToken('alice')
    const original = await negotiate(first, alice)
    // Control: a second isolate in the same colo reuses it from the Cache API.
    const control = await createHarness({
      vars: adminVars({ TOKEN_CACHE: kv }),
      caches: first.caches,
    })
    expect(authApiTiming((await negotiate(control, alice)).response)).toBe('reused-cache')
    await revoke(first, { userId: 'alice' })
    await new Promise((resolve) => setTimeout(resolve, 1_000)) // one KV write per second
    await lift(first, 'userId=alice')
    const second = await createHarness({
      vars: adminVars({ TOKEN_CACHE: kv }),
      caches: first.caches,
    })
    const after = await negotiate(second, alice)
    expect(authApiTiming(after.response)).toBe('fetched')
    expect(after.body.token).not.toBe(original.body.token)
  })

  it('reuses tokens issued after the revocation (plus its margin for clock skew) again', async () => {
    const { h, calls } = await clockedHarness({ vars: adminVars() })
    const alice = await userToken('alice')
    await revoke(h, { userId: 'alice' })
    h.advance(1_000)
    await lift(h, 'userId=alice')
    await negotiate(h, alice)
    await negotiate(h, alice)
    expect(calls()).toBe(2) // within the margin: not reused
    h.advance(2 * 60_000)
    await negotiate(h, alice)
    const reused = await negotiate(h, alice)
    expect(authApiTiming(reused.response)).toBe('reused-memory')
    expect(calls()).toBe(3)
  })
})
