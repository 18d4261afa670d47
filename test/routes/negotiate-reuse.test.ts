// Route tests of client-token reuse in isolate memory: the same identity and grant get the same
// token without an Auth API call; anything else, or a token past its reuse threshold, does not.
import { decodeJwt } from 'jose'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  authApiTiming,
  clockedHarness,
  jwtVars,
  negotiate,
  userToken,
  type Negotiated,
} from '../support/client-tokens'
import { emulator } from '../support/emulator'
import { createHarness } from '../support/harness'

beforeEach(() => emulator.reset())

const authApiCalls = async () => (await emulator.counters())['webpubsub.generateToken']

describe('routes/negotiate client-token reuse (memory)', () => {
  it('hands the same token to the same identity and grant without calling the Auth API', async () => {
    const h = await createHarness({ vars: jwtVars() })
    const alice = await userToken('alice')
    const first = await negotiate(h, alice)
    const second = await negotiate(h, alice)
    expect(await authApiCalls()).toBe(1)
    expect(second.body).toEqual(first.body)
    expect(authApiTiming(first.response)).toBe('fetched')
    expect(authApiTiming(second.response)).toBe('reused-memory')
  })

  it('puts refreshAfter at three quarters of the token’s own life, fresh or reused', async () => {
    const { h } = await clockedHarness({ vars: jwtVars() })
    const alice = await userToken('alice')
    const first = await negotiate(h, alice)
    const { iat, exp } = decodeJwt(first.body.token)
    const expected = new Date((iat! + (exp! - iat!) * 0.75) * 1000).toISOString()
    expect(first.body.expiresAt).toBe(new Date(exp! * 1000).toISOString())
    expect(first.body.refreshAfter).toBe(expected)
    h.advance(20 * 60_000)
    const reused = await negotiate(h, alice)
    expect(authApiTiming(reused.response)).toBe('reused-memory')
    expect(reused.body.expiresAt).toBe(first.body.expiresAt)
    expect(reused.body.refreshAfter).toBe(expected)
  })

  it('never shares a token between different users, hubs, protocols, roles, groups or lifetimes', async () => {
    const h = await createHarness({ vars: jwtVars() })
    const alice = await userToken('alice')
    const bob = await userToken('bob')
    const variants: [string, string][] = [
      [alice, ''],
      [bob, ''],
      [alice, '&hub=lobby'],
      [bob, '&hub=lobby'],
      [alice, '&hub=news'],
      [alice, '&protocol=mqtt'],
      [await userToken('alice', { roles: ['moderator'] }), ''],
      [alice, '&group=room.1'],
      [alice, '&group=room.2'],
      [alice, '&minutesToExpire=30'],
    ]
    const first = []
    for (const [bearer, query] of variants) first.push((await negotiate(h, bearer, query)).body)
    expect(new Set(first.map((body) => body.token)).size).toBe(variants.length)
    expect(await authApiCalls()).toBe(variants.length)
    // Each variant, asked again, gets its own token back.
    for (const [i, [bearer, query]] of variants.entries()) {
      const again = await negotiate(h, bearer, query)
      expect(authApiTiming(again.response)).toBe('reused-memory')
      expect(again.body.token).toBe(first[i]?.token)
    }
    expect(await authApiCalls()).toBe(variants.length)
  })

  it('keeps reusing until less than TOKEN_REUSE_MIN_REMAINING of the life is left (default ½)', async () => {
    const { h, calls } = await clockedHarness({ vars: jwtVars() })
    const alice = await userToken('alice')
    const first = await negotiate(h, alice)
    h.advance(30 * 60_000 - 2_000) // just over half of 60 minutes left: still reusable
    expect((await negotiate(h, alice)).body.token).toBe(first.body.token)
    h.advance(3_000)
    const next = await negotiate(h, alice)
    expect(authApiTiming(next.response)).toBe('fetched')
    expect(next.body.token).not.toBe(first.body.token)
    expect(calls()).toBe(2)
  })

  it('honours another TOKEN_REUSE_MIN_REMAINING', async () => {
    const { h, calls } = await clockedHarness({
      vars: jwtVars({ TOKEN_REUSE_MIN_REMAINING: '0.9' }),
    })
    const alice = await userToken('alice')
    await negotiate(h, alice)
    h.advance(6 * 60_000 - 2_000) // just over 54 of 60 minutes left: 0.9
    expect(authApiTiming((await negotiate(h, alice)).response)).toBe('reused-memory')
    h.advance(3_000)
    expect(authApiTiming((await negotiate(h, alice)).response)).toBe('fetched')
    expect(calls()).toBe(2)
  })

  it('never hands out an expired token', async () => {
    const { h, calls } = await clockedHarness({ vars: jwtVars() })
    const alice = await userToken('alice')
    const first = await negotiate(h, alice, '&minutesToExpire=5')
    h.advance(5 * 60_000 + 1)
    const next = await negotiate(h, alice, '&minutesToExpire=5')
    expect(next.body.token).not.toBe(first.body.token)
    expect(Date.parse(next.body.expiresAt)).toBeGreaterThan(h.now())
    expect(calls()).toBe(2)
  })

  it('makes one Auth API call for a burst of negotiations for one key', async () => {
    await emulator.latency('webpubsub.generateToken', 200)
    const h = await createHarness({ vars: jwtVars() })
    const alice = await userToken('alice')
    const responses = await Promise.all(Array.from({ length: 6 }, () => negotiate(h, alice)))
    expect(await authApiCalls()).toBe(1)
    expect(new Set(responses.map(({ body }) => body.token)).size).toBe(1)
    expect(responses.map(({ response }) => authApiTiming(response)).sort()).toEqual([
      'fetched',
      ...Array<string>(5).fill('reused-memory'),
    ])
  })

  it('gives a burst the one failure instead of calling the Auth API once per request', async () => {
    await emulator.latency('webpubsub.generateToken', 200)
    await emulator.fault({
      route: 'webpubsub.generateToken',
      kind: 'status',
      status: 400,
      times: 1,
    })
    const h = await createHarness({ vars: jwtVars() })
    const alice = await userToken('alice')
    const responses = await Promise.all(
      Array.from({ length: 4 }, () =>
        h.request('/negotiate?hub=chat', { headers: { authorization: `Bearer ${alice}` } }),
      ),
    )
    expect(responses.map((response) => response.status)).toEqual([502, 502, 502, 502])
    expect(await authApiCalls()).toBe(1)
  })

  it('always fetches when TOKEN_REUSE=off', async () => {
    const h = await createHarness({ vars: jwtVars({ TOKEN_REUSE: 'off' }) })
    const alice = await userToken('alice')
    const first = await negotiate(h, alice)
    const second = await negotiate(h, alice)
    expect([authApiTiming(first.response), authApiTiming(second.response)]).toEqual([
      'fetched',
      'fetched',
    ])
    expect(await authApiCalls()).toBe(2)
  })

  it('never reuses for anonymous callers with random user ids (the default)', async () => {
    const h = await createHarness()
    const first = await h.request('/negotiate')
    const second = await h.request('/negotiate')
    expect(authApiTiming(second)).toBe('fetched')
    const [a, b] = [(await first.json()) as Negotiated, (await second.json()) as Negotiated]
    expect(a.userId).not.toBe(b.userId)
    expect(await authApiCalls()).toBe(2)
  })
})
