// Checks a client token from the Auth API before it is handed out (SPEC §4: aud names host and path).
import { decodeJwt } from 'jose'
import { NegotiatorError } from '../errors'

const unexpected = (detail: string): NegotiatorError =>
  new NegotiatorError('webpubsub_unexpected_response', {
    detail: `The Auth API returned a token that ${detail}; check WEBPUBSUB_ENDPOINT.`,
    upstream: { service: 'webpubsub', status: 200 },
  })

/**
 * Returns the token's expiry. The service checks `aud` against host and path at connect, scheme
 * ignored; a mismatch here means clients would be refused, so it is caught before they try.
 * Unverified: the exact `aud` path for MQTT and Socket.IO tokens, so any of the three client paths
 * is accepted as long as host and hub match.
 */
export function checkClientToken(
  token: string,
  endpoint: string,
  hub: string,
): { expiresAtMs: number } {
  let claims
  try {
    claims = decodeJwt(token)
  } catch {
    throw unexpected('is not a JWT')
  }
  if (typeof claims.exp !== 'number') throw unexpected('has no exp claim')
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
  return { expiresAtMs: claims.exp * 1000 }
}
