// LOG_LEVEL: a negotiation's audit line and lifecycle events are info; problems always show.
import { beforeEach, describe, expect, it } from 'vitest'
import { emulator } from '../support/emulator'
import { createHarness, problemOf } from '../support/harness'

beforeEach(() => emulator.reset())

const events = (logs: string[]) =>
  logs.map((line) => JSON.parse(line) as { level: string; event: string; requestId?: string })

describe('LOG_LEVEL', () => {
  it('writes one negotiated line per negotiation by default (info), with the request id', async () => {
    const h = await createHarness()
    for (let i = 0; i < 3; i++) expect((await h.request('/negotiate')).status).toBe(200)
    const negotiated = events(h.logs).filter((line) => line.event === 'negotiated')
    expect(negotiated).toHaveLength(3)
    expect(new Set(negotiated.map((line) => line.requestId)).size).toBe(3)
    expect(negotiated.every((line) => line.level === 'info')).toBe(true)
  })

  it('writes the same lines at debug', async () => {
    const h = await createHarness({ vars: { LOG_LEVEL: 'debug' } })
    for (let i = 0; i < 2; i++) expect((await h.request('/negotiate')).status).toBe(200)
    expect(events(h.logs).filter((line) => line.event === 'negotiated')).toHaveLength(2)
  })

  it('keeps warnings at warn and drops info lines', async () => {
    const h = await createHarness({ vars: { LOG_LEVEL: 'WARN' } })
    expect((await h.request('/negotiate')).status).toBe(200)
    expect((await h.request('/negotiate?hub=nope')).status).toBe(400)
    const written = events(h.logs)
    expect(written.filter((line) => line.level === 'info' || line.level === 'debug')).toEqual([])
    expect(written).toContainEqual(
      expect.objectContaining({ level: 'warn', event: 'request_failed' }),
    )
  })

  it('writes only errors at error', async () => {
    const h = await createHarness({ vars: { LOG_LEVEL: 'error' } })
    expect((await h.request('/negotiate')).status).toBe(200)
    expect((await h.request('/negotiate?hub=nope')).status).toBe(400)
    expect(h.logs).toEqual([])
    // A broken configuration is an error: written whatever the level.
    const broken = await createHarness({
      vars: { LOG_LEVEL: 'error', WEBPUBSUB_ENDPOINT: undefined },
    })
    expect((await broken.request('/negotiate')).status).toBe(500)
    expect(events(broken.logs)).toContainEqual(
      expect.objectContaining({ level: 'error', event: 'config_invalid' }),
    )
  })

  it('refuses an unknown level, naming the variable', async () => {
    const h = await createHarness({ vars: { LOG_LEVEL: 'verbose' } })
    const response = await h.request('/negotiate')
    expect(response.status).toBe(500)
    const problem = await problemOf(response)
    expect(problem.code).toBe('config_invalid')
    expect(problem.problems).toContainEqual(expect.objectContaining({ variable: 'LOG_LEVEL' }))
  })
})
