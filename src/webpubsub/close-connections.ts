// Closes a user's live connections on one resource and hub: POST …/users/{userId}/:closeConnections.
// https://learn.microsoft.com/azure/azure-web-pubsub/reference-rest-api-data-plane
//
// A client token is checked only when a client connects, so revoking a user does nothing to the
// connections already open: the service has to close them. The call needs the data action
// Microsoft.SignalRService/WebPubSub/clientConnection/write, which the "Web PubSub Service Owner"
// role holds and the negotiator's least-privilege role (deploy/roles/webpubsub-negotiator.json)
// does not: deploy/roles/webpubsub-negotiator-revocation.json adds it.
import { NegotiatorError } from '../errors'
import type { Now, Sleep } from '../lib/clock'
import { callUpstream } from '../lib/upstream'
import { AUTH_API_VERSION } from './generate-token'

/** What a closed client is told (the `reason` query parameter, passed on in its close message). */
export const CLOSE_REASON = 'Access revoked by the operator.'

/**
 * The REST URL. The user id is one path segment, percent-encoded; Microsoft documents that a `/`
 * in it may fail to address the user even as %2F (data-plane REST reference, "Group names and
 * user IDs in request paths").
 */
export function closeConnectionsUrl(
  endpoint: string,
  hub: string,
  userId: string,
  reason?: string,
): string {
  const query = new URLSearchParams({ 'api-version': AUTH_API_VERSION })
  if (reason !== undefined) query.append('reason', reason)
  return (
    `${endpoint}/api/hubs/${encodeURIComponent(hub)}/users/${encodeURIComponent(userId)}` +
    `/:closeConnections?${query}`
  )
}

/** The Authorization header for one attempt on `url`: an Entra bearer, or one signed with the key. */
export type RestAuthorization = (url: string) => Promise<string>

export type CloseOutcome =
  | { outcome: 'closed' }
  /** 403: the principal lacks clientConnection/write; `detail` names the roles that grant it. */
  | { outcome: 'forbidden'; status: 403; detail: string }
  /**
   * Anything else: `status` and Web PubSub's `upstreamCode` when it answered; the negotiator's own
   * `code` when it did not, or when no credential could be had (an Entra failure).
   */
  | { outcome: 'failed'; status?: number; upstreamCode?: string; code?: string; detail: string }

export interface CloseConnectionsDeps {
  fetch: typeof fetch
  now: Now
  sleep: Sleep
  deadlineMs: number
  authorization: RestAuthorization
}

export const FORBIDDEN_CLOSE_DETAIL =
  'Web PubSub refused to close the connections (403): the negotiator lacks ' +
  'Microsoft.SignalRService/WebPubSub/clientConnection/write. Assign it the "Web PubSub Service ' +
  'Owner" role, or the custom role deploy/roles/webpubsub-negotiator-revocation.json ' +
  '(deploy/assign-role.sh <group> <name> <app-id> --revocation), on this resource; a new ' +
  'assignment can take up to 30 minutes to apply. New negotiations are refused meanwhile.'

const UNAUTHORIZED_CLOSE_DETAIL =
  'Web PubSub rejected the credential (401): with Entra, check WEBPUBSUB_SCOPE and the tenant; ' +
  'with an access key, check the key is current and local auth is enabled on the resource.'

export async function closeUserConnections(
  target: { endpoint: string; hub: string; userId: string },
  deps: CloseConnectionsDeps,
): Promise<CloseOutcome> {
  const url = closeConnectionsUrl(target.endpoint, target.hub, target.userId, CLOSE_REASON)
  let answer
  try {
    answer = await callUpstream(
      async () => ({
        url,
        init: { method: 'POST', headers: { authorization: await deps.authorization(url) } },
      }),
      deps,
      {
        service: 'webpubsub',
        timeout: 'Web PubSub did not answer in time; run the revocation again to retry.',
        unreachable: 'Web PubSub could not be reached; run the revocation again to retry.',
      },
    )
  } catch (error) {
    if (!(error instanceof NegotiatorError)) throw error
    // No answer, or no credential (an Entra failure): its code and advice say which.
    return { outcome: 'failed', code: error.code, detail: error.detail }
  }
  const { response, fields } = answer
  if (response.ok) return { outcome: 'closed' }
  const status = response.status
  if (status === 403) return { outcome: 'forbidden', status, detail: FORBIDDEN_CLOSE_DETAIL }
  const upstreamCode =
    response.headers.get('x-ms-error-code') ??
    (typeof fields.code === 'string' ? fields.code : undefined)
  const detail =
    status === 401
      ? UNAUTHORIZED_CLOSE_DETAIL
      : `Web PubSub answered ${status}${upstreamCode === undefined ? '' : ` (${upstreamCode})`}; ` +
        'run the revocation again to retry.'
  return { outcome: 'failed', status, ...(upstreamCode && { upstreamCode }), detail }
}
