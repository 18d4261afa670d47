// Per-caller rate limiting through the Workers rate-limiting binding, before any upstream call.
import { NegotiatorError } from '../errors'

/**
 * The `[[ratelimits]]` binding's shape; its counters are per colo and approximate
 * (developers.cloudflare.com/workers/runtime-apis/bindings/rate-limit/).
 */
export interface RateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>
}

/**
 * Verified callers are limited per user (one user, many IPs); anonymous ones per client IP. A
 * failing limiter lets the request through: the limiter protects upstreams, it must not take the
 * negotiator down with it.
 */
export async function enforceRateLimit(
  limiter: RateLimiter | undefined,
  key: string,
  periodSeconds: number,
  log: (event: string, fields: Record<string, unknown>) => void,
): Promise<void> {
  if (limiter === undefined) return
  let outcome
  try {
    outcome = await limiter.limit({ key })
  } catch (error) {
    log('rate_limiter_failed', { error: error instanceof Error ? error.name : typeof error })
    return
  }
  if (!outcome.success) {
    throw new NegotiatorError('rate_limited', {
      detail: `Too many negotiations; retry in ${periodSeconds} seconds.`,
      retryAfterSeconds: periodSeconds,
    })
  }
}

export function rateLimitKey(mode: string, userId: string, clientIp: string | undefined): string {
  return mode === 'anonymous' ? `ip:${clientIp ?? 'unknown'}` : `user:${userId}`
}
