// Builds the main origin's Hono app: Entra routes, the OIDC issuer, resource 0's data plane, control API.
import type { Hono } from 'hono'
import type { ClientService } from '../client/index'
import { controlRoutes } from '../control/routes'
import { jwksRoute, openidConfigurationRoute } from '../entra/discovery-routes'
import { tokenRoute } from '../entra/token-route'
import { oidcRoutes } from '../oidc/routes'
import type { EmulatorState } from '../state'
import type { DemoCredentials } from '../types'
import { createBaseApp } from './base-app'
import type { AppEnv } from './context'
import { mountDataPlane } from './data-plane'
import { instrumented } from './instrument'

export interface AppOptions {
  credentials: () => DemoCredentials
  quiet: boolean
  /** The WebSocket client service (emulator/client): its REST actions and counters. */
  clientService: ClientService
  /** `<url>/oidc`: the local OpenID issuer (emulator/oidc). */
  oidcIssuer: string
  /** The client services of resources 1…n−1: the main reset zeroes their counters too. */
  otherClientServices?: readonly ClientService[]
}

export function createApp(state: EmulatorState, options: AppOptions): Hono<AppEnv> {
  const app = createBaseApp({ quiet: options.quiet })

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

  mountDataPlane(app, state, options.clientService)

  app.route(
    '/_emulator',
    controlRoutes(state, options.credentials, options.clientService, options.otherClientServices),
  )
  return app
}
