// GET|POST /negotiate: validates the request, decides the identity, and issues a client access URL.
import { Hono, type Context } from 'hono'
import { setMetric } from 'hono/timing'
import type { AppEnv } from '../app-env'
import { identifyCaller } from '../caller/identify'
import { decide } from '../caller/grant'
import { enforceRateLimit, rateLimitKey } from '../caller/rate-limit'
import { configInvalid } from '../config'
import { NegotiatorError } from '../errors'
import { issueClientAccess } from '../webpubsub/issue-access'
import { readNegotiateRequest } from './negotiate-request'

export const negotiateRoutes = new Hono<AppEnv>()

async function negotiate(c: Context<AppEnv>) {
  const state = c.get('runtime')
  if (!state.ok) throw configInvalid(state.problems)
  const { runtime } = state
  const { config } = runtime
  const { hub, protocol, groups, minutesToExpire } = await readNegotiateRequest(
    {
      url: c.req.url,
      method: c.req.method,
      header: (name) => c.req.header(name),
      text: () => c.req.text(),
    },
    config,
  )
  const identity = await identifyCaller(config.auth, runtime.caller?.verifier, {
    header: (name) => c.req.header(name),
  })
  runtime.caller?.persist(c.get('waitUntil'))
  const userId = identity.userId
  await enforceRateLimit(
    runtime.rateLimiter,
    rateLimitKey(config.auth.mode, userId, c.req.header('cf-connecting-ip')),
    config.rateLimitPeriodSeconds,
    (event, fields) => c.get('log')('warn', event, fields),
  )
  const hubPolicy = config.policy.hubs[hub.toLowerCase()]
  if (hubPolicy === undefined) throw new Error(`no policy for allowed hub ${hub}`)
  const grant = decide(hubPolicy, identity, { groups, ttlMinutes: minutesToExpire })
  const log = c.get('log')
  const access = await issueClientAccess(
    {
      endpoint: config.endpoint,
      hub,
      protocol,
      userId,
      roles: grant.roles,
      groups: grant.groups,
      minutesToExpire: grant.minutesToExpire,
    },
    {
      tokens: runtime.tokens,
      fetch: runtime.fetch,
      now: runtime.now,
      sleep: runtime.sleep,
      deadlineMs: runtime.now() + runtime.upstreamDeadlineMs,
      waitUntil: c.get('waitUntil'),
      log: ({ event, ...fields }) => log('info', String(event), fields),
      timing: (name, durationMs, description) => setMetric(c, name, durationMs, description),
    },
  )
  log('info', 'negotiated', {
    hub,
    protocol,
    authMode: config.auth.mode,
    roles: grant.roles.length,
  })
  const issuedAtMs = runtime.now()
  // Negotiate again after three quarters of the token's life: early enough to ride out a slow or
  // failing negotiation before the old token expires.
  const refreshAfterMs = issuedAtMs + Math.max(0, access.expiresAtMs - issuedAtMs) * 0.75
  c.header('cache-control', 'no-store')
  return c.json({
    baseUrl: access.baseUrl,
    token: access.token,
    url: access.url,
    expiresAt: new Date(access.expiresAtMs).toISOString(),
    refreshAfter: new Date(refreshAfterMs).toISOString(),
    hub,
    userId,
    roles: grant.roles,
    groups: grant.groups,
  })
}

negotiateRoutes.get('/negotiate', negotiate)
negotiateRoutes.post('/negotiate', negotiate)
negotiateRoutes.on(['PUT', 'PATCH', 'DELETE'], '/negotiate', () => {
  throw new NegotiatorError('method_not_allowed', { detail: 'Use GET or POST.' })
})
