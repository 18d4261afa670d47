// Issues one client access: a token signed here with the access key; or a reusable token for the
// same grant, or Entra token → Auth API → checked token, refreshing once on 401; then the URLs.
import type { ClientToken, ClientTokenCache } from '../cache/client-token-cache'
import { clientTokenKey } from '../cache/client-token-key'
import { NegotiatorError, withRetryAfter } from '../errors'
import type { Now, Sleep } from '../lib/clock'
import type { AccessKeySigner } from './access-key'
import { buildClientUrls, clientTypeFor, type ClientGrant } from './client-url'
import { generateClientToken } from './generate-token'
import { isResourceFailure } from './failover'
import { checkClientToken } from './token-check'

/** The Entra side as this module needs it (implemented by entra/token-source.ts). */
export interface AccessTokenProvider {
  get(options: {
    deadlineMs: number
    waitUntil: (promise: Promise<unknown>) => void
    rejectedToken?: string
  }): Promise<{ token: { accessToken: string }; source: 'memory' | 'kv' | 'fetch' }>
  /** Drops the token from memory; the reload with `rejectedToken` takes care of KV. */
  invalidate(accessToken: string): void
  /** Until `untilMs`, get() throws `error` (with the time left) and loads nothing. */
  /** Refuses to hand out tokens for a window that grows while refusals persist; returns it. */
  suspend(error: unknown, windows: { firstMs: number; maxMs: number }): number
}

/**
 * How long a 401 for a freshly fetched Entra token is remembered. Such a 401 is a configuration
 * problem (scope of another cloud, app in another tenant) that no new token fixes, so asking Entra
 * and the Auth API again on every request would only add load. The window starts short, so that
 * two passing 401s in a row cost seconds, and doubles while the refusal persists, up to 30 s.
 */
export const UNAUTHORIZED_WINDOWS = { firstMs: 5_000, maxMs: 30_000 }

/** What one negotiation asks to be issued. */
export type IssueAccessRequest = ClientGrant

/** Entra mode: the Auth API issues the token, with an Entra token from `tokens`. */
export type EntraIssueDeps = CommonIssueDeps & { tokens: AccessTokenProvider; signer?: undefined }
/** Access-key mode: signed here; no Entra, no Auth API, no reuse (signing costs less than a lookup). */
export type AccessKeyIssueDeps = CommonIssueDeps & { signer: AccessKeySigner; tokens?: undefined }
export type IssueAccessDeps = EntraIssueDeps | AccessKeyIssueDeps

export interface CommonIssueDeps {
  fetch: typeof fetch
  now: Now
  sleep: Sleep
  deadlineMs: number
  waitUntil: (promise: Promise<unknown>) => void
  log: (event: Record<string, unknown>) => void
  /** Records a Server-Timing metric. */
  timing?: (name: 'entra' | 'authapi', durationMs: number, description?: string) => void
  /** Hands out a still-fresh token of the same grant again (TOKEN_REUSE); absent: always fetch. */
  reuse?: ClientTokenCache
  /** Reuse no token issued before this: the user was revoked then (caller/revocations.ts). */
  reuseNotIssuedBeforeMs?: number
  /** Auth API attempts on this resource; 1 when failover has another resource to try. */
  maxAttempts?: number
  /** Told the outcome of each Auth API call on this resource: its breaker's passive signal. */
  onAuthApiOutcome?: (ok: boolean) => void
}

/**
 * Where the token came from: the Auth API, an earlier negotiation (memory or Cache API), or this
 * Worker's own signature with the access key.
 */
export type AccessSource = 'fetched' | 'reused-memory' | 'reused-cache' | 'signed-locally'

export interface IssuedAccess extends ClientToken {
  baseUrl: string
  url: string
  source: AccessSource
}

export async function issueClientAccess(
  request: IssueAccessRequest,
  deps: IssueAccessDeps,
): Promise<IssuedAccess> {
  let token: ClientToken
  let source: AccessSource = 'fetched'
  if (deps.signer !== undefined) {
    const startMs = deps.now()
    token = await deps.signer.sign(request, startMs)
    source = 'signed-locally'
    deps.timing?.('authapi', deps.now() - startMs, source)
  } else if (deps.reuse === undefined) {
    token = await fetchClientToken(request, deps.tokens, deps)
  } else {
    const tokens = deps.tokens
    const startMs = deps.now()
    const found = await deps.reuse.get(clientTokenKey(request), {
      deadlineMs: deps.deadlineMs,
      waitUntil: deps.waitUntil,
      load: () => fetchClientToken(request, tokens, deps),
      notIssuedBeforeMs: deps.reuseNotIssuedBeforeMs,
    })
    token = found.token
    if (found.source !== 'fetch') {
      source = `reused-${found.source}`
      deps.timing?.('authapi', deps.now() - startMs, source)
    }
  }
  return {
    ...buildClientUrls(request.endpoint, request.hub, request.protocol, token.token),
    ...token,
    source,
  }
}

/** One Auth API call (two after a 401 with a cached Entra token), checked before use. */
async function fetchClientToken(
  request: IssueAccessRequest,
  tokens: AccessTokenProvider,
  deps: CommonIssueDeps,
): Promise<ClientToken> {
  let rejectedToken: string | undefined
  for (let attempt = 1; ; attempt++) {
    const entraStartMs = deps.now()
    const { token: entra, source } = await tokens.get({
      deadlineMs: deps.deadlineMs,
      waitUntil: deps.waitUntil,
      rejectedToken,
    })
    deps.timing?.('entra', deps.now() - entraStartMs, source)

    const authStartMs = deps.now()
    try {
      const token = await generateClientToken(
        {
          endpoint: request.endpoint,
          hub: request.hub,
          userId: request.userId,
          roles: request.roles,
          groups: request.groups,
          minutesToExpire: request.minutesToExpire,
          clientType: clientTypeFor(request.protocol),
        },
        {
          fetch: deps.fetch,
          now: deps.now,
          sleep: deps.sleep,
          deadlineMs: deps.deadlineMs,
          accessToken: entra.accessToken,
          maxAttempts: deps.maxAttempts,
          onRetry: (info) => deps.log({ event: 'authapi_retry', ...info }),
        },
      )
      deps.timing?.('authapi', deps.now() - authStartMs, 'fetched')
      const life = checkClientToken(token, request.endpoint, request.hub, deps.now())
      deps.onAuthApiOutcome?.(true)
      return { token, ...life }
    } catch (error) {
      deps.timing?.('authapi', deps.now() - authStartMs)
      if (isResourceFailure(error)) deps.onAuthApiOutcome?.(false)
      const unauthorized =
        error instanceof NegotiatorError && error.code === 'webpubsub_unauthorized'
      if (!unauthorized) throw error
      // A 401 usually means the cached Entra token went bad early (revoked, rotated key): drop it
      // and try once more with a fresh one, which also replaces it in KV.
      if (attempt === 1) {
        deps.log({ event: 'authapi_unauthorized_refreshing', entraSource: source })
        rejectedToken = entra.accessToken
        tokens.invalidate(entra.accessToken)
        continue
      }
      // The new token is refused too: a configuration problem. Answer from memory for a while.
      const windowMs = tokens.suspend(error, UNAUTHORIZED_WINDOWS)
      deps.log({ event: 'authapi_unauthorized_suspended', windowMs })
      throw withRetryAfter(error, Math.ceil(windowMs / 1000))
    }
  }
}
