// End to end: with the primary resource down, the official client gets a URL of the secondary from
// the real negotiator (workerd) and works there; when the primary is back, new clients go to it.
import { WebPubSubClient } from '@azure/web-pubsub-client'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { EmulatorResource } from '../../emulator/index'
import { startE2eStack, type E2eStack } from '../support/e2e-stack'

const POLICY = {
  hubs: {
    chat: { roles: ['webpubsub.joinLeaveGroup.room', 'webpubsub.sendToGroup.room'], groups: [] },
  },
}

let stack: E2eStack | undefined
let primary: EmulatorResource
let secondary: EmulatorResource

beforeAll(async () => {
  stack = await startE2eStack({
    emulator: { resources: 2 },
    vars: (emulator) => ({
      POLICY,
      WEBPUBSUB_SECONDARY_ENDPOINTS: emulator.resources[1]?.url ?? '',
    }),
  })
  ;[primary, secondary] = stack.emulator.resources as [EmulatorResource, EmulatorResource]
})

afterAll(() => stack?.close())

const started: WebPubSubClient[] = []
afterEach(async () => {
  for (const client of started.splice(0)) client.stop()
  primary.state.down = false
})

/** The official client, negotiating on every (re)connection; records the URLs it was given. */
function negotiatingClient(urls: string[]): WebPubSubClient {
  const client = new WebPubSubClient({
    getClientAccessUrl: async () => {
      const response = await fetch(`${stack?.negotiator.url}/negotiate?hub=chat`)
      if (!response.ok) throw new Error(`negotiate answered ${response.status}`)
      const { url } = (await response.json()) as { url: string }
      urls.push(url)
      return url
    },
  })
  started.push(client)
  return client
}

const wsOf = (resource: EmulatorResource) => resource.url.replace('http', 'ws')

/** Joins `room`, sends to it and waits for its own message to come back. */
async function roundTrip(client: WebPubSubClient, text: string): Promise<unknown> {
  const received = new Promise<unknown>((resolve) =>
    client.on('group-message', (event) => resolve(event.message.data)),
  )
  await client.joinGroup('room')
  await client.sendToGroup('room', text, 'text')
  return received
}

describe('failover end to end (official client)', () => {
  it('connects the official client to the secondary while the primary is down', async () => {
    primary.state.down = true
    const urls: string[] = []
    const client = negotiatingClient(urls)
    const openedBefore = secondary.clientService.counters().connectionsOpened
    await client.start()
    expect(urls).toHaveLength(1)
    expect(urls[0]?.startsWith(`${secondary.url.replace('http', 'ws')}/client/hubs/chat?`)).toBe(
      true,
    )
    expect(secondary.clientService.counters().connectionsOpened).toBe(openedBefore + 1)
    await expect(roundTrip(client, 'over the secondary')).resolves.toBe('over the secondary')
    // More clients: after three failed calls the primary's breaker opens and is skipped.
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`${stack?.negotiator.url}/negotiate?hub=chat`)
      expect(((await response.json()) as { url: string }).url.startsWith(wsOf(secondary))).toBe(
        true,
      )
    }
    const primaryCalls = primary.state.counters['webpubsub.generateToken']
    expect(primaryCalls).toBe(3)
  })

  it('sends new clients to the primary again once it is back', async () => {
    primary.state.down = false
    expect(primary.state.counters['webpubsub.health']).toBe(0)
    // The breaker reopens the primary after its open time and a passing background probe.
    const deadline = Date.now() + 15_000
    let url = ''
    while (Date.now() < deadline) {
      const response = await fetch(`${stack?.negotiator.url}/negotiate?hub=chat`)
      url = ((await response.json()) as { url: string }).url
      if (url.startsWith(primary.url.replace('http', 'ws'))) break
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    expect(url.startsWith(`${wsOf(primary)}/client/hubs/chat?`)).toBe(true)
    // It came back through a background probe of /api/health, after the breaker's open time.
    expect(primary.state.counters['webpubsub.health']).toBeGreaterThanOrEqual(1)
    const urls: string[] = []
    const client = negotiatingClient(urls)
    await client.start()
    expect(urls[0]?.startsWith(primary.url.replace('http', 'ws'))).toBe(true)
    await expect(roundTrip(client, 'back on the primary')).resolves.toBe('back on the primary')
  })
})
