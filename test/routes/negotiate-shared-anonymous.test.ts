// Route tests of POLICY sharedAnonymousToken: anonymous callers of such a hub negotiate without a
// user id and share one client token per grant; it is a configuration error outside anonymous mode.
import { beforeEach, describe, expect, it } from 'vitest'
import { authApiTiming, jwtVars, type Negotiated } from '../support/client-tokens'
import { emulator } from '../support/emulator'
import { createHarness, problemOf } from '../support/harness'

beforeEach(() => emulator.reset())

const POLICY = {
  hubs: {
    news: {
      roles: ['webpubsub.joinLeaveGroup.news'],
      groups: ['news'],
      requestableGroups: ['room.*'],
      sharedAnonymousToken: true,
    },
  },
}
const vars = (extra: Record<string, unknown> = {}) => ({
  WEBPUBSUB_HUBS: 'chat,news',
  POLICY,
  ...extra,
})

/** The outbound fetch, recording the Auth API URLs the negotiator called. */
function recordingAuthApi() {
  const urls: URL[] = []
  const upstream: typeof fetch = async (input, init) => {
    const request = new Request(input, init)
    if (request.url.includes('/:generateToken')) urls.push(new URL(request.url))
    return fetch(request)
  }
  return { fetch: upstream, urls }
}

async function negotiated(response: Response): Promise<Negotiated> {
  expect(response.status, await response.clone().text()).toBe(200)
  return (await response.json()) as Negotiated
}

describe('routes/negotiate shared anonymous tokens', () => {
  it('gives every anonymous caller of the hub one token, asked for without a user id', async () => {
    const authApi = recordingAuthApi()
    const h = await createHarness({ vars: vars(), fetch: authApi.fetch })
    const responses = [
      await h.request('/negotiate?hub=news'),
      await h.request('/negotiate?hub=news', { headers: { 'cf-connecting-ip': '192.0.2.7' } }),
      await h.request('/negotiate', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ hub: 'news' }),
      }),
    ]
    const bodies = await Promise.all(responses.map(negotiated))
    expect(responses.map(authApiTiming)).toEqual(['fetched', 'reused-memory', 'reused-memory'])
    expect(new Set(bodies.map((body) => body.token)).size).toBe(1)
    expect(bodies.map((body) => body.userId)).toEqual([null, null, null])
    expect(bodies[0]).toMatchObject({ roles: ['webpubsub.joinLeaveGroup.news'], groups: ['news'] })
    expect(authApi.urls).toHaveLength(1)
    expect(authApi.urls[0]?.searchParams.has('userId')).toBe(false)
  })

  it('keeps random user ids, and no reuse, on hubs without the option', async () => {
    const h = await createHarness({ vars: vars() })
    const [a, b] = [
      await negotiated(await h.request('/negotiate?hub=chat')),
      await negotiated(await h.request('/negotiate?hub=chat')),
    ]
    expect(a.userId).toMatch(/^[0-9a-f-]{36}$/)
    expect(b.userId).not.toBe(a.userId)
    expect((await emulator.counters())['webpubsub.generateToken']).toBe(2)
  })

  it('shares a token only within one grant: other requested groups get their own', async () => {
    const h = await createHarness({ vars: vars() })
    const room1 = await negotiated(await h.request('/negotiate?hub=news&group=room.1'))
    const room2 = await negotiated(await h.request('/negotiate?hub=news&group=room.2'))
    const room1Again = await negotiated(await h.request('/negotiate?hub=news&group=room.1'))
    expect(room2.token).not.toBe(room1.token)
    expect(room1Again.token).toBe(room1.token)
    expect((await emulator.counters())['webpubsub.generateToken']).toBe(2)
  })

  it('still names no user when TOKEN_REUSE=off, but fetches every time', async () => {
    const h = await createHarness({ vars: vars({ TOKEN_REUSE: 'off' }) })
    const first = await h.request('/negotiate?hub=news')
    const second = await h.request('/negotiate?hub=news')
    expect([(await negotiated(first)).userId, (await negotiated(second)).userId]).toEqual([
      null,
      null,
    ])
    expect([authApiTiming(first), authApiTiming(second)]).toEqual(['fetched', 'fetched'])
    expect((await emulator.counters())['webpubsub.generateToken']).toBe(2)
  })

  it('is a configuration error outside AUTH_MODE=anonymous', async () => {
    const h = await createHarness({
      vars: jwtVars({ WEBPUBSUB_HUBS: 'chat,news', POLICY }),
    })
    const response = await h.request('/negotiate?hub=news', {
      headers: { authorization: 'Bearer x' },
    })
    expect(response.status).toBe(500)
    const problem = await problemOf(response)
    expect(problem.code).toBe('config_invalid')
    expect(problem.problems).toEqual([
      {
        variable: 'POLICY',
        problem: expect.stringContaining('hubs.news.sharedAnonymousToken is allowed only'),
      },
    ])
    expect((await emulator.counters())['webpubsub.generateToken']).toBe(0)
  })
})
