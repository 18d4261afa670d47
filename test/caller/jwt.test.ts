// Unit tests of caller/jwt: OpenID Connect discovery, key choice and the user claim, on a fake issuer.
import fc from 'fast-check'
import { SignJWT, type JWTPayload } from 'jose'
import { describe, expect, it } from 'vitest'
import { createJwtVerifier, DISCOVERY_RETRY_MS } from '../../src/caller/jwt'
import {
  AUDIENCE,
  createFakeIssuer,
  ISSUER,
  signingKey,
  tokenRules,
  type FakeIssuer,
  type SigningKey,
} from './fake-issuer'

const verifierFor = (issuer: FakeIssuer, jwksUrl?: string) =>
  createJwtVerifier({ ...tokenRules(jwksUrl), fetch: issuer.fetch, now: issuer.now })

/** A token the fake issuer's key signs with any `iss` and `aud` (undefined: left out). */
function signWith(issuer: FakeIssuer, key: SigningKey, claims: { iss?: unknown; aud?: unknown }) {
  const seconds = Math.floor(issuer.nowMs / 1000)
  // Any JSON as iss or aud: what a token's author may write, not what JWTPayload types.
  const payload = { sub: 'alice', iat: seconds, exp: seconds + 600, ...claims } as JWTPayload
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(key.privateKey)
}

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

    it.each([
      ['its issuer ends with a slash', `${ISSUER}/`, 'add the trailing slash to AUTH_ISSUER'],
      ['another issuer', 'https://evil.example.com/t', 'set AUTH_ISSUER to its "issuer" value'],
    ])('names both issuers when %s, and the fix', async (_l, named, fix) => {
      const issuer = createFakeIssuer()
      issuer.discovery = { jwks_uri: issuer.jwksUrl, issuer: named }
      const key = await signingKey('k1')
      const error = await failure(verifierFor(issuer).verify(await issuer.sign(key)))
      expect(error.detail).toContain(JSON.stringify(named))
      expect(error.detail).toContain(`AUTH_ISSUER is ${JSON.stringify(ISSUER)}`)
      expect(error.detail).toContain(fix)
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

  describe('a token for another issuer or audience', () => {
    /** A verifier expecting `expected` as AUTH_ISSUER (keys at a fixed URL: no discovery). */
    async function mismatch(
      claims: { iss?: unknown; aud?: unknown },
      expected: { issuer?: string; audience?: string } = {},
    ) {
      const issuer = createFakeIssuer()
      const key = await signingKey('k1')
      issuer.keys = [key.jwk]
      const logs: { event: string; fields: Record<string, unknown> }[] = []
      const verifier = createJwtVerifier({
        ...tokenRules(issuer.jwksUrl),
        ...expected,
        fetch: issuer.fetch,
        now: issuer.now,
        log: (event, fields) => logs.push({ event, fields }),
      })
      const token = await signWith(issuer, key, { iss: ISSUER, aud: AUDIENCE, ...claims })
      const error = await failure(verifier.verify(token))
      expect(error).toMatchObject({ code: 'caller_unauthenticated' })
      return { detail: String(error.detail), error, logs, token }
    }

    it("says that AUTH_ISSUER ends with a slash the token's iss does not have", async () => {
      const { detail, error, logs } = await mismatch({}, { issuer: `${ISSUER}/` })
      expect(detail).toBe(
        `The token was issued by another issuer, "${ISSUER}", but AUTH_ISSUER is "${ISSUER}/": AUTH_ISSUER ends ` +
          "with '/' but the token's iss does not; remove the trailing slash from AUTH_ISSUER.",
      )
      // The same words in the RFC 6750 challenge, without the quotes it cannot hold.
      const challenge = (error.headers as Record<string, string>)['www-authenticate']
      expect(challenge).toContain("AUTH_ISSUER ends with '/' but the token's iss does not")
      expect(logs).toEqual([{ event: 'caller_token_rejected', fields: { claim: 'iss', detail } }])
    })

    it("says that the token's iss ends with a slash AUTH_ISSUER does not have", async () => {
      const { detail } = await mismatch({ iss: `${ISSUER}/` })
      expect(detail).toBe(
        `The token was issued by another issuer, "${ISSUER}/", but AUTH_ISSUER is "${ISSUER}": the token's iss ` +
          "ends with '/' but AUTH_ISSUER does not; add the trailing slash to AUTH_ISSUER.",
      )
    })

    it('recognises an Entra ID v1.0 access token', async () => {
      const tenant = '11111111-1111-4111-8111-111111111111'
      const { detail } = await mismatch(
        { iss: `https://sts.windows.net/${tenant}/` },
        { issuer: `https://login.microsoftonline.com/${tenant}/v2.0` },
      )
      expect(detail).toContain(
        `The token was issued by another issuer, "https://sts.windows.net/${tenant}/"`,
      )
      expect(detail).toContain('it is an Entra ID v1.0 access token')
      expect(detail).toContain('api.requestedAccessTokenVersion = 2')
    })

    it('names both issuers when they differ otherwise, and a missing or odd iss', async () => {
      expect((await mismatch({ iss: 'https://evil.example.com' })).detail).toBe(
        `The token was issued by another issuer, "https://evil.example.com", but AUTH_ISSUER is "${ISSUER}"; ` +
          'the two must be equal, character for character.',
      )
      expect((await mismatch({ iss: undefined })).detail).toBe(
        `The token has no "iss" claim; AUTH_ISSUER is "${ISSUER}".`,
      )
      expect((await mismatch({ iss: { nested: 'x' } })).detail).toBe(
        `The token's "iss" claim is not a string; AUTH_ISSUER is "${ISSUER}".`,
      )
    })

    it('names both audiences, and the application id Entra v2.0 tokens carry', async () => {
      const { detail, logs } = await mismatch({ aud: ['one', 'two', 'three', 'four'] })
      expect(detail).toBe(
        `The token is meant for another audience, "one", "two", "three", …, but AUTH_AUDIENCE is "${AUDIENCE}".`,
      )
      expect(logs).toEqual([{ event: 'caller_token_rejected', fields: { claim: 'aud', detail } }])
      const appId = '22222222-2222-4222-8222-222222222222'
      expect((await mismatch({ aud: appId }, { audience: `api://${appId}` })).detail).toBe(
        `The token is meant for another audience, "${appId}", but AUTH_AUDIENCE is "api://${appId}": Entra v2.0 ` +
          `access tokens name the API's application id; set AUTH_AUDIENCE to "${appId}".`,
      )
    })

    it('quotes any iss at most 100 characters long, printable, and never the token (property)', async () => {
      const issuer = createFakeIssuer()
      const key = await signingKey('k1')
      issuer.keys = [key.jwk]
      const verifier = createJwtVerifier({
        ...tokenRules(issuer.jwksUrl),
        fetch: issuer.fetch,
        now: issuer.now,
      })
      const iss = fc.oneof(
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.string({ unit: 'grapheme', maxLength: 150 }),
        fc.constantFrom('\u202eevil', 'a\u0000b\r\nc', '\ud800x', 'x'.repeat(5000)),
      )
      await fc.assert(
        fc.asyncProperty(iss, async (value) => {
          fc.pre(value !== ISSUER)
          const token = await signWith(issuer, key, { iss: value, aud: AUDIENCE })
          const error = await failure(verifier.verify(token))
          expect(error).toMatchObject({ code: 'caller_unauthenticated' })
          const detail = String(error.detail)
          const quoted =
            /^The token was issued by another issuer, (".*"), but AUTH_ISSUER is /su.exec(
              detail,
            )?.[1]
          expect(quoted, detail).toBeDefined()
          const shown = JSON.parse(quoted!) as string
          expect(Array.from(shown).length).toBeLessThanOrEqual(101)
          expect(shown).not.toMatch(/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u)
          expect(detail).not.toContain(token)
          // A header value the runtime accepts, in RFC 6750's error_description alphabet.
          const headers = new Headers(error.headers as Record<string, string>)
          const description = /error_description="([^"]*)"$/.exec(
            headers.get('www-authenticate') ?? '',
          )?.[1]
          expect(description).toMatch(/^[\x20\x21\x23-\x5b\x5d-\x7e]*$/)
        }),
        { numRuns: 200 },
      )
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
