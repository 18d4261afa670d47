// The official @azure/web-pubsub-client against the emulator's client endpoint.
import { SendMessageError, WebPubSubClient } from '@azure/web-pubsub-client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startHarness, type Harness } from './client-harness'

describe('client endpoint with @azure/web-pubsub-client', () => {
  let h: Harness
  const started: WebPubSubClient[] = []
  beforeEach(async () => {
    h = await startHarness()
  })
  afterEach(async () => {
    for (const client of started.splice(0)) client.stop()
    await h.close()
  })

  /** A client whose getClientAccessUrl mints a fresh token each time, counting the calls. */
  function sdkClient(userId: string, roles: string[]) {
    const negotiations = { count: 0 }
    const client = new WebPubSubClient(
      {
        getClientAccessUrl: async () => {
          negotiations.count++
          const token = await h.token({ userId, roles })
          return h.url('/client/hubs/chat', { access_token: token })
        },
      },
      // No message retries, so that a Forbidden join rejects at once instead of after 3 × 1 s.
      { messageRetryOptions: { maxRetries: 0 } },
    )
    started.push(client)
    return { client, negotiations }
  }

  /** The next event of that kind; rejects after 5 s so that a failure is quick and clear. */
  function nextEvent<T>(client: WebPubSubClient, event: 'group-message' | 'server-message') {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} within 5 s`)), 5000)
      const listener = (args: T) => {
        clearTimeout(timer)
        client.off(event as 'group-message', listener as never)
        resolve(args)
      }
      client.on(event as 'group-message', listener as never)
    })
  }

  it('connects, joins, and exchanges json, text and binary with a second client', async () => {
    const ann = sdkClient('ann', ['webpubsub.sendToGroup', 'webpubsub.joinLeaveGroup.room'])
    const bob = sdkClient('bob', ['webpubsub.joinLeaveGroups.room*'])
    const connected = new Promise<{ connectionId: string; userId: string }>((resolve) =>
      ann.client.on('connected', resolve),
    )
    await ann.client.start()
    expect(await connected).toMatchObject({ userId: 'ann', connectionId: expect.any(String) })
    await bob.client.start()
    await bob.client.joinGroup('room')

    const got = nextEvent<{ message: Record<string, unknown> }>(bob.client, 'group-message')
    const result = await ann.client.sendToGroup('room', { hello: 'world' }, 'json')
    expect(result.isDuplicated).toBe(false)
    expect((await got).message).toMatchObject({
      kind: 'groupData',
      group: 'room',
      fromUserId: 'ann',
      dataType: 'json',
      data: { hello: 'world' },
      sequenceId: 1,
    })

    const text = nextEvent<{ message: { data: unknown } }>(bob.client, 'group-message')
    await ann.client.sendToGroup('room', 'plain', 'text')
    expect((await text).message.data).toBe('plain')

    const binary = nextEvent<{ message: { data: ArrayBuffer } }>(bob.client, 'group-message')
    await ann.client.sendToGroup('room', new Uint8Array([7, 8, 9]).buffer, 'binary')
    expect([...new Uint8Array((await binary).message.data)]).toEqual([7, 8, 9])
  })

  it('rejects a join the roles do not allow with Forbidden', async () => {
    const ann = sdkClient('ann', ['webpubsub.joinLeaveGroup.room'])
    await ann.client.start()
    const error = await ann.client.joinGroup('secret').then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(SendMessageError)
    expect((error as SendMessageError).errorDetail).toEqual({
      name: 'Forbidden',
      message: "The connection has no permission to join or leave group 'secret'.",
    })
    await expect(ann.client.joinGroup('room')).resolves.toMatchObject({ isDuplicated: false })
  })

  it('recovers a dropped connection with the same id, without negotiating again', async () => {
    const bob = sdkClient('bob', ['webpubsub.joinLeaveGroup'])
    let connectedEvents = 0
    bob.client.on('connected', () => connectedEvents++)
    await bob.client.start()
    await bob.client.joinGroup('room')
    h.service.sendToGroup('chat', 'room', 'before', 'text')
    expect(
      (await nextEvent<{ message: { data: unknown } }>(bob.client, 'server-message')).message.data,
    ).toBe('before')

    h.dropConnections()
    // Sent while bob is away: the service queues it and re-sends it after the resume.
    h.service.sendToGroup('chat', 'room', 'during', 'text')
    const during = await nextEvent<{ message: { data: unknown; sequenceId: number } }>(
      bob.client,
      'server-message',
    )
    expect(during.message).toMatchObject({ data: 'during', sequenceId: 2 })
    expect(bob.negotiations.count).toBe(1)
    expect(connectedEvents).toBe(1)
    expect(h.service.counters()).toMatchObject({ connectionsOpened: 1, connectionsActive: 1 })
  })
})
