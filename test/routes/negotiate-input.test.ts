// Bad input on /negotiate: methods, broken encodings, lone surrogates, too many or too long groups.
import { beforeEach, describe, expect, it } from 'vitest'
import { emulator } from '../support/emulator'
import { createHarness, problemOf } from '../support/harness'

beforeEach(() => emulator.reset())

const POLICY = { hubs: { chat: { requestableGroups: ['room.*'] } } }

/** A harness whose first valid negotiation would have to call Entra and the Auth API. */
const harness = (vars: Record<string, unknown> = {}) => createHarness({ vars: { POLICY, ...vars } })

async function expectNoUpstreamCall(): Promise<void> {
  const counters = await emulator.counters()
  expect(counters['entra.token']).toBe(0)
  expect(counters['webpubsub.generateToken']).toBe(0)
}

const groups = (count: number, name = (i: number) => `room.${i}`) =>
  Array.from({ length: count }, (_, i) => `group=${encodeURIComponent(name(i))}`).join('&')

describe('routes/negotiate methods', () => {
  it('refuses HEAD with 405 and mints no token', async () => {
    const h = await harness()
    const response = await h.request('/negotiate', { method: 'HEAD' })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('GET, POST, OPTIONS')
    await expectNoUpstreamCall()
  })

  it.each(['PUT', 'PATCH', 'DELETE'])('answers %s with 405 and an Allow header', async (method) => {
    const h = await harness()
    const response = await h.request('/negotiate', { method })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('GET, POST, OPTIONS')
    const problem = await problemOf(response)
    expect(problem).toMatchObject({ code: 'method_not_allowed', status: 405 })
    await expectNoUpstreamCall()
  })
})

describe('routes/negotiate group limits', () => {
  it('refuses more groups than MAX_REQUESTED_GROUPS (default 20) without an upstream call', async () => {
    const h = await harness()
    const response = await h.request(`/negotiate?${groups(21)}`)
    expect(response.status).toBe(400)
    const problem = await problemOf(response)
    expect(problem).toMatchObject({ code: 'parameter_invalid', status: 400 })
    expect(problem.detail).toContain('At most 20 "group" values')
    await expectNoUpstreamCall()
  })

  it('follows MAX_REQUESTED_GROUPS when it is set', async () => {
    const h = await harness({ MAX_REQUESTED_GROUPS: '25' })
    const response = await h.request(`/negotiate?${groups(21)}`)
    expect(response.status).toBe(200)
    expect(((await response.json()) as { groups: string[] }).groups).toHaveLength(21)
    const over = await h.request(`/negotiate?${groups(26)}`)
    expect((await problemOf(over)).code).toBe('parameter_invalid')
  })

  it('refuses 1,500 groups with 400, not a 502 from a 23 KB Auth API URL', async () => {
    const h = await harness({ MAX_REQUESTED_GROUPS: '100' })
    const response = await h.request(`/negotiate?${groups(1500)}`)
    expect(response.status).toBe(400)
    expect((await problemOf(response)).code).toBe('parameter_invalid')
    await expectNoUpstreamCall()
  })

  it('refuses groups that would make the client URL too long, without an upstream call', async () => {
    const h = await harness()
    // 10 groups within the count limit, each a valid 900-character name.
    const response = await h.request(
      `/negotiate?${groups(10, (i) => `room.${i}${'x'.repeat(900)}`)}`,
    )
    expect(response.status).toBe(400)
    const problem = await problemOf(response)
    expect(problem.code).toBe('parameter_invalid')
    expect(problem.detail).toMatch(/client URL of about \d+ characters/)
    await expectNoUpstreamCall()
  })
})

describe('routes/negotiate minutesToExpire', () => {
  it('names minutesToExpire, the parameter the caller sent, when it is out of range', async () => {
    const h = await harness({
      POLICY: { hubs: { chat: { ttlMinutes: { default: 60, min: 5, max: 120 } } } },
    })
    const response = await h.request('/negotiate?minutesToExpire=999')
    expect(response.status).toBe(400)
    expect(await problemOf(response)).toMatchObject({
      code: 'parameter_invalid',
      detail: '"minutesToExpire" must be from 5 to 120 on this hub.',
    })
    await expectNoUpstreamCall()
  })
})

describe('routes/negotiate encodings', () => {
  it.each([
    ['a truncated escape in a group', '/negotiate?group=%E0%A4%A'],
    ['a lone %', '/negotiate?hub=%'],
    ['a non-hex escape', '/negotiate?group=room.%zz'],
    ['an escape that is not UTF-8', '/negotiate?group=room.%FF'],
    ['a UTF-8-encoded surrogate', '/negotiate?group=room.%ED%A0%80'],
    ['a broken escape in a parameter name', '/negotiate?gr%oup=room.1'],
  ])('refuses %s with 400 parameter_invalid', async (_label, path) => {
    const h = await harness()
    const response = await h.request(path)
    expect(response.status).toBe(400)
    expect(await problemOf(response)).toMatchObject({ code: 'parameter_invalid', status: 400 })
    await expectNoUpstreamCall()
  })

  it('keeps a group that merely contains U+FFFD distinct from a broken one', async () => {
    const h = await harness()
    const response = await h.request(`/negotiate?group=${encodeURIComponent('room.\uFFFD')}`)
    expect(response.status).toBe(200)
    expect(((await response.json()) as { groups: string[] }).groups).toEqual(['room.\uFFFD'])
  })

  it.each([
    ['application/json', '{"group":"room.'],
    ['application/x-www-form-urlencoded', 'group=room.'],
  ])('refuses a %s body whose bytes are not UTF-8', async (type, start) => {
    const h = await harness()
    const encoded = new TextEncoder().encode(start)
    const body = new Uint8Array([...encoded, 0xff, 0xfe, ...new TextEncoder().encode('"}')])
    const response = await h.request('/negotiate', {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    })
    expect(response.status).toBe(400)
    const problem = await problemOf(response)
    expect(problem.code).toBe('parameter_invalid')
    expect(problem.detail).toContain('not UTF-8')
    await expectNoUpstreamCall()
  })

  it('refuses a broken escape in a form body', async () => {
    const h = await harness()
    const response = await h.request('/negotiate', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'group=room.%E0%A4%A',
    })
    expect((await problemOf(response)).code).toBe('parameter_invalid')
    await expectNoUpstreamCall()
  })

  it.each([
    ['a group value', '{"group":"room.\\ud800"}'],
    ['a group list item', '{"group":["room.a","room.\\udc00x"]}'],
    ['a parameter name', '{"gr\\ud800oup":"room.a"}'],
  ])('refuses a lone surrogate in %s of a JSON body', async (_label, body) => {
    const h = await harness()
    const response = await h.request('/negotiate', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })
    expect(response.status).toBe(400)
    const problem = await problemOf(response)
    expect(problem.code).toBe('parameter_invalid')
    expect(problem.detail).toContain('surrogate')
    await expectNoUpstreamCall()
  })

  it('accepts a well-formed surrogate pair (an emoji) in a group', async () => {
    const h = await harness()
    const response = await h.request('/negotiate', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ group: 'room.\u{1F600}' }),
    })
    expect(response.status).toBe(200)
    expect(((await response.json()) as { groups: string[] }).groups).toEqual(['room.\u{1F600}'])
  })

  it('refuses more than 100 parameters of any name', async () => {
    const h = await harness()
    const junk = Array.from({ length: 101 }, (_, i) => `x${i}=1`).join('&')
    const response = await h.request(`/negotiate?${junk}`)
    expect((await problemOf(response)).code).toBe('parameter_invalid')
  })
})
