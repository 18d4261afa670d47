// Route tests of client-token reuse through the colo's Cache API: a second harness plays a new
// isolate in the same data centre (empty memory, same Cache API); bad entries and a failing
// Cache API cost an Auth API call, never a negotiation.
import { beforeEach, describe, expect, it } from 'vitest'
import { clientTokenHash, clientTokenKey } from '../../src/cache/client-token-key'
import type { CacheStorageLike } from '../../src/cache/client-token-store'
import {
  authApiTiming,
  clockedHarness,
  jwtVars,
  negotiate,
  POLICY,
  userToken,
  type Negotiated,
} from '../support/client-tokens'
import { emulator, emulatorUrl } from '../support/emulator'
import { createHarness, isolatedCaches } from '../support/harness'

beforeEach(() => emulator.reset())

const authApiCalls = async () => (await emulator.counters())['webpubsub.generateToken']
const randomKey = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))

/** The Cache API URL of a user's token on hub chat (what the negotiator derives). */
const entryUrl = async (userId: string, roles: string[], groups: string[]) =>
  `https://client-token.invalid/${await clientTokenHash(
    clientTokenKey({
      endpoint: emulatorUrl(),
      hub: 'chat',
      protocol: 'default',
      userId,
      roles,
      groups,
      minutesToExpire: 60,
    }),
  )}`

/** The Cache API URL of alice's token on hub chat under POLICY. */
const aliceEntryUrl = (body: Negotiated) => entryUrl('alice', body.roles, body.groups)

/** Cache API doubles: one that fails at `open`, one whose reads and writes fail. */
const failingCaches: [string, CacheStorageLike][] = [
  ['open rejects', { open: () => Promise.reject(new Error('no cache')) }],
  [
    'match and put reject',
    {
      open: async () => ({
        match: () => Promise.reject(new TypeError('match failed')),
        put: () => Promise.reject(new TypeError('put failed')),
      }),
    },
  ],
]

/** The real (isolated) Cache API, counting every open. */
function countingCaches() {
  const inner = isolatedCaches()
  const counts = { opens: 0 }
  const caches: CacheStorageLike = {
    open: (name) => {
      counts.opens++
      return inner.open(name)
    },
  }
  return { caches, counts }
}

describe('routes/negotiate client-token reuse (Cache API)', () => {
  it('serves a new isolate in the same colo from the Cache API, then from its memory', async () => {
    const first = await createHarness({ vars: jwtVars() })
    const alice = await userToken('alice')
    const fetched = await negotiate(first, alice)
    const second = await createHarness({ vars: jwtVars(), caches: first.caches })
    const fromCache = await negotiate(second, alice)
    const fromMemory = await negotiate(second, alice)
    expect([fetched, fromCache, fromMemory].map(({ response }) => authApiTiming(response))).toEqual(
      ['fetched', 'reused-cache', 'reused-memory'],
    )
    expect(fromCache.body).toEqual(fetched.body)
    expect(fromMemory.body).toEqual(fetched.body)
    expect(await authApiCalls()).toBe(1)
  })

  it('misses after a policy change (a new deployment in the same colo)', async () => {
    const first = await createHarness({ vars: jwtVars() })
    const alice = await userToken('alice')
    const before = await negotiate(first, alice)
    const changed = {
      hubs: { ...POLICY.hubs, chat: { ...POLICY.hubs.chat, roles: ['webpubsub.sendToGroup'] } },
    }
    const second = await createHarness({
      vars: jwtVars({ POLICY: changed }),
      caches: first.caches,
    })
    const after = await negotiate(second, alice)
    expect(authApiTiming(after.response)).toBe('fetched')
    expect(after.body.roles).toEqual(['webpubsub.sendToGroup'])
    expect(after.body.token).not.toBe(before.body.token)
    expect(await authApiCalls()).toBe(2)
  })

  it('reads entries sealed under another TOKEN_CACHE_KEY as misses', async () => {
    const key = randomKey()
    const first = await createHarness({ vars: jwtVars({ TOKEN_CACHE_KEY: key }) })
    const alice = await userToken('alice')
    await negotiate(first, alice)
    const sameKey = await createHarness({
      vars: jwtVars({ TOKEN_CACHE_KEY: key }),
      caches: first.caches,
    })
    expect(authApiTiming((await negotiate(sameKey, alice)).response)).toBe('reused-cache')
    const otherKey = await createHarness({
      vars: jwtVars({ TOKEN_CACHE_KEY: randomKey() }),
      caches: first.caches,
    })
    expect(authApiTiming((await negotiate(otherKey, alice)).response)).toBe('fetched')
    expect(await authApiCalls()).toBe(2)
  })

  it('reads a tampered entry as a miss', async () => {
    const first = await createHarness({ vars: jwtVars() })
    const alice = await userToken('alice')
    const { body } = await negotiate(first, alice)
    const url = await aliceEntryUrl(body)
    const cache = await first.caches.open('client-tokens')
    const stored = await (await cache.match(url))!.text()
    const flipped = stored.slice(0, 10) + (stored[10] === 'A' ? 'B' : 'A') + stored.slice(11)
    await cache.put(url, new Response(flipped, { headers: { 'cache-control': 'max-age=600' } }))
    const second = await createHarness({ vars: jwtVars(), caches: first.caches })
    expect(authApiTiming((await negotiate(second, alice)).response)).toBe('fetched')
    expect(await authApiCalls()).toBe(2)
  })

  it('reads another grant’s entry copied under this key as a miss', async () => {
    const first = await createHarness({ vars: jwtVars() })
    const [alice, bob] = [await userToken('alice'), await userToken('bob')]
    const { body } = await negotiate(first, alice)
    await negotiate(first, bob)
    const cache = await first.caches.open('client-tokens')
    const bobUrl = await entryUrl('bob', ['webpubsub.sendToGroup.user.bob'], [])
    const bobs = await cache.match(bobUrl)
    expect(bobs).toBeDefined()
    await cache.put(await aliceEntryUrl(body), bobs!)
    const second = await createHarness({ vars: jwtVars(), caches: first.caches })
    const again = await negotiate(second, alice)
    expect(authApiTiming(again.response)).toBe('fetched')
    expect(again.body.userId).toBe('alice')
  })

  it('does not hand out a Cache API token that is past the reuse threshold', async () => {
    const { h: first, calls } = await clockedHarness({ vars: jwtVars() })
    const alice = await userToken('alice')
    await negotiate(first, alice)
    const later = await createHarness({ vars: jwtVars(), caches: first.caches })
    later.advance(31 * 60_000) // the entry is still there; its token has less than half its life
    expect(authApiTiming((await negotiate(later, alice)).response)).toBe('fetched')
    expect(calls()).toBe(1)
  })

  it('writes the entry with max-age until the token stops being reusable', async () => {
    const puts: { name: string; url: string; cacheControl: string | null }[] = []
    const inner = isolatedCaches()
    const recording: CacheStorageLike = {
      async open(name) {
        const cache = await inner.open(name)
        return {
          match: (url) => cache.match(url),
          put: async (url, response) => {
            puts.push({ name, url, cacheControl: response.headers.get('cache-control') })
            await cache.put(url, response)
          },
        }
      },
    }
    const { h } = await clockedHarness({ vars: jwtVars(), caches: recording })
    await negotiate(h, await userToken('alice'))
    expect(puts).toHaveLength(1)
    expect(puts[0]?.name).toBe('client-tokens')
    expect(puts[0]?.url).toMatch(/^https:\/\/client-token\.invalid\/[\w-]{43}$/)
    const maxAge = Number(/^max-age=(\d+)$/.exec(puts[0]?.cacheControl ?? '')?.[1])
    // Half of a 60-minute token: 30 minutes from its iat (whole seconds, now a little later).
    expect(maxAge).toBeGreaterThanOrEqual(30 * 60 - 2)
    expect(maxAge).toBeLessThanOrEqual(30 * 60)
  })

  it('answers before the Cache API write ends (the write goes through waitUntil)', async () => {
    const inner = isolatedCaches()
    let release: () => void = () => undefined
    const held = new Promise<void>((resolve) => (release = resolve))
    const state = { written: false }
    const slow: CacheStorageLike = {
      async open(name) {
        const cache = await inner.open(name)
        return {
          match: (url) => cache.match(url),
          put: async (url, response) => {
            await held
            await cache.put(url, response)
            state.written = true
          },
        }
      },
    }
    const h = await createHarness({ vars: jwtVars(), caches: slow })
    const alice = await userToken('alice')
    const { response, settled } = await h.requestDeferred('/negotiate?hub=chat', {
      headers: { authorization: `Bearer ${alice}` },
    })
    expect([response.status, state.written]).toEqual([200, false])
    release()
    await settled
    expect(state.written).toBe(true)
  })

  it.each(failingCaches)(
    'never fails a negotiation when the Cache API fails (%s)',
    async (_label, caches) => {
      const h = await createHarness({ vars: jwtVars(), caches })
      const alice = await userToken('alice')
      const first = await negotiate(h, alice)
      const second = await negotiate(h, alice)
      expect([authApiTiming(first.response), authApiTiming(second.response)]).toEqual([
        'fetched',
        'reused-memory',
      ])
      const events = h.logs.map((line) => (JSON.parse(line) as { event: string }).event)
      expect(events).toContain('client_token_cache_read_failed')
      expect(events).toContain('client_token_cache_write_failed')
    },
  )

  it('leaves the Cache API alone when TOKEN_REUSE=off and for random anonymous callers', async () => {
    const off = countingCaches()
    const h = await createHarness({ vars: jwtVars({ TOKEN_REUSE: 'off' }), caches: off.caches })
    await negotiate(h, await userToken('alice'))
    const anonymous = countingCaches()
    const anon = await createHarness({ caches: anonymous.caches })
    expect((await anon.request('/negotiate')).status).toBe(200)
    expect([off.counts.opens, anonymous.counts.opens]).toEqual([0, 0])
  })
})
