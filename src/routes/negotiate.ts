// GET|POST /negotiate: validates the request, decides the identity, and issues a client access URL.
import { Hono } from '../http/hono'
import type { Context } from 'hono'
import type { AppEnv } from '../app-env'
import { identifyCaller } from '../caller/identify'
import { decide, type Decision } from '../caller/grant'
import { estimateUrlLength, SAFE_URL_LENGTH } from '../caller/policy'
import { enforceRateLimit, rateLimitKey } from '../caller/rate-limit'
import { configInvalid } from '../config'
import { addTiming } from '../http/server-timing'
import { NegotiatorError } from '../errors'
import { clientTypeFor, type ClientProtocol } from '../webpubsub/client-url'
import { generateTokenUrl } from '../webpubsub/generate-token'
import { issueWithFailover } from '../webpubsub/failover'
import { issueClientAccess } from '../webpubsub/issue-access'
import { readNegotiateRequest } from './negotiate-request'

export const negotiateRoutes = new Hono<AppEnv>()

/** RFC 9110 §15.5.6: a 405 names the methods the resource supports. */
const ALLOW = 'GET, POST, OPTIONS'

const methodNotAllowed = (method: string): NegotiatorError =>
  new NegotiatorError('method_not_allowed', {
    detail: `${method.slice(0, 20)} is not supported on /negotiate; use GET or POST.`,
    headers: { allow: ALLOW },
  })

/** No reason and no end date: what the operator decided is theirs to tell, not the API's. */
const callerRevoked = (): NegotiatorError =>
  new NegotiatorError('caller_revoked', {
    detail: "This user's access has been revoked by the operator.",
  })

/**
 * The Auth API URL grows with every role and group; far past this, front ends refuse the request
 * line (commonly 8 KiB) and the caller would get a 502 for asking too much.
 */
const MAX_AUTH_API_URL_LENGTH = 8000

async function negotiate(c: Context<AppEnv>) {
  const startMs = performance.now()
  // Hono answers HEAD with the GET handler minus the body; a HEAD must not mint a token.
  if (c.req.method === 'HEAD') throw methodNotAllowed('HEAD')
  const state = c.get('runtime')
  if (!state.ok) throw configInvalid(state.problems)
  const { runtime } = state
  const { config } = runtime
  const { hub, protocol, groups, minutesToExpire } = await readNegotiateRequest(
    {
      url: c.req.url,
      method: c.req.method,
      header: (name) => c.req.header(name),
      arrayBuffer: () => c.req.arrayBuffer(),
    },
    config,
  )
  const identity = await identifyCaller(config.auth, runtime.caller?.verifier, {
    header: (name) => c.req.header(name),
  })
  runtime.caller?.persist(c.get('waitUntil'))
  const userId = identity.userId
  // A revoked user is refused before the rate limit and any upstream call. Anonymous callers have
  // random ids, which nobody can revoke (ADMIN_TOKEN is refused in that mode).
  let reuseNotIssuedBeforeMs: number | undefined
  const revocations = runtime.revocations
  if (revocations !== undefined && config.auth.mode !== 'anonymous') {
    const stale = revocations.freshen(c.get('waitUntil'))
    if (stale !== undefined) await stale
    const revocation = revocations.check(userId, hub)
    if (revocation !== undefined) {
      if (revocation.revoked) throw callerRevoked()
      reuseNotIssuedBeforeMs = revocation.notIssuedBeforeMs
    }
  }
  await enforceRateLimit(
    runtime.rateLimiter,
    rateLimitKey(config.auth.mode, userId, c.req.header('cf-connecting-ip')),
    config.rateLimitPeriodSeconds,
    (event, fields) => c.get('log')('warn', event, fields),
  )
  const hubPolicy = config.policy.hubs[hub.toLowerCase()]
  if (hubPolicy === undefined) throw new Error(`no policy for allowed hub ${hub}`)
  const grant = decide(hubPolicy, identity, { groups, ttlMinutes: minutesToExpire })
  // A shared anonymous hub names no user: all its anonymous callers share one token per grant.
  const tokenUserId = hubPolicy.sharedAnonymousToken ? undefined : userId
  checkUrlLengths(config.longestEndpoint, hub, protocol, tokenUserId, grant, groups.length)
  // A random anonymous user id is never seen again: reusing its token could never pay off.
  const reusable = config.auth.mode !== 'anonymous' || tokenUserId === undefined
  const log = c.get('log')
  const { issuer, failover } = runtime
  const waitUntil = c.get('waitUntil')
  failover.maintain(waitUntil)
  const deadlineMs = runtime.now() + runtime.upstreamDeadlineMs
  const logEvent = ({ event, ...fields }: Record<string, unknown>) =>
    log('info', String(event), fields)
  /** Where the Entra token came from (memory, kv, fetch); none when no Auth API call was made. */
  let entraSource: string | undefined
  /** The resource that issued the token. */
  let resource = 0
  const { health } = failover
  const access = await issueWithFailover(
    failover,
    {
      now: runtime.now,
      deadlineMs,
      log: ({ event, ...fields }) => log('warn', String(event), fields),
    },
    (index, budget) => {
      resource = index
      return issueClientAccess(
        {
          endpoint: failover.endpoints[index]!,
          hub,
          protocol,
          userId: tokenUserId,
          roles: grant.roles,
          groups: grant.groups,
          minutesToExpire: grant.minutesToExpire,
        },
        {
          ...(issuer.kind === 'access-key'
            ? { signer: issuer.signers[index]! }
            : {
                tokens: issuer.tokens,
                reuse: reusable ? runtime.clientTokens : undefined,
                reuseNotIssuedBeforeMs,
              }),
          fetch: runtime.fetch,
          now: runtime.now,
          sleep: runtime.sleep,
          deadlineMs: budget.deadlineMs,
          maxAttempts: budget.last ? undefined : 1,
          onAuthApiOutcome:
            health === undefined
              ? undefined
              : (ok) => (ok ? health.recordSuccess(index) : health.recordFailure(index)),
          waitUntil,
          log: logEvent,
          timing: (name, durationMs, description) => {
            if (name === 'entra') entraSource = description
            addTiming(c.get('timings'), name, durationMs, description)
          },
        },
      )
    },
  )
  // The audit trail: one line per negotiation saying who got what, from where; never a token.
  // Skipped whole (hash included) when LOG_LEVEL is above info.
  if (config.logLevel === 'info' || config.logLevel === 'debug') {
    const who =
      tokenUserId === undefined || runtime.hashUserId === undefined
        ? { userId: tokenUserId ?? null }
        : { userIdHash: await runtime.hashUserId(tokenUserId) }
    log('info', 'negotiated', {
      hub,
      protocol,
      authMode: config.auth.mode,
      ...who,
      roles: grant.roles,
      groups: grant.groups,
      expiresAt: new Date(access.expiresAtMs).toISOString(),
      entraToken: entraSource ?? null,
      clientToken: access.source,
      resource: failover.endpoints[resource],
      latencyMs: Math.round(performance.now() - startMs),
    })
  }
  // Negotiate again after three quarters of the token's own life (iat to exp), whether it is fresh
  // or reused: early enough to ride out a slow or failing negotiation before it expires.
  const refreshAfterMs = access.issuedAtMs + (access.expiresAtMs - access.issuedAtMs) * 0.75
  c.header('cache-control', 'no-store')
  return c.json({
    baseUrl: access.baseUrl,
    token: access.token,
    url: access.url,
    expiresAt: new Date(access.expiresAtMs).toISOString(),
    refreshAfter: new Date(refreshAfterMs).toISOString(),
    hub,
    // null for a shared anonymous token, which names no user.
    userId: tokenUserId ?? null,
    roles: grant.roles,
    groups: grant.groups,
  })
}

/**
 * Refuses a grant whose Auth API URL or client URL would be too long, before any upstream call:
 * the caller asked for too many or too long groups (or a claim rendered into a very long name).
 */
function checkUrlLengths(
  endpoint: string,
  hub: string,
  protocol: ClientProtocol,
  userId: string | undefined,
  grant: Decision,
  requestedGroups: number,
): void {
  const clientUrlLength = estimateUrlLength(endpoint, hub, grant)
  if (
    authApiUrlFits(endpoint, hub, protocol, userId, grant) &&
    clientUrlLength <= SAFE_URL_LENGTH
  ) {
    return
  }
  if (requestedGroups === 0) {
    // The policy alone fits (checked at start-up), so a claim rendered into a very long name.
    throw new NegotiatorError('caller_claims_unusable', {
      detail: "The caller's claims make the granted roles and groups too long for a client URL.",
    })
  }
  throw new NegotiatorError('parameter_invalid', {
    detail:
      `The groups asked for would make a client URL of about ${clientUrlLength} characters ` +
      `(at most ${SAFE_URL_LENGTH}); ask for fewer or shorter groups.`,
  })
}

/** Percent-encoded, one UTF-16 code unit becomes at most 9 characters (3 UTF-8 bytes as %XX). */
const MAX_ENCODED_PER_CHAR = 9
/** The Auth API URL's fixed part: path, api-version, the parameter names, minutesToExpire, clientType. */
const FIXED_URL_PART = 160

/**
 * Whether the Auth API URL stays within MAX_AUTH_API_URL_LENGTH. Usually decided by an upper bound
 * on its length, without building it; only a grant near the limit has the URL built and measured.
 */
function authApiUrlFits(
  endpoint: string,
  hub: string,
  protocol: ClientProtocol,
  userId: string | undefined,
  grant: Decision,
): boolean {
  let chars = hub.length + (userId?.length ?? 0)
  for (const role of grant.roles) chars += role.length
  for (const group of grant.groups) chars += group.length
  const names = '&role='.length * grant.roles.length + '&group='.length * grant.groups.length
  const bound = endpoint.length + FIXED_URL_PART + names + chars * MAX_ENCODED_PER_CHAR
  if (bound <= MAX_AUTH_API_URL_LENGTH) return true
  const url = generateTokenUrl({
    endpoint,
    hub,
    userId,
    roles: grant.roles,
    groups: grant.groups,
    minutesToExpire: grant.minutesToExpire,
    clientType: clientTypeFor(protocol),
  })
  return url.length <= MAX_AUTH_API_URL_LENGTH
}

negotiateRoutes.get('/negotiate', negotiate)
negotiateRoutes.post('/negotiate', negotiate)
// OPTIONS never gets here: the CORS middleware answers it (a preflight) first.
negotiateRoutes.all('/negotiate', (c) => {
  throw methodNotAllowed(c.req.method)
})
