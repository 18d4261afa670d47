// One upstream call with retries: the answer and its parsed body, or an `<service>_unavailable` error.
import { NegotiatorError } from '../errors'
import {
  fetchWithRetry,
  retryAfterMs,
  RetryExhaustedError,
  type RetryOptions,
  type UpstreamRequest,
} from './retry'

export interface UpstreamAnswer {
  response: Response
  /** The JSON body as an object, or {} when it is absent, not JSON or not an object. */
  fields: Record<string, unknown>
  /** True when the body parsed as a JSON object. */
  hasObjectBody: boolean
  /** From Retry-After / retry-after-ms / x-ms-retry-after-ms, rounded up: an integer in [0, 3600]. */
  retryAfterSeconds: number | undefined
}

export interface UpstreamHints {
  service: 'entra' | 'webpubsub'
  /** Public advice when the upstream never answered in time / could not be reached. */
  timeout: string
  unreachable: string
}

export async function callUpstream(
  makeRequest: () => UpstreamRequest | Promise<UpstreamRequest>,
  options: RetryOptions,
  hints: UpstreamHints,
): Promise<UpstreamAnswer> {
  let response: Response
  try {
    ;({ response } = await fetchWithRetry(makeRequest, options))
  } catch (error) {
    if (error instanceof RetryExhaustedError) {
      throw new NegotiatorError(`${hints.service}_unavailable`, {
        detail: error.reason === 'timeout' ? hints.timeout : hints.unreachable,
        upstream: { service: hints.service },
        cause: error,
      })
    }
    throw error
  }
  let body: unknown
  try {
    body = await response.json()
  } catch {
    body = undefined
  }
  const hasObjectBody = typeof body === 'object' && body !== null && !Array.isArray(body)
  // A success has nothing to wait for: its headers are not read.
  const waitMs = response.ok ? undefined : retryAfterMs(response.headers, options.now())
  return {
    response,
    fields: hasObjectBody ? (body as Record<string, unknown>) : {},
    hasObjectBody,
    retryAfterSeconds: waitMs === undefined ? undefined : Math.ceil(waitMs / 1000),
  }
}
