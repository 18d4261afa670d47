// End to end: revoking a user closes their official client's connection, and its reconnect is refused.
import { WebPubSubClient } from '@azure/web-pubsub-client'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { RunningEmulator } from '../../emulator/index'
import { startE2eStack, type E2eStack } from '../support/e2e-stack'
import { jwtModeVars } from '../support/emulator-vars'
import type { RunningNegotiator } from '../support/negotiator-process'
import { waitFor } from '../support/wait-for'

const AUDIENCE = 'webpubsub-negotiator'
const ADMIN_TOKEN = 'e2e-revocation-admin-token-0123456789abcdef'
const ACCESS_KEY = 'E2eRevocationKey0123456789abcdefABCDEFghijk='
const POLICY = {
  hubs: {
    chat: { roles: ['webpubsub.joinLeaveGroups.room.*', 'webpubsub.sendToGroups.room.*'] },
    lobby: { roles: ['webpubsub.joinLeaveGroups.room.*', 'webpubsub.sendToGroups.room.*'] },
  },
}
const jwtVars = (emulator: RunningEmulator) => ({
  ...jwtModeVars(emulator, AUDIENCE),
  WEBPUBSUB_HUBS: 'chat,lobby',
  POLICY,
  ADMIN_TOKEN,
})

interface Refusal {
  status: number
  problem: Record<string, unknown>
}

async function userToken(emulator: RunningEmulator, sub: string): Promise<string> {
  const response = await fetch(`${emulator.demo.oidcIssuer}/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub, audience: AUDIENCE }),
  })
  return ((await response.json()) as { token: string }).token
}

const started: WebPubSubClient[] = []
afterEach(() => {
  for (const client of started.splice(0)) client.stop()
})

/**
 * The official client for `sub` on `hub`, negotiating through the negotiator on every new
 * connection as the README shows; it records each negotiation's answer, refusals with their body.
 */
async function connectAs(
  emulator: RunningEmulator,
  negotiator: RunningNegotiator,
  sub: string,
  hub: string,
) {
  const bearer = await userToken(emulator, sub)
  const negotiated: string[] = []
  const refusals: Refusal[] = []
  const events: string[] = []
  const client = new WebPubSubClient(
    {
      getClientAccessUrl: async () => {
        const response = await fetch(`${negotiator.url}/negotiate?hub=${hub}`, {
          headers: { authorization: `Bearer ${bearer}` },
        })
        if (!response.ok) {
          refusals.push({
            status: response.status,
            problem: (await response.json()) as Record<string, unknown>,
          })
          throw new Error(`negotiate answered ${response.status}`)
        }
        const { url } = (await response.json()) as { url: string }
        negotiated.push(url)
        return url
      },
    },
    // Reconnect quickly, so the refused reconnect comes within the test's time.
    { reconnectRetryOptions: { retryDelayInMs: 100, maxRetryDelayInMs: 500 } },
  )
  started.push(client)
  client.on('connected', () => events.push('connected'))
  client.on('disconnected', () => events.push('disconnected'))
  await client.start()
  return { client, negotiated, refusals, events }
}

async function admin(negotiator: RunningNegotiator, method: string, path: string, body?: unknown) {
  const response = await fetch(`${negotiator.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  expect(response.status, await response.clone().text()).toBe(200)
  return (await response.json()) as Record<string, unknown> & {
    connections: { hub: string; outcome: string }[]
  }
}

/** Revokes `userId` on hub chat only: the emulator, the one resource, closes that hub's connection. */
async function revokeOnChat(
  emulator: RunningEmulator,
  negotiator: RunningNegotiator,
  userId: string,
) {
  const revoked = await admin(negotiator, 'POST', '/admin/revocations', { userId, hub: 'chat' })
  expect(revoked.connections).toEqual([{ endpoint: emulator.url, hub: 'chat', outcome: 'closed' }])
}

describe('e2e: revocation (Entra)', () => {
  let stack: E2eStack | undefined
  let emulator: RunningEmulator
  let negotiator: RunningNegotiator

  beforeAll(async () => {
    stack = await startE2eStack({ vars: jwtVars })
    ;({ emulator, negotiator } = stack)
  })
  afterAll(() => stack?.close())

  it("disconnects the user's client, and its reconnect negotiation is refused with caller_revoked", async () => {
    const alice = await connectAs(emulator, negotiator, 'alice', 'chat')
    const bob = await connectAs(emulator, negotiator, 'bob', 'chat')
    expect(alice.events).toEqual(['connected'])
    const revoked = await admin(negotiator, 'POST', '/admin/revocations', { userId: 'alice' })
    expect(revoked.connections).toEqual([
      { endpoint: emulator.url, hub: 'chat', outcome: 'closed' },
      { endpoint: emulator.url, hub: 'lobby', outcome: 'closed' },
    ])
    await waitFor(() => alice.refusals.length > 0, "alice's reconnect negotiation")
    expect(alice.events[1]).toBe('disconnected')
    // The reconnect negotiated (once connected, a client negotiates only for a new connection)
    // and the negotiator answered it with the revocation.
    expect(alice.negotiated).toHaveLength(1)
    expect(alice.refusals[0]).toEqual({
      status: 403,
      problem: expect.objectContaining({
        code: 'caller_revoked',
        detail: "This user's access has been revoked by the operator.",
        type: 'urn:webpubsub-edge-negotiator:error:caller_revoked',
      }),
    })
    // Bob was not touched: still connected, and can still use the service.
    expect(bob.events).toEqual(['connected'])
    await expect(bob.client.joinGroup('room.a')).resolves.toBeDefined()
  })

  it("closes only the named hub's connections when the revocation names a hub", async () => {
    const onChat = await connectAs(emulator, negotiator, 'carol', 'chat')
    const onLobby = await connectAs(emulator, negotiator, 'carol', 'lobby')
    await revokeOnChat(emulator, negotiator, 'carol')
    await waitFor(() => onChat.refusals.length > 0, "carol's reconnect on chat")
    expect(onChat.refusals[0]?.problem.code).toBe('caller_revoked')
    // The emulator closed the chat connection only: lobby stays up and working.
    expect(onLobby.events).toEqual(['connected'])
    await expect(onLobby.client.joinGroup('room.b')).resolves.toBeDefined()
  })
})

describe('e2e: revocation in access-key mode (REST bearer signed with the key)', () => {
  let stack: E2eStack | undefined
  let emulator: RunningEmulator
  let negotiator: RunningNegotiator

  beforeAll(async () => {
    stack = await startE2eStack({ accessKey: ACCESS_KEY, vars: jwtVars })
    ;({ emulator, negotiator } = stack)
  })
  afterAll(() => stack?.close())

  it('closes the connection with a key-signed bearer, and the reconnect is refused', async () => {
    const alice = await connectAs(emulator, negotiator, 'alice', 'chat')
    await revokeOnChat(emulator, negotiator, 'alice')
    await waitFor(() => alice.refusals.length > 0, "alice's reconnect negotiation")
    expect(alice.refusals[0]).toMatchObject({ status: 403, problem: { code: 'caller_revoked' } })
  })
})
