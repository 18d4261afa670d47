// End to end in access-key mode: the negotiator's tokens and URLs equal those of @azure/web-pubsub
// given the same connection string, and the official client connects with them.
import { WebPubSubServiceClient } from '@azure/web-pubsub'
import { WebPubSubClient } from '@azure/web-pubsub-client'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningEmulator } from '../../emulator/index'
import { startE2eStack, type E2eStack } from '../support/e2e-stack'
import type { RunningNegotiator } from '../support/negotiator-process'

const ACCESS_KEY = 'E2eAccessKey0123456789abcdefABCDEFghijklmn='
const POLICY = {
  hubs: {
    chat: {
      roles: ['webpubsub.joinLeaveGroup.room', 'webpubsub.sendToGroup.room'],
      groups: ['room', 'lobby-news'],
    },
  },
}

interface Negotiated {
  baseUrl: string
  token: string
  url: string
  userId: string
  roles: string[]
  groups: string[]
}

let stack: E2eStack | undefined
let emulator: RunningEmulator
let negotiator: RunningNegotiator
let connectionString: string

beforeAll(async () => {
  // No AZURE_* and no WEBPUBSUB_ENDPOINT: the connection string alone.
  stack = await startE2eStack({
    accessKey: ACCESS_KEY,
    vars: () => ({ WEBPUBSUB_HUBS: 'chat,plain', POLICY }),
  })
  ;({ emulator, negotiator } = stack)
  connectionString = emulator.demo.connectionString ?? ''
})

afterAll(() => stack?.close())

async function negotiate(query: string): Promise<Negotiated> {
  const response = await fetch(`${negotiator.url}/negotiate?${query}`)
  expect(response.status).toBe(200)
  return (await response.json()) as Negotiated
}

/** Claims without the two that depend on the moment of signing. */
function timeless(token: string): Record<string, unknown> {
  const { iat, exp, ...rest } = decodeJwt(token)
  expect(typeof iat).toBe('number')
  expect(exp).toBe((iat ?? 0) + 60 * 60)
  return rest
}

describe('e2e: access-key mode against @azure/web-pubsub with the same connection string', () => {
  it.each([
    ['chat', 'default'],
    ['chat', 'mqtt'],
    ['chat', 'socketio'],
    ['plain', 'default'],
  ] as const)(
    'hub %s, protocol %s: same claims, header, baseUrl and url',
    async (hub, protocol) => {
      const ours = await negotiate(`hub=${hub}&protocol=${protocol}`)
      const sdk = await new WebPubSubServiceClient(connectionString, hub).getClientAccessToken({
        userId: ours.userId,
        roles: ours.roles,
        groups: ours.groups,
        // The SDK's default is no protocol at all.
        ...(protocol === 'default' ? {} : { clientProtocol: protocol }),
      })
      expect(timeless(ours.token)).toEqual(timeless(sdk.token))
      expect(decodeProtectedHeader(ours.token)).toEqual(decodeProtectedHeader(sdk.token))
      expect(ours.baseUrl).toBe(sdk.baseUrl)
      expect(ours.url).toBe(`${sdk.baseUrl}?access_token=${ours.token}`)
      if (hub === 'chat') {
        expect(timeless(ours.token)).toMatchObject({
          role: POLICY.hubs.chat.roles,
          'webpubsub.group': POLICY.hubs.chat.groups,
          sub: ours.userId,
        })
      }
    },
  )

  it('the official client connects with the negotiated URL and joins the token groups', async () => {
    const negotiations: Negotiated[] = []
    const client = new WebPubSubClient({
      getClientAccessUrl: async () => {
        const negotiated = await negotiate('hub=chat')
        negotiations.push(negotiated)
        return negotiated.url
      },
    })
    const connected = new Promise<{ userId: string }>((resolve) =>
      client.on('connected', (e) => resolve({ userId: e.userId })),
    )
    try {
      await client.start()
      expect((await connected).userId).toBe(negotiations[0]?.userId)
      // The token's role lets it publish to "room": the emulator read the key-signed claims.
      await client.sendToGroup('room', 'hello', 'text')
    } finally {
      client.stop()
    }
    expect(emulator.clientService.counters().connectionsOpened).toBeGreaterThanOrEqual(1)
  })
})
