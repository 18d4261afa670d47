// Tests for issueClientAccess: the 401 refresh-and-retry, the window after a second 401, expiry.
import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  issueClientAccess,
  UNAUTHORIZED_WINDOWS,
  type AccessTokenProvider,
  type IssueAccessDeps,
} from '../../src/webpubsub/issue-access'

const NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0)
const endpoint = 'https://contoso.webpubsub.azure.com'
const request = {
  endpoint,
  hub: 'chat',
  protocol: 'default',
  roles: [],
  groups: [],
  minutesToExpire: 60,
} as const

const clientToken = (expSeconds: number) =>
  new SignJWT({ aud: `${endpoint}/client/hubs/chat` })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(NOW_MS / 1000 - 60)
    .setExpirationTime(expSeconds)
    .sign(new TextEncoder().encode('k'.repeat(32)))

/** Entra tokens handed out in turn, and a record of what the caller did with the provider. */
function fakeProvider(accessTokens: string[]) {
  const seen = {
    rejectedTokens: [] as (string | undefined)[],
    invalidations: [] as string[],
    suspensions: [] as { error: unknown; windows: { firstMs: number; maxMs: number } }[],
  }
  let next = 0
  const provider: AccessTokenProvider = {
    async get({ rejectedToken }) {
      seen.rejectedTokens.push(rejectedToken)
      const accessToken = accessTokens[Math.min(next++, accessTokens.length - 1)] ?? ''
      return { token: { accessToken }, source: next === 1 ? 'memory' : 'fetch' }
    },
    invalidate(accessToken) {
      seen.invalidations.push(accessToken)
    },
    suspend(error, windows) {
      seen.suspensions.push({ error, windows })
      return 7_000 // whatever the provider decides; Retry-After must follow it
    },
  }
  return { provider, seen }
}

/** An Auth API that answers the queued statuses (200 with `token`), recording bearer tokens. */
function fakeAuthApi(answers: (number | { token: string })[]) {
  const bearers: string[] = []
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    bearers.push(new Request(input, init).headers.get('authorization') ?? '')
    const answer = answers.shift()
    if (answer === undefined) throw new Error('fake Auth API: no answer queued')
    if (typeof answer === 'number') {
      return Response.json({ code: 'Error.Unauthorized', message: 'no' }, { status: answer })
    }
    return Response.json(answer)
  }) as typeof globalThis.fetch
  return { fetch, bearers }
}

function deps(provider: AccessTokenProvider, fetch: typeof globalThis.fetch) {
  const waited: Promise<unknown>[] = []
  const logs: Record<string, unknown>[] = []
  const value: IssueAccessDeps = {
    tokens: provider,
    fetch,
    now: () => NOW_MS,
    sleep: async () => undefined,
    deadlineMs: NOW_MS + 5_000,
    waitUntil: (promise) => waited.push(promise),
    log: (event) => logs.push(event),
  }
  return { deps: value, waited, logs }
}

describe('webpubsub/issue-access', () => {
  it('refreshes once on a 401 with the rejected token dropped and refused', async () => {
    const { provider, seen } = fakeProvider(['entra-1', 'entra-2'])
    const api = fakeAuthApi([401, { token: await clientToken(NOW_MS / 1000 + 3600) }])
    const { deps: d } = deps(provider, api.fetch)
    const access = await issueClientAccess(request, d)
    expect(access.expiresAtMs).toBe(NOW_MS + 3_600_000)
    expect(api.bearers).toEqual(['Bearer entra-1', 'Bearer entra-2'])
    expect(seen.rejectedTokens).toEqual([undefined, 'entra-1'])
    expect(seen.invalidations).toEqual(['entra-1'])
    expect(seen.suspensions).toEqual([])
  })

  it('suspends issuing when a fresh token is refused too, with Retry-After from the window', async () => {
    const { provider, seen } = fakeProvider(['entra-1', 'entra-2'])
    const api = fakeAuthApi([401, 401])
    const { deps: d, logs } = deps(provider, api.fetch)
    const failure = issueClientAccess(request, d)
    await expect(failure).rejects.toMatchObject({
      code: 'webpubsub_unauthorized',
      upstream: { service: 'webpubsub', status: 401 },
      retryAfterSeconds: 7,
    })
    expect(UNAUTHORIZED_WINDOWS).toEqual({ firstMs: 5_000, maxMs: 30_000 })
    expect(seen.suspensions).toEqual([
      {
        error: expect.objectContaining({ code: 'webpubsub_unauthorized' }),
        windows: UNAUTHORIZED_WINDOWS,
      },
    ])
    expect(api.bearers).toHaveLength(2)
    expect(logs.map((l) => l.event)).toEqual([
      'authapi_unauthorized_refreshing',
      'authapi_unauthorized_suspended',
    ])
  })

  it('suspends nothing for a failure other than 401', async () => {
    const { provider, seen } = fakeProvider(['entra-1'])
    const api = fakeAuthApi([403])
    const { deps: d } = deps(provider, api.fetch)
    await expect(issueClientAccess(request, d)).rejects.toMatchObject({
      code: 'webpubsub_forbidden',
    })
    expect(seen.suspensions).toEqual([])
    expect(seen.invalidations).toEqual([])
  })

  it.each([
    ['expired a minute ago', NOW_MS / 1000 - 60],
    ['expiring right now', NOW_MS / 1000],
  ])('refuses a client token %s instead of handing it out', async (_label, exp) => {
    const { provider } = fakeProvider(['entra-1'])
    const api = fakeAuthApi([{ token: await clientToken(exp) }])
    const { deps: d } = deps(provider, api.fetch)
    await expect(issueClientAccess(request, d)).rejects.toMatchObject({
      code: 'webpubsub_unexpected_response',
      detail: expect.stringContaining('expired'),
    })
  })
})
