// Checks a client token from the Auth API before it is handed out: `aud` names host and path.
import { NegotiatorError } from '../errors'

const unexpected = (detail: string, advice = 'check WEBPUBSUB_ENDPOINT'): NegotiatorError =>
  new NegotiatorError('webpubsub_unexpected_response', {
    detail: `The Auth API returned a token that ${detail}; ${advice}.`,
    upstream: { service: 'webpubsub', status: 200 },
  })

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })
// eslint-disable-next-line no-control-regex
const ASCII = /^[\u0000-\u007f]*$/

/**
 * The claims of a compact JWS, unverified (the service signed the token for its own clients; the
 * negotiator only reads when it expires and whom it is for), or undefined when it is not one.
 * What jose's decodeJwt returns, read without a byte array: the service's claims are ASCII, and an
 * ASCII payload is its own JSON text. Anything else takes the strict UTF-8 path.
 */
export function readClaims(token: string): JWTClaims | undefined {
  const parts = token.split('.')
  const payload = parts[1]
  if (parts.length !== 3 || payload === undefined || payload === '') return undefined
  if (payload.includes('+') || payload.includes('/')) return undefined
  let claims: unknown
  try {
    const binary = atob(payload.replace(/-/g, '+').replace(/_/g, '/'))
    const json = ASCII.test(binary)
      ? binary
      : UTF8.decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)))
    claims = JSON.parse(json)
  } catch {
    return undefined
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return undefined
  return claims as JWTClaims
}

/** The registered claims this module reads; anything else the token holds is kept as is. */
export interface JWTClaims {
  exp?: unknown
  nbf?: unknown
  iat?: unknown
  aud?: unknown
  [claim: string]: unknown
}

/** Beyond this a Date cannot hold the time (ECMAScript: ±8.64e15 ms around the epoch). */
const MAX_DATE_MS = 8.64e15

/**
 * Returns the token's life: `exp`, and `iat` (else `nbf`, else the time it was received) as its
 * start, from which reuse and the refresh time are measured. The service checks `exp` and checks `aud` against host and path at
 * connect (scheme ignored): a token that fails either would be refused, so it is caught here
 * before clients try. An expired token (RFC 7519 §4.1.4: `exp` is the time on or after which it
 * must not be accepted) would also send clients straight back to negotiate. `nbf` and `iat`,
 * when present, must not come after `exp`. No leeway for clock skew is added: the service, not
 * the negotiator, decides at connect.
 * Unverified: the exact `aud` path for MQTT and Socket.IO tokens, so any of the three client paths
 * is accepted as long as host and hub match.
 */
export function checkClientToken(
  token: string,
  endpoint: string,
  hub: string,
  nowMs: number,
): { issuedAtMs: number; expiresAtMs: number } {
  const claims = readClaims(token)
  if (claims === undefined) throw unexpected('is not a JWT')
  const { exp, nbf, iat } = claims
  if (typeof exp !== 'number') throw unexpected('has no exp claim')
  if (!(exp * 1000 <= MAX_DATE_MS)) throw unexpected('has an exp claim that is not a time')
  if (exp * 1000 <= nowMs) throw unexpected('has already expired', 'retry shortly')
  if (nbf !== undefined && !(typeof nbf === 'number' && nbf <= exp)) {
    throw unexpected('is not valid before it expires (nbf after exp)', 'retry shortly')
  }
  if (iat !== undefined && !(typeof iat === 'number' && iat <= exp)) {
    throw unexpected('was issued after it expires (iat after exp)', 'retry shortly')
  }
  const { aud } = claims
  const audiences: string[] =
    typeof aud === 'string'
      ? [aud]
      : Array.isArray(aud)
        ? aud.filter((item): item is string => typeof item === 'string')
        : []
  // The service's own form, `{scheme}://{host}/client/hubs/{hub}`, is recognised without parsing
  // a URL; anything else is parsed and compared part by part.
  const usual = withoutScheme(`${endpoint}/client/hubs/${hub}`)
  if (!audiences.some((aud) => withoutScheme(aud) === usual))
    checkAudience(audiences, endpoint, hub)
  const issuedAtMs =
    typeof iat === 'number' ? iat * 1000 : typeof nbf === 'number' ? nbf * 1000 : nowMs
  return { issuedAtMs, expiresAtMs: exp * 1000 }
}

const withoutScheme = (url: string): string => url.slice(url.indexOf('://') + 3).toLowerCase()

/** Any scheme, any of the three client paths, percent-encoding and case aside. */
function checkAudience(audiences: readonly string[], endpoint: string, hub: string): void {
  const expectedHost = new URL(endpoint).host.toLowerCase()
  const paths = [
    `/client/hubs/${hub}`,
    `/clients/mqtt/hubs/${hub}`,
    `/clients/socketio/hubs/${hub}`,
  ].map((path) => path.toLowerCase())
  const matches = audiences.some((aud) => {
    try {
      const url = new URL(aud)
      return (
        url.host.toLowerCase() === expectedHost &&
        paths.includes(decodeURIComponent(url.pathname).toLowerCase())
      )
    } catch {
      return false
    }
  })
  if (!matches)
    throw unexpected(
      `is for another endpoint or hub (aud does not name ${expectedHost} and hub ${hub})`,
    )
}
