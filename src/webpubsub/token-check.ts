// Checks a client token from the Auth API before it is handed out: `aud` names host and path.
import { decodeJwt } from 'jose'
import { NegotiatorError } from '../errors'

const unexpected = (detail: string, advice = 'check WEBPUBSUB_ENDPOINT'): NegotiatorError =>
  new NegotiatorError('webpubsub_unexpected_response', {
    detail: `The Auth API returned a token that ${detail}; ${advice}.`,
    upstream: { service: 'webpubsub', status: 200 },
  })

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
  let claims
  try {
    claims = decodeJwt(token)
  } catch {
    throw unexpected('is not a JWT')
  }
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
  const audiences: string[] = typeof claims.aud === 'string' ? [claims.aud] : (claims.aud ?? [])
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
  const issuedAtMs =
    typeof iat === 'number' ? iat * 1000 : typeof nbf === 'number' ? nbf * 1000 : nowMs
  return { issuedAtMs, expiresAtMs: exp * 1000 }
}
