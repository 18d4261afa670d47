// The Web PubSub data-plane routes of one resource: health, `:generateToken`, client REST actions.
import type { Hono } from 'hono'
import type { ClientService } from '../client/index'
import { createClientRestRoutes } from '../client/rest'
import type { ResourceState } from '../state'
import { authorizeWithAccessKey } from '../webpubsub/access-key-rest'
import { authorizeRequest, DATA_ACTIONS } from '../webpubsub/authorize'
import { GENERATE_TOKEN_PATH, generateTokenRoute, healthRoute } from '../webpubsub/routes'
import type { AppEnv } from './context'
import { instrumented } from './instrument'

/** Served on the main origin for resource 0 and on each further resource's own origin. */
export function mountDataPlane(
  app: Hono<AppEnv>,
  state: ResourceState,
  clientService: ClientService,
): void {
  app.on(['GET', 'HEAD'], '/api/health', instrumented(state, 'webpubsub.health', healthRoute))
  // The literal colon in `/:generateToken` is matched on the raw path; other paths fall through
  // (`next()`) to later routes, where more data-plane actions can be added.
  const generateToken = instrumented(state, 'webpubsub.generateToken', generateTokenRoute(state))
  app.post('/api/hubs/*', (c, next) =>
    GENERATE_TOKEN_PATH.test(new URL(c.req.url).pathname) ? generateToken(c, next) : next(),
  )

  // `:closeConnections` and group `:send`, Entra-authorized with the same role map (issue 3).
  const clientRest = createClientRestRoutes({
    service: clientService,
    authorize: async (request) => {
      // A bearer signed with the access key (when the emulator has one) stands for the key itself.
      const keyed = await authorizeWithAccessKey(request, state)
      if (keyed !== undefined) return keyed
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
}
