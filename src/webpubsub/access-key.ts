// Client tokens signed here with the resource's access key (WEBPUBSUB_CONNECTION_STRING): no Entra
// token and no Auth API call, the claims and header of @azure/web-pubsub's getClientAccessToken.
//
// The SDK signs with jsonwebtoken: HS256 over the AccessKey string's UTF-8 bytes, header
// `{ alg: 'HS256', typ: 'JWT' }`, claims `role` and `webpubsub.group` as given (so an empty list
// is an empty array, not absent), `sub` only when there is a userId, `aud` = the https endpoint
// (with its port) + '/' + the client path, `iat` = now in whole seconds, `exp` = iat + the
// lifetime. No `nbf` and no `iss`: the service checks the signature, `exp` and `aud` at connect.
// The same key signs the bearer of a data-plane REST call (revocation's `:closeConnections`).
import { SignJWT } from 'jose'
import type { ClientToken } from '../cache/client-token-cache'
import { clientPathFor, type ClientGrant } from './client-url'

export interface AccessKeySigner {
  sign(request: ClientGrant, nowMs: number): Promise<ClientToken>
  /**
   * A bearer for one data-plane REST call (`:closeConnections`): HS256 with the same key, no
   * claims but `aud` = the request URL as sent (query included) and a short life. Microsoft's
   * data-plane REST reference: "aud … should be the SAME as your HTTP request url"; the SDK's
   * webPubSubKeyCredentialPolicy signs `request.url` the same way (with a 1 h `exp`).
   */
  signRestToken(url: string, nowMs: number): Promise<string>
}

/** A REST bearer is used at once: five minutes leave room for clock skew, not for replay. */
export const REST_TOKEN_LIFETIME_SECONDS = 300

export function createAccessKeySigner(accessKey: string): AccessKeySigner {
  const bytes = new TextEncoder().encode(accessKey)
  // Imported once per isolate, not by jose on every signature. A value, not a shared promise:
  // each request that finds it missing imports its own (import is local; nothing waits on I/O).
  let imported: CryptoKey | undefined
  const hmacKey = async (): Promise<CryptoKey> =>
    (imported ??= await crypto.subtle.importKey(
      'raw',
      bytes,
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    ))
  return {
    async sign(request, nowMs) {
      const issuedAt = Math.floor(nowMs / 1000)
      const expiresAt = issuedAt + request.minutesToExpire * 60
      const claims: Record<string, unknown> = {
        role: [...request.roles],
        'webpubsub.group': [...request.groups],
      }
      if (request.userId !== undefined && request.userId !== '') claims.sub = request.userId
      const token = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setAudience(`${request.endpoint}/${clientPathFor(request.protocol, request.hub)}`)
        .setIssuedAt(issuedAt)
        .setExpirationTime(expiresAt)
        .sign(await hmacKey())
      return { token, issuedAtMs: issuedAt * 1000, expiresAtMs: expiresAt * 1000 }
    },
    async signRestToken(url, nowMs) {
      const issuedAt = Math.floor(nowMs / 1000)
      return new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setAudience(url)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + REST_TOKEN_LIFETIME_SECONDS)
        .sign(await hmacKey())
    },
  }
}
