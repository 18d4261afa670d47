// Client-token reuse as the negotiator runs it: isolate memory, then the colo's Cache API.
import {
  createClientTokenCache,
  type ClientTokenCache,
  type ClientTokenMemory,
  type ClientTokenStore,
} from '../cache/client-token-cache'
import { clientTokenHash } from '../cache/client-token-key'
import { createCacheApiStore, type CacheStorageLike } from '../cache/client-token-store'
import type { TokenReuseConfig } from '../cache/token-reuse-config'
import { NegotiatorError } from '../errors'
import type { Now, Sleep } from '../lib/clock'

export interface ClientTokenReuseOptions {
  config: TokenReuseConfig
  /** Created once per isolate, shared by every runtime it builds. */
  memory: ClientTokenMemory
  /** The Workers `caches` global; undefined where there is none (memory only). */
  caches: CacheStorageLike | undefined
  /** The AES-GCM key of the encrypted caches. */
  key: CryptoKey
  now: Now
  sleep: Sleep
  log: (event: { event: string; [field: string]: unknown }) => void
}

/** The reuse cache, or undefined when TOKEN_REUSE=off. */
export function createClientTokenReuse(
  options: ClientTokenReuseOptions,
): ClientTokenCache | undefined {
  if (!options.config.enabled) return undefined
  return createClientTokenCache({
    memory: options.memory,
    store:
      options.caches === undefined
        ? undefined
        : byHash(createCacheApiStore({ caches: options.caches, key: options.key })),
    minRemaining: options.config.minRemaining,
    now: options.now,
    sleep: options.sleep,
    log: options.log,
    waitTimeoutError: () =>
      new NegotiatorError('webpubsub_unavailable', {
        detail: 'Timed out waiting for a client token another request is fetching; retry shortly.',
        upstream: { service: 'webpubsub' },
      }),
  })
}

/**
 * Memory is keyed by the grant itself (cache/client-token-key.ts); the Cache API only ever sees
 * its hash. Hashing here, on the way to the second level, keeps the digest off a memory hit.
 */
function byHash(store: ClientTokenStore): ClientTokenStore {
  return {
    get: async (key) => store.get(await clientTokenHash(key)),
    put: async (key, token, ttlSeconds) => store.put(await clientTokenHash(key), token, ttlSeconds),
  }
}
