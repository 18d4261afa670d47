// Liveness (never touches upstreams) and readiness (configuration valid, an Entra token at hand, and a client token issued by the Auth API within the last few minutes).
import { Hono } from '../http/hono'
import type { AppEnv } from '../app-env'
import { configInvalid } from '../config'
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
  const deadlineMs = runtime.now() + runtime.upstreamDeadlineMs
  const waitUntil = c.get('waitUntil')
  try {
    const { source } = await runtime.tokens.get({ deadlineMs, waitUntil })
    // Whether a client token can be issued: the Auth API itself, probed at most every few minutes.
    const probe = await runtime.authApiProbe.check({
      tokens: runtime.tokens,
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
      status: 'ready',
      authMode: runtime.config.auth.mode,
      ...(runtime.config.auth.mode === 'anonymous'
        ? { warning: 'AUTH_MODE=anonymous: anyone can negotiate a connection' }
        : {}),
      hubs: runtime.config.hubs,
      checks: {
        config: 'ok',
        entraToken: source,
        authApi: 'ok',
        authApiProbedAt: new Date(probe.atMs).toISOString(),
        kv: runtime.kvBound ? 'bound' : 'not bound (memory only)',
      },
    })
  } catch (error) {
    // Not ready is 503 whatever the cause, so load balancers and probes read it the same way;
    // the body keeps the precise code and advice, the same /negotiate would give.
    return problemResponse(toNegotiatorError(error), c.get('requestId'), { status: 503 })
  }
})
