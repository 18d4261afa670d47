// AES-GCM for the encrypted caches (KV and the Cache API): the key, and sealing values under it.
//
// Sealed value format, version 1 (one line of ASCII):
//
//   v1.<iv>.<ciphertext>
//
// - `iv`: 12 random bytes, fresh for every write (AES-GCM must never reuse an IV under one key),
//   unpadded base64url.
// - `ciphertext`: AES-GCM output over the UTF-8 plaintext, 128-bit tag appended (as WebCrypto
//   returns it), unpadded base64url.
// - Additional authenticated data: the UTF-8 bytes of `v1:` followed by the storage key the value
//   is written under. A value copied to another key, or relabelled with another version, fails
//   authentication.
//
// Anything that does not match (other version, bad base64, wrong key, tampered, not UTF-8) opens
// to undefined: a cache miss, never an error, so a rotated key or a format change only costs a
// refresh. Values are never logged, not even on failure.
import { decodeBase64, encodeBase64Url } from '../lib/base64'

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

const VERSION = 'v1'
const IV_BYTES = 12
const TAG_BYTES = 16

function additionalData(storageKey: string): Uint8Array {
  return new TextEncoder().encode(`${VERSION}:${storageKey}`)
}

/** Encrypts `plaintext` for `storageKey` (see the format above). */
export async function sealText(
  key: CryptoKey,
  storageKey: string,
  plaintext: string,
): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES))
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: additionalData(storageKey) },
    key,
    new TextEncoder().encode(plaintext),
  )
  return `${VERSION}.${encodeBase64Url(iv)}.${encodeBase64Url(new Uint8Array(ciphertext))}`
}

/** The plaintext, or undefined when the value is not ours to read for `storageKey`. */
export async function openText(
  key: CryptoKey,
  storageKey: string,
  sealed: string,
): Promise<string | undefined> {
  const [version, ivText, ciphertextText, ...rest] = sealed.split('.')
  if (version !== VERSION || ivText === undefined || ciphertextText === undefined) return undefined
  if (rest.length > 0) return undefined
  const iv = decodeBase64(ivText)
  const ciphertext = decodeBase64(ciphertextText)
  if (iv?.length !== IV_BYTES || ciphertext === undefined || ciphertext.length < TAG_BYTES) {
    return undefined
  }
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv, additionalData: additionalData(storageKey) },
      key,
      ciphertext,
    )
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(plaintext)
  } catch {
    // OperationError (authentication failed) or invalid UTF-8: not a value we wrote.
    return undefined
  }
}
