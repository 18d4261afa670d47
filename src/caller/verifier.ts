// Builds the per-isolate caller verifier, seeding its keys from KV and writing them back when they change.
import type { EncryptedKv } from '../cache/encrypted-kv'
import { encodeBase64Url, sha256 } from '../lib/base64'
import type { Now } from '../lib/clock'
import type { AuthConfig, TokenRules } from './auth-config'
import { isSecureUrl } from './discovery'
import { createJwtVerifier, type JwtVerifier, type StoredKeys } from './jwt'
import { withVerifiedTokenCache } from './verified-tokens'

/**
 * KV key of the cached keys: `jwks:v2:<base64url(SHA-256(jwks URL or issuer))>`. A JWKS is public
 * but decides whose tokens are accepted, so the entry is encrypted and authenticated like the Entra
 * token (AES-GCM, the key name as additional data): whoever can write the namespace cannot plant
 * keys or timestamps. (v1 kept it in the clear.)
 */
export async function jwksCacheKey(source: string): Promise<string> {
  return `jwks:v2:${encodeBase64Url(await sha256(source))}`
}

const JWKS_KV_TTL_SECONDS = 24 * 60 * 60
/**
 * A new isolate re-runs OpenID Connect discovery once the stored answer is this old, so a moved
 * `jwks_uri` is noticed; re-persisting keys keeps the time of discovery, not of the write.
 */
export const DISCOVERY_MAX_AGE_MS = 24 * 60 * 60 * 1000

const isTime = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value)
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** The stored keys if they are usable for this configuration now, else undefined (a miss). */
export function usableStoredKeys(
  value: unknown,
  auth: TokenRules,
  nowMs: number,
): StoredKeys | undefined {
  if (!isObject(value)) return undefined
  const { jwksUrl, jwks, fetchedAtMs, discoveredAtMs } = value
  if (typeof jwksUrl !== 'string' || !isSecureUrl(jwksUrl) || !isTime(fetchedAtMs)) return undefined
  const keys = isObject(jwks) ? jwks.keys : undefined
  if (!Array.isArray(keys) || !keys.every(isObject)) return undefined
  // A time in the future would keep the keys fresh, and unknown kids cooling down, indefinitely.
  const stored: StoredKeys = { jwksUrl, jwks: { keys }, fetchedAtMs: Math.min(fetchedAtMs, nowMs) }
  if (auth.jwksUrl !== undefined) return jwksUrl === auth.jwksUrl ? stored : undefined
  if (!isTime(discoveredAtMs)) return undefined
  const discovered = Math.min(discoveredAtMs, nowMs)
  if (nowMs - discovered >= DISCOVERY_MAX_AGE_MS) return undefined
  return { ...stored, discoveredAtMs: discovered }
}

export interface CallerVerifier {
  verifier: JwtVerifier
  /** After a verification: persists the keys if they were fetched anew (at most once per fetch). */
  persist(waitUntil: (promise: Promise<unknown>) => void): void
}

export async function createCallerVerifier(
  auth: AuthConfig,
  deps: {
    fetch: typeof fetch
    now: Now
    kv: EncryptedKv | undefined
    log: (event: string, fields: Record<string, unknown>) => void
  },
): Promise<CallerVerifier | undefined> {
  if (auth.mode === 'anonymous') return undefined
  const key = await jwksCacheKey(auth.jwksUrl ?? auth.issuer)
  let seed: StoredKeys | undefined
  if (deps.kv !== undefined) {
    try {
      seed = usableStoredKeys(await deps.kv.get<unknown>(key), auth, deps.now())
    } catch (error) {
      deps.log('jwks_seed_failed', { error: error instanceof Error ? error.name : typeof error })
    }
  }
  const keyed = createJwtVerifier({
    ...auth,
    fetch: deps.fetch,
    now: deps.now,
    seed,
    variables:
      auth.mode === 'cloudflare-access'
        ? { issuer: 'CF_ACCESS_TEAM_DOMAIN', audience: 'CF_ACCESS_AUD' }
        : { issuer: 'AUTH_ISSUER', audience: 'AUTH_AUDIENCE' },
    log: deps.log,
  })
  const verifier = withVerifiedTokenCache(keyed, { now: deps.now })

  let persistedAtMs = seed?.fetchedAtMs
  return {
    verifier,
    persist(waitUntil) {
      const kv = deps.kv
      const snapshot = verifier.snapshot()
      if (kv === undefined || snapshot === undefined || snapshot.fetchedAtMs === persistedAtMs)
        return
      persistedAtMs = snapshot.fetchedAtMs
      waitUntil(
        kv.put(key, snapshot, JWKS_KV_TTL_SECONDS).catch((error: unknown) =>
          deps.log('jwks_persist_failed', {
            error: error instanceof Error ? error.name : typeof error,
          }),
        ),
      )
    },
  }
}
