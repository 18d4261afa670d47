// LOG_USER_ID=hash: a keyed hash of the user id in log lines, for operators who must not log personal data.
//
// HMAC-SHA-256 (RFC 2104) under a key derived with HKDF-SHA-256 (RFC 5869) from the same secret
// material as the cache key (TOKEN_CACHE_KEY when set, else the credential), with its own info
// label, so the two keys are unrelated. Without the key nobody can test a guessed user id
// against the logs; with it, an operator can compute the hash of a user to search for
// (`npm run hash-user-id -- alice`). 128 bits of the MAC, base64url: short, and collisions are
// out of reach.
import { decodeBase64, encodeBase64Url } from './base64'

const SALT = new TextEncoder().encode('webpubsub-edge-negotiator/hkdf-salt/v1')
const INFO = new TextEncoder().encode('webpubsub-edge-negotiator log user id HMAC-SHA-256 v1')
const HASH_BYTES = 16

/** The secret material behind the key: TOKEN_CACHE_KEY's bytes when set, else the credential's. */
export function hashKeyMaterial(
  cacheKeyBase64: string | undefined,
  credentialMaterial: Uint8Array,
): Uint8Array {
  return (
    (cacheKeyBase64 === undefined ? undefined : decodeBase64(cacheKeyBase64)) ?? credentialMaterial
  )
}

export type UserIdHasher = (userId: string) => Promise<string>

export async function createUserIdHasher(material: Uint8Array): Promise<UserIdHasher> {
  if (material.length === 0) throw new Error('cannot derive a hash key from empty material')
  // A copy on a plain ArrayBuffer: what WebCrypto takes under every runtime's types.
  const bytes = new Uint8Array(material)
  const base = await crypto.subtle.importKey('raw', bytes, 'HKDF', false, ['deriveKey'])
  const key = await crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: SALT, info: INFO },
    base,
    { name: 'HMAC', hash: 'SHA-256', length: 256 },
    false,
    ['sign'],
  )
  const encoder = new TextEncoder()
  return async (userId) => {
    const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(userId))
    return encodeBase64Url(new Uint8Array(mac, 0, HASH_BYTES))
  }
}
