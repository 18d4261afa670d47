// Liveness (never touches upstreams) and readiness (configuration valid and an Entra token at hand).
import { Hono } from 'hono/tiny'
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
  try {
    const { source } = await runtime.tokens.get({
      deadlineMs: runtime.now() + runtime.upstreamDeadlineMs,
      waitUntil: c.get('waitUntil'),
    })
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
        kv: runtime.kvBound ? 'bound' : 'not bound (memory only)',
      },
    })
  } catch (error) {
    // Not ready is 503 whatever the cause, so load balancers and probes read it the same way;
    // the body keeps the precise code and advice.
    return problemResponse(toNegotiatorError(error), c.get('requestId'), { status: 503 })
  }
})
