// Stand-ins for the Workers rate-limiting binding ([[ratelimits]]), recording the keys asked for.
import type { RateLimiter } from '../../src/caller/rate-limit'

export interface FakeRateLimiter {
  /** Every key `limit` was called with, in order. */
  keys: string[]
  binding: RateLimiter
}

/** Lets `allowPerKey` calls through per key and refuses the rest, as a binding past its limit. */
export function fakeRateLimiter(allowPerKey: number): FakeRateLimiter {
  const keys: string[] = []
  return {
    keys,
    binding: {
      async limit({ key }) {
        keys.push(key)
        return { success: keys.filter((k) => k === key).length <= allowPerKey }
      },
    },
  }
}

/** A binding whose every call fails, as when the rate-limiting service is down. */
export function failingRateLimiter(): RateLimiter {
  return { limit: () => Promise.reject(new Error('binding down')) }
}
