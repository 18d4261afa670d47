// Route tests of caller verification: tokens, cookies, the issuer's keys and what KV may hold.
import {
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  importJWK,
  SignJWT,
} from 'jose'
import { beforeEach, describe, expect, it } from 'vitest'
import { createEncryptedKv } from '../../src/cache/encrypted-kv'
import { jwksCacheKey } from '../../src/caller/verifier'
import { emulator, emulatorUrl } from '../support/emulator'
import { createHarness, problemOf } from '../support/harness'
import { KvDouble } from '../support/kv-double'
import { fakeRateLimiter } from '../support/rate-limiter'
import { mintUserToken } from '../support/user-token'

beforeEach(() => emulator.reset())

const AUDIENCE = 'webpubsub-negotiator'
const POLICY = {
  hubs: {
    chat: {
      roles: ['webpubsub.joinLeaveGroups.user.{sub}.*', 'webpubsub.sendToGroup.user.{sub}'],
      groups: ['user.{sub}'],
      when: [{ claim: 'roles', includes: 'moderator', roles: ['webpubsub.sendToGroup'] }],
    },
  },
}
const jwtVars = (extra: Record<string, unknown> = {}) => ({
  AUTH_MODE: 'jwt',
  AUTH_ISSUER: `${emulatorUrl()}/oidc`,
  AUTH_AUDIENCE: AUDIENCE,
  POLICY,
  TOKEN_CACHE: new KvDouble({ now: () => Date.now() }),
  ...extra,
})
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })

async function expectRefused(
  response: Response,
  message: RegExp,
  error: string | null = 'invalid_token',
) {
  expect(response.status).toBe(401)
  const challenge = response.headers.get('www-authenticate') ?? ''
  expect(challenge).toMatch(/^Bearer realm="negotiate"/)
  if (error === null) expect(challenge).not.toContain('error=')
  else expect(challenge).toContain(`error="${error}"`)
  const problem = await problemOf(response)
  expect(problem).toMatchObject({ code: 'caller_unauthenticated', status: 401 })
  expect(problem.detail).toMatch(message)
  const counters = await emulator.counters()
  expect(counters['webpubsub.generateToken']).toBe(0)
  expect(counters['entra.token']).toBe(0)
}

describe('caller verification (AUTH_MODE=jwt)', () => {
  it('takes the user id and claims from a verified token and applies the policy', async () => {
    const h = await createHarness({ vars: jwtVars() })
    const token = await mintUserToken({
      sub: 'alice',
      audience: AUDIENCE,
      claims: { roles: ['moderator'] },
    })
    const response = await h.request('/negotiate?hub=chat', bearer(token))
    expect(response.status).toBe(200)
    const body = (await response.json()) as Record<string, unknown>
    expect(body.userId).toBe('alice')
    expect(body.roles).toEqual([
      'webpubsub.joinLeaveGroups.user.alice.*',
      'webpubsub.sendToGroup.user.alice',
      'webpubsub.sendToGroup',
    ])
    expect(body.groups).toEqual(['user.alice'])
    expect(decodeJwt(body.token as string).sub).toBe('alice')
  })

  it('accepts ES256 tokens and a token from the named cookie', async () => {
    const h = await createHarness({ vars: jwtVars({ AUTH_COOKIE: 'session' }) })
    const es = await mintUserToken({ sub: 'bob', audience: AUDIENCE, alg: 'ES256' })
    expect((await h.request('/negotiate', bearer(es))).status).toBe(200)
    const fromCookie = await h.request('/negotiate', {
      headers: { cookie: `theme=dark; session=${es}` },
    })
    expect(fromCookie.status).toBe(200)
  })

  it('refuses a missing token with a bare challenge (RFC 6750 §3.1)', async () => {
    const h = await createHarness({ vars: jwtVars() })
    await expectRefused(await h.request('/negotiate'), /bearer token is required/, null)
  })

  it.each([
    ['a malformed JWT', 'not.a-jwt', /not a valid JWT/],
    ['garbage', 'abc', /not a valid JWT/],
  ])('refuses %s', async (_label, token, message) => {
    const h = await createHarness({ vars: jwtVars() })
    await expectRefused(await h.request('/negotiate', bearer(token)), message)
  })

  it.each(['session=%E0%A4%A', 'theme=dark; session=%', 'session=%ZZ; session=ok'])(
    'refuses the malformed cookie %j with invalid_token, not a 500',
    async (cookie) => {
      const h = await createHarness({ vars: jwtVars({ AUTH_COOKIE: 'session' }) })
      await expectRefused(
        await h.request('/negotiate', { headers: { cookie } }),
        /cookie is not valid percent-encoding/,
      )
    },
  )

  it.each(['', 'session', '; ;', 'other=%'])(
    'treats the cookie header %j as no credentials',
    async (cookie) => {
      const h = await createHarness({ vars: jwtVars({ AUTH_COOKIE: 'session' }) })
      await expectRefused(
        await h.request('/negotiate', { headers: { cookie } }),
        /bearer token is required/,
        null,
      )
    },
  )

  it('refuses an Authorization header that is not Bearer', async () => {
    const h = await createHarness({ vars: jwtVars() })
    await expectRefused(
      await h.request('/negotiate', { headers: { authorization: 'Basic YWxpY2U6cHc=' } }),
      /must be "Bearer <token>"/,
    )
  })

  // An unsecured JWT (RFC 7519 §6) is well-formed, so it passes the shape check and is refused by
  // the algorithm allow-list, before any key is looked up.
  it('refuses alg: none as an algorithm that is not accepted, without fetching keys', async () => {
    const h = await createHarness({ vars: jwtVars() })
    const valid = await mintUserToken({ sub: 'mallory', audience: AUDIENCE })
    const [, payload] = valid.split('.')
    const header = btoa(JSON.stringify({ alg: 'none', typ: 'JWT' })).replace(/=+$/, '')
    await expectRefused(
      await h.request('/negotiate', bearer(`${header}.${payload}.`)),
      /^The token is signed with an algorithm that is not accepted\.$/,
    )
    expect((await emulator.counters())['oidc.jwks']).toBe(0)
  })

  it("refuses an HS256 token signed with the issuer's public key (algorithm confusion)", async () => {
    const h = await createHarness({ vars: jwtVars() })
    const valid = await mintUserToken({ sub: 'mallory', audience: AUDIENCE })
    const kid = decodeProtectedHeader(valid).kid
    const jwks = (await (await fetch(`${emulatorUrl()}/oidc/jwks`)).json()) as {
      keys: Record<string, unknown>[]
    }
    const rsa = jwks.keys.find((key) => key.kty === 'RSA')!
    const pem = await exportSPKI(
      (await importJWK(rsa, 'RS256', { extractable: true })) as CryptoKey,
    )
    const forged = await new SignJWT({ sub: 'admin' })
      .setProtectedHeader({ alg: 'HS256', kid })
      .setIssuer(`${emulatorUrl()}/oidc`)
      .setAudience(AUDIENCE)
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(pem))
    await expectRefused(
      await h.request('/negotiate', bearer(forged)),
      /algorithm that is not accepted/,
    )
  })

  it('refuses a bad signature', async () => {
    const h = await createHarness({ vars: jwtVars() })
    const valid = await mintUserToken({ sub: 'alice', audience: AUDIENCE })
    const [header, payload, signature] = valid.split('.') as [string, string, string]
    const flipped = signature.startsWith('A') ? `B${signature.slice(1)}` : `A${signature.slice(1)}`
    await expectRefused(
      await h.request('/negotiate', bearer(`${header}.${payload}.${flipped}`)),
      /signature is invalid/,
    )
  })

  it.each([
    ['an expired token', { expiresInSeconds: -120 }, /expired/],
    ['an nbf in the future', { notBeforeSeconds: 600 }, /not valid yet/],
    ['the wrong issuer', { issuer: 'https://evil.example.com/oidc' }, /another issuer/],
    ['the wrong audience', { audience: 'another-api' }, /another audience/],
  ])('refuses %s', async (_label, overrides, message) => {
    const h = await createHarness({ vars: jwtVars() })
    const token = await mintUserToken({ sub: 'alice', audience: AUDIENCE, ...overrides })
    await expectRefused(await h.request('/negotiate', bearer(token)), message)
  })

  describe('AUTH_CLOCK_TOLERANCE_SECONDS', () => {
    // Each case lies well outside the other settings' tolerance (the default is 30 s), so only the
    // configured value can decide it.
    it('refuses a token expired 60 s ago with the default tolerance of 30 s', async () => {
      const h = await createHarness({ vars: jwtVars() })
      const token = await mintUserToken({ sub: 'alice', audience: AUDIENCE, expiresInSeconds: -60 })
      await expectRefused(await h.request('/negotiate', bearer(token)), /^The token has expired\.$/)
    })

    it('accepts a token expired 60 s ago when it is 120', async () => {
      const h = await createHarness({ vars: jwtVars({ AUTH_CLOCK_TOLERANCE_SECONDS: '120' }) })
      const token = await mintUserToken({ sub: 'alice', audience: AUDIENCE, expiresInSeconds: -60 })
      expect((await h.request('/negotiate', bearer(token))).status).toBe(200)
    })

    it('refuses a token expired 20 s ago when it is 0', async () => {
      const h = await createHarness({ vars: jwtVars({ AUTH_CLOCK_TOLERANCE_SECONDS: '0' }) })
      const token = await mintUserToken({ sub: 'alice', audience: AUDIENCE, expiresInSeconds: -20 })
      await expectRefused(await h.request('/negotiate', bearer(token)), /^The token has expired\.$/)
    })
  })

  it('refuses an unknown kid and refetches the JWKS once per 30 s cooldown', async () => {
    const h = await createHarness({ vars: jwtVars() })
    const good = await mintUserToken({ sub: 'alice', audience: AUDIENCE })
    expect((await h.request('/negotiate', bearer(good))).status).toBe(200)
    expect((await emulator.counters())['oidc.jwks']).toBe(1)
    const unknown = await mintUserToken({
      sub: 'alice',
      audience: AUDIENCE,
      kid: 'not-a-known-kid',
    })
    const refuseThrice = async () => {
      for (let i = 0; i < 3; i++) {
        const response = await h.request('/negotiate', bearer(unknown))
        expect(response.status).toBe(401)
        expect((await problemOf(response)).detail).toMatch(/unknown kid/)
      }
    }
    // Keys fetched within the cooldown are not fetched again for an unknown kid.
    await refuseThrice()
    expect((await emulator.counters())['oidc.jwks']).toBe(1)
    // Past it, the first unknown kid refetches and starts a new cooldown for the next two.
    h.advance(30_000)
    await refuseThrice()
    expect((await emulator.counters())['oidc.jwks']).toBe(2)
    h.advance(20_000)
    await refuseThrice()
    expect((await emulator.counters())['oidc.jwks']).toBe(2)
    h.advance(10_000)
    await refuseThrice()
    expect((await emulator.counters())['oidc.jwks']).toBe(3)
  })

  it('refuses a token over 8 KiB before verifying it', async () => {
    const h = await createHarness({ vars: jwtVars() })
    const big = await mintUserToken({
      sub: 'alice',
      audience: AUDIENCE,
      claims: { padding: 'x'.repeat(9000) },
    })
    await expectRefused(await h.request('/negotiate', bearer(big)), /larger than 8192 bytes/)
    expect((await emulator.counters())['oidc.jwks']).toBe(0)
  })

  it('refuses a token without the user claim', async () => {
    const h = await createHarness({ vars: jwtVars({ AUTH_USER_CLAIM: 'email' }) })
    const token = await mintUserToken({ sub: 'alice', audience: AUDIENCE })
    await expectRefused(await h.request('/negotiate', bearer(token)), /no "email" claim/)
  })

  it.each(['userId', 'role', 'roles'])(
    'refuses a %s parameter even with a valid token',
    async (name) => {
      const h = await createHarness({ vars: jwtVars() })
      const token = await mintUserToken({ sub: 'alice', audience: AUDIENCE })
      const response = await h.request(`/negotiate?${name}=admin`, bearer(token))
      expect(response.status).toBe(400)
      expect((await problemOf(response)).code).toBe('parameter_not_allowed')
    },
  )

  it('rate-limits per verified user with 429 rate_limited and Retry-After of the configured period', async () => {
    const limiter = fakeRateLimiter(1)
    // 10 rather than the default 60, so that the header can only come from the setting.
    const h = await createHarness({
      vars: jwtVars({ RATE_LIMITER: limiter.binding, RATE_LIMIT_PERIOD_SECONDS: '10' }),
    })
    const token = await mintUserToken({ sub: 'carol', audience: AUDIENCE })
    expect((await h.request('/negotiate', bearer(token))).status).toBe(200)
    const before = await emulator.counters()
    const limited = await h.request('/negotiate', bearer(token))
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('10')
    expect(await problemOf(limited)).toMatchObject({
      code: 'rate_limited',
      status: 429,
      retryAfterSeconds: 10,
    })
    expect((await emulator.counters())['webpubsub.generateToken']).toBe(
      before['webpubsub.generateToken'],
    )
    const other = await mintUserToken({ sub: 'dave', audience: AUDIENCE })
    expect((await h.request('/negotiate', bearer(other))).status).toBe(200)
    expect(limiter.keys).toEqual(['user:carol', 'user:carol', 'user:dave'])
  })

  it("seeds a new isolate's JWKS from KV so it fetches nothing from the issuer", async () => {
    const kv = new KvDouble({ now: () => Date.now() })
    const first = await createHarness({ vars: jwtVars({ TOKEN_CACHE: kv }) })
    const token = await mintUserToken({ sub: 'alice', audience: AUDIENCE })
    expect((await first.request('/negotiate', bearer(token))).status).toBe(200)
    expect(kv.peek(await jwksCacheKey(`${emulatorUrl()}/oidc`))).toMatch(/^v1\./)
    const before = await emulator.counters()
    const second = await createHarness({ vars: jwtVars({ TOKEN_CACHE: kv }) })
    expect((await second.request('/negotiate', bearer(token))).status).toBe(200)
    const after = await emulator.counters()
    expect(after['oidc.jwks']).toBe(before['oidc.jwks'])
    expect(after['oidc.discovery']).toBe(before['oidc.discovery'])
  })

  it("answers 503 when the issuer's keys cannot be fetched", async () => {
    await emulator.fault({ route: 'oidc.discovery', kind: 'status', status: 503, times: -1 })
    const h = await createHarness({ vars: jwtVars() })
    const token = await mintUserToken({ sub: 'alice', audience: AUDIENCE })
    const response = await h.request('/negotiate', bearer(token))
    expect(response.status).toBe(503)
    expect((await problemOf(response)).code).toBe('caller_verification_unavailable')
  })

  it('remembers a failed discovery for 10 s: tokens from anyone cannot each cause a fetch', async () => {
    await emulator.fault({ route: 'oidc.discovery', kind: 'status', status: 503, times: -1 })
    const h = await createHarness({ vars: jwtVars() })
    const token = await mintUserToken({ sub: 'alice', audience: AUDIENCE })
    for (let i = 0; i < 3; i++) {
      const response = await h.request('/negotiate', bearer(token))
      expect(response.status).toBe(503)
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0)
      h.advance(3_000)
    }
    expect((await emulator.counters())['oidc.discovery']).toBe(1)
    h.advance(1_000)
    expect((await h.request('/negotiate', bearer(token))).status).toBe(503)
    expect((await emulator.counters())['oidc.discovery']).toBe(2)
  })

  it('refuses a discovery document whose issuer is not AUTH_ISSUER exactly', async () => {
    const h = await createHarness({ vars: jwtVars({ AUTH_ISSUER: `${emulatorUrl()}/oidc/` }) })
    const token = await mintUserToken({
      sub: 'alice',
      audience: AUDIENCE,
      issuer: `${emulatorUrl()}/oidc/`,
    })
    const response = await h.request('/negotiate', bearer(token))
    expect(response.status).toBe(503)
    const problem = await problemOf(response)
    expect(problem.code).toBe('caller_verification_unavailable')
    expect(problem.detail).toMatch(/names another issuer than AUTH_ISSUER/)
    expect((await emulator.counters())['oidc.jwks']).toBe(0)
  })

  describe('keys planted in KV', () => {
    /** A token from an attacker's own key, and a KV entry that names that key for the issuer. */
    async function attack() {
      const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
      const jwk = { ...(await exportJWK(publicKey)), kid: 'attacker', alg: 'RS256', use: 'sig' }
      const forged = await new SignJWT({ sub: 'admin' })
        .setProtectedHeader({ alg: 'RS256', kid: 'attacker' })
        .setIssuer(`${emulatorUrl()}/oidc`)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(privateKey)
      const nowMs = Date.now()
      // Every field any version of the entry has had, with times that keep it fresh.
      const entry = {
        jwks: { keys: [jwk] },
        jwksUrl: `${emulatorUrl()}/oidc/jwks`,
        uat: nowMs + 365 * 24 * 3_600_000,
        fetchedAtMs: nowMs,
        discoveredAtMs: nowMs,
      }
      return { forged, entry, key: await jwksCacheKey(`${emulatorUrl()}/oidc`) }
    }

    it('ignores a plaintext entry and refuses the token it would have let in', async () => {
      const { forged, entry, key } = await attack()
      const kv = new KvDouble({ now: () => Date.now() })
      kv.plant(key, JSON.stringify(entry))
      const h = await createHarness({ vars: jwtVars({ TOKEN_CACHE: kv }) })
      await expectRefused(await h.request('/negotiate', bearer(forged)), /unknown kid/)
      expect((await emulator.counters())['oidc.discovery']).toBe(1)
    })

    it('ignores an entry encrypted with another key', async () => {
      const { forged, entry, key } = await attack()
      const kv = new KvDouble({ now: () => Date.now() })
      const otherKey = (await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
        'encrypt',
        'decrypt',
      ])) as CryptoKey
      await createEncryptedKv({ kv, key: otherKey }).put(key, entry, 3600)
      const h = await createHarness({ vars: jwtVars({ TOKEN_CACHE: kv }) })
      await expectRefused(await h.request('/negotiate', bearer(forged)), /unknown kid/)
    })
  })

  it('refuses a user whose claim value would make a granted group invalid', async () => {
    const h = await createHarness({ vars: jwtVars() })
    const token = await mintUserToken({ sub: 'x'.repeat(1100), audience: AUDIENCE })
    const response = await h.request('/negotiate', bearer(token))
    expect(response.status).toBe(403)
    expect((await problemOf(response)).code).toBe('caller_claims_unusable')
  })
})

describe('caller verification (AUTH_MODE=cloudflare-access)', () => {
  const accessVars = () => ({
    AUTH_MODE: 'cloudflare-access',
    CF_ACCESS_TEAM_DOMAIN: `${emulatorUrl()}/oidc`,
    CF_ACCESS_AUD: 'access-aud-tag',
    AUTH_USER_CLAIM: 'email',
    TOKEN_CACHE: new KvDouble({ now: () => Date.now() }),
  })

  it("verifies Cf-Access-Jwt-Assertion against the team's certificates and AUD tag", async () => {
    const h = await createHarness({ vars: accessVars() })
    const token = await mintUserToken({
      sub: 'u-1',
      audience: 'access-aud-tag',
      claims: { email: 'dana@example.com' },
    })
    const response = await h.request('/negotiate', {
      headers: { 'cf-access-jwt-assertion': token },
    })
    expect(response.status).toBe(200)
    expect(((await response.json()) as { userId: string }).userId).toBe('dana@example.com')
  })

  it('refuses a missing assertion and one for another application', async () => {
    const h = await createHarness({ vars: accessVars() })
    await expectRefused(
      await h.request('/negotiate'),
      /Cf-Access-Jwt-Assertion header is missing/,
      null,
    )
    const other = await mintUserToken({
      sub: 'u',
      audience: 'other-app',
      claims: { email: 'e@example.com' },
    })
    await expectRefused(
      await h.request('/negotiate', { headers: { 'cf-access-jwt-assertion': other } }),
      /another audience/,
    )
  })

  it('refuses a CF_Authorization cookie that is not valid percent-encoding', async () => {
    const h = await createHarness({ vars: accessVars() })
    await expectRefused(
      await h.request('/negotiate', { headers: { cookie: 'CF_Authorization=%' } }),
      /cookie is not valid percent-encoding/,
    )
  })

  it('accepts only RS256, as Cloudflare Access signs', async () => {
    const h = await createHarness({ vars: accessVars() })
    const es = await mintUserToken({
      sub: 'u',
      audience: 'access-aud-tag',
      alg: 'ES256',
      claims: { email: 'e@example.com' },
    })
    await expectRefused(
      await h.request('/negotiate', { headers: { 'cf-access-jwt-assertion': es } }),
      /algorithm/,
    )
  })
})

describe('readiness in each mode', () => {
  it('says when the negotiator runs anonymous', async () => {
    const h = await createHarness({
      vars: { TOKEN_CACHE: new KvDouble({ now: () => Date.now() }) },
    })
    const body = (await (await h.request('/readyz')).json()) as Record<string, unknown>
    expect(body.authMode).toBe('anonymous')
    expect(body.warning).toContain('anyone can negotiate')
    expect(h.logs.some((l) => l.includes('running_anonymous'))).toBe(true)
  })
})
