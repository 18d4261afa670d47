// The outage switch of a resource, and the main reset that restores every resource.
import { describe, expect, it } from 'vitest'
import { expectRefused, RELIABLE_PROTOCOL, TestClient } from './client-harness'
import { clientUrlAt, controlAt, generateTokenAt, secretToken, useEmulator } from './helpers'

async function clientToken(origin: { url: string }, entraToken: string): Promise<string> {
  const res = await generateTokenAt(origin, entraToken)
  expect(res.status).toBe(200)
  return ((await res.json()) as { token: string }).token
}

describe('resource outage switch', () => {
  it('answers 503 on every Web PubSub route and refuses upgrades, until down: false', async () => {
    const emulator = await useEmulator({ resources: 2 })
    const [main, second] = emulator.resources
    const entra = await secretToken(emulator)
    const token = await clientToken(second!, entra)
    // Open before the outage: it may stay open.
    const open = await TestClient.open(clientUrlAt(second!, token), RELIABLE_PROTOCOL)
    expect((await open.next()).event).toBe('connected')

    const down = await controlAt(second!, '/outage', 'POST', { down: true })
    expect(await down.json()).toEqual({ down: true })
    expect(await (await controlAt(second!, '/outage')).json()).toEqual({ down: true })
    expect(second!.state.down).toBe(true)

    const health = await fetch(`${second!.url}/api/health`)
    expect(health.status).toBe(503)
    expect(health.headers.get('x-ms-error-code')).toBe('Error.ServiceUnavailable')
    expect((await fetch(`${second!.url}/api/health`, { method: 'HEAD' })).status).toBe(503)
    expect((await generateTokenAt(second!, entra)).status).toBe(503)
    const send = await fetch(
      `${second!.url}/api/hubs/chat/groups/room/:send?api-version=2024-12-01`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${entra}`, 'content-type': 'text/plain' },
        body: 'hi',
      },
    )
    expect(send.status).toBe(503)
    const refused = await expectRefused(clientUrlAt(second!, token))
    expect(refused.status).toBe(503)
    expect(refused.body).toMatch(/outage/)
    expect(open.ws.readyState).toBe(open.ws.OPEN)

    // The other resource and Entra are untouched.
    expect((await fetch(`${main!.url}/api/health`)).status).toBe(200)
    expect((await generateTokenAt(main!, await secretToken(emulator))).status).toBe(200)

    await controlAt(second!, '/outage', 'POST', { down: false })
    expect((await fetch(`${second!.url}/api/health`)).status).toBe(200)
    expect((await generateTokenAt(second!, entra)).status).toBe(200)
    const again = await TestClient.open(clientUrlAt(second!, token), RELIABLE_PROTOCOL)
    expect((await again.next()).event).toBe('connected')
    again.ws.close()
    open.ws.close()
  })

  it('takes down resource 0 from the main origin, leaving Entra up', async () => {
    const emulator = await useEmulator({ resources: 2 })
    const [main, second] = emulator.resources
    expect((await controlAt(main!, '/outage', 'POST', { down: true })).status).toBe(200)
    expect((await fetch(`${main!.url}/api/health`)).status).toBe(503)
    const entra = await secretToken(emulator)
    expect((await generateTokenAt(main!, entra)).status).toBe(503)
    expect((await generateTokenAt(second!, entra)).status).toBe(200)
  })

  it('refuses a body without a boolean down', async () => {
    const emulator = await useEmulator({ resources: 2 })
    const res = await controlAt(emulator.resources[1]!, '/outage', 'POST', { down: 'yes' })
    expect(res.status).toBe(400)
    expect(emulator.resources[1]!.state.down).toBe(false)
  })
})

describe('main reset', () => {
  const setUp = async () => {
    const emulator = await useEmulator({ resources: 3 })
    const others = emulator.resources.slice(1)
    const owner = emulator.demo.apps.ownerSecret.clientId
    for (const resource of others) {
      await fetch(`${resource.url}/api/health`)
      await controlAt(resource, '/faults', 'POST', {
        route: 'webpubsub.health',
        kind: 'status',
        status: 500,
        times: -1,
      })
      await controlAt(resource, '/chaos', 'POST', {
        route: 'webpubsub.generateToken',
        rate: 1,
        faults: [{ kind: 'empty' }],
      })
      await controlAt(resource, '/latency', 'POST', { route: 'webpubsub.sendToGroup', ms: 50 })
      await controlAt(resource, '/role-overrides', 'PUT', { clientId: owner, role: 'none' })
      await controlAt(resource, '/outage', 'POST', { down: true })
    }
    await controlAt(emulator, '/outage', 'POST', { down: true })
    await controlAt(emulator, '/role-overrides', 'PUT', { clientId: owner, role: 'reader' })
    return { emulator, others, owner }
  }

  it.each([
    ['POST /_emulator/reset', 'http'],
    ['state.reset()', 'module'],
  ] as const)('%s resets every resource', async (_, how) => {
    const { emulator, others, owner } = await setUp()
    for (const resource of others) expect(resource.state.counters['webpubsub.health']).toBe(1)
    if (how === 'http') expect((await controlAt(emulator, '/reset', 'POST')).status).toBe(204)
    else emulator.state.reset()

    expect(emulator.state.down).toBe(false)
    expect(emulator.state.roleOf(owner)).toBe('owner')
    for (const resource of others) {
      const { state } = resource
      expect(state.down).toBe(false)
      expect(state.counters['webpubsub.health']).toBe(0)
      expect(state.faults.size).toBe(0)
      expect(state.chaos.size).toBe(0)
      expect(state.faultCounts.size).toBe(0)
      expect(state.latencyMs.size).toBe(0)
      expect(state.roleOverrides.size).toBe(0)
      expect((await fetch(`${resource.url}/api/health`)).status).toBe(200)
    }
    const entra = await secretToken(emulator)
    for (const resource of emulator.resources)
      expect((await generateTokenAt(resource, entra)).status).toBe(200)
  })

  it('a further resource’s own reset resets that resource only', async () => {
    const { emulator, others } = await setUp()
    expect((await controlAt(others[0]!, '/reset', 'POST')).status).toBe(204)
    expect(others[0]!.state.down).toBe(false)
    expect(others[0]!.state.faults.size).toBe(0)
    expect(others[1]!.state.down).toBe(true)
    expect(others[1]!.state.faults.size).toBe(1)
    expect(emulator.state.down).toBe(true)
  })
})
