// End to end in jwt mode: two verified users, each with a private group `user.{sub}` from the policy.
import { SendMessageError, WebPubSubClient } from '@azure/web-pubsub-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningEmulator } from '../../emulator/index'
import { startE2eStack, type E2eStack } from '../support/e2e-stack'
import type { RunningNegotiator } from '../support/negotiator-process'

const AUDIENCE = 'webpubsub-negotiator'
const POLICY = {
  hubs: {
    chat: {
      roles: ['webpubsub.joinLeaveGroup.user.{sub}', 'webpubsub.sendToGroup.user.{sub}'],
      groups: [],
    },
  },
}

let stack: E2eStack | undefined
let emulator: RunningEmulator
let negotiator: RunningNegotiator
const clients: WebPubSubClient[] = []

beforeAll(async () => {
  stack = await startE2eStack({
    vars: (started) => ({
      AUTH_MODE: 'jwt',
      AUTH_ISSUER: started.demo.oidcIssuer,
      AUTH_AUDIENCE: AUDIENCE,
      POLICY,
    }),
  })
  ;({ emulator, negotiator } = stack)
})

afterAll(async () => {
  for (const client of clients) client.stop()
  await stack?.close()
})

async function userToken(sub: string): Promise<string> {
  const response = await fetch(`${emulator.demo.oidcIssuer}/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub, audience: AUDIENCE }),
  })
  return ((await response.json()) as { token: string }).token
}

/** The official client, negotiating with the user's bearer token on every new connection. */
async function connectAs(sub: string): Promise<WebPubSubClient> {
  const token = await userToken(sub)
  const client = new WebPubSubClient(
    {
      getClientAccessUrl: async () => {
        const response = await fetch(`${negotiator.url}/negotiate?hub=chat`, {
          headers: { authorization: `Bearer ${token}` },
        })
        if (!response.ok) throw new Error(`negotiate: ${response.status} ${await response.text()}`)
        return ((await response.json()) as { url: string }).url
      },
    },
    { messageRetryOptions: { maxRetries: 0 } },
  )
  clients.push(client)
  await client.start()
  return client
}

async function refusal(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise
  } catch (error) {
    return error instanceof SendMessageError ? error.errorDetail?.name : String(error)
  }
  return 'not refused'
}

describe('e2e: private groups per verified user', () => {
  it("lets each user join its own group and refuses the other's with Forbidden", async () => {
    const [alice, bob] = await Promise.all([connectAs('alice'), connectAs('bob')])

    await alice.joinGroup('user.alice')
    await bob.joinGroup('user.bob')
    expect(await refusal(alice.joinGroup('user.bob'))).toBe('Forbidden')
    expect(await refusal(bob.joinGroup('user.alice'))).toBe('Forbidden')
    expect(await refusal(bob.sendToGroup('user.alice', 'let me in', 'text'))).toBe('Forbidden')

    // Alice's own group works end to end: she hears what she sends to it.
    const heard = new Promise<unknown>((resolve) => {
      alice.on('group-message', (event) => {
        if (event.message.group === 'user.alice') resolve(event.message.data)
      })
    })
    await alice.sendToGroup('user.alice', 'note to self', 'text', { noEcho: false })
    expect(await heard).toBe('note to self')
  })

  it('refuses to negotiate without a token, so nobody can connect as alice by asking', async () => {
    const anonymous = await fetch(`${negotiator.url}/negotiate?hub=chat`)
    expect(anonymous.status).toBe(401)
    const impersonating = await fetch(`${negotiator.url}/negotiate?hub=chat&userId=alice`, {
      headers: { authorization: `Bearer ${await userToken('mallory')}` },
    })
    expect(impersonating.status).toBe(400)
    expect(((await impersonating.json()) as { code: string }).code).toBe('parameter_not_allowed')
  })
})
