// The one place where errors become HTTP answers: application/problem+json (RFC 9457).
import { NegotiatorError, type ErrorCode } from '../errors'
import { clampRetryAfterSeconds } from '../lib/retry-after'

interface ProblemShape {
  status: number
  title: string
}

/** Exhaustive: a new ErrorCode does not compile until it has a status and a title here. */
export function problemShape(code: ErrorCode): ProblemShape {
  switch (code) {
    case 'config_invalid':
      return { status: 500, title: 'The negotiator is misconfigured' }
    case 'not_found':
      return { status: 404, title: 'Not found' }
    case 'method_not_allowed':
      return { status: 405, title: 'Method not allowed' }
    case 'parameter_invalid':
      return { status: 400, title: 'Invalid parameter' }
    case 'parameter_not_allowed':
      return { status: 400, title: 'Parameter not allowed' }
    case 'hub_not_allowed':
      return { status: 400, title: 'Hub not allowed' }
    case 'group_not_allowed':
      return { status: 403, title: 'Group not allowed' }
    case 'caller_verification_unavailable':
      return { status: 503, title: "The caller's identity cannot be verified right now" }
    case 'caller_claims_unusable':
      return { status: 403, title: "The caller's identity cannot be mapped by the policy" }
    case 'protocol_invalid':
      return { status: 400, title: 'Unknown client protocol' }
    case 'caller_unauthenticated':
      return { status: 401, title: 'Caller not authenticated' }
    case 'caller_revoked':
      return { status: 403, title: "The caller's access has been revoked" }
    case 'rate_limited':
      return { status: 429, title: 'Too many requests' }
    // Upstream rejections of our own credentials or setup: the gateway got a bad answer (502).
    case 'entra_credentials_rejected':
      return { status: 502, title: "Entra ID rejected the negotiator's credentials" }
    case 'entra_app_or_tenant_not_found':
      return { status: 502, title: 'Entra ID does not know the app or tenant' }
    case 'entra_scope_invalid':
      return { status: 502, title: 'Entra ID rejected the scope' }
    case 'entra_assertion_invalid':
      return { status: 502, title: 'Entra ID rejected the certificate assertion' }
    case 'entra_federation_rejected':
      return { status: 502, title: 'Entra ID rejected the federated credential' }
    case 'entra_request_rejected':
      return { status: 502, title: 'Entra ID rejected the token request' }
    case 'entra_unexpected_response':
      return { status: 502, title: 'Unexpected answer from Entra ID' }
    case 'entra_throttled':
      return { status: 503, title: 'Entra ID is throttling' }
    case 'entra_unavailable':
      return { status: 503, title: 'Entra ID is unavailable' }
    case 'webpubsub_unauthorized':
      return { status: 502, title: 'Web PubSub rejected the Entra token' }
    case 'webpubsub_forbidden':
      return { status: 502, title: 'The negotiator lacks the Web PubSub Service Owner role' }
    case 'webpubsub_request_rejected':
      return { status: 502, title: 'Web PubSub rejected the token request' }
    case 'webpubsub_unexpected_response':
      return { status: 502, title: 'Unexpected answer from Web PubSub' }
    case 'webpubsub_throttled':
      return { status: 503, title: 'Web PubSub is throttling' }
    case 'webpubsub_unavailable':
      return { status: 503, title: 'Web PubSub is unavailable' }
    case 'admin_unauthenticated':
      return { status: 401, title: 'Admin credential missing or wrong' }
    case 'revocation_unavailable':
      return { status: 503, title: 'Revocations cannot be read or written' }
    case 'internal_error':
      return { status: 500, title: 'Internal error' }
  }
}

/** Anything thrown becomes a NegotiatorError; unknown errors never leak their message or stack. */
export function toNegotiatorError(error: unknown): NegotiatorError {
  if (error instanceof NegotiatorError) return error
  return new NegotiatorError('internal_error', {
    detail: 'The negotiator failed unexpectedly; the request id identifies the log line.',
    cause: error,
  })
}

export interface ProblemResponseOptions {
  /** Overrides the code's usual status, e.g. /readyz answers 503 whatever the cause. */
  status?: number
  headers?: HeadersInit
}

export function problemResponse(
  error: NegotiatorError,
  requestId: string | undefined,
  options: ProblemResponseOptions = {},
): Response {
  const shape = problemShape(error.code)
  const title = shape.title
  const status = options.status ?? shape.status
  const body: Record<string, unknown> = {
    type: `urn:webpubsub-edge-negotiator:error:${error.code}`,
    title,
    status,
    detail: error.detail,
    code: error.code,
    ...error.extensions,
  }
  if (requestId !== undefined) body.requestId = requestId
  if (error.upstream !== undefined) body.upstream = error.upstream
  // Whatever an error carries, clients only ever see a non-negative integer of at most an hour
  // (RFC 9110 §10.2.3 allows nothing else in Retry-After).
  const retryAfterSeconds = clampRetryAfterSeconds(error.retryAfterSeconds)
  delete body.retryAfterSeconds
  if (retryAfterSeconds !== undefined) body.retryAfterSeconds = retryAfterSeconds
  const responseHeaders = new Headers(options.headers)
  for (const [name, value] of Object.entries(error.headers ?? {})) responseHeaders.set(name, value)
  responseHeaders.set('content-type', 'application/problem+json')
  responseHeaders.set('cache-control', 'no-store')
  responseHeaders.delete('retry-after')
  if (retryAfterSeconds !== undefined) responseHeaders.set('retry-after', String(retryAfterSeconds))
  return new Response(JSON.stringify(body), { status, headers: responseHeaders })
}
