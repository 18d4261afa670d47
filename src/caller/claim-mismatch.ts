// Messages for a well-signed token, or an OpenID configuration, that names another issuer or audience than configured: both values, and the fix.
import type { JWTPayload } from 'jose'

/** At most this many characters of a claim are quoted in a message. */
const MAX_QUOTED_CHARS = 100

/**
 * A claim of a token that failed verification, quoted for a problem detail or a log line: it is
 * whatever the token's author wrote, so it is cut to MAX_QUOTED_CHARS code points, and control,
 * format (bidi overrides), separator and lone surrogate characters become `?`.
 */
export function quoteClaim(value: string): string {
  const chars = Array.from(value)
  const kept = chars.slice(0, MAX_QUOTED_CHARS).join('')
  const clean = kept.replace(/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu, '?')
  return JSON.stringify(chars.length > MAX_QUOTED_CHARS ? `${clean}…` : clean)
}

/** An Entra ID v1.0 access token's issuer; v2.0 tokens name login.microsoftonline.com/{tenant}/v2.0. */
const ENTRA_V1_ISSUER = /^https:\/\/sts\.windows\.net\/[^/]+\/$/

/** Which issuer was expected and which one came, and the fix when it is a known slip. */
export function issuerMismatch(expected: string, variable: string, payload: JWTPayload): string {
  const iss: unknown = payload.iss
  const setting = `${variable} is ${JSON.stringify(expected)}`
  if (iss === undefined) return `The token has no "iss" claim; ${setting}.`
  if (typeof iss !== 'string') return `The token's "iss" claim is not a string; ${setting}.`
  const what = `The token was issued by another issuer, ${quoteClaim(iss)}, but ${setting}`
  const slash = trailingSlashFix(expected, iss, variable, "the token's iss")
  if (slash !== undefined) return `${what}: ${slash}`
  if (ENTRA_V1_ISSUER.test(iss)) {
    return (
      `${what}: it is an Entra ID v1.0 access token; have Entra issue v2.0 tokens for your API ` +
      '(api.requestedAccessTokenVersion = 2 on its app registration).'
    )
  }
  return `${what}; the two must be equal, character for character.`
}

/** Which audience was expected and which came; at most three of a list are quoted. */
export function audienceMismatch(expected: string, variable: string, payload: JWTPayload): string {
  const aud: unknown = payload.aud
  const setting = `${variable} is ${JSON.stringify(expected)}`
  if (aud === undefined) return `The token has no "aud" claim; ${setting}.`
  const list: unknown[] = Array.isArray(aud) ? aud : [aud]
  if (list.length === 0 || !list.every((item) => typeof item === 'string'))
    return `The token's "aud" claim is not a string or a list of strings; ${setting}.`
  const strings = list as string[]
  const quoted = strings.slice(0, 3).map(quoteClaim).join(', ') + (strings.length > 3 ? ', …' : '')
  const what = `The token is meant for another audience, ${quoted}, but ${setting}`
  // Entra v2.0 access tokens carry the API's application (client) id, not its Application ID URI.
  if (strings.length === 1 && expected === `api://${strings[0]}`)
    return `${what}: Entra v2.0 access tokens name the API's application id; set ${variable} to ${quoted}.`
  return `${what}.`
}

/** The fix when two issuers differ only by a trailing slash; undefined otherwise. */
export function trailingSlashFix(
  expected: string,
  actual: string,
  variable: string,
  actualName: string,
): string | undefined {
  if (expected === `${actual}/`) {
    return `${variable} ends with '/' but ${actualName} does not; remove the trailing slash from ${variable}.`
  }
  if (actual === `${expected}/`) {
    return `${actualName} ends with '/' but ${variable} does not; add the trailing slash to ${variable}.`
  }
  return undefined
}
