// Web PubSub client access tokens: signed by :generateToken, verified at WebSocket connect.
import { randomUUID } from 'node:crypto'
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose'

/** Paths a client token may be issued for; the service checks `aud` against host + path. */
export type ClientType = 'Default' | 'MQTT' | 'SocketIO'

export function clientPathFor(clientType: ClientType, hub: string): string {
  switch (clientType) {
    case 'MQTT':
      return `/clients/mqtt/hubs/${hub}`
    case 'SocketIO':
      return `/clients/socketio/hubs/${hub}`
    default:
      return `/client/hubs/${hub}`
  }
}

export interface ClientTokenClaims {
  userId: string | undefined
  roles: string[]
  groups: string[]
  expiresAtSeconds: number
}

export interface ClientTokenSigner {
  /** `kid` of the access key, shaped like the service's `s-<guid>`. */
  readonly keyId: string
  sign(input: {
    host: string
    hub: string
    clientType: ClientType
    userId?: string
    roles: string[]
    groups: string[]
    minutesToExpire: number
    nowSeconds: number
  }): Promise<string>
  /**
   * Verifies signature, time window and audience. Throws ClientTokenError with a reason that the
   * emulator puts in its 401 body.
   */
  verify(
    token: string,
    expected: { host: string; path: string; nowSeconds: number },
  ): Promise<ClientTokenClaims>
}

export class ClientTokenError extends Error {
  constructor(
    readonly reason: 'malformed' | 'signature' | 'expired' | 'not_yet_valid' | 'audience',
    message: string,
  ) {
    super(message)
    this.name = 'ClientTokenError'
  }
}

/** The issuer observed in tokens the real service signs. */
export const CLIENT_TOKEN_ISSUER = 'https://webpubsub.azure.com'

/** Compares audiences the way the service does: host and path, scheme ignored. */
function audienceMatches(aud: unknown, host: string, path: string): boolean {
  if (typeof aud !== 'string') return false
  try {
    const url = new URL(aud)
    // Normalise both sides through URL so percent-encoding (a backtick in a hub name becomes %60)
    // and default ports compare equal.
    const expected = new URL(path, `https://${host}`)
    return (
      url.host.toLowerCase() === expected.host.toLowerCase() &&
      url.pathname.toLowerCase() === expected.pathname.toLowerCase()
    )
  } catch {
    return false
  }
}

/**
 * The emulator's own signer, also accepting tokens signed with the resource's access key: what
 * the service accepts at connect when local auth is enabled (tokens from `@azure/web-pubsub`'s
 * getClientAccessToken or any app signing HS256 with the key's UTF-8 bytes). The access-key
 * tokens are checked like the emulator's own (signature, `exp`, `aud` host and path).
 */
export function withAccessKey(signer: ClientTokenSigner, accessKey: string): ClientTokenSigner {
  const keyed = createClientTokenSigner(new TextEncoder().encode(accessKey), 'access-key')
  return {
    keyId: signer.keyId,
    sign: (input) => signer.sign(input),
    async verify(token, expected) {
      try {
        return await signer.verify(token, expected)
      } catch (error) {
        // Only a signature by another key may be the access key's; any other failure stands.
        if (!(error instanceof ClientTokenError) || error.reason !== 'signature') throw error
        return keyed.verify(token, expected)
      }
    },
  }
}

export function createClientTokenSigner(
  secret: Uint8Array,
  keyId = `s-${randomUUID()}`,
): ClientTokenSigner {
  return {
    keyId,
    async sign(input) {
      const claims: Record<string, unknown> = {}
      if (input.userId !== undefined) claims.sub = input.userId
      if (input.roles.length > 0) claims.role = input.roles
      if (input.groups.length > 0) claims['webpubsub.group'] = input.groups
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: keyId })
        .setIssuer(CLIENT_TOKEN_ISSUER)
        .setAudience(`https://${input.host}${clientPathFor(input.clientType, input.hub)}`)
        .setIssuedAt(input.nowSeconds)
        .setNotBefore(input.nowSeconds)
        .setExpirationTime(input.nowSeconds + input.minutesToExpire * 60)
        .sign(secret)
    },
    async verify(token, expected) {
      let payload
      try {
        ;({ payload } = await jwtVerify(token, secret, {
          algorithms: ['HS256'],
          currentDate: new Date(expected.nowSeconds * 1000),
        }))
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired)
          throw new ClientTokenError('expired', 'The access token is expired.')
        if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'nbf') {
          throw new ClientTokenError('not_yet_valid', 'The access token is not yet valid.')
        }
        if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
          throw new ClientTokenError('signature', 'The access token signature is invalid.')
        }
        throw new ClientTokenError('malformed', 'The access token is malformed.')
      }
      if (typeof payload.exp !== 'number')
        throw new ClientTokenError('malformed', 'The access token has no exp.')
      if (!audienceMatches(payload.aud, expected.host, expected.path)) {
        throw new ClientTokenError(
          'audience',
          'The access token audience does not match this endpoint and hub.',
        )
      }
      const asList = (value: unknown): string[] =>
        Array.isArray(value)
          ? value.filter((v): v is string => typeof v === 'string')
          : typeof value === 'string'
            ? [value]
            : []
      return {
        userId: typeof payload.sub === 'string' ? payload.sub : undefined,
        roles: asList(payload.role),
        groups: asList(payload['webpubsub.group']),
        expiresAtSeconds: payload.exp,
      }
    },
  }
}
