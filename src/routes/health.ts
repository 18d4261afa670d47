// Liveness (never touches upstreams) and readiness (configuration valid, an Entra token at hand, and a client token issued by the Auth API within the last few minutes; in access-key mode the configuration alone).
import { Hono } from '../http/hono'
import type { AppEnv } from '../app-env'
import { configInvalid } from '../config'
import { NegotiatorError } from '../errors'
import { problemResponse, toNegotiatorError } from '../http/problem'

export const healthRoutes = new Hono<AppEnv>()

healthRoutes.get('/healthz', (c) => {
  c.header('cache-control', 'no-store')
  return c.json({ status: 'ok' })
})

healthRoutes.get('/readyz', async (c) => {
  const state = c.get('runtime')
  if (!state.ok) throw configInvalid(state.problems)
  const { runtime } = state
  const { issuer } = runtime
  const summary = {
    status: 'ready',
    authMode: runtime.config.auth.mode,
    ...(runtime.config.auth.mode === 'anonymous'
      ? { warning: 'AUTH_MODE=anonymous: anyone can negotiate a connection' }
      : {}),
    hubs: runtime.config.hubs,
  }
  const kv = runtime.kvBound ? 'bound' : 'not bound (memory only)'
  const { failover } = runtime
  failover.maintain(c.get('waitUntil'))
  const resources =
    failover.health === undefined
      ? {}
      : {
          resources: failover.health.status().map(({ endpoint, state, openUntilMs }) => ({
            endpoint,
            state,
            ...(openUntilMs === undefined
              ? {}
              : { probeAfter: new Date(openUntilMs).toISOString() }),
          })),
        }
  // Ready when some resource takes traffic; the Auth API probe then asks the one that would issue.
  const usable = failover.order()[0]
  if (usable === undefined) {
    return problemResponse(
      new NegotiatorError('webpubsub_unavailable', {
        detail:
          'Every Web PubSub resource is marked down; negotiations answer 503 until one recovers.',
        upstream: { service: 'webpubsub' },
        retryAfterSeconds: failover.health?.retryAfterSeconds(),
        extensions: resources,
      }),
      c.get('requestId'),
      { status: 503 },
    )
  }
  if (issuer.kind === 'access-key') {
    // Tokens are signed here: no upstream can be down, a valid configuration is readiness. Whether
    // the key is still enabled on the resource only the service knows, at connect.
    c.header('cache-control', 'no-store')
    return c.json({ ...summary, checks: { config: 'ok', signing: 'access-key', kv }, ...resources })
  }
  const deadlineMs = runtime.now() + runtime.upstreamDeadlineMs
  const waitUntil = c.get('waitUntil')
  try {
    const { source } = await issuer.tokens.get({ deadlineMs, waitUntil })
    // Whether a client token can be issued: the Auth API itself, probed at most every few minutes.
    const probe = await issuer.authApiProbe.check({
      endpoint: failover.endpoints[usable]!,
      tokens: issuer.tokens,
      fetch: runtime.fetch,
      now: runtime.now,
      sleep: runtime.sleep,
      deadlineMs,
      waitUntil,
      log: ({ event, ...fields }) => c.get('log')('info', String(event), fields),
    })
    if (probe.error !== undefined) throw probe.error
    c.header('cache-control', 'no-store')
    return c.json({
      ...summary,
      checks: {
        config: 'ok',
        signing: 'entra',
        entraToken: source,
        authApi: 'ok',
        authApiProbedAt: new Date(probe.atMs).toISOString(),
        kv,
      },
      ...resources,
    })
  } catch (error) {
    // Not ready is 503 whatever the cause, so load balancers and probes read it the same way;
    // the body keeps the precise code and advice, the same /negotiate would give.
    return problemResponse(toNegotiatorError(error), c.get('requestId'), { status: 503 })
  }
})
