// The negotiator's one error type: a stable code from a closed union plus safe public detail.

/**
 * Every failure the negotiator can report. Clients and operators switch on these codes, so they
 * are part of the public API: add new ones, never rename or reuse them.
 */
export type ErrorCode =
  // configuration (operator)
  | 'config_invalid'
  // the caller's request
  | 'not_found'
  | 'method_not_allowed'
  | 'parameter_invalid'
  | 'parameter_not_allowed'
  | 'hub_not_allowed'
  | 'group_not_allowed'
  | 'protocol_invalid'
  | 'caller_unauthenticated'
  | 'caller_claims_unusable'
  | 'caller_verification_unavailable'
  | 'caller_revoked'
  | 'rate_limited'
  // Entra ID (client-credentials flow)
  | 'entra_credentials_rejected'
  | 'entra_app_or_tenant_not_found'
  | 'entra_scope_invalid'
  | 'entra_assertion_invalid'
  | 'entra_federation_rejected'
  | 'entra_request_rejected'
  | 'entra_throttled'
  | 'entra_unavailable'
  | 'entra_unexpected_response'
  // Web PubSub Auth API
  | 'webpubsub_unauthorized'
  | 'webpubsub_forbidden'
  | 'webpubsub_request_rejected'
  | 'webpubsub_throttled'
  | 'webpubsub_unavailable'
  | 'webpubsub_unexpected_response'
  // the admin endpoint (ADMIN_TOKEN): revocations
  | 'admin_unauthenticated'
  | 'revocation_unavailable'
  // anything else
  | 'internal_error'

/** What we know about the upstream answer that caused an error; never a secret or a token. */
export interface UpstreamDetail {
  /** `entra` or `webpubsub`. */
  service: 'entra' | 'webpubsub'
  /** HTTP status, absent for network errors and timeouts. */
  status?: number
  /** Entra's `error` or Web PubSub's `code` / `x-ms-error-code`. */
  code?: string
  /** The AADSTS number, e.g. 7000215. */
  aadsts?: number
  traceId?: string
  correlationId?: string
  /** Web PubSub request id (`x-ms-request-id`), when sent. */
  requestId?: string
}

export interface NegotiatorErrorOptions {
  /** Safe for any client to read: says what is wrong and what to do. Never a secret. */
  detail: string
  upstream?: UpstreamDetail
  /** Seconds a client should wait before retrying (becomes `Retry-After`). */
  retryAfterSeconds?: number
  /** Structured extras for the problem body, e.g. the list of configuration problems. */
  extensions?: Record<string, unknown>
  /** Response headers the error requires, e.g. WWW-Authenticate (RFC 6750). */
  headers?: Record<string, string>
  cause?: unknown
}

export class NegotiatorError extends Error {
  readonly code: ErrorCode
  readonly detail: string
  readonly upstream: UpstreamDetail | undefined
  readonly retryAfterSeconds: number | undefined
  readonly extensions: Record<string, unknown> | undefined
  readonly headers: Record<string, string> | undefined

  constructor(code: ErrorCode, options: NegotiatorErrorOptions) {
    super(`${code}: ${options.detail}`, { cause: options.cause })
    this.name = 'NegotiatorError'
    this.code = code
    this.detail = options.detail
    this.upstream = options.upstream
    this.retryAfterSeconds = options.retryAfterSeconds
    this.extensions = options.extensions
    this.headers = options.headers
  }
}

export function isNegotiatorError(value: unknown): value is NegotiatorError {
  return value instanceof NegotiatorError
}

/**
 * The same failure, told again later: same code, detail and upstream, with `Retry-After` set to
 * the time left. Used when the negotiator remembers a failure instead of asking the upstream again.
 */
export function withRetryAfter(error: NegotiatorError, retryAfterSeconds: number): NegotiatorError {
  return new NegotiatorError(error.code, {
    detail: error.detail,
    upstream: error.upstream,
    retryAfterSeconds,
    extensions: error.extensions,
    headers: error.headers,
    cause: error,
  })
}
