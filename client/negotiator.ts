// createNegotiator: /negotiate with the caller's token, the grant reused until refreshAfter.
import { abortReason, requestSignal, type AbortSignalLike } from './abort.js'
import { readAnswer } from './answer.js'
import { NegotiationFailedError } from './errors.js'
import type { ClientProtocol, NegotiateResponse } from './types.js'

export interface NegotiatorOptions {
  /** The negotiator's `/negotiate` URL; in a browser it may be relative to the page. */
  url: string | URL
  /**
   * The caller's token (an OpenID Connect access token, e.g. from MSAL), sent as
   * `Authorization: Bearer`. Called before every negotiation and every reuse: a grant is reused
   * only for the token it was negotiated with, so a new sign-in negotiates again. Its errors
   * reach the caller unchanged. Nothing (or null, or '') sends no Authorization header.
   */
  getToken?: () => string | null | undefined | Promise<string | null | undefined>
  /** The `hub` parameter; the negotiator's first hub when left out. */
  hub?: string
  protocol?: ClientProtocol
  /** Groups to join when the connection opens; the hub's policy must list them as requestable. */
  groups?: readonly string[]
  minutesToExpire?: number
  /** Default: the global fetch. */
  fetch?: typeof fetch
  /** Milliseconds since the epoch; default Date.now. Tests pass a clock. */
  now?: () => number
  /** How long one negotiation may take, answer body included; default 10,000. */
  timeoutMs?: number
}

/** The options `@azure/web-pubsub-client` passes to `getClientAccessUrl`. */
export interface NegotiateOptions {
  abortSignal?: AbortSignalLike
}

export interface Negotiator {
  /**
   * For `new WebPubSubClient({ getClientAccessUrl })` (or `new WebPubSubClient(negotiator)`): the
   * client calls it for every new connection. Rejects with NegotiationFailedError, or with the
   * abort reason when `abortSignal` aborts.
   */
  getClientAccessUrl(options?: NegotiateOptions): Promise<string>
  /**
   * The current grant: the last one until its `refreshAfter` (or `expiresAt`, if earlier) has
   * passed by this machine's clock, then a new negotiation.
   */
  negotiate(options?: NegotiateOptions): Promise<NegotiateResponse>
  /** Forgets the grant (and any wait a Retry-After imposed): the next call negotiates. */
  invalidate(): void
}

const DEFAULT_TIMEOUT_MS = 10_000

export function createNegotiator(options: NegotiatorOptions): Negotiator {
  const fetcher = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args))
  const now = options.now ?? Date.now
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  // Built once: a URL that cannot be parsed is a mistake to report now, not at each connection.
  const url = requestUrl(options)
  /** The grant, for the token it was negotiated with. */
  let cached:
    { token: string | undefined; response: NegotiateResponse; reuseUntilMs: number } | undefined
  /** A refusal with Retry-After: asking again before `untilMs` is answered with it locally. */
  let waiting:
    { token: string | undefined; untilMs: number; error: NegotiationFailedError } | undefined

  async function negotiate(call: NegotiateOptions = {}): Promise<NegotiateResponse> {
    const { abortSignal } = call
    if (abortSignal?.aborted) throw abortReason(abortSignal)
    const token = (await options.getToken?.()) || undefined
    // The signal may have aborted while the token was being fetched.
    if (abortSignal?.aborted) throw abortReason(abortSignal)
    const startMs = now()
    if (cached !== undefined && cached.token === token && startMs < cached.reuseUntilMs) {
      return cached.response
    }
    if (waiting !== undefined && waiting.token === token && startMs < waiting.untilMs) {
      // RFC 9110 §10.2.3: the negotiator asked not to be asked again before then.
      throw again(waiting.error, Math.ceil((waiting.untilMs - startMs) / 1000))
    }
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json' }
    if (token !== undefined) headers.authorization = `Bearer ${token}`

    const signal = requestSignal(abortSignal, timeoutMs)
    let answer: { status: number; headers: Headers; body: string }
    try {
      const response = await fetcher(url, { headers, signal: signal.signal })
      // The body counts against the timeout too: a stalled body is no answer.
      answer = { status: response.status, headers: response.headers, body: await response.text() }
    } catch (error) {
      if (abortSignal?.aborted && !signal.timedOut()) throw abortReason(abortSignal)
      throw signal.timedOut()
        ? new NegotiationFailedError('timeout', {
            detail: `${url.origin} gave no complete answer within ${timeoutMs} ms.`,
            cause: error,
          })
        : new NegotiationFailedError('network_error', {
            detail: `Could not reach ${url.origin}: ${messageOf(error)}`,
            cause: error,
          })
    } finally {
      signal.dispose()
    }

    const receivedMs = now()
    const result = readAnswer(answer, receivedMs)
    if (!result.ok) {
      const seconds = result.error.retryAfterSeconds
      waiting = seconds
        ? { token, untilMs: receivedMs + seconds * 1000, error: result.error }
        : undefined
      throw result.error
    }
    const { response } = result
    const reuseUntilMs = Math.min(Date.parse(response.refreshAfter), Date.parse(response.expiresAt))
    cached = { token, response, reuseUntilMs }
    waiting = undefined
    return response
  }

  return {
    negotiate,
    getClientAccessUrl: async (call) => (await negotiate(call)).url,
    invalidate() {
      cached = undefined
      waiting = undefined
    },
  }
}

/** `url` with the request's parameters (README "HTTP API"); other query parameters stay. */
function requestUrl(options: NegotiatorOptions): URL {
  const base = typeof location === 'undefined' ? undefined : location.href
  const url = new URL(options.url, base)
  const { searchParams } = url
  if (options.hub !== undefined) searchParams.set('hub', options.hub)
  if (options.protocol !== undefined) searchParams.set('protocol', options.protocol)
  if (options.minutesToExpire !== undefined) {
    searchParams.set('minutesToExpire', String(options.minutesToExpire))
  }
  for (const group of options.groups ?? []) searchParams.append('group', group)
  return url
}

/** The same refusal, told locally while its Retry-After lasts. */
function again(error: NegotiationFailedError, retryAfterSeconds: number): NegotiationFailedError {
  return new NegotiationFailedError(error.code, {
    detail: error.detail,
    status: error.status,
    problem: error.problem,
    requestId: error.requestId,
    retryAfterSeconds,
    cause: error,
  })
}

/** The error's message, with its cause's code or message (Node's fetch gives one). */
function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const cause = error instanceof Error ? error.cause : undefined
  const code = (cause as { code?: unknown } | undefined)?.code
  const why = typeof code === 'string' ? code : cause instanceof Error ? cause.message : undefined
  return (why === undefined || why === '' ? message : `${message} (${why})`).slice(0, 200)
}
