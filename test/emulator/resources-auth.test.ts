// Several resources trust one Entra, each with its own client-token key and role overrides.
import { describe, expect, it } from 'vitest'
import { expectRefused, RELIABLE_PROTOCOL, TestClient } from './client-harness'
import { clientUrlAt, controlAt, generateTokenAt, secretToken, useEmulator } from './helpers'

async function tokenFrom(origin: { url: string }, entraToken: string): Promise<string> {
  const res = await generateTokenAt(origin, entraToken)
  expect(res.status).toBe(200)
  return ((await res.json()) as { token: string }).token
}

describe('several resources: one Entra, separate keys and roles', () => {
  it("accepts the main origin's Entra token at resource 1 with the same role checks", async () => {
    const emulator = await useEmulator({ resources: 2 })
    const second = emulator.resources[1]!
    const owner = await secretToken(emulator)
    const res = await generateTokenAt(second, owner)
    expect(res.status).toBe(200)
    expect(((await res.json()) as { token: string }).token).toMatch(/^eyJ/)

    const reader = await generateTokenAt(
      second,
      await secretToken(emulator, emulator.demo.apps.reader),
    )
    expect(reader.status).toBe(403)
    expect(((await reader.json()) as { code: string }).code).toBe('Error.Forbidden')
    const noRole = await generateTokenAt(
      second,
      await secretToken(emulator, emulator.demo.apps.noRole),
    )
    expect(noRole.status).toBe(403)
    expect((await generateTokenAt(second, 'not-a-token')).status).toBe(401)
  })

  it('follows the shared role assignments made on the main origin', async () => {
    const emulator = await useEmulator({ resources: 2 })
    const reader = emulator.demo.apps.reader
    const put = await controlAt(emulator, '/role-assignments', 'PUT', {
      clientId: reader.clientId,
      role: 'owner',
    })
    expect(put.status).toBe(200)
    const token = await secretToken(emulator, reader)
    for (const resource of emulator.resources)
      expect((await generateTokenAt(resource, token)).status).toBe(200)
  })

  it('refuses at resource 1 a client token issued by resource 0, which resource 0 accepts', async () => {
    const emulator = await useEmulator({ resources: 2 })
    const [main, second] = emulator.resources
    const token = await tokenFrom(main!, await secretToken(emulator))

    const accepted = await TestClient.open(clientUrlAt(main!, token), RELIABLE_PROTOCOL)
    expect(await accepted.next()).toMatchObject({ event: 'connected', userId: 'ann' })
    accepted.ws.close()
    expect((await expectRefused(clientUrlAt(second!, token))).status).toBe(401)

    // Even with resource 1's host in its audience, resource 0's key does not sign for resource 1.
    const forged = await main!.state.clientTokenSigner.sign({
      host: new URL(second!.url).host,
      hub: 'chat',
      clientType: 'Default',
      userId: 'ann',
      roles: [],
      groups: [],
      minutesToExpire: 10,
      nowSeconds: Math.floor(Date.now() / 1000),
    })
    const refused = await expectRefused(clientUrlAt(second!, forged))
    expect(refused.status).toBe(401)
    expect(refused.body).toMatch(/signature/)
    expect(second!.clientService.counters().connectionsRejected).toBe(2)
    expect(main!.clientService.counters().connectionsOpened).toBe(1)
    expect(second!.clientService.counters().connectionsOpened).toBe(0)
  })

  it('keeps connections per resource: a group message at resource 1 does not reach resource 0', async () => {
    const emulator = await useEmulator({ resources: 2 })
    const [main, second] = emulator.resources
    const entra = await secretToken(emulator)
    const query = 'api-version=2024-12-01&userId=ann&group=room'
    const at = async (origin: { url: string }) => {
      const res = await generateTokenAt(origin, entra, query)
      const { token } = (await res.json()) as { token: string }
      const client = await TestClient.open(clientUrlAt(origin, token), RELIABLE_PROTOCOL)
      expect((await client.next()).event).toBe('connected')
      return client
    }
    const onMain = await at(main!)
    const onSecond = await at(second!)
    const sent = await fetch(
      `${second!.url}/api/hubs/chat/groups/room/:send?api-version=2024-12-01`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${entra}`, 'content-type': 'text/plain' },
        body: 'only here',
      },
    )
    expect(sent.status).toBe(202)
    expect(await onSecond.next()).toMatchObject({
      type: 'message',
      from: 'server',
      data: 'only here',
    })
    expect(await onMain.drain()).toEqual([])
    onMain.ws.close()
    onSecond.ws.close()
  })

  it('overrides a role at one resource through its own control API', async () => {
    const emulator = await useEmulator({ resources: 2 })
    const [main, second] = emulator.resources
    const clientId = emulator.demo.apps.ownerSecret.clientId
    const put = await controlAt(second!, '/role-overrides', 'PUT', { clientId, role: 'none' })
    expect(await put.json()).toEqual({ clientId, role: 'none', overridden: true })
    expect(await (await controlAt(second!, '/role-overrides')).json()).toEqual({
      overrides: { [clientId]: 'none' },
    })

    const token = await secretToken(emulator)
    const refused = await generateTokenAt(second!, token)
    expect(refused.status).toBe(403)
    expect(((await refused.json()) as { message: string }).message).toMatch(/generateToken/)
    expect((await generateTokenAt(main!, token)).status).toBe(200)
    // The main origin's credentials still show the shared role.
    expect(emulator.demo.apps.ownerSecret.role).toBe('owner')

    expect((await controlAt(second!, '/role-overrides', 'DELETE')).status).toBe(204)
    expect((await generateTokenAt(second!, token)).status).toBe(200)
  })

  it('overrides through the module API, resource 0 included, and drops one with role null', async () => {
    const emulator = await useEmulator({ resources: 2 })
    const [main, second] = emulator.resources
    const reader = emulator.demo.apps.reader.clientId
    const owner = emulator.demo.apps.ownerSecret.clientId
    // No role on the primary, the shared Owner on the secondary.
    main!.state.roleOverrides.set(owner, 'none')
    second!.state.roleOverrides.set(reader, 'owner')
    const ownerToken = await secretToken(emulator)
    const readerToken = await secretToken(emulator, emulator.demo.apps.reader)
    expect((await generateTokenAt(main!, ownerToken)).status).toBe(403)
    expect((await generateTokenAt(second!, ownerToken)).status).toBe(200)
    expect((await generateTokenAt(main!, readerToken)).status).toBe(403)
    expect((await generateTokenAt(second!, readerToken)).status).toBe(200)

    const dropped = await controlAt(second!, '/role-overrides', 'PUT', {
      clientId: reader,
      role: null,
    })
    expect(await dropped.json()).toEqual({ clientId: reader, role: 'reader', overridden: false })
    expect((await generateTokenAt(second!, readerToken)).status).toBe(403)
  })

  it('refuses an override for an unknown app or with an unknown role', async () => {
    const emulator = await useEmulator({ resources: 2 })
    const second = emulator.resources[1]!
    const unknown = await controlAt(second, '/role-overrides', 'PUT', {
      clientId: 'c0000000-0000-4000-8000-000000000000',
      role: 'owner',
    })
    expect(unknown.status).toBe(400)
    const badRole = await controlAt(second, '/role-overrides', 'PUT', {
      clientId: emulator.demo.apps.reader.clientId,
      role: 'admin',
    })
    expect(badRole.status).toBe(400)
    expect(second.state.roleOverrides.size).toBe(0)
  })
})
