// The second level of client-token reuse: the colo's Cache API, every entry sealed with AES-GCM.
//
// Entries live in the cache named `client-tokens` under a made-up URL that names only the hash
// (`https://client-token.invalid/<key>`; `.invalid` never resolves, RFC 2606). The body is
// the JSON `{ key, token, issuedAtMs, expiresAtMs }` sealed by cache/crypto.ts with that URL bound
// as additional data; `Cache-Control: max-age` drops it when the token stops being reusable.
// The Cache API keeps entries in the data centre that wrote them and does nothing on *.workers.dev
// (Cloudflare docs, "Cache API"): a miss is normal. What is read back is not trusted: it must
// open under our key for this URL, name this key, and agree with the token's own claims.
import { decodeJwt } from 'jose'
import type { ClientToken, ClientTokenStore } from './client-token-cache'
import { openText, sealText } from './crypto'

/** The part of the Workers `caches` global we use, so tests can pass a failing double. */
export interface CacheStorageLike {
  open(cacheName: string): Promise<CacheLike>
}

export interface CacheLike {
  match(request: string): Promise<Response | undefined>
  put(request: string, response: Response): Promise<void>
}

export const CLIENT_TOKEN_CACHE_NAME = 'client-tokens'

export const clientTokenCacheUrl = (key: string): string => `https://client-token.invalid/${key}`

export interface CacheApiStoreOptions {
  caches: CacheStorageLike
  /** AES-GCM 256: the key the app already uses for KV (TOKEN_CACHE_KEY or derived). */
  key: CryptoKey
}

/** Cache API failures are thrown; the caller (client-token-cache.ts) treats them as misses. */
export function createCacheApiStore(options: CacheApiStoreOptions): ClientTokenStore {
  const { caches, key } = options
  return {
    async get(hash) {
      const url = clientTokenCacheUrl(hash)
      const cache = await caches.open(CLIENT_TOKEN_CACHE_NAME)
      const response = await cache.match(url)
      if (response === undefined) return undefined
      const plaintext = await openText(key, url, await response.text())
      return plaintext === undefined ? undefined : parseEntry(plaintext, hash)
    },

    async put(hash, token, ttlSeconds) {
      const url = clientTokenCacheUrl(hash)
      const entry = { key: hash, ...token }
      const body = await sealText(key, url, JSON.stringify(entry))
      const cache = await caches.open(CLIENT_TOKEN_CACHE_NAME)
      await cache.put(
        url,
        new Response(body, {
          headers: {
            'cache-control': `max-age=${Math.max(1, Math.floor(ttlSeconds))}`,
            'content-type': 'text/plain; charset=utf-8',
          },
        }),
      )
    },
  }
}

const isTime = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value > 0

/** The entry, when it names this key and its times are the token's own; else undefined. */
function parseEntry(plaintext: string, hash: string): ClientToken | undefined {
  let value: unknown
  try {
    value = JSON.parse(plaintext)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const { key, token, issuedAtMs, expiresAtMs } = value as Record<string, unknown>
  if (key !== hash || typeof token !== 'string' || !isTime(issuedAtMs) || !isTime(expiresAtMs)) {
    return undefined
  }
  let claims
  try {
    claims = decodeJwt(token)
  } catch {
    return undefined
  }
  if (typeof claims.exp !== 'number' || claims.exp * 1000 !== expiresAtMs) return undefined
  // The start is iat, else nbf, else the time it was received (webpubsub/token-check.ts).
  const start = typeof claims.iat === 'number' ? claims.iat : claims.nbf
  if (typeof start === 'number' && start * 1000 !== issuedAtMs) return undefined
  if (!(issuedAtMs < expiresAtMs)) return undefined
  return { token, issuedAtMs, expiresAtMs }
}
