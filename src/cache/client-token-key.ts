// The reuse key of a client token: who it is for and what it grants, hashed before it is stored.
import { encodeBase64Url, sha256 } from '../lib/base64'

/** Everything that makes two client tokens interchangeable; nothing else may be left out. */
export interface ClientTokenGrant {
  endpoint: string
  hub: string
  /** The client protocol, which selects the Auth API's `clientType` and the token's audience. */
  protocol: string
  /** Absent for a shared anonymous token: then every caller of the hub and grant shares one. */
  userId?: string
  roles: readonly string[]
  groups: readonly string[]
  minutesToExpire: number
}

/**
 * base64url(SHA-256(canonical JSON)) of the grant, with roles and groups sorted (their order
 * grants nothing). JSON of an array keeps the fields apart (no separator can be forged inside a
 * value), and `null` for no userId cannot collide with any user id string. The hash keeps
 * identities and grants out of storage. The version prefix lets a future format miss old entries.
 */
export async function clientTokenKey(grant: ClientTokenGrant): Promise<string> {
  const canonical = JSON.stringify([
    'client-token/v1',
    grant.endpoint,
    grant.hub,
    grant.protocol,
    grant.userId ?? null,
    [...grant.roles].sort(),
    [...grant.groups].sort(),
    grant.minutesToExpire,
  ])
  return encodeBase64Url(await sha256(canonical))
}
