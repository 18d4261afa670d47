// Turns the configured secret or certificate into what a token request needs, once per isolate.
import { importPKCS8 } from 'jose'
import type { CredentialConfig } from './credential-config'
import { encodeBase64Url, sha256 } from '../lib/base64'

export type PreparedCredential =
  | { kind: 'secret'; secret: string; fingerprint: string; keyMaterial: Uint8Array }
  | {
      kind: 'certificate'
      privateKey: CryptoKey
      /** base64url SHA-256 of the certificate DER: the `x5t#S256` header (RFC 7515 §4.1.8). */
      x5tS256: string
      fingerprint: string
      keyMaterial: Uint8Array
    }

/**
 * `fingerprint` identifies the credential in cache keys without revealing it: a SHA-256 over a
 * high-entropy secret (or over a public certificate) cannot be reversed. `keyMaterial` feeds HKDF
 * when no TOKEN_CACHE_KEY is set, so only holders of the credential can read the cached token.
 */
export async function prepareCredential(credential: CredentialConfig): Promise<PreparedCredential> {
  if (credential.kind === 'secret') {
    const keyMaterial = new TextEncoder().encode(credential.secret)
    return {
      kind: 'secret',
      secret: credential.secret,
      fingerprint: `secret:${encodeBase64Url(await sha256(keyMaterial))}`,
      keyMaterial,
    }
  }
  // PS256 is Entra's current assertion algorithm; RS256 is the legacy form (Microsoft identity
  // platform, certificate credentials: https://learn.microsoft.com/entra/identity-platform/certificate-credentials).
  const privateKey = await importPKCS8(credential.privateKeyPem, 'PS256')
  const x5tS256 = encodeBase64Url(await sha256(credential.certificateDer))
  return {
    kind: 'certificate',
    privateKey,
    x5tS256,
    fingerprint: `cert:${x5tS256}`,
    keyMaterial: credential.privateKeyDer,
  }
}
