// The local OpenID issuer's signing keys: one RSA-2048 (RS256) and one P-256 (ES256) key, rotatable.
import { randomBytes } from 'node:crypto'
import { exportJWK, generateKeyPair, type JWK } from 'jose'

export type OidcAlgorithm = 'RS256' | 'ES256'
export const OIDC_ALGORITHMS: readonly OidcAlgorithm[] = ['RS256', 'ES256']

export interface OidcSigningKey {
  kid: string
  alg: OidcAlgorithm
  privateKey: CryptoKey
  /** What the JWKS publishes: the public key with `kid`, `alg` and `use: 'sig'`. */
  publicJwk: JWK
}

export interface OidcKeyring {
  /** The current key for an algorithm. */
  key(alg: OidcAlgorithm): OidcSigningKey
  /** The public JWKs of the current keys, in OIDC_ALGORITHMS order. */
  publicJwks(): JWK[]
  /** Replaces every key with a new one under a new kid and returns the new kids. */
  rotate(): Promise<string[]>
}

export async function createOidcKeyring(): Promise<OidcKeyring> {
  let generation = 0
  let keys: Record<OidcAlgorithm, OidcSigningKey>

  const generate = async () => {
    generation += 1
    // The random suffix keeps a kid unique across emulator restarts: a verifier that cached the JWKS
    // (in memory or seeded from KV) must see an unknown kid and refetch, not a stale key under a
    // reused kid, which would look like a bad signature.
    const suffix = randomBytes(3).toString('hex')
    const [rs, es] = await Promise.all([
      signingKey('RS256', `emu-rs-${generation}-${suffix}`),
      signingKey('ES256', `emu-es-${generation}-${suffix}`),
    ])
    keys = { RS256: rs, ES256: es }
  }
  await generate()

  return {
    key: (alg) => keys[alg],
    publicJwks: () => OIDC_ALGORITHMS.map((alg) => keys[alg].publicJwk),
    async rotate() {
      await generate()
      return OIDC_ALGORITHMS.map((alg) => keys[alg].kid)
    },
  }
}

async function signingKey(alg: OidcAlgorithm, kid: string): Promise<OidcSigningKey> {
  // jose defaults to RSA-2048 for RS256 and to P-256 for ES256.
  const { privateKey, publicKey } = await generateKeyPair(alg)
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  return { kid, alg, privateKey, publicJwk }
}
