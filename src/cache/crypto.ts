// AES-GCM keys for the KV token cache: imported from TOKEN_CACHE_KEY or derived with HKDF.
import { decodeBase64 } from '../lib/base64'

const AES_KEY_BYTES = 32

// HKDF (RFC 5869) inputs. The salt is fixed and public on purpose: it only separates this use
// from any other derivation over the same credential; the secrecy comes from the material. The
// info names the purpose and a version, so a future format can derive an unrelated key.
const HKDF_SALT = new TextEncoder().encode('webpubsub-edge-negotiator/hkdf-salt/v1')
const HKDF_INFO = new TextEncoder().encode('webpubsub-edge-negotiator token cache AES-256-GCM v1')

/**
 * AES-GCM key from TOKEN_CACHE_KEY: base64 (standard or url, padding optional) of exactly 32 bytes.
 * Throws a plain Error naming the problem; the value itself never appears in the message.
 */
export async function importCacheKey(base64: string): Promise<CryptoKey> {
  const text = base64.trim()
  if (text === '') throw new Error('TOKEN_CACHE_KEY is empty: set it to base64 of 32 random bytes')
  const bytes = decodeBase64(text)
  if (bytes === undefined) {
    throw new Error('TOKEN_CACHE_KEY is not valid base64: set it to base64 of 32 random bytes')
  }
  if (bytes.length !== AES_KEY_BYTES) {
    throw new Error(
      `TOKEN_CACHE_KEY decodes to ${bytes.length} bytes, expected exactly ${AES_KEY_BYTES}: ` +
        'generate one with `openssl rand -base64 32`',
    )
  }
  return crypto.subtle.importKey('raw', bytes, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt'])
}

/**
 * AES-GCM key derived with HKDF-SHA-256 from credential material (the client secret's bytes, or
 * the certificate private key's PKCS#8 DER). Rotating the credential therefore changes the key,
 * and values cached under the old credential stop decrypting (they read as misses).
 */
export async function deriveCacheKey(material: Uint8Array): Promise<CryptoKey> {
  if (material.length === 0) throw new Error('cannot derive a cache key from empty material')
  const base = await crypto.subtle.importKey('raw', material, 'HKDF', false, ['deriveKey'])
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: HKDF_SALT, info: HKDF_INFO },
    base,
    { name: 'AES-GCM', length: AES_KEY_BYTES * 8 },
    false,
    ['encrypt', 'decrypt'],
  )
}
