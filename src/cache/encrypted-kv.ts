// Workers KV values encrypted with AES-256-GCM, so a KV read never exposes a cached token.
//
// Stored value format, version 1 (one line of ASCII):
//
//   v1.<iv>.<ciphertext>
//
// - `iv`: 12 random bytes, fresh for every write (AES-GCM must never reuse an IV under one key),
//   unpadded base64url.
// - `ciphertext`: AES-GCM output over the UTF-8 JSON of the value, 128-bit tag appended (as
//   WebCrypto returns it), unpadded base64url.
// - Additional authenticated data: the UTF-8 bytes of `v1:` followed by the cache key. A value
//   copied to another key, or relabelled with another version, fails authentication.
//
// Anything that does not match (absent, other version, bad base64, wrong key, tampered, not JSON)
// reads as null: a cache miss, never an error, so a rotated key or a format change only costs a
// refresh. KV's own failures are thrown: whether to fall through is the caller's decision.
// Values are never logged, not even on failure.
import { decodeBase64, encodeBase64Url } from '../lib/base64'
import { deriveCacheKey, importCacheKey } from './crypto'

export { deriveCacheKey, importCacheKey }

/** The subset of KVNamespace we use, so tests can pass a misbehaving double. */
export interface KvLike {
  get(key: string, type: 'text'): Promise<string | null>
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

const VERSION = 'v1'
const IV_BYTES = 12
const TAG_BYTES = 16
/** PLATFORM.md, Workers KV: `expirationTtl` below 60 s is rejected. */
export const KV_MIN_TTL_SECONDS = 60

export function createEncryptedKv(options: EncryptedKvOptions): EncryptedKv {
  const { kv, key } = options

  return {
    async get<T>(cacheKey: string): Promise<T | null> {
      const stored = await kv.get(cacheKey, 'text')
      if (stored === null) return null
      const plaintext = await decrypt(key, cacheKey, stored)
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
      await kv.put(cacheKey, await encrypt(key, cacheKey, json), { expirationTtl })
    },

    async delete(cacheKey: string): Promise<void> {
      await kv.delete(cacheKey)
    },
  }
}

function additionalData(cacheKey: string): Uint8Array {
  return new TextEncoder().encode(`${VERSION}:${cacheKey}`)
}

async function encrypt(key: CryptoKey, cacheKey: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES))
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: additionalData(cacheKey) },
    key,
    new TextEncoder().encode(plaintext),
  )
  return `${VERSION}.${encodeBase64Url(iv)}.${encodeBase64Url(new Uint8Array(ciphertext))}`
}

/** The plaintext, or undefined when the value is not ours to read (see the format above). */
async function decrypt(
  key: CryptoKey,
  cacheKey: string,
  stored: string,
): Promise<string | undefined> {
  const [version, ivText, ciphertextText, ...rest] = stored.split('.')
  if (version !== VERSION || ivText === undefined || ciphertextText === undefined) return undefined
  if (rest.length > 0) return undefined
  const iv = decodeBase64(ivText)
  const ciphertext = decodeBase64(ciphertextText)
  if (iv?.length !== IV_BYTES || ciphertext === undefined || ciphertext.length < TAG_BYTES) {
    return undefined
  }
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv, additionalData: additionalData(cacheKey) },
      key,
      ciphertext,
    )
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(plaintext)
  } catch {
    // OperationError (authentication failed) or invalid UTF-8: not a value we wrote.
    return undefined
  }
}
