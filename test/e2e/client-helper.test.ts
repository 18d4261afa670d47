// End to end: the official WebPubSubClient connects through createNegotiator (client/) in jwt mode.
import { WebPubSubClient, type OnGroupDataMessageArgs } from '@azure/web-pubsub-client'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createNegotiator, NegotiationFailedError } from '../../client/index'
import type { RunningEmulator } from '../../emulator/index'
import { startE2eStack, type E2eStack } from '../support/e2e-stack'
import { jwtModeVars } from '../support/emulator-vars'
import type { RunningNegotiator } from '../support/negotiator-process'
import { waitFor } from '../support/wait-for'

const AUDIENCE = 'webpubsub-negotiator'
const POLICY = {
  hubs: {
    chat: {
      roles: ['webpubsub.joinLeaveGroups.room.*', 'webpubsub.sendToGroups.room.*'],
      groups: ['user.{sub}'],
    },
  },
}

let stack: E2eStack | undefined
let emulator: RunningEmulator
let negotiator: RunningNegotiator

beforeAll(async () => {
  stack = await startE2eStack({
    vars: (started) => ({ ...jwtModeVars(started, AUDIENCE), POLICY }),
  })
  ;({ emulator, negotiator } = stack)
})

afterAll(() => stack?.close())

const started: WebPubSubClient[] = []
afterEach(() => {
  for (const client of started.splice(0)) client.stop()
})

/** A user token from the emulator's OpenID Connect development endpoint. */
async function userToken(sub: string, audience = AUDIENCE): Promise<string> {
  const response = await fetch(`${emulator.demo.oidcIssuer}/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub, audience }),
  })
  expect(response.status).toBe(200)
  return ((await response.json()) as { token: string }).token
}

/** The official client over createNegotiator, counting requests to /negotiate; a clock offset. */
function clientFor(token: string) {
  const requests: Headers[] = []
  const clock = { offsetMs: 0 }
  const negotiatorClient = createNegotiator({
    url: `${negotiator.url}/negotiate`,
    hub: 'chat',
    getToken: () => token,
    now: () => Date.now() + clock.offsetMs,
    fetch: (input, init) => {
      requests.push(new Headers(init?.headers))
      return fetch(input, init)
    },
  })
  const client = new WebPubSubClient(negotiatorClient, { messageRetryOptions: { maxRetries: 0 } })
  started.push(client)
  const connected: string[] = []
  client.on('connected', (e) => connected.push(e.userId))
  return { client, negotiator: negotiatorClient, requests, connected, clock }
}

describe('e2e: WebPubSubClient through createNegotiator', () => {
  it("connects with the user's bearer token and chats as the verified user", async () => {
    const alice = clientFor(await userToken('alice'))
    await alice.client.start()
    expect(alice.requests).toHaveLength(1)
    expect(alice.requests[0]!.get('authorization')).toMatch(/^Bearer eyJ/)
    // The user id comes from the verified token; the policy's group follows it.
    expect(alice.connected).toEqual(['alice'])
    const grant = await alice.negotiator.negotiate()
    expect(grant).toMatchObject({ hub: 'chat', userId: 'alice', groups: ['user.alice'] })
    expect(alice.requests).toHaveLength(1)

    await alice.client.joinGroup('room.helper')
    const heard = new Promise<OnGroupDataMessageArgs>((resolve) =>
      alice.client.on('group-message', resolve),
    )
    await alice.client.sendToGroup('room.helper', 'hello through the helper', 'text', {
      noEcho: false,
    })
    const { message } = await heard
    expect([message.fromUserId, message.data]).toEqual(['alice', 'hello through the helper'])
  })

  it('reconnects with the same grant before refreshAfter and negotiates after it', async () => {
    const bob = clientFor(await userToken('bob'))
    await bob.client.start()
    const { refreshAfter } = await bob.negotiator.negotiate()

    // The service ends the connection: the client cannot resume it and starts a new one.
    expect(emulator.clientService.closeUserConnections('chat', 'bob', 'kicked')).toBe(1)
    await waitFor(() => bob.connected.length === 2, 'the second connection')
    expect(bob.requests).toHaveLength(1)

    // Past refreshAfter by this client's clock: the next connection negotiates again.
    bob.clock.offsetMs = Date.parse(refreshAfter) - Date.now() + 1000
    expect(emulator.clientService.closeUserConnections('chat', 'bob', 'kicked')).toBe(1)
    await waitFor(() => bob.connected.length === 3, 'the third connection')
    expect(bob.requests).toHaveLength(2)
    expect(bob.connected).toEqual(['bob', 'bob', 'bob'])
  })

  it("rejects start() with the negotiator's problem as a NegotiationFailedError", async () => {
    const mallory = clientFor(await userToken('mallory', 'another-api'))
    const error = await mallory.client.start().then(
      () => undefined,
      (reason: unknown) => reason,
    )
    expect(error).toBeInstanceOf(NegotiationFailedError)
    const failed = error as NegotiationFailedError
    expect([failed.code, failed.status]).toEqual(['caller_unauthenticated', 401])
    expect(failed.problem).toMatchObject({ code: 'caller_unauthenticated', status: 401 })
    expect(failed.requestId).toEqual(expect.any(String))
    expect(mallory.connected).toEqual([])
  })
})
