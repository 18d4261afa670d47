// The official @azure/web-pubsub-client against resource 1, with a URL from resource 1's :generateToken.
import { WebPubSubClient } from '@azure/web-pubsub-client'
import { afterEach, describe, expect, it } from 'vitest'
import { clientUrlAt, generateTokenAt, secretToken, useEmulator } from './helpers'

describe('@azure/web-pubsub-client on a further resource', () => {
  const started: WebPubSubClient[] = []
  afterEach(() => {
    for (const client of started.splice(0)) client.stop()
  })

  it('connects to resource 1, joins and receives a message sent through resource 1', async () => {
    const emulator = await useEmulator({ resources: 2 })
    const [main, second] = emulator.resources
    const entra = await secretToken(emulator)
    const query = 'api-version=2024-12-01&userId=ann&role=webpubsub.joinLeaveGroup.room'
    const client = new WebPubSubClient({
      getClientAccessUrl: async () => {
        const res = await generateTokenAt(second!, entra, query)
        if (res.status !== 200) throw new Error(`generateToken: ${res.status}`)
        return clientUrlAt(second!, ((await res.json()) as { token: string }).token)
      },
    })
    started.push(client)
    const connected = new Promise<{ userId: string }>((resolve) => client.on('connected', resolve))
    await client.start()
    expect(await connected).toMatchObject({ userId: 'ann' })
    await client.joinGroup('room')

    const received = new Promise<unknown>((resolve) =>
      client.on('server-message', (event) => resolve(event.message.data)),
    )
    const sent = await fetch(
      `${second!.url}/api/hubs/chat/groups/room/:send?api-version=2024-12-01`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${entra}`, 'content-type': 'application/json' },
        body: JSON.stringify({ hello: 'resource 1' }),
      },
    )
    expect(sent.status).toBe(202)
    expect(await received).toEqual({ hello: 'resource 1' })

    expect(second!.clientService.counters()).toMatchObject({
      connectionsOpened: 1,
      connectionsActive: 1,
    })
    expect(main!.clientService.counters().connectionsOpened).toBe(0)
    expect(second!.state.counters['webpubsub.generateToken']).toBe(1)
    expect(emulator.state.counters['webpubsub.generateToken']).toBe(0)
  })
})
