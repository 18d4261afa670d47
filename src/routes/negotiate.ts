// GET|POST /negotiate: validates the request, decides the identity, and issues a client access URL.
import { Hono, type Context } from 'hono'
import { setMetric } from 'hono/timing'
import type { AppEnv } from '../app'
import { identifyCaller } from '../caller/identify'
import { decide } from '../caller/policy'
import { enforceRateLimit, rateLimitKey } from '../caller/rate-limit'
import { HUB_NAME_PATTERN } from '../config'
import { NegotiatorError } from '../errors'
import { CLIENT_PROTOCOLS, type ClientProtocol } from '../webpubsub/client-url'
import { issueClientAccess } from '../webpubsub/issue-access'
import { configInvalid } from './health'

export const negotiateRoutes = new Hono<AppEnv>()

/** Parameters a caller may never set: identity and rights come from server-side policy (SPEC §5). */
const NOT_ALLOWED = ['userId', 'user', 'id', 'role', 'roles']
const MAX_BODY_BYTES = 4096

type Params = Map<string, string[]>

async function readParams(c: Context<AppEnv>): Promise<Params> {
  const params: Params = new Map()
  const add = (key: string, value: string): void => {
    params.set(key, [...(params.get(key) ?? []), value])
  }
  for (const [key, value] of new URL(c.req.url).searchParams) add(key, value)
  if (c.req.method !== 'POST') return params

  const text = await c.req.text()
  if (text.length > MAX_BODY_BYTES)
    throw invalid(`The request body is larger than ${MAX_BODY_BYTES} bytes.`)
  if (text.trim() === '') return params
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase()
  if (type === 'application/json') {
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      throw invalid('The JSON body does not parse.')
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw invalid('The JSON body must be an object such as {"hub":"chat"}.')
    }
    for (const [key, value] of Object.entries(body)) {
      if (typeof value !== 'string') throw invalid(`"${key.slice(0, 40)}" must be a string.`)
      add(key, value)
    }
  } else if (type === 'application/x-www-form-urlencoded') {
    for (const [key, value] of new URLSearchParams(text)) add(key, value)
  } else {
    throw invalid('Send parameters in the query string, as JSON, or as a form.')
  }
  return params
}

const invalid = (detail: string): NegotiatorError =>
  new NegotiatorError('parameter_invalid', { detail })

function single(params: Params, name: string): string | undefined {
  const values = params.get(name)
  if (values === undefined) return undefined
  if (values.length > 1) throw invalid(`"${name}" is given more than once.`)
  return values[0]
}

async function negotiate(c: Context<AppEnv>) {
  const state = c.get('runtime')
  if (!state.ok) throw configInvalid(state.problems)
  const { runtime } = state
  const { config } = runtime
  const params = await readParams(c)

  for (const name of params.keys()) {
    if (NOT_ALLOWED.some((blocked) => blocked.toLowerCase() === name.toLowerCase())) {
      throw new NegotiatorError('parameter_not_allowed', {
        detail: `"${name.slice(0, 40)}" cannot be chosen by the caller: identity and permissions come from the negotiator's policy.`,
      })
    }
  }

  const hubParam = single(params, 'hub')
  let hub = config.hubs[0] ?? ''
  if (hubParam !== undefined) {
    if (!HUB_NAME_PATTERN.test(hubParam)) {
      throw invalid(
        '"hub" must start with a letter and hold at most 128 letters, digits and _`,.[]',
      )
    }
    const allowed = config.hubs.find((name) => name.toLowerCase() === hubParam.toLowerCase())
    if (allowed === undefined) {
      throw new NegotiatorError('hub_not_allowed', {
        detail: `Hub "${hubParam}" is not served here.`,
        extensions: { allowedHubs: config.hubs },
      })
    }
    hub = allowed
  }

  const protocolParam = single(params, 'protocol') ?? 'default'
  const protocol = CLIENT_PROTOCOLS.find((name) => name === protocolParam.toLowerCase())
  if (protocol === undefined) {
    throw new NegotiatorError('protocol_invalid', {
      detail: `"protocol" must be one of ${CLIENT_PROTOCOLS.join(', ')}.`,
    })
  }

  const minutesParam = single(params, 'minutesToExpire')
  if (minutesParam !== undefined && !/^\d{1,4}$/.test(minutesParam)) {
    throw invalid('"minutesToExpire" must be a whole number of minutes.')
  }
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
  const grant = decide(hubPolicy, identity, {
    groups: params.get('group') ?? [],
    ttlMinutes: minutesParam === undefined ? undefined : Number(minutesParam),
  })
  const log = c.get('log')
  const access = await issueClientAccess(
    {
      endpoint: config.endpoint,
      hub,
      protocol: protocol satisfies ClientProtocol,
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
