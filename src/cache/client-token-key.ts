// The reuse key of a client token: who it is for and what it grants; hashed before it is stored.
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
 * The canonical JSON of the grant, with roles and groups sorted (their order grants nothing).
 * JSON of an array keeps the fields apart (no separator can be forged inside a value), and `null`
 * for no userId cannot collide with any user id string. The version prefix lets a future format
 * miss old entries. It keys isolate memory as it is: synchronous and without a digest, because a
 * repeat caller's negotiation is answered from memory and this runs on each of them.
 */
export function clientTokenKey(grant: ClientTokenGrant): string {
  return JSON.stringify([
    'client-token/v1',
    grant.endpoint,
    grant.hub,
    grant.protocol,
    grant.userId ?? null,
    [...grant.roles].sort(),
    [...grant.groups].sort(),
    grant.minutesToExpire,
  ])
}

/**
 * base64url(SHA-256(key)): what the Cache API level stores under, so that no identity or grant
 * is written outside the isolate (its URL and the sealed entry name only this).
 */
export async function clientTokenHash(key: string): Promise<string> {
  return encodeBase64Url(await sha256(key))
}
