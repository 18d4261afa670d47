// The control API on a further resource's own origin: counters, reset, faults, outage, roles.
import { Hono } from 'hono'
import type { ClientService } from '../client/index'
import type { AppEnv } from '../http/context'
import { ROUTE_NAMES, type RouteName } from '../lib/route-names'
import type { ResourceState } from '../state'
import { faultRoutes } from './fault-routes'
import { resourceRoutes } from './resource-routes'

/** The routes a further resource serves: Web PubSub's data plane, not Entra nor the OIDC issuer. */
export const isDataPlaneRoute = (route: RouteName): boolean => route.startsWith('webpubsub.')

/**
 * Acts on this resource only. Entra-side controls (credentials, settings, apps, shared role
 * assignments, OIDC keys) stay on the main origin, whose reset also resets this resource.
 */
export function resourceControlRoutes(
  state: ResourceState,
  clientService: ClientService,
): Hono<AppEnv> {
  const control = new Hono<AppEnv>()
  control.get('/counters', (c) =>
    c.json({
      routes: Object.fromEntries(
        ROUTE_NAMES.filter(isDataPlaneRoute).map((route) => [route, state.counters[route]]),
      ),
      faults: Object.fromEntries(
        [...state.faultCounts].map(([route, counts]) => [route, { ...counts }]),
      ),
      websocket: clientService.counters(),
    }),
  )
  control.post('/reset', (c) => {
    state.reset()
    clientService.reset()
    return c.body(null, 204)
  })
  control.route('/', faultRoutes(state, isDataPlaneRoute))
  control.route('/', resourceRoutes(state))
  return control
}
