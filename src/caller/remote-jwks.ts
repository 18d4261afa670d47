// An issuer's JWKS fetched over HTTP and cached per isolate, timed by the injected clock.
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose'
import type { Now } from '../lib/clock'

/** What the isolate holds, and what KV stores for the next isolate. */
export interface KeySetSnapshot {
  jwks: JSONWebKeySet
  fetchedAtMs: number
}

export interface RemoteKeySetOptions {
  url: string
  fetch: typeof fetch
  now: Now
  seed?: KeySetSnapshot
}

export interface RemoteKeySet {
  getKey: JWTVerifyGetKey
  snapshot(): KeySetSnapshot | undefined
}

// jose's createRemoteJWKSet defaults. It is not used itself because it times its cache and
// cooldown with Date.now(), which tests cannot move and which a seeded `uat` could pin.
const MAX_AGE_MS = 600_000
/** An unknown `kid` refetches at most this often, so forged kids cannot drive fetches. */
const COOLDOWN_MS = 30_000
const TIMEOUT_MS = 5_000

async function fetchJwks(url: string, fetcher: typeof fetch): Promise<unknown> {
  let response: Response
  try {
    response = await fetcher(url, {
      method: 'GET',
      // As jose does: a JWKS endpoint that redirects is not followed anywhere.
      redirect: 'manual',
      headers: { accept: 'application/json, application/jwk-set+json' },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
  } catch (error) {
    if (error instanceof Error && error.name === 'TimeoutError')
      throw new errors.JWKSTimeout(undefined, { cause: error })
    throw error
  }
  if (response.status !== 200)
    throw new errors.JOSEError('Expected 200 OK from the JSON Web Key Set HTTP response')
  try {
    return await response.json()
  } catch (cause) {
    throw new errors.JOSEError('The JSON Web Key Set HTTP response is not JSON', { cause })
  }
}

export function createRemoteKeySet(options: RemoteKeySetOptions): RemoteKeySet {
  const { url, now } = options
  let current: { snapshot: KeySetSnapshot; local: JWTVerifyGetKey } | undefined
  if (options.seed !== undefined) {
    try {
      current = { snapshot: options.seed, local: createLocalJWKSet(options.seed.jwks) }
    } catch {
      // A seed jose cannot read is a cache miss.
    }
  }
  // Concurrent reloads are not shared (a promise started by one request must not be awaited by
  // another on Workers); the sequence keeps a slow, older answer from replacing a newer one.
  let started = 0
  let applied = 0

  const reload = async (): Promise<void> => {
    const sequence = ++started
    const jwks = await fetchJwks(url, options.fetch)
    const local = createLocalJWKSet(jwks as JSONWebKeySet)
    if (sequence <= applied) return
    applied = sequence
    current = { snapshot: { jwks: jwks as JSONWebKeySet, fetchedAtMs: now() }, local }
  }
  const youngerThan = (ms: number): boolean =>
    current !== undefined && now() < current.snapshot.fetchedAtMs + ms

  // A failed fetch is not repeated for a cooldown, and keys already held keep serving past their
  // age meanwhile (stale-if-error): an identity provider's outage must neither be hammered by every
  // request nor stop the verification of tokens signed by keys we have.
  let failedAtMs = -Infinity
  const refresh = async (staleKeysServe: boolean): Promise<void> => {
    const keep = staleKeysServe && current !== undefined
    if (now() < failedAtMs + COOLDOWN_MS) {
      if (keep) return
      throw new errors.JOSEError('The JSON Web Key Set could not be fetched recently')
    }
    try {
      await reload()
    } catch (error) {
      failedAtMs = now()
      if (!keep) throw error
    }
  }

  return {
    snapshot: () => current?.snapshot,
    async getKey(header, token) {
      if (!youngerThan(MAX_AGE_MS)) await refresh(true)
      try {
        return await current!.local(header, token)
      } catch (error) {
        if (!(error instanceof errors.JWKSNoMatchingKey) || youngerThan(COOLDOWN_MS)) throw error
        // An unknown kid needs new keys: if they cannot be had, the caller is not at fault.
        await refresh(false)
        return current!.local(header, token)
      }
    },
  }
}
