// Development user tokens: parses a `/oidc/dev/token` request and signs the JWT a real IdP would issue.
import { randomUUID } from 'node:crypto'
import { SignJWT, type JWTPayload } from 'jose'
import { OIDC_ALGORITHMS, type OidcAlgorithm, type OidcKeyring } from './keys'

/** The audience of dev tokens when the request names none; the negotiator's demo AUTH_AUDIENCE. */
export const DEFAULT_AUDIENCE = 'webpubsub-negotiator'
export const DEFAULT_EXPIRES_IN_SECONDS = 3600

/** Ten years: larger offsets are mistakes, and beyond year 275760 a Date cannot even be printed. */
const MAX_OFFSET_SECONDS = 10 * 365 * 24 * 3600

/** Set from their own fields, so that `claims` cannot contradict them. */
const REGISTERED_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat']

const FIELDS = [
  'sub',
  'audience',
  'claims',
  'expiresInSeconds',
  'notBeforeSeconds',
  'alg',
  'issuer',
  'kid',
]

export interface DevTokenRequest {
  sub: string
  audience: string | string[]
  claims: Record<string, unknown>
  expiresInSeconds: number
  notBeforeSeconds: number
  alg: OidcAlgorithm
  /** Overrides `iss`, to mint a token from the wrong issuer. */
  issuer?: string
  /** Overrides the header `kid`, to mint a token whose key the JWKS does not have. */
  kid?: string
}

export interface DevToken {
  token: string
  /** ISO 8601, from `exp`. */
  expiresAt: string
}

/** The request, or a message saying what is wrong with the body. */
export function parseDevTokenRequest(body: unknown): DevTokenRequest | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return 'the body must be a JSON object'
  const input = body as Record<string, unknown>
  // Unknown fields are refused rather than ignored: a misspelt `expiresIn` would otherwise
  // silently mint a token that is valid for an hour.
  const unknown = Object.keys(input).filter((name) => !FIELDS.includes(name))
  if (unknown.length > 0)
    return `unknown fields: ${unknown.join(', ')}; known: ${FIELDS.join(', ')}`

  const { sub, audience, claims, alg, issuer, kid } = input
  if (!isNonEmptyString(sub)) return 'sub must be a non-empty string'
  if (
    audience !== undefined &&
    !isNonEmptyString(audience) &&
    !(Array.isArray(audience) && audience.length > 0 && audience.every(isNonEmptyString))
  )
    return 'audience must be a non-empty string or a non-empty array of them'
  if (
    claims !== undefined &&
    (typeof claims !== 'object' || claims === null || Array.isArray(claims))
  )
    return 'claims must be a JSON object'
  const reserved = Object.keys(claims ?? {}).filter((name) => REGISTERED_CLAIMS.includes(name))
  if (reserved.length > 0)
    return `claims may not set ${reserved.join(', ')}: use sub, audience, issuer, expiresInSeconds, notBeforeSeconds`
  const expiresInSeconds = offset(input.expiresInSeconds, DEFAULT_EXPIRES_IN_SECONDS)
  if (expiresInSeconds === undefined)
    return `expiresInSeconds must be an integer within ±${MAX_OFFSET_SECONDS}`
  const notBeforeSeconds = offset(input.notBeforeSeconds, 0)
  if (notBeforeSeconds === undefined)
    return `notBeforeSeconds must be an integer within ±${MAX_OFFSET_SECONDS}`
  if (alg !== undefined && !OIDC_ALGORITHMS.includes(alg as OidcAlgorithm))
    return `alg must be one of ${OIDC_ALGORITHMS.join(', ')}`
  if (issuer !== undefined && !isNonEmptyString(issuer)) return 'issuer must be a non-empty string'
  if (kid !== undefined && !isNonEmptyString(kid)) return 'kid must be a non-empty string'

  return {
    sub,
    audience: (audience as string | string[] | undefined) ?? DEFAULT_AUDIENCE,
    claims: (claims as Record<string, unknown> | undefined) ?? {},
    expiresInSeconds,
    notBeforeSeconds,
    alg: (alg as OidcAlgorithm | undefined) ?? 'RS256',
    issuer,
    kid,
  }
}

/** Signs with the keyring's current key for `request.alg`; times are relative to `nowMs`. */
export async function signDevToken(
  keyring: OidcKeyring,
  issuer: string,
  request: DevTokenRequest,
  nowMs: number,
): Promise<DevToken> {
  const key = keyring.key(request.alg)
  const now = Math.floor(nowMs / 1000)
  const exp = now + request.expiresInSeconds
  const payload: JWTPayload = { jti: randomUUID(), ...request.claims }
  const token = await new SignJWT(payload)
    .setProtectedHeader({ alg: request.alg, typ: 'JWT', kid: request.kid ?? key.kid })
    .setIssuer(request.issuer ?? issuer)
    .setSubject(request.sub)
    .setAudience(request.audience)
    .setIssuedAt(now)
    .setNotBefore(now + request.notBeforeSeconds)
    .setExpirationTime(exp)
    .sign(key.privateKey)
  return { token, expiresAt: new Date(exp * 1000).toISOString() }
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== ''
}

function offset(value: unknown, fallback: number): number | undefined {
  if (value === undefined) return fallback
  return Number.isSafeInteger(value) && Math.abs(value as number) <= MAX_OFFSET_SECONDS
    ? (value as number)
    : undefined
}
