// client/: bearer token, reuse until refreshAfter, typed failures, abort, any answer, rights.
import { WebPubSubClient } from '@azure/web-pubsub-client'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { permissionsFromRoles } from '../../emulator/client/permissions'
import {
  canJoinGroup,
  canSendToGroup,
  createNegotiator,
  NegotiationFailedError,
  type NegotiateResponse,
  type NegotiatorOptions,
} from '../../client/index'

const T0 = Date.parse('2026-11-28T17:00:00.000Z')
const MINUTE = 60_000

function grant(overrides: Partial<NegotiateResponse> = {}): NegotiateResponse {
  return {
    baseUrl: 'wss://contoso.webpubsub.azure.com/client/hubs/chat',
    token: 'eyJ.client.token',
    url: 'wss://contoso.webpubsub.azure.com/client/hubs/chat?access_token=eyJ.client.token',
    expiresAt: new Date(T0 + 60 * MINUTE).toISOString(),
    refreshAfter: new Date(T0 + 45 * MINUTE).toISOString(),
    hub: 'chat',
    userId: 'alice',
    roles: ['webpubsub.sendToGroups.room.*'],
    groups: ['user.alice'],
    ...overrides,
  }
}

interface Call {
  url: URL
  headers: Headers
  signal: AbortSignal | undefined
}

type Answer = { status: number; headers?: Record<string, string>; body: string }

const json = (value: unknown, status = 200): Answer => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(value),
})

const problem = (status: number, body: Record<string, unknown>, headers = {}): Answer => ({
  status,
  headers: { 'content-type': 'application/problem+json', 'x-request-id': 'req-1', ...headers },
  body: JSON.stringify({ status, ...body }),
})

/** A fetch that records each request and answers from the list, the last answer repeating. */
function fakeFetch(answers: Answer[]) {
  const calls: Call[] = []
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    calls.push({
      url: new URL(String(input)),
      headers: new Headers(init?.headers),
      signal: init?.signal ?? undefined,
    })
    const answer = answers[Math.min(calls.length - 1, answers.length - 1)]!
    return new Response(answer.body, { status: answer.status, headers: answer.headers })
  }
  return { calls, fetch: fetch as typeof globalThis.fetch }
}

function setup(answers: Answer[], options: Partial<NegotiatorOptions> = {}) {
  const clock = { ms: T0 }
  const fake = fakeFetch(answers)
  const negotiator = createNegotiator({
    url: 'https://negotiator.example/negotiate',
    fetch: fake.fetch,
    now: () => clock.ms,
    ...options,
  })
  return { negotiator, calls: fake.calls, clock }
}

async function failure(promise: Promise<unknown>): Promise<NegotiationFailedError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(NegotiationFailedError)
  return error as NegotiationFailedError
}

describe('client/negotiator', () => {
  it("sends the caller's token as a bearer token, with the request's parameters", async () => {
    const { negotiator, calls } = setup([json(grant())], {
      getToken: async () => 'user-token',
      hub: 'chat',
      protocol: 'default',
      groups: ['room.a', 'room.b'],
      minutesToExpire: 30,
    })
    expect(await negotiator.getClientAccessUrl()).toBe(grant().url)
    expect(calls).toHaveLength(1)
    const [call] = calls
    expect(call!.headers.get('authorization')).toBe('Bearer user-token')
    expect(call!.url.origin + call!.url.pathname).toBe('https://negotiator.example/negotiate')
    expect(call!.url.searchParams.get('hub')).toBe('chat')
    expect(call!.url.searchParams.get('protocol')).toBe('default')
    expect(call!.url.searchParams.getAll('group')).toEqual(['room.a', 'room.b'])
    expect(call!.url.searchParams.get('minutesToExpire')).toBe('30')
  })

  it('sends no Authorization header without getToken, or when it gives no token', async () => {
    for (const getToken of [undefined, () => undefined, async () => null, () => '']) {
      const { negotiator, calls } = setup([json(grant())], { getToken })
      await negotiator.negotiate()
      expect(calls[0]!.headers.has('authorization')).toBe(false)
    }
  })

  it('returns the typed grant from negotiate(), unknown members left out', async () => {
    const { negotiator } = setup([json({ ...grant({ userId: null }), extra: 1 })])
    expect(await negotiator.negotiate()).toEqual(grant({ userId: null }))
  })

  it('reuses the grant until refreshAfter, then negotiates on the next call', async () => {
    const second = grant({
      url: 'wss://contoso.webpubsub.azure.com/client/hubs/chat?access_token=2',
    })
    const { negotiator, calls, clock } = setup([json(grant()), json(second)])
    expect(await negotiator.getClientAccessUrl()).toBe(grant().url)
    clock.ms = T0 + 45 * MINUTE - 1
    // The client reconnects: the grant is still fresh, so no request is made.
    expect(await negotiator.getClientAccessUrl()).toBe(grant().url)
    expect(calls).toHaveLength(1)
    clock.ms = T0 + 45 * MINUTE
    expect(await negotiator.getClientAccessUrl()).toBe(second.url)
    expect(calls).toHaveLength(2)
  })

  it('stops reusing at expiresAt when it comes before refreshAfter', async () => {
    const early = grant({ expiresAt: new Date(T0 + 10 * MINUTE).toISOString() })
    const { negotiator, calls, clock } = setup([json(early)])
    await negotiator.negotiate()
    clock.ms = T0 + 10 * MINUTE
    await negotiator.negotiate()
    expect(calls).toHaveLength(2)
  })

  it('negotiates again when the token changes (another user signed in) or after invalidate()', async () => {
    let token = 'alice-token'
    const { negotiator, calls } = setup([json(grant())], { getToken: () => token })
    await negotiator.negotiate()
    await negotiator.negotiate()
    expect(calls).toHaveLength(1)
    token = 'bob-token'
    await negotiator.negotiate()
    expect(calls).toHaveLength(2)
    expect(calls[1]!.headers.get('authorization')).toBe('Bearer bob-token')
    negotiator.invalidate()
    await negotiator.negotiate()
    expect(calls).toHaveLength(3)
  })

  it('turns a problem into NegotiationFailedError with code, status, detail and request id', async () => {
    const body = {
      type: 'urn:webpubsub-edge-negotiator:error:hub_not_allowed',
      title: 'Hub not allowed',
      detail: 'Hub "lobby" is not served here.',
      code: 'hub_not_allowed',
      requestId: 'req-9',
      allowedHubs: ['chat'],
    }
    const { negotiator } = setup([problem(400, body)])
    const error = await failure(negotiator.getClientAccessUrl())
    expect(error.name).toBe('NegotiationFailedError')
    expect(error.code).toBe('hub_not_allowed')
    expect(error.status).toBe(400)
    expect(error.detail).toBe('Hub "lobby" is not served here.')
    expect(error.message).toBe('hub_not_allowed: Hub "lobby" is not served here.')
    expect(error.requestId).toBe('req-9')
    expect(error.retryAfterSeconds).toBeUndefined()
    expect(error.problem).toEqual({ status: 400, ...body, retryAfterSeconds: undefined })
    expect(error.problem?.allowedHubs).toEqual(['chat'])
  })

  it('reads Retry-After and answers further calls locally until it has passed', async () => {
    const throttled = problem(
      429,
      { title: 'Too many requests', detail: 'Slow down.', code: 'rate_limited' },
      { 'retry-after': '7' },
    )
    const { negotiator, calls, clock } = setup([throttled, json(grant())])
    const first = await failure(negotiator.getClientAccessUrl())
    expect([first.code, first.status, first.retryAfterSeconds]).toEqual(['rate_limited', 429, 7])
    expect(first.requestId).toBe('req-1')

    // RFC 9110 §10.2.3: no new request before the wait is over; the same refusal, time left.
    clock.ms = T0 + 5_000
    const second = await failure(negotiator.getClientAccessUrl())
    expect([second.code, second.status, second.retryAfterSeconds]).toEqual(['rate_limited', 429, 2])
    expect(calls).toHaveLength(1)

    clock.ms = T0 + 7_000
    expect(await negotiator.getClientAccessUrl()).toBe(grant().url)
    expect(calls).toHaveLength(2)
  })

  it('reads an HTTP-date Retry-After, and falls back to the body when the header is absent', async () => {
    const at = new Date(T0 + 30_000).toUTCString()
    const unavailable = {
      title: 'x',
      detail: 'Web PubSub is unavailable',
      code: 'webpubsub_unavailable',
    }
    const dated = setup([problem(503, unavailable, { 'retry-after': at })])
    expect((await failure(dated.negotiator.negotiate())).retryAfterSeconds).toBe(30)
    const inBody = setup([problem(503, { ...unavailable, retryAfterSeconds: 12 })])
    expect((await failure(inBody.negotiator.negotiate())).retryAfterSeconds).toBe(12)
  })

  it('turns an answer that is not a problem into unexpected_response with the status', async () => {
    const html = {
      status: 502,
      headers: { 'content-type': 'text/html' },
      body: '<h1>Bad gateway</h1>',
    }
    const error = await failure(setup([html]).negotiator.negotiate())
    expect([error.code, error.status, error.problem]).toEqual([
      'unexpected_response',
      502,
      undefined,
    ])
    expect(error.detail).toMatch(/answered 502 with text\/html, not a problem\+json/)

    const broken = await failure(
      setup([json({ url: 'https://not-a-socket' })]).negotiator.negotiate(),
    )
    expect([broken.code, broken.status]).toEqual(['unexpected_response', 200])
    expect(broken.detail).toBe(
      'The negotiator answered 200, but "url" is not a ws:// or wss:// URL.',
    )

    const noCode = await failure(setup([json({ detail: 'x' }, 500)]).negotiator.negotiate())
    expect([noCode.code, noCode.status]).toEqual(['unexpected_response', 500])
  })

  it('turns a failed request into network_error, and a slow one into timeout', async () => {
    const offline = createNegotiator({
      url: 'https://negotiator.example/negotiate',
      fetch: async () => {
        throw new TypeError('Failed to fetch')
      },
    })
    const error = await failure(offline.negotiate())
    expect([error.code, error.status]).toEqual(['network_error', undefined])
    expect(error.detail).toBe('Could not reach https://negotiator.example: Failed to fetch')

    let seen: AbortSignal | undefined
    const slow = createNegotiator({
      url: 'https://negotiator.example/negotiate',
      timeoutMs: 20,
      fetch: (_input, init) =>
        new Promise((_resolve, reject) => {
          seen = init?.signal ?? undefined
          seen?.addEventListener('abort', () => reject(seen?.reason))
        }),
    })
    const timedOut = await failure(slow.negotiate())
    expect([timedOut.code, timedOut.status]).toEqual(['timeout', undefined])
    expect(seen?.aborted).toBe(true)
  })

  it('honours the abort signal: before the request, and while it is under way', async () => {
    const before = setup([json(grant())])
    const aborted = AbortSignal.abort()
    await expect(
      before.negotiator.getClientAccessUrl({ abortSignal: aborted }),
    ).rejects.toMatchObject({
      name: 'AbortError',
    })
    expect(before.calls).toHaveLength(0)

    // Aborted while getToken was still busy: no request either.
    const controller = new AbortController()
    const during = setup([json(grant())], {
      getToken: async () => {
        controller.abort()
        return 'user-token'
      },
    })
    await expect(
      during.negotiator.negotiate({ abortSignal: controller.signal }),
    ).rejects.toMatchObject({
      name: 'AbortError',
    })
    expect(during.calls).toHaveLength(0)

    let seen: AbortSignal | undefined
    const hanging = createNegotiator({
      url: 'https://negotiator.example/negotiate',
      fetch: (_input, init) =>
        new Promise((_resolve, reject) => {
          seen = init?.signal ?? undefined
          seen?.addEventListener('abort', () => reject(seen?.reason))
        }),
    })
    const stopping = new AbortController()
    const pending = hanging.getClientAccessUrl({ abortSignal: stopping.signal })
    await Promise.resolve()
    stopping.abort(new DOMException('the client stopped', 'AbortError'))
    const reason = await pending.catch((error: unknown) => error)
    // The caller's own abort is not a negotiation failure: its reason comes back unchanged.
    expect(reason).not.toBeInstanceOf(NegotiationFailedError)
    expect(reason).toMatchObject({ name: 'AbortError', message: 'the client stopped' })
    expect(seen?.aborted).toBe(true)
  })

  it('accepts an AbortSignalLike that is not a DOM AbortSignal', async () => {
    const listeners = new Set<() => void>()
    const like = {
      aborted: false,
      addEventListener: (_type: 'abort', listener: () => void) => void listeners.add(listener),
      removeEventListener: (_type: 'abort', listener: () => void) =>
        void listeners.delete(listener),
    }
    let seen: AbortSignal | undefined
    const hanging = createNegotiator({
      url: 'https://negotiator.example/negotiate',
      fetch: (_input, init) =>
        new Promise((_resolve, reject) => {
          seen = init?.signal ?? undefined
          seen?.addEventListener('abort', () => reject(seen?.reason))
        }),
    })
    const pending = hanging.negotiate({ abortSignal: like })
    await Promise.resolve()
    like.aborted = true
    for (const listener of listeners) listener()
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
    expect(seen?.aborted).toBe(true)
    // The listener is removed once the request is over.
    expect(listeners.size).toBe(0)
  })

  it('is a credential WebPubSubClient accepts', () => {
    const negotiator = createNegotiator({ url: 'https://negotiator.example/negotiate' })
    // Compile-time: both forms type-check against the client's own credential type.
    expect(new WebPubSubClient(negotiator)).toBeInstanceOf(WebPubSubClient)
    const { getClientAccessUrl } = negotiator
    expect(new WebPubSubClient({ getClientAccessUrl })).toBeInstanceOf(WebPubSubClient)
  })
})

describe('client/answer (property)', () => {
  const text = fc.oneof(fc.string(), fc.constantFrom('', 'chat', 'wss://h/client?access_token=t'))
  const anyValue = fc.oneof(
    fc.jsonValue(),
    text,
    fc.constant(null),
    fc.array(fc.oneof(fc.string(), fc.integer())),
    fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
  )
  /** A grant with each member kept, dropped or replaced by anything. */
  const grantLike = fc
    .record({
      field: fc.constantFrom<keyof NegotiateResponse | 'none'>(
        'none',
        'baseUrl',
        'token',
        'url',
        'expiresAt',
        'refreshAfter',
        'hub',
        'userId',
        'roles',
        'groups',
      ),
      value: fc.option(anyValue, { nil: undefined }),
    })
    .map(({ field, value }) => {
      const body: Record<string, unknown> = { ...grant() }
      if (field !== 'none') body[field] = value
      return JSON.stringify(body)
    })
  const problemLike = fc
    .record({
      code: fc.oneof(fc.constantFrom('rate_limited', 'hub_not_allowed'), anyValue),
      detail: fc.option(anyValue, { nil: undefined }),
      title: fc.option(anyValue, { nil: undefined }),
      status: fc.option(anyValue, { nil: undefined }),
      retryAfterSeconds: fc.option(fc.oneof(fc.double(), anyValue), { nil: undefined }),
    })
    .map((body) => JSON.stringify(body))
  const body = fc.oneof(
    fc.string(),
    fc.jsonValue().map((value) => JSON.stringify(value)),
    grantLike,
    problemLike,
  )
  const contentType = fc.option(
    fc.constantFrom(
      'application/json',
      'application/problem+json',
      'application/problem+json; charset=utf-8',
      'text/html',
      'text/plain',
      'APPLICATION/JSON',
    ),
    { nil: undefined },
  )
  const retryAfter = fc.option(
    fc.oneof(
      fc.nat().map(String),
      fc.string(),
      fc.date({ noInvalidDate: true }).map((date) => date.toUTCString()),
      fc.constantFrom('-1', '1.5', '99999999999999999999', ' 3 '),
    ),
    { nil: undefined },
  )

  it('turns any status, headers and body into a grant or a NegotiationFailedError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 100, max: 599 }),
        contentType,
        retryAfter,
        body,
        async (status, type, wait, text) => {
          const headers = new Map<string, string>()
          if (type !== undefined) headers.set('content-type', type)
          if (wait !== undefined) headers.set('retry-after', wait)
          const negotiator = createNegotiator({
            url: 'https://negotiator.example/negotiate',
            now: () => T0,
            // Not a real Response: any status (1xx included) and any header value can be given.
            fetch: async () =>
              ({
                status,
                headers: { get: (name: string) => headers.get(name.toLowerCase()) ?? null },
                text: async () => text,
              }) as unknown as Response,
          })
          const outcome = await negotiator.negotiate().then(
            (response) => ({ ok: true as const, response }),
            (error: unknown) => ({ ok: false as const, error }),
          )
          if (outcome.ok) {
            const { response } = outcome
            expect(status).toBeGreaterThanOrEqual(200)
            expect(status).toBeLessThan(300)
            expect(new URL(response.url).protocol).toMatch(/^wss?:$/)
            expect(Number.isFinite(Date.parse(response.refreshAfter))).toBe(true)
            expect(response.roles.every((role) => typeof role === 'string')).toBe(true)
            return
          }
          const { error } = outcome
          expect(error).toBeInstanceOf(NegotiationFailedError)
          const failed = error as NegotiationFailedError
          expect(failed.status).toBe(status)
          expect(typeof failed.code).toBe('string')
          expect(failed.code).not.toBe('')
          expect(typeof failed.detail).toBe('string')
          if (failed.retryAfterSeconds !== undefined) {
            expect(Number.isInteger(failed.retryAfterSeconds)).toBe(true)
            expect(failed.retryAfterSeconds).toBeGreaterThanOrEqual(0)
            expect(failed.retryAfterSeconds).toBeLessThanOrEqual(3600)
          }
          if (failed.problem === undefined) {
            expect(failed.code).toBe('unexpected_response')
          } else {
            expect(failed.code).toBe(failed.problem.code)
            expect(status < 200 || status >= 300).toBe(true)
          }
        },
      ),
      { numRuns: 1000 },
    )
  })
})

describe('client/rights', () => {
  it('reads sendToGroup, sendToGroup.<group> and sendToGroups.<pattern> roles', () => {
    expect(canSendToGroup(['webpubsub.sendToGroup'], 'room.a')).toBe(true)
    expect(canSendToGroup(['webpubsub.sendToGroup.room.a'], 'room.a')).toBe(true)
    expect(canSendToGroup(['webpubsub.sendToGroup.room.a'], 'room.b')).toBe(false)
    expect(canSendToGroup(['webpubsub.sendToGroups.room.*'], 'room.lobby')).toBe(true)
    // `*` stops at a dot, `**` does not.
    expect(canSendToGroup(['webpubsub.sendToGroups.room.*'], 'room.a.b')).toBe(false)
    expect(canSendToGroup(['webpubsub.sendToGroups.room.**'], 'room.a.b')).toBe(true)
    expect(canSendToGroup(['webpubsub.sendToGroups.room.?'], 'room.a')).toBe(true)
    expect(canSendToGroup(['webpubsub.sendToGroups.room.?'], 'room.ab')).toBe(false)
    expect(canSendToGroup(['webpubsub.sendToGroups.room.\\*'], 'room.*')).toBe(true)
    expect(canSendToGroup(['webpubsub.sendToGroups.room.\\*'], 'room.a')).toBe(false)
    // Six stars grant nothing; neither do join rights or other actions.
    expect(canSendToGroup(['webpubsub.sendToGroups.******'], 'a')).toBe(false)
    expect(canSendToGroup(['webpubsub.joinLeaveGroups.room.*'], 'room.a')).toBe(false)
    expect(canJoinGroup(['webpubsub.joinLeaveGroups.room.*'], 'room.a')).toBe(true)
    expect(canSendToGroup([], 'room.a')).toBe(false)
  })

  it("decides as the emulator's service does (property)", () => {
    const alphabet = fc.constantFrom('a', 'b', '.', '*', '?', '\\', 'é', '😀')
    const word = fc.array(alphabet, { maxLength: 12 }).map((chars) => chars.join(''))
    const role = fc.oneof(
      fc.constantFrom('webpubsub.sendToGroup', 'webpubsub.joinLeaveGroup'),
      word.map((w) => `webpubsub.sendToGroup.${w}`),
      word.map((w) => `webpubsub.sendToGroups.${w}`),
      word.map((w) => `webpubsub.joinLeaveGroups.${w}`),
    )
    const group = fc.array(fc.constantFrom('a', 'b', '.', '*', '?', 'é', '😀'), { maxLength: 10 })
    fc.assert(
      fc.property(fc.array(role, { maxLength: 3 }), group, (roles, chars) => {
        const name = chars.join('')
        const service = permissionsFromRoles(roles)
        expect(canSendToGroup(roles, name)).toBe(service.canSend(name))
        expect(canJoinGroup(roles, name)).toBe(service.canJoinLeave(name))
      }),
      { numRuns: 3000 },
    )
  })
})
