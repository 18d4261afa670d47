// Workers KV values encrypted with AES-256-GCM, so a KV read never exposes a cached token.
//
// Each value is the UTF-8 JSON of what was put, sealed by cache/crypto.ts (format `v1.<iv>.<ct>`,
// the KV key bound as additional data). Anything that does not open or parse (absent, other
// version, wrong key, tampered, not JSON) reads as null: a cache miss, never an error. KV's own
// failures are thrown: whether to fall through is the caller's decision.
import { deriveCacheKey, importCacheKey, openText, sealText } from './crypto'

export { deriveCacheKey, importCacheKey }

/**
 * `cacheTtl`: how long the data centre that reads may serve the value from its cache, in seconds;
 * at least 30, default 60 (Cloudflare docs, KV "Read key-value pairs"). A shorter one bounds how
 * stale a read can be, at the cost of more reads reaching KV's central stores.
 */
export interface KvTextGetOptions {
  type: 'text'
  cacheTtl?: number
}

/** The subset of KVNamespace we use, so tests can pass a misbehaving double. */
export interface KvLike {
  get(key: string, type: 'text' | KvTextGetOptions): Promise<string | null>
  put(
    key: string,
    value: string,
    options?: { expirationTtl?: number; expiration?: number; metadata?: unknown },
  ): Promise<void>
  delete(key: string): Promise<void>
}

export interface EncryptedKvOptions {
  kv: KvLike
  /** AES-GCM 256, from importCacheKey or deriveCacheKey. */
  key: CryptoKey
}

export interface EncryptedKv {
  /** null when absent, undecryptable (wrong key, tampered, other format) or unparsable — never throws for those; KV errors propagate as thrown errors. */
  get<T>(cacheKey: string): Promise<T | null>
  /** expirationTtl is clamped UP to KV's 60 s minimum. */
  put(cacheKey: string, value: unknown, ttlSeconds: number): Promise<void>
  delete(cacheKey: string): Promise<void>
}

/** Workers KV rejects an `expirationTtl` below 60 s (Cloudflare docs, "Write key-value pairs"). */
export const KV_MIN_TTL_SECONDS = 60

export function createEncryptedKv(options: EncryptedKvOptions): EncryptedKv {
  const { kv, key } = options

  return {
    async get<T>(cacheKey: string): Promise<T | null> {
      const stored = await kv.get(cacheKey, 'text')
      if (stored === null) return null
      const plaintext = await openText(key, cacheKey, stored)
      if (plaintext === undefined) return null
      try {
        return JSON.parse(plaintext) as T
      } catch {
        return null
      }
    },

    async put(cacheKey: string, value: unknown, ttlSeconds: number): Promise<void> {
      if (!Number.isFinite(ttlSeconds)) {
        throw new RangeError('encrypted KV put: ttlSeconds must be a finite number')
      }
      const json = JSON.stringify(value)
      if (json === undefined) {
        throw new TypeError('encrypted KV put: the value is not JSON-serializable')
      }
      const expirationTtl = Math.max(KV_MIN_TTL_SECONDS, Math.ceil(ttlSeconds))
      await kv.put(cacheKey, await sealText(key, cacheKey, json), { expirationTtl })
    },

    async delete(cacheKey: string): Promise<void> {
      await kv.delete(cacheKey)
    },
  }
}
