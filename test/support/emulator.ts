// The emulator's control API, as the Worker tests drive it over 127.0.0.1.
import { inject } from 'vitest'

export type RouteName =
  | 'entra.token'
  | 'entra.openid'
  | 'entra.jwks'
  | 'webpubsub.generateToken'
  | 'webpubsub.health'
  | 'webpubsub.closeConnections'
  | 'webpubsub.sendToGroup'
  | 'oidc.discovery'
  | 'oidc.jwks'
  | 'oidc.token'

export interface DemoApp {
  clientId: string
  clientSecret?: string
  certificatePem?: string
  /** A built-in role's name, or a custom role's Name. */
  role: string
}

export interface DemoCredentials {
  tenantId: string
  authorityHost: string
  endpoint: string
  scope: string
  apps: Record<'ownerSecret' | 'ownerCertificate' | 'reader' | 'noRole' | 'expiredSecret', DemoApp>
}

export type Fault =
  | { route: RouteName; kind: 'status'; status: number; retryAfterSeconds?: number; times?: number }
  | { route: RouteName; kind: 'hang' | 'malformed' | 'empty'; times?: number }

export const emulatorUrl = (): string => inject('emulatorUrl')
/** The emulator's second Web PubSub resource (its own port, trusting the same Entra). */
export const emulatorSecondaryUrl = (): string => inject('emulatorSecondaryUrl')

async function control(
  method: string,
  path: string,
  body?: unknown,
  origin = emulatorUrl(),
): Promise<Response> {
  const response = await fetch(`${origin}/_emulator${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  if (!response.ok)
    throw new Error(`emulator control ${method} ${path} answered ${response.status}`)
  return response
}

export const emulator = {
  async credentials(): Promise<DemoCredentials> {
    return (await control('GET', '/credentials')).json()
  },
  async counters(): Promise<Record<RouteName, number>> {
    const body = (await (await control('GET', '/counters')).json()) as {
      routes: Record<RouteName, number>
    }
    return body.routes
  },
  async reset(): Promise<void> {
    await control('POST', '/reset')
  },
  async fault(fault: Fault): Promise<void> {
    await control('POST', '/faults', fault)
  },
  async latency(route: RouteName, ms: number): Promise<void> {
    await control('POST', '/latency', { route, ms })
  },
  async settings(settings: {
    entraTokenLifetimeSeconds?: number
    entraRefreshInSeconds?: number | null
  }) {
    await control('PATCH', '/settings', settings)
  },
  /** A built-in role, or a role definition (deploy/roles/*.json as they are). */
  async assignRole(clientId: string, role: 'owner' | 'reader' | 'none' | object): Promise<void> {
    await control('PUT', '/role-assignments', { clientId, role })
  },
  async registerApp(app: {
    role: 'owner' | 'reader' | 'none' | object
    secret?: string
    certificatePem?: string
  }) {
    return (await (await control('POST', '/apps', app)).json()) as {
      clientId: string
      clientSecret?: string
    }
  },
}

/** The control API of one resource of the emulator: its own counters, faults and outage switch. */
export function resourceControl(origin: string) {
  return {
    url: origin,
    async counters(): Promise<Record<RouteName, number>> {
      const body = (await (await control('GET', '/counters', undefined, origin)).json()) as {
        routes: Record<RouteName, number>
      }
      return body.routes
    },
    async fault(fault: Fault): Promise<void> {
      await control('POST', '/faults', fault, origin)
    },
    /** While down, every Web PubSub route of the resource answers 503 (health included). */
    async outage(down: boolean): Promise<void> {
      await control('POST', '/outage', { down }, origin)
    },
  }
}

// User tokens live in user-token.ts; re-exported for the suites that import them from here.
export { mintUserToken, type UserTokenRequest } from './user-token'
