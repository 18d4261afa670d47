// Verifies a caller's bearer JWT against an OpenID Connect issuer's keys, with jose.
import {
  createRemoteJWKSet,
  customFetch,
  errors,
  jwksCache,
  jwtVerify,
  type ExportedJWKSCache,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose'
import { NegotiatorError } from '../errors'
import type { Now } from '../lib/clock'
import type { TokenRules } from './auth-config'
import type { Identity } from './policy'

/** Larger tokens are refused before any parsing: they only cost CPU (and no IdP issues them). */
export const MAX_TOKEN_BYTES = 8 * 1024

export interface JwtVerifierOptions extends TokenRules {
  fetch: typeof fetch
  now: Now
  /** A JWKS seeded from KV so a new isolate does not fetch on the hot path; updated in place by jose. */
  seed?: ExportedJWKSCache | Record<string, never>
}

export interface JwtVerifier {
  verify(token: string): Promise<Identity>
  /** The JWKS cache jose keeps; persisted to KV by the caller when it changes. */
  readonly cache: ExportedJWKSCache | Record<string, never>
  /** The JWKS URL in use, once known (configured, or found by discovery). */
  jwksUrl(): string | undefined
}

/** 401 with an RFC 6750 challenge; `error` is left out when no credentials were sent at all. */
export function unauthenticated(
  detail: string,
  error: string | null = 'invalid_token',
): NegotiatorError {
  const challenge =
    error === null
      ? 'Bearer realm="negotiate"'
      : `Bearer realm="negotiate", error="${error}", error_description="${detail.replace(/["\\]/g, '')}"`
  return new NegotiatorError('caller_unauthenticated', {
    detail,
    headers: { 'www-authenticate': challenge },
  })
}

/** Maps jose's failures to public messages that say what was wrong with the token, never its content. */
function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'The token has expired.'
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'The token is not valid yet (nbf is in the future).'
    if (error.claim === 'iss') return 'The token was issued by another issuer.'
    if (error.claim === 'aud') return 'The token is meant for another audience.'
    return `The token's "${error.claim}" claim is not acceptable.`
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return 'The token is signed with an algorithm that is not accepted.'
  if (error instanceof errors.JWKSNoMatchingKey)
    return 'The token is signed with a key the issuer does not publish (unknown kid).'
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return 'The token signature is invalid.'
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid)
    return 'The token is not a valid JWT.'
  return 'The token could not be verified.'
}

/** The JWKS could not be had (timeout, HTTP error, network error): the caller is not at fault. */
function isKeyFetchFailure(error: unknown): boolean {
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return true
  if (error instanceof errors.JOSEError) return error.code === 'ERR_JOSE_GENERIC'
  return true
}

export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const cache = options.seed ?? {}
  let keys: JWTVerifyGetKey | undefined
  let resolvedJwksUrl = options.jwksUrl
  const keysFor = (url: string): JWTVerifyGetKey =>
    createRemoteJWKSet(new URL(url), {
      cooldownDuration: 30_000,
      cacheMaxAge: 600_000,
      timeoutDuration: 5_000,
      [jwksCache]: cache,
      [customFetch]: (input, init) => options.fetch(input, init),
    })

  /** Discovery result is shared as a resolved value; concurrent first requests each look it up. */
  const resolveKeys = async (): Promise<JWTVerifyGetKey> => {
    if (keys !== undefined) return keys
    let jwksUrl = options.jwksUrl
    if (jwksUrl === undefined) {
      const discovery = `${options.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`
      let document: { jwks_uri?: unknown; issuer?: unknown }
      try {
        const response = await options.fetch(discovery, { signal: AbortSignal.timeout(5_000) })
        if (!response.ok) throw new Error(String(response.status))
        document = (await response.json()) as typeof document
      } catch {
        throw new NegotiatorError('caller_verification_unavailable', {
          detail:
            "The identity provider's openid-configuration could not be read; set AUTH_JWKS_URL or retry.",
        })
      }
      if (typeof document.jwks_uri !== 'string') {
        throw new NegotiatorError('caller_verification_unavailable', {
          detail:
            "The identity provider's openid-configuration has no jwks_uri; set AUTH_JWKS_URL.",
        })
      }
      jwksUrl = document.jwks_uri
    }
    resolvedJwksUrl = jwksUrl
    keys ??= keysFor(jwksUrl)
    return keys
  }

  return {
    cache,
    jwksUrl: () => resolvedJwksUrl,
    async verify(token) {
      if (token.length > MAX_TOKEN_BYTES)
        throw unauthenticated(`The token is larger than ${MAX_TOKEN_BYTES} bytes.`)
      if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token)) {
        throw unauthenticated('The token is not a valid JWT.')
      }
      const getKey = await resolveKeys()
      let payload: JWTPayload
      try {
        ;({ payload } = await jwtVerify(token, getKey, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: options.algorithms,
          clockTolerance: options.clockToleranceSeconds,
          currentDate: new Date(options.now()),
          requiredClaims: ['exp'],
        }))
      } catch (error) {
        if (isKeyFetchFailure(error)) {
          throw new NegotiatorError('caller_verification_unavailable', {
            detail: "The identity provider's signing keys could not be fetched; retry shortly.",
            cause: error,
          })
        }
        throw unauthenticated(describe(error))
      }
      const user = payload[options.userClaim]
      if (typeof user !== 'string' || user === '') {
        throw unauthenticated(`The token has no "${options.userClaim}" claim to identify the user.`)
      }
      return { userId: user, claims: payload as Record<string, unknown> }
    },
  }
}
