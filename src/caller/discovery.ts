// Finds an issuer's JWKS URL by OpenID Connect Discovery, refusing documents that do not vouch for it.
import { NegotiatorError } from '../errors'
import { quoteClaim, trailingSlashFix } from './claim-mismatch'

/** https, or http to a loopback host only (local development, as the AUTH_* URL checks allow). */
export function isSecureUrl(raw: string): boolean {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return false
  }
  if (url.protocol === 'https:') return true
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)
  return url.protocol === 'http:' && loopback
}

const unavailable = (detail: string, cause?: unknown): NegotiatorError =>
  new NegotiatorError('caller_verification_unavailable', { detail, cause })

/**
 * The `jwks_uri` of `{issuer}/.well-known/openid-configuration`. Per OpenID Connect Discovery 1.0
 * §4.3 the document's `issuer` must equal the configured issuer exactly: otherwise whoever serves
 * that URL could name keys for another issuer. Throws caller_verification_unavailable: the caller
 * is not at fault when the identity provider cannot be read.
 */
export async function discoverJwksUrl(issuer: string, fetcher: typeof fetch): Promise<string> {
  const location = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`
  let document: unknown
  try {
    const response = await fetcher(location, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(5_000),
    })
    if (!response.ok) throw new Error(`HTTP ${response.status}`)
    document = await response.json()
  } catch (error) {
    throw unavailable(
      "The identity provider's openid-configuration could not be read; set AUTH_JWKS_URL or retry.",
      error,
    )
  }
  const fields = (typeof document === 'object' && document !== null ? document : {}) as Record<
    string,
    unknown
  >
  if (fields.issuer !== issuer) {
    const named = typeof fields.issuer === 'string' ? fields.issuer : undefined
    const what =
      "The identity provider's openid-configuration names another issuer than AUTH_ISSUER" +
      (named === undefined
        ? ''
        : `, ${quoteClaim(named)}, but AUTH_ISSUER is ${JSON.stringify(issuer)}`)
    const slash =
      named === undefined ? undefined : trailingSlashFix(issuer, named, 'AUTH_ISSUER', 'its issuer')
    throw unavailable(
      slash !== undefined
        ? `${what}: ${slash}`
        : `${what}; set AUTH_ISSUER to its "issuer" value exactly.`,
    )
  }
  if (typeof fields.jwks_uri !== 'string') {
    throw unavailable(
      "The identity provider's openid-configuration has no jwks_uri; set AUTH_JWKS_URL.",
    )
  }
  if (!isSecureUrl(fields.jwks_uri)) {
    throw unavailable(
      "The identity provider's jwks_uri is not an https URL; set AUTH_JWKS_URL to an https one.",
    )
  }
  return fields.jwks_uri
}
