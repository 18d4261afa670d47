// The Entra token as the rest of the negotiator sees it: cached in memory and KV, fetched rarely.
import type { EntraConfig } from '../config'
import {
  createLayeredTokenCache,
  type LayeredTokenCache,
  type TokenCacheEvent,
} from '../cache/token-cache'
import type { EncryptedKv } from '../cache/encrypted-kv'
import type { MemoryCache } from '../cache/memory'
import { NegotiatorError, withRetryAfter } from '../errors'
import { encodeBase64Url, sha256 } from '../lib/base64'
import type { Now, Sleep } from '../lib/clock'
import { entraBackoffMs, isPermanentEntraFailure } from './aadsts'
import { requestEntraToken, type EntraToken } from './client-credentials'
import type { PreparedCredential } from './credential'

/**
 * KV key of the cached Entra token:
 *
 *   entra-token:v1:<base64url(SHA-256(authorityHost "\n" tenantId "\n" clientId "\n" scope "\n" fingerprint))>
 *
 * `fingerprint` is `secret:<base64url SHA-256 of the secret>` or `cert:<x5t#S256>`, so rotating the
 * secret or certificate, or pointing at another tenant, app, cloud or scope, misses the old entry.
 * Hashing keeps the key far below KV's 512-byte limit and keeps ids out of the KV dashboard. The
 * value is encrypted (cache/encrypted-kv.ts) with this key bound as additional data.
 */
export async function entraTokenCacheKey(
  config: EntraConfig,
  credential: PreparedCredential,
): Promise<string> {
  const parts = [
    config.authorityHost,
    config.tenantId,
    config.clientId,
    config.scope,
    credential.fingerprint,
  ]
  return `entra-token:v1:${encodeBase64Url(await sha256(parts.join('\n')))}`
}

export interface EntraTokenSourceOptions {
  config: EntraConfig
  credential: PreparedCredential
  cacheKey: string
  memory: MemoryCache<EntraToken>
  kv: EncryptedKv | undefined
  fetch: typeof fetch
  now: Now
  sleep: Sleep
  log: (event: TokenCacheEvent) => void
}

export type EntraTokenSource = LayeredTokenCache<EntraToken>

export function createEntraTokenSource(options: EntraTokenSourceOptions): EntraTokenSource {
  const { config, credential, now, sleep } = options
  return createLayeredTokenCache<EntraToken>({
    memory: options.memory,
    kv: options.kv,
    cacheKey: options.cacheKey,
    now,
    sleep,
    log: options.log,
    isPermanentFailure: (error) =>
      error instanceof NegotiatorError && isPermanentEntraFailure(error),
    // After a 429/5xx no request, background refresh or cron run asks Entra again before the wait
    // it asked for is over; callers get the same error with the time left as Retry-After.
    backoffMs: (error) => (error instanceof NegotiatorError ? entraBackoffMs(error) : undefined),
    rememberedError: (error, remainingMs) =>
      error instanceof NegotiatorError
        ? withRetryAfter(error, Math.ceil(remainingMs / 1000))
        : error,
    waitTimeoutError: () =>
      new NegotiatorError('entra_unavailable', {
        detail: 'Timed out waiting for an Entra token another request is fetching; retry shortly.',
        upstream: { service: 'entra' },
      }),
    load: async (deadlineMs) => {
      const startedAtMs = now()
      const token = await requestEntraToken(config, credential, {
        fetch: options.fetch,
        now,
        sleep,
        deadlineMs,
        onRetry: (info) => options.log({ event: 'entra_retry', ...info }),
      })
      options.log({
        event: 'entra_token_fetched',
        durationMs: now() - startedAtMs,
        expiresInSeconds: Math.round((token.expiresAtMs - token.obtainedAtMs) / 1000),
      })
      return token
    },
  })
}
