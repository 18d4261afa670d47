// Reads one HTTP answer of /negotiate into a grant or a NegotiationFailedError, whatever its body.
import { NegotiationFailedError } from './errors.js'
import type { NegotiateResponse, NegotiatorErrorCode, NegotiatorProblem } from './types.js'

/** The parts of a fetch Response the reading needs, so tests can pass any status and body. */
export interface NegotiateAnswer {
  status: number
  headers: { get(name: string): string | null }
  body: string
}

export type AnswerResult =
  { ok: true; response: NegotiateResponse } | { ok: false; error: NegotiationFailedError }

/** The negotiator never asks for more than an hour; neither is a proxy's longer wait obeyed. */
const MAX_RETRY_AFTER_SECONDS = 3600

/**
 * Never throws: a 2xx must carry a complete grant, anything else a problem+json with a `code`;
 * every other answer becomes `unexpected_response` with the status.
 */
export function readAnswer(answer: NegotiateAnswer, nowMs: number): AnswerResult {
  const { status, headers } = answer
  const requestId = headers.get('x-request-id') ?? undefined
  const mediaType = (headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  const retryAfterSeconds = parseRetryAfter(headers.get('retry-after'), nowMs)
  const unexpected = (detail: string, extra?: { retryAfterSeconds?: number }) => ({
    ok: false as const,
    error: new NegotiationFailedError('unexpected_response', {
      detail,
      status,
      requestId,
      retryAfterSeconds: extra?.retryAfterSeconds,
    }),
  })

  if (status >= 200 && status < 300) {
    const grant = readGrant(parseJson(answer.body))
    if (typeof grant === 'string') {
      return unexpected(`The negotiator answered ${status}, but ${grant}.`)
    }
    return { ok: true, response: grant }
  }

  // RFC 9457 §3: the problem's media type; a JSON body with a `code` is read the same way.
  const json = mediaType === 'application/problem+json' || mediaType === 'application/json'
  const problem = json ? readProblem(parseJson(answer.body), status) : undefined
  if (problem === undefined) {
    const what = mediaType === '' ? 'no content type' : mediaType.slice(0, 60)
    return unexpected(
      `The negotiator's URL answered ${status} with ${what}, not a problem+json; ` +
        'check the URL and whatever proxies it.',
      { retryAfterSeconds },
    )
  }
  return {
    ok: false,
    error: new NegotiationFailedError(problem.code, {
      detail: problem.detail,
      status,
      problem,
      requestId: problem.requestId ?? requestId,
      retryAfterSeconds: retryAfterSeconds ?? seconds(problem.retryAfterSeconds),
    }),
  }
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string')

const isDate = (value: unknown): value is string =>
  typeof value === 'string' && Number.isFinite(Date.parse(value))

/** The grant, or what is wrong with it (the end of a sentence). */
function readGrant(value: unknown): NegotiateResponse | string {
  if (!isObject(value)) return 'its body is not a JSON object'
  const { baseUrl, token, url, expiresAt, refreshAfter, hub, userId, roles, groups } = value
  if (typeof url !== 'string' || !isWebSocketUrl(url)) return '"url" is not a ws:// or wss:// URL'
  if (typeof baseUrl !== 'string') return '"baseUrl" is missing'
  if (typeof token !== 'string' || token === '') return '"token" is missing'
  if (!isDate(expiresAt)) return '"expiresAt" is not a date'
  if (!isDate(refreshAfter)) return '"refreshAfter" is not a date'
  if (typeof hub !== 'string' || hub === '') return '"hub" is missing'
  if (typeof userId !== 'string' && userId !== null) return '"userId" is neither text nor null'
  if (!isStringArray(roles)) return '"roles" is not a list of names'
  if (!isStringArray(groups)) return '"groups" is not a list of names'
  return { baseUrl, token, url, expiresAt, refreshAfter, hub, userId, roles, groups }
}

function isWebSocketUrl(text: string): boolean {
  try {
    const { protocol } = new URL(text)
    return protocol === 'wss:' || protocol === 'ws:'
  } catch {
    return false
  }
}

/** A problem needs a `code`; the other members fall back to what the answer itself says. */
function readProblem(value: unknown, status: number): NegotiatorProblem | undefined {
  if (!isObject(value) || typeof value.code !== 'string' || value.code === '') return undefined
  const text = (member: unknown, fallback: string) =>
    typeof member === 'string' ? member : fallback
  const title = text(value.title, '')
  return {
    ...value,
    type: text(value.type, 'about:blank'),
    title,
    status:
      Number.isInteger(value.status) && (value.status as number) >= 400
        ? (value.status as number)
        : status,
    detail: text(value.detail, title === '' ? `HTTP ${status}` : title),
    code: value.code as NegotiatorErrorCode,
    requestId: typeof value.requestId === 'string' ? value.requestId : undefined,
    retryAfterSeconds: seconds(value.retryAfterSeconds),
  }
}

/** A non-negative whole number of seconds within the cap, or undefined. */
function seconds(value: unknown): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return undefined
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.ceil(value))
}

/** RFC 9110 §10.2.3: `Retry-After = HTTP-date / delay-seconds`; a date in the past means 0. */
function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return seconds(Number(trimmed))
  // An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), which every sender must use (§5.6.7).
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(trimmed))
    return undefined
  const dateMs = Date.parse(trimmed)
  return Number.isFinite(dateMs) ? seconds(Math.max(0, (dateMs - nowMs) / 1000)) : undefined
}
