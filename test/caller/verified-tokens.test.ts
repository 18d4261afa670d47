// The per-isolate memory of verified tokens: kept until exp or a minute, only successes, bounded.
import { describe, expect, it } from 'vitest'
import type { JwtVerifier } from '../../src/caller/jwt'
import { VERIFIED_TOKEN_MAX_AGE_MS, withVerifiedTokenCache } from '../../src/caller/verified-tokens'

const START_MS = Date.UTC(2026, 0, 15, 12, 0, 0)

/** A verifier that accepts `ok:<user>:<exp seconds>` and refuses anything else, counting calls. */
function fakeVerifier() {
  const state = { calls: 0 }
  const verifier: JwtVerifier = {
    snapshot: () => undefined,
    async verify(token) {
      state.calls++
      const [kind, user, exp] = token.split(':')
      if (kind !== 'ok') throw new Error('refused')
      return { userId: user ?? '', claims: { sub: user, exp: Number(exp) } }
    },
  }
  return { state, verifier }
}

function setup(limits?: { maxEntries: number; maxBytes: number }) {
  const clock = { nowMs: START_MS }
  const { state, verifier } = fakeVerifier()
  const cached = withVerifiedTokenCache(verifier, { now: () => clock.nowMs, limits })
  return { clock, state, cached }
}

const inAnHour = START_MS / 1000 + 3600

describe('withVerifiedTokenCache', () => {
  it('verifies a repeated token once, and hands out the same identity', async () => {
    const { state, cached } = setup()
    const token = `ok:alice:${inAnHour}`
    const first = await cached.verify(token)
    const second = await cached.verify(token)
    expect(second).toEqual({ userId: 'alice', claims: { sub: 'alice', exp: inAnHour } })
    expect(second).toBe(first)
    expect(state.calls).toBe(1)
  })

  it('checks the token again after a minute', async () => {
    const { clock, state, cached } = setup()
    const token = `ok:alice:${inAnHour}`
    await cached.verify(token)
    clock.nowMs += VERIFIED_TOKEN_MAX_AGE_MS - 1
    await cached.verify(token)
    expect(state.calls).toBe(1)
    clock.nowMs += 1
    await cached.verify(token)
    expect(state.calls).toBe(2)
  })

  it('never hands out a token past its exp', async () => {
    const { clock, state, cached } = setup()
    const token = `ok:alice:${START_MS / 1000 + 10}`
    await cached.verify(token)
    clock.nowMs += 9_999
    await cached.verify(token)
    expect(state.calls).toBe(1)
    clock.nowMs += 1
    await cached.verify(token)
    expect(state.calls).toBe(2)
  })

  it('keeps no refusal: a refused token is checked every time', async () => {
    const { state, cached } = setup()
    for (let i = 0; i < 3; i++) await expect(cached.verify('bad')).rejects.toThrow('refused')
    expect(state.calls).toBe(3)
  })

  it('tells different tokens apart, even of one user', async () => {
    const { state, cached } = setup()
    const a = await cached.verify(`ok:alice:${inAnHour}`)
    const b = await cached.verify(`ok:alice:${inAnHour + 1}`)
    const c = await cached.verify(`ok:bob:${inAnHour}`)
    expect([a.claims.exp, b.claims.exp, c.userId]).toEqual([inAnHour, inAnHour + 1, 'bob'])
    expect(state.calls).toBe(3)
  })

  it('stays within its entry limit, forgetting the least recently used', async () => {
    const { state, cached } = setup({ maxEntries: 2, maxBytes: 1_000_000 })
    const tokens = ['a', 'b', 'c'].map((user) => `ok:${user}:${inAnHour}`)
    for (const token of tokens) await cached.verify(token)
    await cached.verify(tokens[2]!)
    await cached.verify(tokens[1]!)
    expect(state.calls).toBe(3)
    await cached.verify(tokens[0]!)
    expect(state.calls).toBe(4)
  })
})
