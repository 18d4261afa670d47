// An OpenID issuer served through an injected fetch, with a manual clock, for verifier unit tests.
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose'

export const ISSUER = 'https://issuer.example.com/tenant'
export const AUDIENCE = 'negotiator'
export const START_MS = Date.UTC(2026, 0, 1)

export interface SigningKey {
  privateKey: CryptoKey
  /** The public JWK as the JWKS publishes it (no `kid` unless one was given). */
  jwk: JWK
}

export async function signingKey(kid?: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  const jwk = await exportJWK(publicKey)
  if (kid !== undefined) jwk.kid = kid
  return { privateKey, jwk }
}

export interface FakeIssuer {
  /** What discovery answers: a document, or an HTTP status to fail with. */
  discovery: Record<string, unknown> | number
  /** What the JWKS URL publishes. */
  keys: JWK[]
  /** While set, the JWKS URL answers with this status instead (an outage). */
  jwksFailure: number | undefined
  jwksUrl: string
  calls: { discovery: number; jwks: number; other: number }
  fetch: typeof fetch
  nowMs: number
  now(): number
  advance(ms: number): void
  /** A token signed with `key`; its header carries `kid` only when the key's JWK has one. */
  sign(key: SigningKey, claims?: Record<string, unknown>): Promise<string>
}

export function createFakeIssuer(
  options: { jwksUrl?: string; discovery?: Record<string, unknown> | number } = {},
): FakeIssuer {
  const jwksUrl = options.jwksUrl ?? `${ISSUER}/keys`
  const issuer: FakeIssuer = {
    discovery: options.discovery ?? { issuer: ISSUER, jwks_uri: jwksUrl },
    keys: [],
    jwksFailure: undefined,
    jwksUrl,
    calls: { discovery: 0, jwks: 0, other: 0 },
    nowMs: START_MS,
    now: () => issuer.nowMs,
    advance: (ms) => {
      issuer.nowMs += ms
    },
    fetch: async (input) => {
      const url = input instanceof Request ? input.url : String(input)
      if (url === `${ISSUER}/.well-known/openid-configuration`) {
        issuer.calls.discovery++
        const answer = issuer.discovery
        return typeof answer === 'number'
          ? new Response('unavailable', { status: answer })
          : Response.json(answer)
      }
      if (url === issuer.jwksUrl) {
        issuer.calls.jwks++
        if (issuer.jwksFailure !== undefined)
          return new Response('unavailable', { status: issuer.jwksFailure })
        return Response.json({ keys: issuer.keys })
      }
      issuer.calls.other++
      return new Response('not found', { status: 404 })
    },
    async sign(key, claims = {}) {
      const seconds = Math.floor(issuer.nowMs / 1000)
      const header =
        key.jwk.kid === undefined ? { alg: 'RS256' } : { alg: 'RS256', kid: key.jwk.kid }
      return new SignJWT({ sub: 'alice', ...claims })
        .setProtectedHeader(header)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(seconds)
        .setExpirationTime(seconds + 600)
        .sign(key.privateKey)
    },
  }
  return issuer
}

/** jwt-mode settings for createJwtVerifier / createCallerVerifier against the fake issuer. */
export const tokenRules = (jwksUrl?: string) => ({
  issuer: ISSUER,
  audience: AUDIENCE,
  jwksUrl,
  algorithms: ['RS256'],
  userClaim: 'sub',
  clockToleranceSeconds: 0,
})
