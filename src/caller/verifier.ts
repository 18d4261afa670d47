// Builds the per-isolate caller verifier, seeding its JWKS from KV and writing it back when it changes.
import type { ExportedJWKSCache } from 'jose'
import type { KvLike } from '../cache/encrypted-kv'
import { encodeBase64Url, sha256 } from '../lib/base64'
import type { Now } from '../lib/clock'
import type { AuthConfig } from './auth-config'
import { createJwtVerifier, type JwtVerifier } from './jwt'

/**
 * KV key of a cached JWKS: `jwks:v1:<base64url(SHA-256(jwks URL or issuer))>`. A JWKS is public, so
 * it is stored in the clear; only this Worker writes the namespace (jose's jwksCache warning).
 */
export async function jwksCacheKey(source: string): Promise<string> {
  return `jwks:v1:${encodeBase64Url(await sha256(source))}`
}

const JWKS_KV_TTL_SECONDS = 24 * 60 * 60

export interface CallerVerifier {
  verifier: JwtVerifier
  /** After a verification: persists the JWKS if jose fetched a new one (at most once per fetch). */
  persist(waitUntil: (promise: Promise<unknown>) => void): void
}

export async function createCallerVerifier(
  auth: AuthConfig,
  deps: {
    fetch: typeof fetch
    now: Now
    kv: KvLike | undefined
    log: (event: string, fields: Record<string, unknown>) => void
  },
): Promise<CallerVerifier | undefined> {
  if (auth.mode === 'anonymous') return undefined
  const key = await jwksCacheKey(auth.jwksUrl ?? auth.issuer)
  let seed: ExportedJWKSCache | Record<string, never> = {}
  // Discovery's answer is kept with the keys, so a new isolate skips both fetches.
  let discoveredJwksUrl: string | undefined
  if (deps.kv !== undefined) {
    try {
      const stored = await deps.kv.get(key, 'text')
      const parsed =
        stored === null
          ? undefined
          : (JSON.parse(stored) as Partial<ExportedJWKSCache> & { jwksUrl?: unknown })
      if (
        parsed !== undefined &&
        Array.isArray(parsed.jwks?.keys) &&
        typeof parsed.uat === 'number'
      ) {
        seed = { jwks: parsed.jwks, uat: parsed.uat }
        if (typeof parsed.jwksUrl === 'string') discoveredJwksUrl = parsed.jwksUrl
      }
    } catch (error) {
      deps.log('jwks_seed_failed', { error: error instanceof Error ? error.name : typeof error })
    }
  }
  const verifier = createJwtVerifier({
    ...auth,
    jwksUrl: auth.jwksUrl ?? discoveredJwksUrl,
    fetch: deps.fetch,
    now: deps.now,
    seed,
  })

  let persistedUat = 'uat' in seed ? seed.uat : undefined
  return {
    verifier,
    persist(waitUntil) {
      const cache = verifier.cache
      const kv = deps.kv
      if (kv === undefined || !('uat' in cache) || cache.uat === persistedUat) return
      persistedUat = cache.uat
      waitUntil(
        kv
          .put(
            key,
            JSON.stringify({ jwks: cache.jwks, uat: cache.uat, jwksUrl: verifier.jwksUrl() }),
            {
              expirationTtl: JWKS_KV_TTL_SECONDS,
            },
          )
          .catch((error: unknown) =>
            deps.log('jwks_persist_failed', {
              error: error instanceof Error ? error.name : typeof error,
            }),
          ),
      )
    },
  }
}
