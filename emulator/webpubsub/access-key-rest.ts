// REST calls authenticated with the access key: a bearer JWT signed HS256 with the key, `aud` the URL.
// https://learn.microsoft.com/azure/azure-web-pubsub/reference-rest-api-data-plane
//
// "Authenticate via Azure Web PubSub Service AccessKey": HS256 with the connection string's
// AccessKey, `aud` "the SAME as your HTTP request url", and `exp`; @azure/web-pubsub's
// webPubSubKeyCredentialPolicy signs `request.url` so. The emulator checks it as it checks client
// tokens signed with the key (signature, `exp`, and `aud` host and path, scheme and query
// ignored), so it accepts it only when started with an access key. Such a token carries no role:
// the key grants every data action, as on the service.
import { decodeProtectedHeader } from 'jose'
import { ClientTokenError } from '../client-token'
import type { ResourceState } from '../state'
import { webPubSubError } from './errors'

/**
 * The key's principal, a 401 for an HS256 bearer that does not verify, or undefined when the
 * bearer is not HS256 at all (an Entra token: the role check decides).
 */
export async function authorizeWithAccessKey(
  request: Request,
  state: ResourceState,
): Promise<{ principalId: string } | Response | undefined> {
  const token = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '')?.[1]
  if (token === undefined) return undefined
  let alg: unknown
  try {
    alg = decodeProtectedHeader(token).alg
  } catch {
    return undefined
  }
  if (alg !== 'HS256') return undefined
  const url = new URL(request.url)
  try {
    await state.clientTokenSigner.verify(token, {
      host: request.headers.get('host') ?? url.host,
      path: url.pathname,
      nowSeconds: Math.floor(state.now() / 1000),
    })
  } catch (error) {
    const message = error instanceof ClientTokenError ? error.message : 'The token is invalid.'
    return webPubSubError(401, 'Error.Unauthorized', message, {
      headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    })
  }
  return { principalId: 'access-key' }
}
