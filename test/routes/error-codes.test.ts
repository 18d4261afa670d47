// Every ErrorCode has a route-level producer: a request to the real app that answers with it.
import { beforeEach, describe, expect, it } from 'vitest'
import type { ErrorCode } from '../../src/errors'
import { problemShape } from '../../src/http/problem'
import { emulator } from '../support/emulator'
import { createHarness, problemOf, type HarnessOptions } from '../support/harness'
import { mintUserToken, userTokenIssuer } from '../support/user-token'

beforeEach(() => emulator.reset())

const AUDIENCE = 'webpubsub-negotiator'
const POLICY = {
  hubs: {
    chat: {
      roles: ['webpubsub.joinLeaveGroups.user.{sub}.*'],
      groups: ['user.{sub}'],
      requestableGroups: ['room.*'],
    },
  },
}

/** A negotiation in AUTH_MODE=jwt, with a user token from the emulator's issuer when `sub` is given. */
async function negotiateAsUser(sub?: string): Promise<Response> {
  const h = await createHarness({
    vars: { AUTH_MODE: 'jwt', AUTH_ISSUER: userTokenIssuer(), AUTH_AUDIENCE: AUDIENCE, POLICY },
  })
  const headers: HeadersInit =
    sub === undefined
      ? {}
      : { authorization: `Bearer ${await mintUserToken({ sub, audience: AUDIENCE })}` }
  return h.request('/negotiate?hub=chat', { headers })
}

/** One negotiation in a new harness. */
async function negotiate(options: HarnessOptions = {}, path = '/negotiate'): Promise<Response> {
  return (await createHarness(options)).request(path)
}

const isEntraTokenRequest = (request: Request) =>
  new URL(request.url).pathname.endsWith('/oauth2/v2.0/token')

/** The Worker's outbound fetch with Entra's token endpoint answering `answer` instead. */
function entraAnswering(answer: () => Response): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init)
    return isEntraTokenRequest(request) ? answer() : fetch(request)
  }
}

/** AUTH_MODE=jwt with the admin endpoint (ADMIN_TOKEN) enabled. */
const ADMIN_TOKEN = 'error-codes-admin-token-0123456789abcdefghij'
const adminVars = () => ({
  AUTH_MODE: 'jwt',
  AUTH_ISSUER: userTokenIssuer(),
  AUTH_AUDIENCE: AUDIENCE,
  POLICY,
  ADMIN_TOKEN,
})
const asAdmin = { authorization: `Bearer ${ADMIN_TOKEN}` }

/** A binding of the wrong kind at RATE_LIMITER: `limit` answers nothing at all. */
const limiterAnsweringNothing = { limit: async () => undefined }

/** A harness whose rate limiter answers nothing: a TypeError only app.onError can map. */
const internalErrorHarness = () =>
  createHarness({ vars: { RATE_LIMITER: limiterAnsweringNothing } })

/**
 * A request that gives up waiting for another request's Entra load: the first request's Entra
 * call is held until the second has answered. Sleeps advance the harness clock at once, so the
 * second request reaches its deadline without real time passing, while the first still holds the
 * lease (until its own deadline plus a grace).
 */
async function waitTimeout(): Promise<{ response: Response; entraCalls: number }> {
  let release: () => void = () => undefined
  const gate = new Promise<void>((resolve) => (release = resolve))
  let entraStarted: () => void = () => undefined
  const started = new Promise<void>((resolve) => (entraStarted = resolve))
  let entraCalls = 0
  const h = await createHarness({
    instantSleep: true,
    upstreamDeadlineMs: 1_000,
    fetch: async (input, init) => {
      const request = new Request(input, init)
      if (!isEntraTokenRequest(request)) return fetch(request)
      entraCalls++
      entraStarted()
      await new Promise<void>((resolve, reject) => {
        request.signal.addEventListener('abort', () => reject(request.signal.reason))
        void gate.then(resolve)
      })
      return fetch(request)
    },
  })
  const leader = h.request('/negotiate')
  await started
  const response = await h.request('/negotiate')
  const callsWhileWaiting = entraCalls
  release()
  await leader
  return { response, entraCalls: callsWhileWaiting }
}

/**
 * Exhaustive: a code added to ErrorCode does not compile until it has a producer here, and a code
 * removed from it does not compile while its producer remains.
 */
const PRODUCERS: Record<ErrorCode, () => Promise<Response>> = {
  config_invalid: () => negotiate({ vars: { WEBPUBSUB_HUBS: '' } }),
  not_found: () => negotiate({}, '/nope'),
  method_not_allowed: async () => (await createHarness()).request('/negotiate', { method: 'PUT' }),
  parameter_invalid: () => negotiate({}, '/negotiate?hub=1bad'),
  parameter_not_allowed: () => negotiate({}, '/negotiate?userId=alice'),
  hub_not_allowed: () => negotiate({}, '/negotiate?hub=unknown'),
  group_not_allowed: () => negotiate({ vars: { POLICY } }, '/negotiate?hub=chat&group=admins'),
  protocol_invalid: () => negotiate({}, '/negotiate?protocol=signalr'),
  caller_unauthenticated: () => negotiateAsUser(undefined),
  // A lone surrogate in `sub` cannot be rendered into the policy's user.{sub} group.
  caller_claims_unusable: () => negotiateAsUser('alice\ud800'),
  caller_verification_unavailable: async () => {
    await emulator.fault({ route: 'oidc.discovery', kind: 'status', status: 503, times: -1 })
    return negotiateAsUser('alice')
  },
  caller_revoked: async () => {
    const h = await createHarness({ vars: adminVars() })
    const revoke = await h.request('/admin/revocations', {
      method: 'POST',
      headers: { ...asAdmin, 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'alice' }),
    })
    expect(revoke.status).toBe(200)
    const token = await mintUserToken({ sub: 'alice', audience: AUDIENCE })
    return h.request('/negotiate?hub=chat', { headers: { authorization: `Bearer ${token}` } })
  },
  rate_limited: () =>
    negotiate({ vars: { RATE_LIMITER: { limit: async () => ({ success: false }) } } }),
  entra_credentials_rejected: () => negotiate({ vars: { AZURE_CLIENT_SECRET: 'wrong-secret' } }),
  entra_app_or_tenant_not_found: () =>
    negotiate({ vars: { AZURE_CLIENT_ID: '99999999-9999-4999-8999-999999999999' } }),
  entra_scope_invalid: () =>
    negotiate({ vars: { WEBPUBSUB_SCOPE: 'https://management.azure.com/.default' } }),
  entra_assertion_invalid: async () => {
    const h = await createHarness({ app: 'ownerCertificate' })
    h.advance(60 * 60_000) // the Worker's clock an hour ahead of Entra's: AADSTS700024
    return h.request('/negotiate')
  },
  // The emulator has no federated credentials; Entra's answer for a mismatched one, verbatim.
  entra_federation_rejected: () =>
    negotiate({
      fetch: entraAnswering(() =>
        Response.json(
          {
            error: 'unauthorized_client',
            error_description:
              'AADSTS70021: No matching federated identity record found for presented assertion.',
            error_codes: [70021],
          },
          { status: 401 },
        ),
      ),
    }),
  entra_request_rejected: async () => {
    await emulator.fault({ route: 'entra.token', kind: 'status', status: 400, times: -1 })
    return negotiate()
  },
  entra_throttled: async () => {
    await emulator.fault({
      route: 'entra.token',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 30,
    })
    return negotiate({ instantSleep: true })
  },
  entra_unavailable: async () => (await waitTimeout()).response,
  entra_unexpected_response: async () => {
    await emulator.fault({ route: 'entra.token', kind: 'empty' })
    return negotiate()
  },
  webpubsub_unauthorized: async () => {
    await emulator.fault({
      route: 'webpubsub.generateToken',
      kind: 'status',
      status: 401,
      times: 2,
    })
    return negotiate()
  },
  webpubsub_forbidden: () => negotiate({ app: 'reader' }),
  webpubsub_request_rejected: async () => {
    await emulator.fault({ route: 'webpubsub.generateToken', kind: 'status', status: 400 })
    return negotiate()
  },
  webpubsub_throttled: async () => {
    await emulator.fault({
      route: 'webpubsub.generateToken',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 60,
    })
    return negotiate({ instantSleep: true })
  },
  webpubsub_unavailable: async () => {
    await emulator.fault({
      route: 'webpubsub.generateToken',
      kind: 'status',
      status: 503,
      times: -1,
    })
    return negotiate({ instantSleep: true })
  },
  webpubsub_unexpected_response: async () => {
    await emulator.fault({ route: 'webpubsub.generateToken', kind: 'empty' })
    return negotiate()
  },
  admin_unauthenticated: async () =>
    (await createHarness({ vars: adminVars() })).request('/admin/revocations'),
  // Revocations live in KV: without the binding the admin endpoint says so.
  revocation_unavailable: async () =>
    (await createHarness({ vars: { ...adminVars(), TOKEN_CACHE: undefined } })).request(
      '/admin/revocations',
      { headers: asAdmin },
    ),
  internal_error: async () => (await internalErrorHarness()).request('/negotiate'),
}

describe('error codes', () => {
  it.each(Object.keys(PRODUCERS) as ErrorCode[])(
    'answers %s with its status as application/problem+json',
    async (code) => {
      const response = await PRODUCERS[code]()
      const { status } = problemShape(code)
      expect(response.headers.get('content-type')).toBe('application/problem+json')
      expect(await problemOf(response)).toMatchObject({
        code,
        status,
        type: `urn:webpubsub-edge-negotiator:error:${code}`,
      })
      expect(response.status).toBe(status)
    },
  )

  it("maps a request that gives up waiting for another request's Entra load to entra_unavailable", async () => {
    const { response, entraCalls } = await waitTimeout()
    expect(response.status).toBe(503)
    expect(await problemOf(response)).toMatchObject({
      code: 'entra_unavailable',
      detail: expect.stringContaining('another request is fetching'),
      upstream: { service: 'entra' },
    })
    // Only the first request called Entra: the second waited for it, then gave up.
    expect(entraCalls).toBe(1)
  })

  it('maps an unexpected failure to internal_error in app.onError, logging only its name', async () => {
    const h = await internalErrorHarness()
    const response = await h.request('/negotiate')
    const problem = await problemOf(response)
    expect(problem).toMatchObject({ code: 'internal_error', status: 500 })
    expect(JSON.stringify(problem)).not.toMatch(/TypeError|undefined|success/)
    const failed = h.logs.map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(failed).toContainEqual(
      expect.objectContaining({
        event: 'request_failed',
        code: 'internal_error',
        cause: 'TypeError',
      }),
    )
  })
})
