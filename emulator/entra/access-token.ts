// App-only Entra access tokens for Web PubSub: v1.0 JWTs signed with the emulator's RSA key.
import { randomBytes } from 'node:crypto'
import { SignJWT } from 'jose'
import type { EmulatorState, RegisteredApp } from '../state'

/** The resource of the Web PubSub scope: the `aud` of the tokens, without a trailing slash. */
export const WEBPUBSUB_AUDIENCE = 'https://webpubsub.azure.com'
export const WEBPUBSUB_SCOPE = 'https://webpubsub.azure.com/.default'

export function entraIssuer(tenantId: string): string {
  return `https://sts.windows.net/${tenantId}/`
}

export interface IssueOptions {
  nowSeconds: number
  lifetimeSeconds: number
  /** How the app authenticated: `appidacr` 1 = secret, 2 = certificate. */
  credential: 'secret' | 'certificate'
}

export function issueAccessToken(
  state: EmulatorState,
  app: RegisteredApp,
  options: IssueOptions,
): Promise<string> {
  const { nowSeconds, lifetimeSeconds } = options
  const acr = options.credential === 'certificate' ? '2' : '1'
  // Unverified detail: real tokens backdate iat/nbf by a few minutes; here they are "now" so
  // that expiry tests need no skew arithmetic.
  return new SignJWT({
    tid: state.tenantId,
    oid: app.objectId,
    sub: app.objectId,
    appid: app.clientId,
    appidacr: acr,
    azp: app.clientId,
    azpacr: acr,
    idp: entraIssuer(state.tenantId),
    idtyp: 'app',
    uti: randomBytes(16).toString('base64url'),
    ver: '1.0',
  })
    .setProtectedHeader({
      alg: 'RS256',
      typ: 'JWT',
      kid: state.entraKey.kid,
      x5t: state.entraKey.kid,
    })
    .setAudience(WEBPUBSUB_AUDIENCE)
    .setIssuer(entraIssuer(state.tenantId))
    .setIssuedAt(nowSeconds)
    .setNotBefore(nowSeconds)
    .setExpirationTime(nowSeconds + lifetimeSeconds)
    .sign(state.entraKey.privateKey)
}
