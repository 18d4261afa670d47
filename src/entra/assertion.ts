// Signs the client assertion JWT that proves possession of the app's certificate
// (https://learn.microsoft.com/entra/identity-platform/certificate-credentials).
import { SignJWT } from 'jose'

export interface ClientAssertionOptions {
  clientId: string
  /** The token endpoint URL: Entra checks `aud` against it. */
  tokenEndpoint: string
  privateKey: CryptoKey
  x5tS256: string
  nowMs: number
}

/** Entra accepts assertions valid for at most 10 minutes; 5 leaves room for clock skew. */
const ASSERTION_LIFETIME_SECONDS = 300

export function createClientAssertion(options: ClientAssertionOptions): Promise<string> {
  const nowSeconds = Math.floor(options.nowMs / 1000)
  return new SignJWT({})
    .setProtectedHeader({ alg: 'PS256', typ: 'JWT', 'x5t#S256': options.x5tS256 })
    .setIssuer(options.clientId)
    .setSubject(options.clientId)
    .setAudience(options.tokenEndpoint)
    .setJti(crypto.randomUUID())
    .setIssuedAt(nowSeconds)
    .setNotBefore(nowSeconds)
    .setExpirationTime(nowSeconds + ASSERTION_LIFETIME_SECONDS)
    .sign(options.privateKey)
}
