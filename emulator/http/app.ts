// Builds the emulator's Hono app: request ids and logs, Entra routes, Web PubSub routes, control API.
import { Hono } from 'hono'
import { createClientRestRoutes } from '../client/rest'
import type { ClientService } from '../client/index'
import { authorizeRequest, DATA_ACTIONS } from '../webpubsub/authorize'
import { controlRoutes } from '../control/routes'
import { jwksRoute, openidConfigurationRoute } from '../entra/discovery-routes'
import { tokenRoute } from '../entra/token-route'
import { oidcRoutes } from '../oidc/routes'
import type { EmulatorState } from '../state'
import type { DemoCredentials } from '../types'
import { webPubSubError } from '../webpubsub/errors'
import { GENERATE_TOKEN_PATH, generateTokenRoute, healthRoute } from '../webpubsub/routes'
import type { AppEnv } from './context'
import { instrumented } from './instrument'

export interface AppOptions {
  credentials: () => DemoCredentials
  quiet: boolean
  /** The WebSocket client service (emulator/client): its REST actions and counters. */
  clientService: ClientService
  /** `<url>/oidc`: the local OpenID issuer (emulator/oidc). */
  oidcIssuer: string
}

export function createApp(state: EmulatorState, options: AppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>()

  // Every answer carries x-ms-request-id, as both Entra and Web PubSub do; Entra errors reuse it as trace id.
  app.use(async (c, next) => {
    const requestId = crypto.randomUUID()
    c.set('requestId', requestId)
    const started = performance.now()
    await next()
    c.res.headers.set('x-ms-request-id', requestId)
    if (!options.quiet) {
      // Only method, path and status: query strings and bodies may hold secrets or tokens.
      const path = new URL(c.req.url).pathname
      const ms = Math.round(performance.now() - started)
      console.log(
        JSON.stringify({ requestId, method: c.req.method, path, status: c.res.status, ms }),
      )
    }
  })

  // Before the Entra routes: `/:tenant/.well-known/…` would otherwise claim `/oidc/.well-known/…`.
  app.route('/oidc', oidcRoutes(state, { issuer: options.oidcIssuer }))

  app.post('/:tenant/oauth2/v2.0/token', instrumented(state, 'entra.token', tokenRoute(state)))
  const openidV2 = instrumented(state, 'entra.openid', openidConfigurationRoute(state, 'v2'))
  const openidV1 = instrumented(state, 'entra.openid', openidConfigurationRoute(state, 'v1'))
  app.get('/:tenant/v2.0/.well-known/openid-configuration', openidV2)
  app.get('/:tenant/.well-known/openid-configuration', openidV1)
  const jwks = instrumented(state, 'entra.jwks', jwksRoute(state))
  app.get('/:tenant/discovery/v2.0/keys', jwks)
  app.get('/:tenant/discovery/keys', jwks)

  app.on(['GET', 'HEAD'], '/api/health', instrumented(state, 'webpubsub.health', healthRoute))
  // The literal colon in `/:generateToken` is matched on the raw path; other paths fall through
  // (`next()`) to later routes, where more data-plane actions can be added.
  const generateToken = instrumented(state, 'webpubsub.generateToken', generateTokenRoute(state))
  app.post('/api/hubs/*', (c, next) =>
    GENERATE_TOKEN_PATH.test(new URL(c.req.url).pathname) ? generateToken(c, next) : next(),
  )

  // `:closeConnections` and group `:send`, Entra-authorized with the same role map (issue 3).
  const clientRest = createClientRestRoutes({
    service: options.clientService,
    authorize: async (request) => {
      const action = /:closeConnections$/.test(new URL(request.url).pathname)
        ? DATA_ACTIONS.closeConnections
        : DATA_ACTIONS.send
      const result = await authorizeRequest(request.headers.get('authorization'), state, action)
      return result.ok ? { principalId: result.principal.clientId } : result.response
    },
  })
  const closeConnections = instrumented(state, 'webpubsub.closeConnections', (c) =>
    clientRest.fetch(c.req.raw),
  )
  const sendToGroup = instrumented(state, 'webpubsub.sendToGroup', (c) =>
    clientRest.fetch(c.req.raw),
  )
  app.post('/api/hubs/:hub/users/:user/*', (c, next) =>
    /\/:closeConnections$/.test(new URL(c.req.url).pathname) ? closeConnections(c, next) : next(),
  )
  app.post('/api/hubs/:hub/groups/:group/*', (c, next) =>
    /\/:send$/.test(new URL(c.req.url).pathname) ? sendToGroup(c, next) : next(),
  )

  app.route('/_emulator', controlRoutes(state, options.credentials, options.clientService))

  app.notFound((c) => {
    const path = new URL(c.req.url).pathname
    if (path.startsWith('/api/'))
      return webPubSubError(404, 'Error.NotFound', `No API at ${c.req.method} ${path}.`)
    return c.json(
      { error: 'not_found', error_description: `No route for ${c.req.method} ${path}.` },
      404,
    )
  })
  app.onError((error, c) => {
    console.error(JSON.stringify({ requestId: c.get('requestId'), error: String(error) }))
    return c.json(
      { code: 'Error.InternalServerError', message: 'The emulator failed; see its log.' },
      500,
    )
  })
  return app
}
