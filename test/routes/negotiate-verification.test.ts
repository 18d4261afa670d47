// Route tests of what caller verification enforces at run time: exp, AUTH_ALGORITHMS, the issuer's keys.
import { SignJWT } from 'jose'
import { beforeEach, describe, expect, it } from 'vitest'
import { AUDIENCE, createFakeIssuer, ISSUER, signingKey } from '../caller/fake-issuer'
import { emulator } from '../support/emulator'
import { createHarness, problemOf } from '../support/harness'
import { mintUserToken, userTokenIssuer } from '../support/user-token'

beforeEach(() => emulator.reset())

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })
const urlOf = (input: RequestInfo | URL): string =>
  input instanceof Request ? input.url : String(input)

/** The Worker's outbound fetch: URLs of `issuer` go to `fake`, all else to the emulator. */
const routeIssuer =
  (issuer: string, fake: typeof fetch): typeof fetch =>
  (input, init) =>
    urlOf(input).startsWith(`${issuer}/`) ? fake(input, init) : fetch(input, init)

/** A problem answered before any Entra or Web PubSub call. */
async function expectProblem(
  response: Response,
  expected: { status: number; code: string; detail: string },
): Promise<void> {
  expect(response.status).toBe(expected.status)
  expect(await problemOf(response)).toMatchObject(expected)
  const counters = await emulator.counters()
  expect(counters['entra.token']).toBe(0)
  expect(counters['webpubsub.generateToken']).toBe(0)
}

describe('caller verification at run time (AUTH_MODE=jwt)', () => {
  it('refuses a token without exp with 401 caller_unauthenticated', async () => {
    // The emulator always sets exp, so this token comes from a key of the test's own.
    const fake = createFakeIssuer()
    const key = await signingKey('own-key')
    fake.keys.push(key.jwk)
    const h = await createHarness({
      fetch: routeIssuer(ISSUER, fake.fetch),
      vars: { AUTH_MODE: 'jwt', AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE },
    })
    const sign = (expires: boolean) => {
      const jwt = new SignJWT({ sub: 'alice' })
        .setProtectedHeader({ alg: 'RS256', kid: 'own-key' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(Math.floor(h.now() / 1000))
      return (expires ? jwt.setExpirationTime(Math.floor(h.now() / 1000) + 600) : jwt).sign(
        key.privateKey,
      )
    }
    const response = await h.request('/negotiate', bearer(await sign(false)))
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="negotiate", error=/)
    await expectProblem(response, {
      status: 401,
      code: 'caller_unauthenticated',
      detail: 'The token\'s "exp" claim is not acceptable.',
    })
    // The same token with exp is accepted: exp alone made the difference.
    expect((await h.request('/negotiate', bearer(await sign(true)))).status).toBe(200)
  })

  it('says which issuer came when AUTH_ISSUER has a trailing slash the tokens lack, in the problem and the log', async () => {
    const fake = createFakeIssuer()
    const key = await signingKey('own-key')
    fake.keys.push(key.jwk)
    const h = await createHarness({
      fetch: routeIssuer(ISSUER, fake.fetch),
      vars: {
        AUTH_MODE: 'jwt',
        AUTH_ISSUER: `${ISSUER}/`,
        AUTH_AUDIENCE: AUDIENCE,
        AUTH_JWKS_URL: fake.jwksUrl,
      },
    })
    const token = await fake.sign(key)
    const detail =
      `The token was issued by another issuer, "${ISSUER}", but AUTH_ISSUER is "${ISSUER}/": AUTH_ISSUER ends ` +
      "with '/' but the token's iss does not; remove the trailing slash from AUTH_ISSUER."
    const response = await h.request('/negotiate', bearer(token))
    expect(response.headers.get('www-authenticate')).toContain(
      "AUTH_ISSUER ends with '/' but the token's iss does not",
    )
    await expectProblem(response, { status: 401, code: 'caller_unauthenticated', detail })
    const warnings = h.logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.event === 'caller_token_rejected')
    expect(warnings).toEqual([expect.objectContaining({ level: 'warn', claim: 'iss', detail })])
    expect(h.logs.join('\n')).not.toContain(token)
  })

  it('quotes a foreign iss cut short and printable, and still answers 401 when it is not ASCII', async () => {
    const fake = createFakeIssuer()
    const key = await signingKey('own-key')
    fake.keys.push(key.jwk)
    const h = await createHarness({
      fetch: routeIssuer(ISSUER, fake.fetch),
      vars: {
        AUTH_MODE: 'jwt',
        AUTH_ISSUER: ISSUER,
        AUTH_AUDIENCE: AUDIENCE,
        AUTH_JWKS_URL: fake.jwksUrl,
      },
    })
    const iss = `https://idp.example.com/\u202e€\r\n${'x'.repeat(500)}`
    const token = await new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'RS256', kid: 'own-key' })
      .setIssuer(iss)
      .setAudience(AUDIENCE)
      .setExpirationTime(Math.floor(h.now() / 1000) + 600)
      .sign(key.privateKey)
    const response = await h.request('/negotiate', bearer(token))
    expect(response.headers.get('www-authenticate')).toMatch(/^[\x20-\x7e]+$/)
    await expectProblem(response, {
      status: 401,
      code: 'caller_unauthenticated',
      detail:
        // 100 characters: 24 of the URL, 4 for the override, €, CR and LF, then 72 of the x's.
        `The token was issued by another issuer, "https://idp.example.com/?€??${'x'.repeat(72)}…", but ` +
        `AUTH_ISSUER is "${ISSUER}"; the two must be equal, character for character.`,
    })
  })

  it('enforces AUTH_ALGORITHMS: an RS256 token the issuer signs is refused when only ES256 is listed', async () => {
    const h = await createHarness({
      vars: {
        AUTH_MODE: 'jwt',
        AUTH_ISSUER: userTokenIssuer(),
        AUTH_AUDIENCE: 'webpubsub-negotiator',
        AUTH_ALGORITHMS: 'ES256',
      },
    })
    const rs = await mintUserToken({ sub: 'alice', alg: 'RS256' })
    await expectProblem(await h.request('/negotiate', bearer(rs)), {
      status: 401,
      code: 'caller_unauthenticated',
      detail: 'The token is signed with an algorithm that is not accepted.',
    })
    const es = await mintUserToken({ sub: 'alice', alg: 'ES256' })
    expect((await h.request('/negotiate', bearer(es))).status).toBe(200)
  })

  const keysUnavailable = {
    status: 503,
    code: 'caller_verification_unavailable',
    detail: "The identity provider's signing keys could not be fetched; retry shortly.",
  }

  it('answers 503 caller_verification_unavailable when AUTH_JWKS_URL answers 500', async () => {
    await emulator.fault({ route: 'oidc.jwks', kind: 'status', status: 500, times: -1 })
    const h = await createHarness({
      vars: {
        AUTH_MODE: 'jwt',
        AUTH_ISSUER: userTokenIssuer(),
        AUTH_AUDIENCE: 'webpubsub-negotiator',
        AUTH_JWKS_URL: `${userTokenIssuer()}/jwks`,
      },
    })
    const token = await mintUserToken({ sub: 'alice' })
    await expectProblem(await h.request('/negotiate', bearer(token)), keysUnavailable)
    const counters = await emulator.counters()
    expect(counters['oidc.discovery']).toBe(0)
    expect(counters['oidc.jwks']).toBe(1)
  })

  it('answers 503 caller_verification_unavailable when the discovered JWKS cannot be reached', async () => {
    const jwksUrl = `${userTokenIssuer()}/jwks`
    const h = await createHarness({
      fetch: (input, init) =>
        urlOf(input) === jwksUrl
          ? Promise.reject(new TypeError('Network connection lost.'))
          : fetch(input, init),
      vars: {
        AUTH_MODE: 'jwt',
        AUTH_ISSUER: userTokenIssuer(),
        AUTH_AUDIENCE: 'webpubsub-negotiator',
      },
    })
    const token = await mintUserToken({ sub: 'alice' })
    await expectProblem(await h.request('/negotiate', bearer(token)), keysUnavailable)
    expect((await emulator.counters())['oidc.discovery']).toBe(1)
  })

  it('answers 503 caller_verification_unavailable when discovery names no jwks_uri', async () => {
    const fake = createFakeIssuer({ discovery: { issuer: ISSUER } })
    const h = await createHarness({
      fetch: routeIssuer(ISSUER, fake.fetch),
      vars: { AUTH_MODE: 'jwt', AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE },
    })
    const key = await signingKey('own-key')
    const token = await new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'RS256', kid: 'own-key' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime(Math.floor(h.now() / 1000) + 600)
      .sign(key.privateKey)
    const response = await h.request('/negotiate', bearer(token))
    expect(response.headers.get('retry-after')).toBe('10')
    await expectProblem(response, {
      status: 503,
      code: 'caller_verification_unavailable',
      detail: "The identity provider's openid-configuration has no jwks_uri; set AUTH_JWKS_URL.",
    })
    expect(fake.calls).toEqual({ discovery: 1, jwks: 0, other: 0 })
  })
})
