// X-Request-Id: the caller's plausible id is kept for correlation, anything else replaced; Vary only with an allow-list.
import { beforeEach, describe, expect, it } from 'vitest'
import { emulator } from '../support/emulator'
import { createHarness, problemOf } from '../support/harness'

beforeEach(() => emulator.reset())

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

describe('X-Request-Id', () => {
  it("keeps a caller's plausible id, on success and in a problem", async () => {
    const h = await createHarness()
    const ok = await h.request('/negotiate', { headers: { 'x-request-id': 'trace-42=' } })
    expect(ok.status).toBe(200)
    expect(ok.headers.get('x-request-id')).toBe('trace-42=')
    const bad = await h.request('/negotiate?hub=nope', { headers: { 'x-request-id': 'trace-43' } })
    expect(bad.headers.get('x-request-id')).toBe('trace-43')
    expect((await problemOf(bad)).requestId).toBe('trace-43')
  })

  it.each([
    ['a space', 'a b'],
    ['a quote', 'a"b'],
    ['256 characters', 'a'.repeat(256)],
    ['nothing', ''],
  ])('replaces one with %s by a fresh UUID', async (_label, value) => {
    const h = await createHarness()
    const response = await h.request('/negotiate', { headers: { 'x-request-id': value } })
    expect(response.headers.get('x-request-id')).toMatch(UUID)
  })

  it('gives every request its own id when none is sent', async () => {
    const h = await createHarness()
    const ids = new Set<string | null>()
    for (let i = 0; i < 3; i++) ids.add((await h.request('/healthz')).headers.get('x-request-id'))
    expect(ids.size).toBe(3)
    for (const id of ids) expect(id).toMatch(UUID)
  })
})

describe('Vary: Origin', () => {
  it('is sent only when an allow-list of origins makes the answer depend on Origin', async () => {
    const none = await createHarness()
    expect((await none.request('/negotiate')).headers.get('vary')).toBeNull()
    const listed = await createHarness({ vars: { CORS_ORIGINS: 'https://app.example.com' } })
    expect((await listed.request('/negotiate')).headers.get('vary')).toBe('Origin')
  })
})
