// Helpers for the client-token reuse route tests: verified callers, Server-Timing, a clocked Auth API.
import { expect } from 'vitest'
import { emulatorUrl, mintUserToken } from './emulator'
import { createHarness, type Harness, type HarnessOptions } from './harness'

export const AUDIENCE = 'webpubsub-negotiator'

export const POLICY = {
  hubs: {
    chat: {
      roles: ['webpubsub.sendToGroup.user.{sub}'],
      requestableGroups: ['room.*'],
      ttlMinutes: { default: 60, min: 5, max: 120 },
      when: [{ claim: 'roles', includes: 'moderator', roles: ['webpubsub.sendToGroup'] }],
    },
    // Two hubs granting the same, without templates: only the hub or the user tells them apart.
    lobby: { roles: ['webpubsub.joinLeaveGroup.news'] },
    news: { roles: ['webpubsub.joinLeaveGroup.news'] },
  },
}

/** AUTH_MODE=jwt against the emulator's issuer, with POLICY on hubs chat, lobby and news. */
export const jwtVars = (extra: Record<string, unknown> = {}) => ({
  AUTH_MODE: 'jwt',
  WEBPUBSUB_HUBS: 'chat,lobby,news',
  AUTH_ISSUER: `${emulatorUrl()}/oidc`,
  AUTH_AUDIENCE: AUDIENCE,
  POLICY,
  ...extra,
})

export interface Negotiated {
  token: string
  url: string
  expiresAt: string
  refreshAfter: string
  userId: string | null
  roles: string[]
  groups: string[]
}

/** The description of the `authapi` Server-Timing metric: fetched, reused-memory, reused-cache. */
export const authApiTiming = (response: Response) =>
  /authapi;dur=[\d.]+;desc="([\w-]+)"/.exec(response.headers.get('server-timing') ?? '')?.[1]

/** A user token valid for longer than any clock advance in these tests. */
export const userToken = (sub: string, claims: Record<string, unknown> = {}) =>
  mintUserToken({ sub, audience: AUDIENCE, claims, expiresInSeconds: 4 * 3600 })

/** GET /negotiate?hub=chat plus `query` (whose hub= replaces chat) as `bearer`; expects a 200. */
export async function negotiate(h: Harness, bearer: string, query = '') {
  const path = `/negotiate?hub=chat${query}`.replace('hub=chat&hub=', 'hub=')
  const response = await h.request(path, { headers: { authorization: `Bearer ${bearer}` } })
  expect(response.status, await response.clone().text()).toBe(200)
  return { response, body: (await response.json()) as Negotiated }
}

const encode = (value: object) =>
  btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')

/**
 * A harness whose Auth API answers with tokens that start at the harness clock (the emulator
 * signs with the real one), so a test can age a token exactly; the negotiator never checks the
 * signature. `calls()` counts the Auth API calls.
 */
export async function clockedHarness(options: HarnessOptions = {}) {
  const clock = { now: () => Date.now() }
  let calls = 0
  const upstream: typeof fetch = async (input, init) => {
    const request = new Request(input, init)
    const url = new URL(request.url)
    if (!url.pathname.endsWith('/:generateToken')) return fetch(request)
    calls++
    const iat = Math.floor(clock.now() / 1000)
    const minutes = Number(url.searchParams.get('minutesToExpire') ?? 60)
    const hub = /\/api\/hubs\/([^/]+)\//.exec(url.pathname)?.[1] ?? 'chat'
    const claims = { aud: `${emulatorUrl()}/client/hubs/${hub}`, iat, exp: iat + minutes * 60 }
    const token = [encode({ alg: 'HS256' }), encode({ ...claims, jti: calls }), 'c2ln'].join('.')
    return Response.json({ token })
  }
  const h = await createHarness({ ...options, fetch: upstream })
  clock.now = h.now
  return { h, calls: () => calls }
}
