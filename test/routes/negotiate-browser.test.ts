import { env as workerEnv } from 'cloudflare:test'
import { beforeEach, describe, expect, it } from 'vitest'
import { emulator } from '../support/emulator'
import { createHarness, problemOf } from '../support/harness'
import { failingRateLimiter, fakeRateLimiter } from '../support/rate-limiter'

beforeEach(() => emulator.reset())

describe('CORS', () => {
  const vars = { CORS_ORIGINS: 'https://app.example.com, http://127.0.0.1:3000' }

  it('answers a preflight from an allowed origin', async () => {
    const h = await createHarness({ vars })
    const response = await h.request('/negotiate', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    })
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
    expect(response.headers.get('access-control-allow-methods')).toContain('POST')
    expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toContain(
      'authorization',
    )
    expect(response.headers.get('access-control-allow-credentials')).toBeNull()
    expect((await emulator.counters())['entra.token']).toBe(0)
  })

  it('exposes Server-Timing to an allowed origin and nothing to others', async () => {
    const h = await createHarness({ vars })
    const allowed = await h.request('/negotiate', { headers: { origin: 'http://127.0.0.1:3000' } })
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:3000')
    expect(allowed.headers.get('access-control-expose-headers')).toContain('Server-Timing')
    expect(allowed.headers.get('timing-allow-origin')).toBe('http://127.0.0.1:3000')
    const other = await h.request('/negotiate', { headers: { origin: 'https://evil.example.com' } })
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
    expect(other.headers.get('timing-allow-origin')).toBeNull()
  })

  it('allows * only in anonymous mode', async () => {
    const open = await createHarness({ vars: { CORS_ORIGINS: '*' } })
    const response = await open.request('/negotiate', {
      headers: { origin: 'https://any.example.com' },
    })
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    const jwt = await createHarness({
      vars: {
        CORS_ORIGINS: '*',
        AUTH_MODE: 'jwt',
        AUTH_ISSUER: 'https://idp.example.com',
        AUTH_AUDIENCE: 'a',
      },
    })
    const problem = await problemOf(await jwt.request('/negotiate'))
    expect(problem.problems).toEqual([expect.objectContaining({ variable: 'CORS_ORIGINS' })])
  })

  it('allows credentials when a cookie carries the token', async () => {
    const h = await createHarness({
      vars: {
        CORS_ORIGINS: 'https://app.example.com',
        AUTH_MODE: 'jwt',
        AUTH_ISSUER: 'https://idp.example.com',
        AUTH_AUDIENCE: 'a',
        AUTH_COOKIE: 'session',
      },
    })
    const response = await h.request('/negotiate', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET' },
    })
    expect(response.headers.get('access-control-allow-credentials')).toBe('true')
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
  })

  it('rejects origins that are not exact', async () => {
    const h = await createHarness({ vars: { CORS_ORIGINS: 'https://app.example.com/path' } })
    const problem = await problemOf(await h.request('/negotiate'))
    expect(problem.problems).toEqual([expect.objectContaining({ variable: 'CORS_ORIGINS' })])
  })
})

describe('rate limits', () => {
  it('answers 429 with Retry-After past the limit, per client IP when anonymous, without upstream calls', async () => {
    const fake = fakeRateLimiter(2)
    const h = await createHarness({ vars: { RATE_LIMITER: fake.binding } })
    const ip = { 'cf-connecting-ip': '203.0.113.7' }
    expect((await h.request('/negotiate', { headers: ip })).status).toBe(200)
    expect((await h.request('/negotiate', { headers: ip })).status).toBe(200)
    const before = await emulator.counters()
    const limited = await h.request('/negotiate', { headers: ip })
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('60')
    expect(await problemOf(limited)).toMatchObject({
      code: 'rate_limited',
      status: 429,
      retryAfterSeconds: 60,
    })
    expect(await emulator.counters()).toEqual(before)
    expect(
      (await h.request('/negotiate', { headers: { 'cf-connecting-ip': '203.0.113.8' } })).status,
    ).toBe(200)
    expect(new Set(fake.keys)).toEqual(new Set(['ip:203.0.113.7', 'ip:203.0.113.8']))
  })

  it('lets requests through when the limiter itself fails', async () => {
    const h = await createHarness({
      vars: { RATE_LIMITER: failingRateLimiter() },
    })
    expect((await h.request('/negotiate')).status).toBe(200)
    expect(h.logs.some((l) => l.includes('rate_limiter_failed'))).toBe(true)
  })

  it('uses the rate-limiting binding from wrangler.toml', async () => {
    const binding = (workerEnv as unknown as Record<string, unknown>).RATE_LIMITER
    expect(binding).toBeDefined()
    const h = await createHarness({ vars: { RATE_LIMITER: binding } })
    const statuses: number[] = []
    for (let i = 0; i < 32; i++) {
      statuses.push(
        (
          await h.request('/negotiate?hub=nope', {
            headers: { 'cf-connecting-ip': '198.51.100.1' },
          })
        ).status,
      )
    }
    // Invalid requests are refused before the limiter, so they never count against it.
    expect(statuses.every((s) => s === 400)).toBe(true)
    for (let i = 0; i < 30; i++)
      await h.request('/negotiate', { headers: { 'cf-connecting-ip': '198.51.100.2' } })
    expect(
      (await h.request('/negotiate', { headers: { 'cf-connecting-ip': '198.51.100.2' } })).status,
    ).toBe(429)
  })
})
