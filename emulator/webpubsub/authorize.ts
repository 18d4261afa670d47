// Data-plane authorization: verify the Entra bearer token, then check the principal's role.
// https://learn.microsoft.com/azure/azure-web-pubsub/howto-authorize-from-application
import { errors as joseErrors, jwtVerify } from 'jose'
import { roleGrants, type Role } from '../roles'

export { roleGrants } from '../roles'
import { WEBPUBSUB_AUDIENCE } from '../entra/access-token'
import type { ResourceState } from '../state'
import { webPubSubError } from './errors'

/** Data actions of Web PubSub's RBAC model; the 403 message names the one that was missing. */
export const DATA_ACTIONS = {
  generateToken: 'Microsoft.SignalRService/WebPubSub/clientConnection/generateToken/action',
  closeConnections: 'Microsoft.SignalRService/WebPubSub/clientConnection/write',
  send: 'Microsoft.SignalRService/WebPubSub/hubs/send/action',
} as const

export interface Principal {
  clientId: string
  objectId: string
  tenantId: string
  role: Role
}

export type AuthorizeResult = { ok: true; principal: Principal } | { ok: false; response: Response }

/**
 * Verifies `Authorization: Bearer <Entra token>` against the emulator's own signing key and checks
 * that the principal holds `dataAction`. Returns the principal, or the 401/403 Response to send.
 */
export async function authorizeRequest(
  authorization: string | undefined | null,
  state: ResourceState,
  dataAction: string,
): Promise<AuthorizeResult> {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')
  if (match?.[1] === undefined) return unauthorized('The request has no bearer token.')
  let payload
  try {
    ;({ payload } = await jwtVerify(match[1], state.entraKey.publicKey, {
      algorithms: ['RS256'],
      // Both spellings of the resource are in use as token audience (with and without slash).
      audience: [WEBPUBSUB_AUDIENCE, `${WEBPUBSUB_AUDIENCE}/`],
      currentDate: new Date(state.now()),
      requiredClaims: ['exp'],
    }))
  } catch (error) {
    return unauthorized(describe(error))
  }
  const clientId = typeof payload.appid === 'string' ? payload.appid : payload.azp
  const app = typeof clientId === 'string' ? state.apps.get(clientId) : undefined
  if (app === undefined || app.objectId !== payload.oid) {
    return forbidden(dataAction)
  }
  const role = state.roleOf(app.clientId)
  if (!roleGrants(role, dataAction)) return forbidden(dataAction)
  return {
    ok: true,
    principal: { clientId: app.clientId, objectId: app.objectId, tenantId: state.tenantId, role },
  }
}

function describe(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'The access token is expired.'
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return 'The access token audience is invalid.'
    if (error.claim === 'nbf') return 'The access token is not yet valid.'
    return `The access token claim '${error.claim}' is invalid.`
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed)
    return 'The access token signature is invalid.'
  return 'The access token is malformed.'
}

// Unverified: the exact 401 body of the data plane; Microsoft documents only the status. The
// emulator answers the usual `{ code, message }` shape with a Bearer challenge.
function unauthorized(message: string): AuthorizeResult {
  return {
    ok: false,
    response: webPubSubError(401, 'Error.Unauthorized', message, {
      headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    }),
  }
}

function forbidden(dataAction: string): AuthorizeResult {
  return {
    ok: false,
    response: webPubSubError(
      403,
      'Error.Forbidden',
      `${dataAction} permission is required to access this API. Please check your role assignments.`,
    ),
  }
}
