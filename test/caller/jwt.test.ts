// Unit tests of caller/jwt: OpenID Connect discovery, key choice and the user claim, on a fake issuer.
import { describe, expect, it } from 'vitest'
import { createJwtVerifier, DISCOVERY_RETRY_MS } from '../../src/caller/jwt'
import { createFakeIssuer, ISSUER, signingKey, tokenRules, type FakeIssuer } from './fake-issuer'

const verifierFor = (issuer: FakeIssuer, jwksUrl?: string) =>
  createJwtVerifier({ ...tokenRules(jwksUrl), fetch: issuer.fetch, now: issuer.now })

async function failure(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  expect(error, 'expected a rejection').toBeDefined()
  return error as Record<string, unknown>
}

describe('caller/jwt', () => {
  describe('OpenID Connect discovery', () => {
    it('finds the keys through the discovery document', async () => {
      const issuer = createFakeIssuer()
      const key = await signingKey('k1')
      issuer.keys = [key.jwk]
      const identity = await verifierFor(issuer).verify(await issuer.sign(key))
      expect(identity.userId).toBe('alice')
      expect(issuer.calls).toEqual({ discovery: 1, jwks: 1, other: 0 })
    })

    it.each([
      ['http://keys.example.com/jwks', 'is not an https URL'],
      ['ftp://keys.example.com/jwks', 'is not an https URL'],
      ['not a url', 'is not an https URL'],
    ])('refuses a jwks_uri of %s without fetching it', async (jwksUrl, message) => {
      const issuer = createFakeIssuer({ jwksUrl })
      const key = await signingKey('k1')
      issuer.keys = [key.jwk]
      const error = await failure(verifierFor(issuer).verify(await issuer.sign(key)))
      expect(error).toMatchObject({ code: 'caller_verification_unavailable' })
      expect(error.detail).toContain(message)
      expect(issuer.calls.jwks + issuer.calls.other).toBe(0)
    })

    it.each(['http://127.0.0.1:8787/jwks', 'http://localhost/jwks', 'http://[::1]:9000/jwks'])(
      'accepts a plain-http jwks_uri on loopback (%s) for local development',
      async (jwksUrl) => {
        const issuer = createFakeIssuer({ jwksUrl })
        const key = await signingKey('k1')
        issuer.keys = [key.jwk]
        expect((await verifierFor(issuer).verify(await issuer.sign(key))).userId).toBe('alice')
      },
    )

    it.each([
      ['another issuer', { issuer: 'https://evil.example.com/tenant' }],
      ['a trailing slash', { issuer: `${ISSUER}/` }],
      ['no issuer', {}],
    ])('refuses a document naming %s (OpenID Connect Discovery 1.0 §4.3)', async (_l, fields) => {
      const issuer = createFakeIssuer()
      issuer.discovery = { jwks_uri: issuer.jwksUrl, ...fields }
      const key = await signingKey('k1')
      issuer.keys = [key.jwk]
      const error = await failure(verifierFor(issuer).verify(await issuer.sign(key)))
      expect(error).toMatchObject({ code: 'caller_verification_unavailable' })
      expect(error.detail).toContain('names another issuer than AUTH_ISSUER')
      expect(issuer.calls.jwks).toBe(0)
    })

    it('answers caller_verification_unavailable for a document without jwks_uri', async () => {
      const issuer = createFakeIssuer({ discovery: { issuer: ISSUER } })
      const key = await signingKey('k1')
      const error = await failure(verifierFor(issuer).verify(await issuer.sign(key)))
      expect(error).toMatchObject({ code: 'caller_verification_unavailable' })
      expect(error.detail).toContain('has no jwks_uri')
    })

    it('remembers a failed discovery for 10 s on its clock instead of fetching again', async () => {
      const issuer = createFakeIssuer({ discovery: 503 })
      const key = await signingKey('k1')
      issuer.keys = [key.jwk]
      const verifier = verifierFor(issuer)
      const token = await issuer.sign(key)
      for (let i = 0; i < 3; i++) {
        const error = await failure(verifier.verify(token))
        expect(error).toMatchObject({ code: 'caller_verification_unavailable' })
        expect(error.retryAfterSeconds).toBeGreaterThan(0)
        issuer.advance(DISCOVERY_RETRY_MS / 4)
      }
      expect(issuer.calls.discovery).toBe(1)
      issuer.discovery = { issuer: ISSUER, jwks_uri: issuer.jwksUrl }
      issuer.advance(DISCOVERY_RETRY_MS / 4)
      expect((await verifier.verify(token)).userId).toBe('alice')
      expect(issuer.calls.discovery).toBe(2)
    })
  })

  describe('an outage of the JWKS endpoint', () => {
    const TEN_MINUTES = 600_000

    it('keeps verifying with the keys it holds and retries at most every 30 s', async () => {
      const issuer = createFakeIssuer()
      const key = await signingKey('k1')
      issuer.keys = [key.jwk]
      const verifier = verifierFor(issuer)
      expect((await verifier.verify(await issuer.sign(key))).userId).toBe('alice')
      issuer.jwksFailure = 503
      issuer.advance(TEN_MINUTES + 1) // the keys are now due for a refetch
      expect((await verifier.verify(await issuer.sign(key))).userId).toBe('alice')
      expect((await verifier.verify(await issuer.sign(key))).userId).toBe('alice')
      expect(issuer.calls.jwks).toBe(2) // one failed refetch, then a cooldown
      issuer.advance(30_001)
      expect((await verifier.verify(await issuer.sign(key))).userId).toBe('alice')
      expect(issuer.calls.jwks).toBe(3)
      issuer.jwksFailure = undefined
      issuer.advance(30_001)
      expect((await verifier.verify(await issuer.sign(key))).userId).toBe('alice')
      expect(issuer.calls.jwks).toBe(4)
    })

    it('answers an unknown kid with caller_verification_unavailable, not 401, while keys cannot be had', async () => {
      const issuer = createFakeIssuer()
      const [known, rotated] = [await signingKey('k1'), await signingKey('k2')]
      issuer.keys = [known.jwk]
      const verifier = verifierFor(issuer)
      await verifier.verify(await issuer.sign(known))
      issuer.keys = [known.jwk, rotated.jwk]
      issuer.jwksFailure = 500
      issuer.advance(30_001) // past the unknown-kid cooldown
      const token = await issuer.sign(rotated)
      expect(await failure(verifier.verify(token))).toMatchObject({
        code: 'caller_verification_unavailable',
      })
      expect(await failure(verifier.verify(token))).toMatchObject({
        code: 'caller_verification_unavailable',
      })
      expect(issuer.calls.jwks).toBe(2)
    })

    it('does not fetch on every request when it never had keys', async () => {
      const issuer = createFakeIssuer()
      const key = await signingKey('k1')
      issuer.jwksFailure = 502
      const verifier = verifierFor(issuer)
      for (let i = 0; i < 5; i++) {
        expect(await failure(verifier.verify(await issuer.sign(key)))).toMatchObject({
          code: 'caller_verification_unavailable',
        })
      }
      expect(issuer.calls.jwks).toBe(1)
    })
  })

  describe('several keys without kid', () => {
    it('verifies with whichever published key signed the token', async () => {
      const issuer = createFakeIssuer()
      const [first, second] = [await signingKey(), await signingKey()]
      issuer.keys = [first.jwk, second.jwk]
      const verifier = verifierFor(issuer)
      expect((await verifier.verify(await issuer.sign(first, { sub: 'one' }))).userId).toBe('one')
      expect((await verifier.verify(await issuer.sign(second, { sub: 'two' }))).userId).toBe('two')
    })

    it('refuses a token that none of them signed as a bad signature', async () => {
      const issuer = createFakeIssuer()
      issuer.keys = [(await signingKey()).jwk, (await signingKey()).jwk]
      const stranger = await signingKey()
      const error = await failure(verifierFor(issuer).verify(await issuer.sign(stranger)))
      expect(error).toMatchObject({ code: 'caller_unauthenticated' })
      expect(error.detail).toBe('The token signature is invalid.')
    })

    it('still refuses an expired token that one of them signed', async () => {
      const issuer = createFakeIssuer()
      const [first, second] = [await signingKey(), await signingKey()]
      issuer.keys = [first.jwk, second.jwk]
      const token = await issuer.sign(second)
      issuer.advance(3_600_000)
      const error = await failure(verifierFor(issuer).verify(token))
      expect(error).toMatchObject({ code: 'caller_unauthenticated' })
      expect(error.detail).toBe('The token has expired.')
    })
  })

  describe('the user claim', () => {
    it.each(['\ud800', 'alice\udfff', '\udc00\ud800'])(
      'refuses a user id that is not well-formed Unicode (%j)',
      async (sub) => {
        const issuer = createFakeIssuer()
        const key = await signingKey('k1')
        issuer.keys = [key.jwk]
        const error = await failure(verifierFor(issuer).verify(await issuer.sign(key, { sub })))
        expect(error).toMatchObject({ code: 'caller_claims_unusable' })
        expect(String(error.detail)).not.toContain(sub)
      },
    )

    it('accepts a user id with characters outside the BMP (surrogate pairs)', async () => {
      const issuer = createFakeIssuer()
      const key = await signingKey('k1')
      issuer.keys = [key.jwk]
      const identity = await verifierFor(issuer).verify(await issuer.sign(key, { sub: 'a😀' }))
      expect(identity.userId).toBe('a😀')
    })
  })
})
