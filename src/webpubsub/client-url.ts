// Client access URLs, built exactly as @azure/web-pubsub's getClientAccessToken builds them.

export type ClientProtocol = 'default' | 'mqtt' | 'socketio'

export const CLIENT_PROTOCOLS: readonly ClientProtocol[] = ['default', 'mqtt', 'socketio']

/** One client token's grant: where it connects and what it may do; issued by the Auth API or signed here. */
export interface ClientGrant {
  /** An http(s) origin without a trailing slash (config.ts guarantees it). */
  endpoint: string
  hub: string
  protocol: ClientProtocol
  /** Absent for a shared anonymous token. */
  userId?: string
  roles: readonly string[]
  groups: readonly string[]
  minutesToExpire: number
}

/** The `clientType` query value for :generateToken; @azure/web-pubsub sends these lower-case forms. */
export function clientTypeFor(protocol: ClientProtocol): string | undefined {
  return protocol === 'default' ? undefined : protocol
}

/** The path a client connects to, and the path its token's `aud` names. */
export function clientPathFor(protocol: ClientProtocol, hub: string): string {
  switch (protocol) {
    case 'mqtt':
      return `clients/mqtt/hubs/${hub}`
    case 'socketio':
      return `clients/socketio/hubs/${hub}`
    default:
      return `client/hubs/${hub}`
  }
}

export interface ClientUrls {
  baseUrl: string
  url: string
}

/** `endpoint` is an http(s) origin without a trailing slash (config.ts guarantees it). */
export function buildClientUrls(
  endpoint: string,
  hub: string,
  protocol: ClientProtocol,
  token: string,
): ClientUrls {
  const wsEndpoint = endpoint.replace(/^http/, 'ws')
  const baseUrl = `${wsEndpoint}/${clientPathFor(protocol, hub)}`
  return { baseUrl, url: `${baseUrl}?access_token=${token}` }
}
