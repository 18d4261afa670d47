// Verifies a caller's bearer JWT against an OpenID Connect issuer's keys, with jose.
import {
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose'
import { NegotiatorError } from '../errors'
import { audienceMismatch, issuerMismatch } from './claim-mismatch'
import type { Now } from '../lib/clock'
import type { TokenRules } from './auth-config'
import { discoverJwksUrl } from './discovery'
import { isWellFormed } from '../lib/unicode'
import type { Identity } from './policy'
import { createRemoteKeySet, type KeySetSnapshot, type RemoteKeySet } from './remote-jwks'

/** Larger tokens are refused before any parsing: they only cost CPU (and no IdP issues them). */
export const MAX_TOKEN_BYTES = 8 * 1024

/** A failed discovery is not retried for this long, so tokens from anyone cannot each cause a fetch. */
export const DISCOVERY_RETRY_MS = 10_000

/** The keys in use and where they came from: what KV keeps for the next isolate. */
export interface StoredKeys extends KeySetSnapshot {
  jwksUrl: string
  /** When discovery found `jwksUrl`; absent when it was configured. */
  discoveredAtMs?: number
}

export interface JwtVerifierOptions extends TokenRules {
  fetch: typeof fetch
  now: Now
  /** Keys (and discovery's answer) from KV, so a new isolate does not fetch on the hot path. */
  seed?: StoredKeys
  /** The variables that set `issuer` and `audience`, named in messages; default AUTH_ISSUER, AUTH_AUDIENCE. */
  variables?: { issuer: string; audience: string }
  /** Told when a well-signed token names another issuer or audience: a configuration mistake, usually. */
  log?: (event: string, fields: Record<string, unknown>) => void
}

export interface JwtVerifier {
  verify(token: string): Promise<Identity>
  /** Undefined until keys are known; persisted to KV by the caller when `fetchedAtMs` changes. */
  snapshot(): StoredKeys | undefined
}

/** 401 with an RFC 6750 challenge; `error` is left out when no credentials were sent at all. */
export function unauthenticated(
  detail: string,
  error: string | null = 'invalid_token',
): NegotiatorError {
  // RFC 6750 §3: error_description holds %x20-21 / %x23-5B / %x5D-7E only (and a header value
  // with a character above U+00FF would not even be set), while the detail may quote claims.
  const description = detail.replace(/["\\]/g, '').replace(/[^\x20-\x7e]/g, '?')
  const challenge =
    error === null
      ? 'Bearer realm="negotiate"'
      : `Bearer realm="negotiate", error="${error}", error_description="${description}"`
  return new NegotiatorError('caller_unauthenticated', {
    detail,
    headers: { 'www-authenticate': challenge },
  })
}

interface Expectations {
  issuer: string
  audience: string
  variables: { issuer: string; audience: string }
}

/** Maps jose's failures to public messages that say what was wrong with the token, never the token. */
function describe(error: unknown, rules: Expectations): string {
  if (error instanceof errors.JWTExpired) return 'The token has expired.'
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'The token is not valid yet (nbf is in the future).'
    if (error.claim === 'iss')
      return issuerMismatch(rules.issuer, rules.variables.issuer, error.payload)
    if (error.claim === 'aud')
      return audienceMismatch(rules.audience, rules.variables.audience, error.payload)
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

/**
 * Without a `kid` several keys of a JWKS may fit the token (providers publish the next key before
 * signing with it); jose then hands the candidates over through JWKSMultipleMatchingKeys and the
 * token is valid if any of them verifies its signature.
 */
async function verifyWithAnyKey(
  token: string,
  getKey: JWTVerifyGetKey,
  options: JWTVerifyOptions,
): Promise<JWTPayload> {
  try {
    return (await jwtVerify(token, getKey, options)).payload
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error
    for await (const key of error) {
      try {
        return (await jwtVerify(token, key, options)).payload
      } catch (attempt) {
        if (!(attempt instanceof errors.JWSSignatureVerificationFailed)) throw attempt
      }
    }
    throw new errors.JWSSignatureVerificationFailed()
  }
}

export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const { now } = options
  const expectations: Expectations = {
    issuer: options.issuer,
    audience: options.audience,
    variables: options.variables ?? { issuer: 'AUTH_ISSUER', audience: 'AUTH_AUDIENCE' },
  }
  let keys: { set: RemoteKeySet; jwksUrl: string; discoveredAtMs?: number } | undefined
  let discoveryFailure: { detail: string; retryAtMs: number } | undefined

  const keysFrom = (jwksUrl: string, discoveredAtMs?: number) => ({
    set: createRemoteKeySet({
      url: jwksUrl,
      fetch: options.fetch,
      now,
      seed: options.seed?.jwksUrl === jwksUrl ? options.seed : undefined,
    }),
    jwksUrl,
    discoveredAtMs,
  })

  /** Discovery's result is shared as a resolved value; concurrent first requests each look it up. */
  const resolveKeys = async (): Promise<JWTVerifyGetKey> => {
    if (keys !== undefined) return keys.set.getKey
    if (options.jwksUrl !== undefined) {
      keys = keysFrom(options.jwksUrl)
      return keys.set.getKey
    }
    const seed = options.seed
    if (seed?.discoveredAtMs !== undefined) {
      keys = keysFrom(seed.jwksUrl, seed.discoveredAtMs)
      return keys.set.getKey
    }
    if (discoveryFailure !== undefined && now() < discoveryFailure.retryAtMs) {
      throw new NegotiatorError('caller_verification_unavailable', {
        detail: discoveryFailure.detail,
        retryAfterSeconds: Math.ceil((discoveryFailure.retryAtMs - now()) / 1000),
      })
    }
    let jwksUrl: string
    try {
      jwksUrl = await discoverJwksUrl(options.issuer, options.fetch)
    } catch (error) {
      const detail =
        error instanceof NegotiatorError ? error.detail : 'OpenID Connect discovery failed.'
      discoveryFailure = { detail, retryAtMs: now() + DISCOVERY_RETRY_MS }
      throw new NegotiatorError('caller_verification_unavailable', {
        detail,
        retryAfterSeconds: DISCOVERY_RETRY_MS / 1000,
        cause: error,
      })
    }
    discoveryFailure = undefined
    keys ??= keysFrom(jwksUrl, now())
    return keys.set.getKey
  }

  return {
    snapshot() {
      const snapshot = keys?.set.snapshot()
      if (keys === undefined || snapshot === undefined) return undefined
      return { ...snapshot, jwksUrl: keys.jwksUrl, discoveredAtMs: keys.discoveredAtMs }
    },
    async verify(token) {
      if (token.length > MAX_TOKEN_BYTES)
        throw unauthenticated(`The token is larger than ${MAX_TOKEN_BYTES} bytes.`)
      if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token)) {
        throw unauthenticated('The token is not a valid JWT.')
      }
      const getKey = await resolveKeys()
      let payload: JWTPayload
      try {
        payload = await verifyWithAnyKey(token, getKey, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: options.algorithms,
          clockTolerance: options.clockToleranceSeconds,
          currentDate: new Date(now()),
          requiredClaims: ['exp'],
        })
      } catch (error) {
        if (isKeyFetchFailure(error)) {
          throw new NegotiatorError('caller_verification_unavailable', {
            detail: "The identity provider's signing keys could not be fetched; retry shortly.",
            cause: error,
          })
        }
        const detail = describe(error, expectations)
        if (
          error instanceof errors.JWTClaimValidationFailed &&
          (error.claim === 'iss' || error.claim === 'aud')
        ) {
          // The signature held, so this is most often AUTH_ISSUER or AUTH_AUDIENCE set slightly off.
          options.log?.('caller_token_rejected', { claim: error.claim, detail })
        }
        throw unauthenticated(detail)
      }
      const user = payload[options.userClaim]
      if (typeof user !== 'string' || user === '') {
        throw unauthenticated(`The token has no "${options.userClaim}" claim to identify the user.`)
      }
      // Lone surrogates become U+FFFD on the way upstream, so two users would share one id.
      if (!isWellFormed(user)) {
        throw new NegotiatorError('caller_claims_unusable', {
          detail: `The token's "${options.userClaim}" claim is not well-formed Unicode; it cannot name a user.`,
        })
      }
      return { userId: user, claims: payload as Record<string, unknown> }
    },
  }
}
