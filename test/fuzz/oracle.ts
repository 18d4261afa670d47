// What must hold for every fuzzed answer, and over a whole run of one caller mode.
import { expect } from 'vitest'
import type { RouteName } from '../support/emulator'
import { isErrorCode } from './error-codes'
import { ALLOWED_ORIGIN, grantable } from './modes'
import type { FuzzRequest } from './requests'
import type { CallerMode, TokenPool } from './tokens'
import type { UpstreamCounts } from './upstream-counter'

export interface AnswerTally {
  /** Answers by HTTP status, over the cases and the shrinking. */
  statuses: Record<string, number>
  /** 200 answers from /negotiate. */
  negotiated: number
  cases: number
}

export interface Answer {
  mode: CallerMode
  request: FuzzRequest
  response: Response
  /** The body as read (empty for HEAD). */
  text: string
  /** Outbound calls this one request made, waitUntil work included. */
  delta: UpstreamCounts
  pool: TokenPool
  secrets: readonly string[]
  tally: AnswerTally
}

/** README: requested groups are capped by MAX_REQUESTED_GROUPS, 20 by default. */
const MAX_REQUESTED_GROUPS = 20
/** README: the client URL stays near 4 KiB; past 8 KiB proxies' request-line limits refuse it. */
const MAX_CLIENT_URL_LENGTH = 8 * 1024

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

const mediaType = (header: string | null): string | undefined =>
  header?.split(';')[0]?.trim().toLowerCase()

export function checkAnswer(answer: Answer): void {
  const { mode, request, response, text, delta, tally } = answer
  const { status } = response
  const { method, routePath } = request
  tally.cases += 1
  tally.statuses[status] = (tally.statuses[status] ?? 0) + 1

  // The emulator is healthy and the configuration valid: no answer is a server error.
  expect(status, `a ${status} answer`).toBeLessThan(500)

  if (status >= 400) {
    expect(mediaType(response.headers.get('content-type')), 'an error answer type').toBe(
      'application/problem+json',
    )
    if (method !== 'HEAD') {
      const problem = JSON.parse(text) as Record<string, unknown>
      expect(isErrorCode(problem.code), `problem code ${String(problem.code)}`).toBe(true)
      expect(problem.status, 'the problem status').toBe(status)
    }
  }

  // Upstream calls: only a negotiation by an accepted caller reaches Entra and the Auth API;
  // /readyz may warm the Entra token and probe the Auth API (bounded over the run by checkRun).
  const negotiation = method === 'GET' || method === 'POST'
  const mayNegotiate =
    routePath === '/negotiate' &&
    negotiation &&
    (mode === 'anonymous' || request.validUsers.size > 0)
  const mayWarmEntra = routePath === '/readyz' && (method === 'GET' || method === 'HEAD')
  expect(delta.other, 'calls to unexpected URLs').toBe(0)
  if (method === 'HEAD' && routePath === '/negotiate') {
    expect(delta.authApi, 'Auth API calls for a HEAD /negotiate').toBe(0)
  }
  if (!mayNegotiate) {
    if (!mayWarmEntra) expect(delta.authApi, 'Auth API calls without an accepted caller').toBe(0)
    else expect(delta.authApi, 'Auth API probes for one /readyz').toBeLessThanOrEqual(1)
    if (!mayWarmEntra) expect(delta.entraToken, 'Entra calls without an accepted caller').toBe(0)
  }
  if (mode === 'anonymous') expect(delta.issuerKeys, 'issuer fetches when anonymous').toBe(0)
  // Everything a caller can get wrong is checked before any upstream call.
  if (status >= 400 && status < 500) {
    expect(delta.authApi + delta.entraToken, `upstream calls for a ${status}`).toBe(0)
  }

  // No answer echoes a caller token or the negotiator's secret, in its body or its headers.
  const everything = `${text}\n${[...response.headers].map(([, value]) => value).join('\n')}`
  for (const secret of answer.secrets) {
    expect(everything.includes(secret), 'an answer that contains a token or secret').toBe(false)
  }

  checkHeaders(answer)

  if (status === 200 && routePath === '/negotiate' && method !== 'HEAD') {
    tally.negotiated += 1
    checkNegotiated(answer)
  }
}

/** Headers built from caller input: CORS echoes only an allowed origin; request ids stay tokens. */
function checkHeaders({ mode, request, response }: Answer): void {
  const allowOrigin = response.headers.get('access-control-allow-origin')
  if (allowOrigin !== null) {
    if (mode === 'anonymous') expect(allowOrigin, 'CORS origin (CORS_ORIGINS=*)').toBe('*')
    else {
      expect(allowOrigin, 'CORS origin').toBe(ALLOWED_ORIGIN)
      expect(request.origin, 'the Origin that CORS allowed').toBe(ALLOWED_ORIGIN)
    }
  }
  const credentials = response.headers.get('access-control-allow-credentials')
  if (allowOrigin === '*') expect(credentials, 'credentials with a wildcard origin').toBeNull()
  const requestId = response.headers.get('x-request-id')
  if (requestId !== null) expect(requestId, 'X-Request-Id').toMatch(/^[\w=-]{1,255}$/)
}

/** A 200 from /negotiate: the identity and rights come from the verified caller and the policy. */
function checkNegotiated({ mode, request, text }: Answer): void {
  const body = JSON.parse(text) as Record<string, unknown>
  expect(typeof body.url, 'the client URL').toBe('string')
  expect(String(body.url)).toMatch(/^wss?:\/\//)
  expect(String(body.url).length, 'the client URL length').toBeLessThanOrEqual(
    MAX_CLIENT_URL_LENGTH,
  )
  const userId = String(body.userId)
  if (mode === 'anonymous') expect(userId, 'an anonymous user id').toMatch(UUID)
  else expect([...request.validUsers], 'the user id').toContain(userId)
  const allowed = grantable(String(body.hub))
  for (const role of body.roles as string[]) {
    expect(
      allowed.roles.some((pattern) => pattern.test(role)),
      `granted role ${role}`,
    ).toBe(true)
  }
  const groups = body.groups as string[]
  for (const group of groups) {
    expect(
      allowed.groups.some((pattern) => pattern.test(group)),
      `granted group ${group}`,
    ).toBe(true)
  }
  const requested = groups.filter((group) => group.startsWith('room.'))
  expect(requested.length, 'requested groups granted').toBeLessThanOrEqual(MAX_REQUESTED_GROUPS)
}

export interface RunSummary {
  mode: CallerMode
  totals: UpstreamCounts
  otherUrls: readonly string[]
  emulatorCounters: Record<RouteName, number>
  elapsedMs: number
  tally: AnswerTally
  runs: number
}

/** jose-style key caching: discovery once, the JWKS once plus one refetch per 30 s cooldown. */
const ISSUER_COOLDOWN_MS = 30_000

export function checkRun(run: RunSummary): void {
  const { totals, emulatorCounters } = run
  expect(run.otherUrls, 'calls to unexpected URLs').toEqual([])
  // The injected fetch saw every call the emulator served: nothing bypassed the counter.
  expect(emulatorCounters['webpubsub.generateToken'], 'Auth API calls').toBe(totals.authApi)
  expect(emulatorCounters['entra.token'], 'Entra token calls').toBe(totals.entraToken)
  // One Entra token serves the whole run; it may be refreshed once.
  expect(totals.entraToken, 'Entra token calls over the run').toBeLessThanOrEqual(2)
  const keyFetches = emulatorCounters['oidc.discovery'] + emulatorCounters['oidc.jwks']
  expect(keyFetches, 'issuer fetches counted by the emulator').toBe(totals.issuerKeys)
  const keyBudget = run.mode === 'anonymous' ? 0 : 2 + Math.ceil(run.elapsedMs / ISSUER_COOLDOWN_MS)
  expect(totals.issuerKeys, 'issuer fetches over the run').toBeLessThanOrEqual(keyBudget)
  // The generator must keep reaching the Auth API, or the upstream properties prove nothing.
  if (run.runs >= 50) expect(run.tally.negotiated, 'negotiations that succeeded').toBeGreaterThan(0)
}
