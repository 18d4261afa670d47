// Route tests of CORS on error answers: a browser app on an allowed origin can read every problem,
// config_invalid included (Fetch Standard, CORS protocol); other origins get no CORS headers.
import { beforeEach, describe, expect, it } from 'vitest'
import { emulator } from '../support/emulator'
import { FAKE_CERT_PEM, FAKE_KEY_PEM } from '../support/fake-pem'
import { createHarness, problemOf, type HarnessOptions } from '../support/harness'
import { fakeRateLimiter } from '../support/rate-limiter'
import { userTokenIssuer } from '../support/user-token'

beforeEach(() => emulator.reset())

const ALLOWED = 'https://app.example.com'
const OTHER = 'https://evil.example.com'
const CORS_ORIGINS = `${ALLOWED}, http://127.0.0.1:3000`

interface ErrorCase {
  status: number
  code: string
  why: string
  path?: string
  init?: RequestInit
  options?: HarnessOptions
  /** Vars on top of CORS_ORIGINS. */
  vars?: Record<string, unknown>
  /** Emulator faults, set before the request. */
  setup?: () => Promise<void>
}

const ERROR_CASES: ErrorCase[] = [
  {
    status: 400,
    code: 'parameter_invalid',
    why: 'a broken escape',
    path: '/negotiate?hub=%',
  },
  {
    status: 401,
    code: 'caller_unauthenticated',
    why: 'no bearer token in jwt mode',
    vars: {
      AUTH_MODE: 'jwt',
      AUTH_ISSUER: userTokenIssuer(),
      AUTH_AUDIENCE: 'webpubsub-negotiator',
    },
  },
  { status: 404, code: 'not_found', why: 'an unknown path', path: '/nowhere' },
  { status: 405, code: 'method_not_allowed', why: 'PUT', init: { method: 'PUT' } },
  {
    status: 429,
    code: 'rate_limited',
    why: 'the limiter refuses',
    vars: { RATE_LIMITER: fakeRateLimiter(0).binding },
  },
  {
    status: 502,
    code: 'webpubsub_forbidden',
    why: 'the app lacks the Web PubSub Service Owner role',
    options: { app: 'noRole' },
  },
  {
    status: 503,
    code: 'webpubsub_throttled',
    why: 'the Auth API throttles past the deadline',
    options: { instantSleep: true },
    setup: () =>
      emulator.fault({
        route: 'webpubsub.generateToken',
        kind: 'status',
        status: 429,
        retryAfterSeconds: 60,
      }),
  },
  {
    status: 500,
    code: 'config_invalid',
    why: 'WEBPUBSUB_HUBS is missing',
    vars: { WEBPUBSUB_HUBS: undefined },
  },
  {
    status: 500,
    code: 'config_invalid',
    why: 'WEBPUBSUB_HUBS is missing, on /readyz',
    path: '/readyz',
    vars: { WEBPUBSUB_HUBS: undefined },
  },
  {
    status: 500,
    code: 'config_invalid',
    why: 'the certificate key parses but cannot be imported',
    vars: {
      AZURE_CLIENT_SECRET: undefined,
      AZURE_CLIENT_CERTIFICATE: `${FAKE_KEY_PEM}\n${FAKE_CERT_PEM}`,
    },
  },
]

async function answer(errorCase: ErrorCase, origin: string): Promise<Response> {
  await errorCase.setup?.()
  const h = await createHarness({
    ...errorCase.options,
    vars: { CORS_ORIGINS, ...errorCase.vars },
  })
  const init = errorCase.init ?? {}
  return h.request(errorCase.path ?? '/negotiate', {
    ...init,
    headers: { ...init.headers, origin },
  })
}

/** A comma-separated header as lower-case names. */
const listOf = (value: string | null): string[] =>
  (value ?? '').split(',').map((name) => name.trim().toLowerCase())

describe('CORS on error answers', () => {
  it.each(ERROR_CASES)('lets an allowed origin read $status $code ($why)', async (errorCase) => {
    const response = await answer(errorCase, ALLOWED)
    expect(response.status).toBe(errorCase.status)
    expect(await problemOf(response)).toMatchObject({
      status: errorCase.status,
      code: errorCase.code,
    })
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED)
    expect(listOf(response.headers.get('access-control-expose-headers'))).toEqual(
      expect.arrayContaining(['retry-after', 'x-request-id', 'server-timing']),
    )
    expect(listOf(response.headers.get('vary'))).toContain('origin')
    expect(response.headers.get('access-control-allow-credentials')).toBeNull()
  })

  it.each(ERROR_CASES)(
    'gives another origin no CORS headers on $status $code ($why)',
    async (errorCase) => {
      const response = await answer(errorCase, OTHER)
      expect(response.status).toBe(errorCase.status)
      expect((await problemOf(response)).code).toBe(errorCase.code)
      expect(response.headers.get('access-control-allow-origin')).toBeNull()
      expect(response.headers.get('access-control-allow-credentials')).toBeNull()
    },
  )

  it('exposes Retry-After with the answers that carry it', async () => {
    const rateLimited = await answer(
      ERROR_CASES.find((c) => c.status === 429)!,
      ALLOWED,
    )
    expect(rateLimited.headers.get('retry-after')).toBe('60')
    const throttled = await answer(
      ERROR_CASES.find((c) => c.status === 503)!,
      ALLOWED,
    )
    expect(throttled.headers.get('retry-after')).toBe('60')
    for (const response of [rateLimited, throttled]) {
      expect(listOf(response.headers.get('access-control-expose-headers'))).toContain('retry-after')
    }
  })
})

describe('CORS while the configuration is invalid', () => {
  const broken = { CORS_ORIGINS, WEBPUBSUB_HUBS: undefined }
  const preflight = (origin: string): RequestInit => ({
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  })

  it('answers a preflight from an allowed origin, and not for another', async () => {
    const h = await createHarness({ vars: broken })
    const allowed = await h.request('/negotiate', preflight(ALLOWED))
    expect(allowed.status).toBe(204)
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED)
    expect(listOf(allowed.headers.get('access-control-allow-methods'))).toContain('post')
    expect(listOf(allowed.headers.get('access-control-allow-headers'))).toContain('authorization')
    const other = await h.request('/negotiate', preflight(OTHER))
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('gives no CORS headers when CORS_ORIGINS itself is invalid, even to an origin it lists', async () => {
    const h = await createHarness({
      vars: { ...broken, CORS_ORIGINS: `${ALLOWED}, https://app.example.com/path` },
    })
    const response = await h.request('/negotiate', { headers: { origin: ALLOWED } })
    const problem = await problemOf(response)
    expect(problem.code).toBe('config_invalid')
    expect(problem.problems).toContainEqual(expect.objectContaining({ variable: 'CORS_ORIGINS' }))
    expect(response.headers.get('access-control-allow-origin')).toBeNull()
  })

  const starWith = async (mode: string | undefined) => {
    const h = await createHarness({
      vars: {
        ...broken,
        CORS_ORIGINS: '*',
        AUTH_MODE: mode,
        AUTH_ISSUER: 'https://idp.example.com',
        AUTH_AUDIENCE: 'a',
      },
    })
    const response = await h.request('/negotiate', { headers: { origin: OTHER } })
    expect((await problemOf(response)).code).toBe('config_invalid')
    return response.headers.get('access-control-allow-origin')
  }

  it('allows any origin for CORS_ORIGINS=* with AUTH_MODE=anonymous', async () => {
    expect(await starWith('anonymous')).toBe('*')
  })

  it.each([
    ['jwt', 'jwt'],
    ['missing', undefined],
    ['misspelt', 'anonymus'],
  ])('allows no origin for CORS_ORIGINS=* with AUTH_MODE %s', async (_label, mode) => {
    expect(await starWith(mode)).toBeNull()
  })

  it('allows credentials when a cookie would carry the token', async () => {
    const h = await createHarness({
      vars: {
        ...broken,
        AUTH_MODE: 'jwt',
        AUTH_ISSUER: userTokenIssuer(),
        AUTH_AUDIENCE: 'webpubsub-negotiator',
        AUTH_COOKIE: 'session',
      },
    })
    const response = await h.request('/negotiate', { headers: { origin: ALLOWED } })
    expect((await problemOf(response)).code).toBe('config_invalid')
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED)
    expect(response.headers.get('access-control-allow-credentials')).toBe('true')
  })
})
