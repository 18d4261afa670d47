// GET /openapi.json: the OpenAPI description, naming the origin it was asked from as its server.
import { Hono } from '../http/hono'
import type { AppEnv } from '../app-env'
import { openApiDocument } from '../http/openapi'

export const openapiRoutes = new Hono<AppEnv>()

openapiRoutes.get('/openapi.json', (c) => {
  const state = c.get('runtime')
  // Public and the same for every caller; it follows the configuration (hubs, group limit) when
  // that is valid, and is served without them when not, like /healthz.
  c.header('cache-control', 'public, max-age=3600')
  return c.json(
    openApiDocument({
      origin: new URL(c.req.url).origin,
      config: state.ok ? state.runtime.config : undefined,
      admin: state.ok && state.runtime.adminCheck !== undefined,
    }),
  )
})
