import { beforeEach, describe, expect, it } from 'vitest'
import { emulator, emulatorUrl } from '../support/emulator'
import { createHarness, problemOf } from '../support/harness'

beforeEach(() => emulator.reset())

describe('routes/negotiate against Entra failures', () => {
  it.each([
    [
      'a wrong secret',
      { AZURE_CLIENT_SECRET: 'wrong-secret' },
      'entra_credentials_rejected',
      7000215,
    ],
    [
      'an unknown client',
      { AZURE_CLIENT_ID: '99999999-9999-4999-8999-999999999999' },
      'entra_app_or_tenant_not_found',
      700016,
    ],
    [
      'an unknown tenant',
      { AZURE_TENANT_ID: '88888888-8888-4888-8888-888888888888' },
      'entra_app_or_tenant_not_found',
      90002,
    ],
    [
      'a wrong scope',
      { WEBPUBSUB_SCOPE: 'https://management.azure.com/.default' },
      'entra_scope_invalid',
      70011,
    ],
  ])(
    'maps %s to 502 %s with the AADSTS number and trace ids',
    async (_label, vars, code, aadsts) => {
      const h = await createHarness({ vars })
      const response = await h.request('/negotiate')
      expect(response.status).toBe(502)
      const problem = await problemOf(response)
      expect(problem).toMatchObject({ code, status: 502, upstream: { service: 'entra', aadsts } })
      const upstream = problem.upstream as Record<string, unknown>
      expect(typeof upstream.traceId).toBe('string')
      expect(typeof upstream.correlationId).toBe('string')
      expect((await emulator.counters())['webpubsub.generateToken']).toBe(0)
    },
  )

  it('explains an expired secret', async () => {
    const h = await createHarness({ app: 'expiredSecret' })
    const problem = await problemOf(await h.request('/negotiate'))
    expect(problem).toMatchObject({
      code: 'entra_credentials_rejected',
      upstream: { aadsts: 7000222 },
    })
    expect(problem.detail).toContain('expired')
  })

  it('explains a certificate that is not registered', async () => {
    const credentials = await emulator.credentials()
    const owner = credentials.apps.ownerCertificate
    // Another app's client id with this certificate: Entra knows the app but not the certificate.
    const h = await createHarness({
      app: { ...owner, clientId: credentials.apps.ownerSecret.clientId },
    })
    const problem = await problemOf(await h.request('/negotiate'))
    expect(problem).toMatchObject({
      code: 'entra_credentials_rejected',
      upstream: { aadsts: 700027 },
    })
  })

  it('explains a certificate assertion refused for clock skew (AADSTS700024)', async () => {
    const h = await createHarness({ app: 'ownerCertificate' })
    h.advance(60 * 60_000) // the Worker's clock runs an hour ahead of Entra's
    const response = await h.request('/negotiate')
    expect(response.status).toBe(502)
    const problem = await problemOf(response)
    expect(problem).toMatchObject({ code: 'entra_assertion_invalid', upstream: { aadsts: 700024 } })
    expect(problem.detail).toContain('clock skew')
  })

  it('remembers a rejected credential for 30 s instead of asking Entra again', async () => {
    const h = await createHarness({ vars: { AZURE_CLIENT_SECRET: 'wrong-secret' } })
    for (let i = 0; i < 4; i++) expect((await h.request('/negotiate')).status).toBe(502)
    expect((await emulator.counters())['entra.token']).toBe(1)
    h.advance(31_000)
    expect((await h.request('/negotiate')).status).toBe(502)
    expect((await emulator.counters())['entra.token']).toBe(2)
  })

  it('retries a 429 after the Retry-After Entra asked for', async () => {
    await emulator.fault({
      route: 'entra.token',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 2,
    })
    const h = await createHarness({ instantSleep: true })
    const response = await h.request('/negotiate')
    expect(response.status).toBe(200)
    expect(h.sleeps).toContain(2000)
    expect((await emulator.counters())['entra.token']).toBe(2)
  })

  it('retries 500 and 503 with backoff and gives up with 503 entra_unavailable', async () => {
    await emulator.fault({ route: 'entra.token', kind: 'status', status: 503, times: -1 })
    const h = await createHarness({ instantSleep: true })
    const response = await h.request('/negotiate')
    expect(response.status).toBe(503)
    expect((await problemOf(response)).code).toBe('entra_unavailable')
    expect((await emulator.counters())['entra.token']).toBe(4)
    expect(h.sleeps.length).toBe(3)
  })

  it('answers 503 entra_throttled when Retry-After is beyond the deadline', async () => {
    await emulator.fault({
      route: 'entra.token',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 30,
    })
    const h = await createHarness({ instantSleep: true })
    const response = await h.request('/negotiate')
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('30')
    expect((await problemOf(response)).code).toBe('entra_throttled')
    expect((await emulator.counters())['entra.token']).toBe(1)
  })

  it('gives up on a hanging Entra within the deadline', async () => {
    await emulator.fault({ route: 'entra.token', kind: 'hang', times: -1 })
    const h = await createHarness({ upstreamDeadlineMs: 800 })
    const response = await h.request('/negotiate')
    expect(response.status).toBe(503)
    expect((await problemOf(response)).code).toBe('entra_unavailable')
  })

  it('flags a 200 without a token as an unexpected answer', async () => {
    await emulator.fault({ route: 'entra.token', kind: 'empty' })
    const h = await createHarness()
    const response = await h.request('/negotiate')
    expect(response.status).toBe(502)
    expect((await problemOf(response)).code).toBe('entra_unexpected_response')
  })
})

describe('routes/negotiate against Auth API failures', () => {
  it.each(['reader', 'noRole'] as const)(
    'explains the missing role for the %s app with 502 webpubsub_forbidden',
    async (app) => {
      const h = await createHarness({ app })
      const response = await h.request('/negotiate')
      expect(response.status).toBe(502)
      const problem = await problemOf(response)
      expect(problem).toMatchObject({
        code: 'webpubsub_forbidden',
        upstream: { service: 'webpubsub', status: 403, code: 'Error.Forbidden' },
      })
      expect(problem.detail).toContain('Web PubSub Service Owner')
      expect(problem.detail).toContain('Reader')
      expect(problem.detail).toContain('30 minutes')
      expect(problem.detail).toContain('generateToken/action')
    },
  )

  it('drops the Entra token on a 401, fetches a new one and retries once', async () => {
    // The emulator answers an injected 401 whatever the bearer: the Worker's own Auth API calls
    // show that the retry carried a new Entra token, not the refused one.
    const bearers: (string | null)[] = []
    const recording: typeof fetch = (input, init) => {
      const request = new Request(input, init)
      if (new URL(request.url).pathname.endsWith('/:generateToken')) {
        bearers.push(request.headers.get('authorization'))
      }
      return fetch(request)
    }
    const h = await createHarness({ fetch: recording })
    expect((await h.request('/negotiate')).status).toBe(200)
    await emulator.fault({ route: 'webpubsub.generateToken', kind: 'status', status: 401 })
    const response = await h.request('/negotiate')
    expect(response.status).toBe(200)
    const counters = await emulator.counters()
    expect(counters['entra.token']).toBe(2)
    expect(counters['webpubsub.generateToken']).toBe(3)
    expect(h.logs.some((line) => line.includes('authapi_unauthorized_refreshing'))).toBe(true)
    const [first, refused, retried] = bearers
    expect(bearers).toHaveLength(3)
    expect(first).toMatch(/^Bearer ey/)
    expect(refused).toBe(first) // the cached token, refused by the injected 401
    expect(retried).toMatch(/^Bearer ey/)
    expect(retried).not.toBe(refused)
  })

  it('answers 502 webpubsub_unauthorized when the fresh token is refused too', async () => {
    await emulator.fault({
      route: 'webpubsub.generateToken',
      kind: 'status',
      status: 401,
      times: 2,
    })
    const h = await createHarness()
    const response = await h.request('/negotiate')
    expect(response.status).toBe(502)
    const problem = await problemOf(response)
    expect(problem.code).toBe('webpubsub_unauthorized')
    expect(problem.detail).toContain('WEBPUBSUB_SCOPE')
  })

  it('retries a 500 from the Auth API', async () => {
    await emulator.fault({ route: 'webpubsub.generateToken', kind: 'status', status: 500 })
    const h = await createHarness({ instantSleep: true })
    expect((await h.request('/negotiate')).status).toBe(200)
    expect((await emulator.counters())['webpubsub.generateToken']).toBe(2)
  })

  it('answers 503 webpubsub_throttled with Retry-After when throttled past the deadline', async () => {
    await emulator.fault({
      route: 'webpubsub.generateToken',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 60,
    })
    const h = await createHarness({ instantSleep: true })
    const response = await h.request('/negotiate')
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('60')
    expect((await problemOf(response)).code).toBe('webpubsub_throttled')
  })

  it('answers 503 webpubsub_unavailable when the Auth API hangs', async () => {
    await emulator.fault({ route: 'webpubsub.generateToken', kind: 'hang', times: -1 })
    const h = await createHarness({ upstreamDeadlineMs: 800 })
    const response = await h.request('/negotiate')
    expect(response.status).toBe(503)
    expect((await problemOf(response)).code).toBe('webpubsub_unavailable')
  })

  it.each(['malformed', 'empty'] as const)(
    'answers 502 webpubsub_unexpected_response for a %s body',
    async (kind) => {
      await emulator.fault({ route: 'webpubsub.generateToken', kind })
      const h = await createHarness()
      const response = await h.request('/negotiate')
      expect(response.status).toBe(502)
      expect((await problemOf(response)).code).toBe('webpubsub_unexpected_response')
    },
  )

  it('answers 502 webpubsub_request_rejected for a 400 from the Auth API', async () => {
    await emulator.fault({ route: 'webpubsub.generateToken', kind: 'status', status: 400 })
    const h = await createHarness()
    const response = await h.request('/negotiate')
    expect(response.status).toBe(502)
    expect((await problemOf(response)).code).toBe('webpubsub_request_rejected')
  })
})

/** The Worker's outbound fetch, with the Auth API's answer replaced by `answer`. */
function authApiAnswering(answer: () => Response | Promise<Response>): typeof fetch {
  return async (input, init) => {
    const url = input instanceof Request ? input.url : String(input)
    if (url.includes('/:generateToken')) return answer()
    return fetch(input, init)
  }
}

const base64Url = (value: object) =>
  btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')

/** A client token as the Auth API shapes it; the negotiator never checks its signature. */
const clientTokenFor = (claims: Record<string, unknown>) =>
  [
    base64Url({ alg: 'HS256', typ: 'JWT' }),
    base64Url({ aud: `${emulatorUrl()}/client/hubs/chat`, ...claims }),
    'c2lnbmF0dXJl',
  ].join('.')

describe('routes/negotiate against absurd Retry-After values', () => {
  it.each([
    ['Retry-After: 10^21 (was sent on as 1e+21)', 'Retry-After', '1000000000000000000000'],
    ['Retry-After of 400 digits', 'Retry-After', '9'.repeat(400)],
    ['x-ms-retry-after-ms of 400 digits (was Infinity)', 'x-ms-retry-after-ms', '9'.repeat(400)],
  ])('caps an Auth API %s at Retry-After: 3600', async (_label, name, value) => {
    const h = await createHarness({
      fetch: authApiAnswering(() =>
        Response.json(
          { code: 'Error.TooManyRequests' },
          { status: 429, headers: { [name]: value } },
        ),
      ),
    })
    const response = await h.request('/negotiate')
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('3600')
    expect(await problemOf(response)).toMatchObject({
      code: 'webpubsub_throttled',
      retryAfterSeconds: 3600,
    })
  })

  it('caps an Entra Retry-After of 10^20 seconds at 3600', async () => {
    await emulator.fault({
      route: 'entra.token',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 1e20,
    })
    const h = await createHarness()
    const response = await h.request('/negotiate')
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('3600')
    expect((await problemOf(response)).retryAfterSeconds).toBe(3600)
  })
})

describe('routes/negotiate against a client token that cannot be used', () => {
  it.each([
    ['has expired', { exp: Math.floor(Date.now() / 1000) - 60 }, 'has already expired'],
    [
      'has nbf after exp',
      { exp: Math.floor(Date.now() / 1000) + 3600, nbf: Math.floor(Date.now() / 1000) + 7200 },
      'nbf after exp',
    ],
  ])('answers 502 webpubsub_unexpected_response when it %s', async (_label, claims, detail) => {
    const h = await createHarness({
      fetch: authApiAnswering(() => Response.json({ token: clientTokenFor(claims) })),
    })
    const response = await h.request('/negotiate')
    expect(response.status).toBe(502)
    const problem = await problemOf(response)
    expect(problem).toMatchObject({ code: 'webpubsub_unexpected_response' })
    expect(problem.detail).toContain(detail)
  })

  it('checks expiry on the negotiator clock: a token valid now is refused an hour later', async () => {
    const h = await createHarness({
      fetch: authApiAnswering(() =>
        Response.json({ token: clientTokenFor({ exp: Math.floor(Date.now() / 1000) + 1800 }) }),
      ),
    })
    expect((await h.request('/negotiate')).status).toBe(200)
    h.advance(3600_000)
    const problem = await problemOf(await h.request('/negotiate'))
    expect(problem.code).toBe('webpubsub_unexpected_response')
  })
})
