// Remembers tokens that verified, per isolate, so a caller who negotiates again is not verified again.
//
// A repeat caller sends the same token string until it expires. Verifying it costs a signature
// check and the claim checks on every negotiation; the outcome cannot change before its `exp` but
// for one thing: the identity provider withdrawing the signing key. The key set itself is cached
// for minutes (caller/remote-jwks.ts), so a result kept for at most MAX_AGE_MS more adds little to
// that exposure. Only successes are kept; a token that failed is checked again each time.
import { createLru, type Lru } from '../cache/lru'
import type { Now } from '../lib/clock'
import type { JwtVerifier } from './jwt'
import type { Identity } from './policy'

/** How long a verification is trusted without checking the token again. */
export const VERIFIED_TOKEN_MAX_AGE_MS = 60_000
/** Bounded in count and bytes, whatever the traffic; tokens are at most 8 KiB (jwt.ts). */
export const VERIFIED_TOKEN_LIMITS = { maxEntries: 2_000, maxBytes: 4 * 1024 * 1024 }
/** The entry, the identity's claims (roughly) and the map slot, beyond the key itself. */
const ENTRY_OVERHEAD_BYTES = 1_024

interface Verified {
  identity: Identity
  untilMs: number
}

export function withVerifiedTokenCache(
  verifier: JwtVerifier,
  options: { now: Now; limits?: typeof VERIFIED_TOKEN_LIMITS },
): JwtVerifier {
  const { now } = options
  const verified: Lru<Verified> = createLru<Verified>({
    ...(options.limits ?? VERIFIED_TOKEN_LIMITS),
    sizeOf: (token) => 2 * token.length + ENTRY_OVERHEAD_BYTES,
  })
  return {
    snapshot: () => verifier.snapshot(),
    async verify(token) {
      const atMs = now()
      const known = verified.get(token)
      if (known !== undefined) {
        if (atMs < known.untilMs) return known.identity
        verified.delete(token)
      }
      const identity = await verifier.verify(token)
      const exp = identity.claims.exp
      // `exp` is required by the verifier; a token without a usable one is simply not kept.
      if (typeof exp === 'number' && Number.isFinite(exp)) {
        const untilMs = Math.min(exp * 1000, atMs + VERIFIED_TOKEN_MAX_AGE_MS)
        if (untilMs > atMs) verified.set(token, { identity: Object.freeze(identity), untilMs })
      }
      return identity
    },
  }
}
