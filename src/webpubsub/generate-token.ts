// The Auth API call: POST {endpoint}/api/hubs/{hub}/:generateToken with an Entra bearer.
// https://learn.microsoft.com/azure/azure-web-pubsub/reference-rest-api-data-plane
import { NegotiatorError, type UpstreamDetail } from '../errors'
import type { Now, Sleep } from '../lib/clock'
import type { RetryOptions } from '../lib/retry'
import { callUpstream } from '../lib/upstream'

export const AUTH_API_VERSION = '2024-12-01'

export interface GenerateTokenRequest {
  endpoint: string
  hub: string
  userId?: string
  roles: readonly string[]
  groups: readonly string[]
  minutesToExpire: number
  clientType?: string
}

export interface GenerateTokenDeps {
  fetch: typeof fetch
  now: Now
  sleep: Sleep
  deadlineMs: number
  accessToken: string
  /** Default 4 (the Azure SDK's); 1 when another resource can be tried instead (failover.ts). */
  maxAttempts?: number
  onRetry?: RetryOptions['onRetry']
}

/** The Auth API URL; repeatable parameters are repeated (`role=a&role=b`), as the SDK sends them. */
export function generateTokenUrl(request: GenerateTokenRequest): string {
  const query = new URLSearchParams({ 'api-version': AUTH_API_VERSION })
  if (request.userId !== undefined) query.append('userId', request.userId)
  for (const role of request.roles) query.append('role', role)
  for (const group of request.groups) query.append('group', group)
  query.append('minutesToExpire', String(request.minutesToExpire))
  if (request.clientType !== undefined) query.append('clientType', request.clientType)
  return `${request.endpoint}/api/hubs/${encodeURIComponent(request.hub)}/:generateToken?${query}`
}

const FORBIDDEN_DETAIL =
  "Web PubSub refused to generate a client token (403): the negotiator's service principal " +
  '(AZURE_CLIENT_ID) lacks Microsoft.SignalRService/WebPubSub/clientConnection/generateToken/action. ' +
  'Assign it the "Web PubSub Service Owner" role on the Web PubSub resource (the "Reader" role is ' +
  'read-only and is not enough). New role assignments can take up to 30 minutes to apply.'

export async function generateClientToken(
  request: GenerateTokenRequest,
  deps: GenerateTokenDeps,
): Promise<string> {
  const url = generateTokenUrl(request)
  const { response, fields, retryAfterSeconds } = await callUpstream(
    () => ({
      url,
      init: {
        method: 'POST',
        headers: { authorization: `Bearer ${deps.accessToken}`, accept: 'application/json' },
      },
    }),
    deps,
    {
      service: 'webpubsub',
      timeout: 'Web PubSub did not answer in time; retry shortly.',
      unreachable: 'Web PubSub could not be reached; check WEBPUBSUB_ENDPOINT or retry shortly.',
    },
  )
  if (response.ok) {
    if (typeof fields.token === 'string' && fields.token !== '') return fields.token
    throw new NegotiatorError('webpubsub_unexpected_response', {
      detail:
        'The Auth API answered without a token; check WEBPUBSUB_ENDPOINT points at Web PubSub.',
      upstream: { service: 'webpubsub', status: response.status, requestId: requestIdOf(response) },
    })
  }
  throw authApiError(response, fields, retryAfterSeconds)
}

function requestIdOf(response: Response): string | undefined {
  return response.headers.get('x-ms-request-id') ?? undefined
}

function authApiError(
  response: Response,
  fields: Record<string, unknown>,
  retryAfterSeconds: number | undefined,
): NegotiatorError {
  const status = response.status
  const upstream: UpstreamDetail = {
    service: 'webpubsub',
    status,
    code:
      response.headers.get('x-ms-error-code') ??
      (typeof fields.code === 'string' ? fields.code : undefined),
    requestId: requestIdOf(response),
  }
  switch (true) {
    case status === 401:
      return new NegotiatorError('webpubsub_unauthorized', {
        detail:
          'Web PubSub rejected the Entra token (401). Check that WEBPUBSUB_SCOPE matches the cloud of ' +
          'WEBPUBSUB_ENDPOINT (https://webpubsub.azure.com/.default for public Azure) and that the app ' +
          "registration lives in the resource's tenant.",
        upstream,
      })
    case status === 403:
      return new NegotiatorError('webpubsub_forbidden', { detail: FORBIDDEN_DETAIL, upstream })
    case status === 404:
      return new NegotiatorError('webpubsub_request_rejected', {
        detail:
          'The Auth API was not found (404); check WEBPUBSUB_ENDPOINT names a Web PubSub resource.',
        upstream,
      })
    case status === 429:
      return new NegotiatorError('webpubsub_throttled', {
        detail: 'Web PubSub is throttling token requests; retry after the indicated time.',
        upstream,
        retryAfterSeconds,
      })
    case status >= 500 || status === 408:
      return new NegotiatorError('webpubsub_unavailable', {
        detail: `Web PubSub answered ${status}; retry shortly.`,
        upstream,
        retryAfterSeconds,
      })
    default:
      return new NegotiatorError('webpubsub_request_rejected', {
        detail: `Web PubSub rejected the token request (${status}${upstream.code === undefined ? '' : ` ${upstream.code}`}).`,
        upstream,
      })
  }
}
