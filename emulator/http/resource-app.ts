// Builds a further resource's Hono app: the Web PubSub data plane and that resource's control API.
import type { Hono } from 'hono'
import type { ClientService } from '../client/index'
import { resourceControlRoutes } from '../control/resource-control'
import type { ResourceState } from '../state'
import { createBaseApp } from './base-app'
import type { AppEnv } from './context'
import { mountDataPlane } from './data-plane'

/** No Entra and no OIDC issuer here: the resource trusts the main origin's Entra, as on Azure. */
export function createResourceApp(
  state: ResourceState,
  options: { index: number; quiet: boolean; clientService: ClientService },
): Hono<AppEnv> {
  const app = createBaseApp({ quiet: options.quiet, logFields: { resource: options.index } })
  mountDataPlane(app, state, options.clientService)
  app.route('/_emulator', resourceControlRoutes(state, options.clientService))
  return app
}
