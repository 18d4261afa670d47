// User tokens from the emulator's OpenID Connect issuer (`<emulator>/oidc`), for jwt-mode route tests.
// inject(), not emulatorUrl() from ./emulator: that module re-exports this one (no import cycle).
import { inject } from 'vitest'

/** The body of `POST /oidc/dev/token` (emulator/README.md); unknown fields are refused there. */
export interface UserTokenRequest {
  sub: string
  audience?: string
  claims?: Record<string, unknown>
  /** Seconds from now; negative for a token that has already expired. Default 3600. */
  expiresInSeconds?: number
  notBeforeSeconds?: number
  alg?: 'RS256' | 'ES256'
  /** Overrides `iss`, to mint a token from the wrong issuer. */
  issuer?: string
  /** Overrides the header `kid`, to mint a token whose key the JWKS does not have. */
  kid?: string
}

/** The emulator's issuer: what AUTH_ISSUER names to accept the tokens minted here. */
export const userTokenIssuer = (): string => `${inject('emulatorUrl')}/oidc`

/** A user token signed by the emulator's issuer through its development endpoint. */
export async function mintUserToken(request: UserTokenRequest): Promise<string> {
  const response = await fetch(`${userTokenIssuer()}/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  })
  if (!response.ok) throw new Error(`dev token: ${response.status} ${await response.text()}`)
  return ((await response.json()) as { token: string }).token
}
