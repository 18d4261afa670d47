// The instrumented routes: their names key counters, faults and latency in the control API.
export const ROUTE_NAMES = [
  'entra.token',
  'entra.openid',
  'entra.jwks',
  'webpubsub.generateToken',
  'webpubsub.health',
  'webpubsub.closeConnections',
  'webpubsub.sendToGroup',
  'oidc.discovery',
  'oidc.jwks',
  'oidc.token',
] as const

export type RouteName = (typeof ROUTE_NAMES)[number]

export function isRouteName(value: unknown): value is RouteName {
  return typeof value === 'string' && (ROUTE_NAMES as readonly string[]).includes(value)
}
