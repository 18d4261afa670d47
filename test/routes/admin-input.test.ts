// Property tests of the admin endpoint's input: any body or query is a 200 or a 400 with a stable
// code, decided before anything is written or any upstream is called (fast-check prints its seed).
import fc from 'fast-check'
import { beforeEach, describe, expect, it } from 'vitest'
import { MAX_REVOCATION_SECONDS, MAX_USER_ID_LENGTH } from '../../src/caller/revocations'
import { NegotiatorError } from '../../src/errors'
import { isWellFormed } from '../../src/lib/unicode'
import { readLiftQuery, readRevokeRequest } from '../../src/routes/admin-request'
import { jwtVars } from '../support/client-tokens'
import { emulator } from '../support/emulator'
import { createHarness, problemOf } from '../support/harness'
import { KvDouble } from '../support/kv-double'

beforeEach(() => emulator.reset())

const HUBS = ['chat', 'Lobby']
const ADMIN_TOKEN = 'admin-input-test-token-0123456789abcdefghij'

/** What the handler must accept: the oracle, written from the README rather than the code. */
function expected(body: unknown): 'ok' | 'parameter_invalid' | 'hub_not_allowed' {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'parameter_invalid'
  const fields = body as Record<string, unknown>
  if (Object.keys(fields).some((name) => !['userId', 'hub', 'forSeconds'].includes(name))) {
    return 'parameter_invalid'
  }
  const { userId, hub, forSeconds } = fields
  if (
    typeof userId !== 'string' ||
    userId === '' ||
    userId.length > MAX_USER_ID_LENGTH ||
    !isWellFormed(userId)
  ) {
    return 'parameter_invalid'
  }
  if (hub !== undefined && hub !== null) {
    if (typeof hub !== 'string' || !/^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$/.test(hub)) {
      return 'parameter_invalid'
    }
    if (!HUBS.some((name) => name.toLowerCase() === hub.toLowerCase())) return 'hub_not_allowed'
  }
  if (
    forSeconds !== undefined &&
    !(
      typeof forSeconds === 'number' &&
      Number.isInteger(forSeconds) &&
      forSeconds >= 1 &&
      forSeconds <= MAX_REVOCATION_SECONDS
    )
  ) {
    return 'parameter_invalid'
  }
  return 'ok'
}

/** Bodies near the valid ones (mostly one field off at most), and anything at all. */
const absent = <T>(arbitrary: fc.Arbitrary<T>, freq: number) =>
  fc.option(arbitrary, { nil: undefined, freq })
const nearValid = fc
  .record({
    userId: fc.oneof(
      { weight: 6, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }) },
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.constant('x'.repeat(MAX_USER_ID_LENGTH + 1)),
      fc.constant('x'.repeat(MAX_USER_ID_LENGTH)),
      fc.integer(),
      fc.constant(null),
    ),
    hub: absent(
      fc.oneof(
        fc.constantFrom('chat', 'CHAT', 'lobby', 'news', '1chat', '', 'chat!', null),
        fc.string({ maxLength: 5 }),
        fc.integer(),
      ),
      2,
    ),
    forSeconds: absent(
      fc.oneof(
        fc.integer({ min: -5, max: MAX_REVOCATION_SECONDS + 5 }),
        fc.constantFrom(0, 1, 60, 1.5, MAX_REVOCATION_SECONDS, MAX_REVOCATION_SECONDS + 1, NaN),
        fc.constant('60'),
      ),
      2,
    ),
    extra: absent(fc.string({ maxLength: 3 }), 8),
  })
  .map((fields) =>
    Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)),
  )
const anyBody = fc.oneof(nearValid, nearValid, fc.jsonValue(), fc.anything())

const request = (text: string, type = 'application/json') => ({
  header: (name: string) => (name === 'content-type' ? type : undefined),
  arrayBuffer: async () => new TextEncoder().encode(text).buffer as ArrayBuffer,
})

describe('routes/admin-request (property)', () => {
  it('accepts exactly what the oracle accepts, and refuses the rest with a stable code', async () => {
    await fc.assert(
      fc.asyncProperty(anyBody, async (body) => {
        const text = JSON.stringify(body) ?? 'undefined'
        const parsed = JSON.parse(text === 'undefined' ? 'null' : text) as unknown
        const want = text === 'undefined' ? 'parameter_invalid' : expected(parsed)
        const outcome = await readRevokeRequest(request(text), HUBS).then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        )
        if (want === 'ok') {
          expect(outcome).toHaveProperty('value')
          const { value } = outcome as { value: Awaited<ReturnType<typeof readRevokeRequest>> }
          const fields = parsed as Record<string, unknown>
          expect(value.userId).toBe(fields.userId)
          expect(value.forSeconds).toBe(fields.forSeconds ?? 86_400)
          // The hub as configured, whatever its case in the body.
          if (value.hub !== null) expect(HUBS).toContain(value.hub)
        } else {
          const { error } = outcome as { error: unknown }
          expect(error).toBeInstanceOf(NegotiatorError)
          expect((error as NegotiatorError).code).toBe(want)
        }
      }),
      { numRuns: 2_000 },
    )
  })

  it('refuses a body that is not JSON, not UTF-8, too large or of another type', async () => {
    const cases: [string | Uint8Array, string | undefined][] = [
      ['{"userId":"alice"}', 'text/plain'],
      ['{"userId":"alice"}', undefined],
      ['userId=alice', 'application/x-www-form-urlencoded'],
      ['{"userId":', 'application/json'],
      [new Uint8Array([0x7b, 0xff, 0x7d]), 'application/json'],
      [`{"userId":"${'a'.repeat(5000)}"}`, 'application/json'],
    ]
    for (const [body, type] of cases) {
      const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body
      const error = await readRevokeRequest(
        {
          header: (name) => (name === 'content-type' ? type : undefined),
          arrayBuffer: async () => bytes.slice().buffer as ArrayBuffer,
        },
        HUBS,
      ).catch((e: unknown) => e)
      expect(error, String(type)).toMatchObject({ code: 'parameter_invalid' })
    }
  })

  it('reads a lift query strictly (property)', () => {
    // No `#`: a request URL has no fragment by the time a Worker sees it.
    const part = fc.oneof(
      fc.constantFrom('userId', 'hub', 'user', '', '%', '%zz', '%ED%A0%80', 'alice', 'chat', 'a+b'),
      fc.string({ maxLength: 6 }).map((text) => text.replace(/#/g, '')),
    )
    const query = fc
      .array(fc.tuple(part, part, fc.boolean()), { maxLength: 4 })
      .map((pairs) =>
        pairs.map(([name, value, bare]) => (bare ? name : `${name}=${value}`)).join('&'),
      )
    fc.assert(
      fc.property(query, (text) => {
        let outcome: { userId: string; hub?: string } | NegotiatorError
        try {
          outcome = readLiftQuery(`https://n.example/admin/revocations?${text}`, HUBS)
        } catch (error) {
          expect(error).toBeInstanceOf(NegotiatorError)
          expect(['parameter_invalid', 'hub_not_allowed']).toContain(
            (error as NegotiatorError).code,
          )
          return
        }
        // Accepted: a user id, each parameter once, nothing else.
        expect(outcome.userId).not.toBe('')
        const names = text
          .split('&')
          .filter((p) => p !== '')
          .map((p) => decodeURIComponent(p.split('=')[0]!))
        expect(names.filter((n) => n === 'userId')).toHaveLength(1)
        expect(names.every((n) => n === 'userId' || n === 'hub')).toBe(true)
        if (outcome.hub !== undefined) expect(HUBS).toContain(outcome.hub)
      }),
      { numRuns: 2_000 },
    )
    expect(readLiftQuery('https://n.example/a?userId=alice%40example.com&hub=LOBBY', HUBS)).toEqual(
      { userId: 'alice@example.com', hub: 'Lobby' },
    )
  })
})

describe('routes/admin: bad input through the app (property)', () => {
  it('answers a 400 problem for a bad body and calls nothing upstream, writes nothing', async () => {
    let upstreamCalls = 0
    const kv = new KvDouble({ now: () => Date.now() })
    const h = await createHarness({
      vars: {
        ...jwtVars({ ADMIN_TOKEN, POLICY: undefined }),
        WEBPUBSUB_HUBS: HUBS.join(','),
        TOKEN_CACHE: kv,
      },
      fetch: async (input, init) => {
        upstreamCalls++
        return fetch(new Request(input, init))
      },
    })
    const writesBefore = kv.writes
    await fc.assert(
      fc.asyncProperty(
        anyBody.filter((body) => {
          const text = JSON.stringify(body)
          return text === undefined || expected(JSON.parse(text)) !== 'ok'
        }),
        async (body) => {
          const response = await h.request('/admin/revocations', {
            method: 'POST',
            headers: {
              authorization: `Bearer ${ADMIN_TOKEN}`,
              'content-type': 'application/json',
            },
            body: JSON.stringify(body) ?? '',
          })
          expect(response.status).toBe(400)
          const problem = await problemOf(response)
          expect(['parameter_invalid', 'hub_not_allowed']).toContain(problem.code)
          expect(JSON.stringify(problem)).not.toContain(ADMIN_TOKEN)
        },
      ),
      { numRuns: 200 },
    )
    expect(upstreamCalls).toBe(0)
    expect(kv.writes).toBe(writesBefore)
  })
})
