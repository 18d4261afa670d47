// The one error the helper throws: the negotiator's problem, or a client-side failure to get one.
import type { NegotiatorErrorCode, NegotiatorProblem } from './types.js'

/**
 * Failures found on the client's side, never sent by the negotiator (none of its codes look alike):
 * - `network_error`: the request failed: offline, DNS, TLS, or refused by CORS;
 * - `timeout`: no complete answer within `timeoutMs`;
 * - `unexpected_response`: an answer that is neither a grant nor a problem, e.g. an HTML 502 from a
 *   proxy, or a 200 without a usable `url`.
 */
export type ClientErrorCode = 'network_error' | 'timeout' | 'unexpected_response'

export type NegotiationErrorCode = NegotiatorErrorCode | ClientErrorCode

export interface NegotiationFailedErrorOptions {
  detail: string
  /** The HTTP status, when an answer came. */
  status?: number
  problem?: NegotiatorProblem
  retryAfterSeconds?: number
  requestId?: string
  cause?: unknown
}

/** Thrown by `negotiate()` and `getClientAccessUrl()`: switch on `code`, never on the message. */
export class NegotiationFailedError extends Error {
  readonly code: NegotiationErrorCode
  /** The problem's `detail`, or what went wrong on the client's side. */
  readonly detail: string
  /** The HTTP status; undefined when no answer came (`network_error`, `timeout`). */
  readonly status: number | undefined
  /** The negotiator's problem+json, when it sent one. */
  readonly problem: NegotiatorProblem | undefined
  /** From `Retry-After` (or the problem's `retryAfterSeconds`): wait this long to ask again. */
  readonly retryAfterSeconds: number | undefined
  /** The negotiator's `X-Request-Id`: it finds the log line of the refusal. */
  readonly requestId: string | undefined

  constructor(code: NegotiationErrorCode, options: NegotiationFailedErrorOptions) {
    super(`${code}: ${options.detail}`, { cause: options.cause })
    this.name = 'NegotiationFailedError'
    this.code = code
    this.detail = options.detail
    this.status = options.status
    this.problem = options.problem
    this.retryAfterSeconds = options.retryAfterSeconds
    this.requestId = options.requestId ?? options.problem?.requestId
  }
}
