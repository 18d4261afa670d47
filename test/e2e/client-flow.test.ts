// End to end: @azure/web-pubsub-client gets its URL from the real negotiator (workerd) and talks to the emulator.
import type { Socket } from 'node:net'
import { SendMessageError, WebPubSubClient } from '@azure/web-pubsub-client'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { RunningEmulator } from '../../emulator/index'
import { expectRefused, TestClient, RELIABLE_PROTOCOL } from '../emulator/client-harness'
import { claimsOf, secretToken } from '../emulator/helpers'
import { startE2eStack, type E2eStack } from '../support/e2e-stack'
import type { RunningNegotiator } from '../support/negotiator-process'
import { waitFor } from '../support/wait-for'

/** The demo policy: any `room.<name>` (no further dot), nothing else (`*` stops at a dot). */
const POLICY = {
  hubs: {
    chat: {
      roles: ['webpubsub.joinLeaveGroups.room.*', 'webpubsub.sendToGroups.room.*'],
      groups: [],
    },
  },
}

interface Negotiated {
  baseUrl: string
  token: string
  url: string
  expiresAt: string
  hub: string
  userId: string
  roles?: string[]
}

interface GroupMessage {
  message: { group: string; fromUserId: string; dataType: string; data: unknown }
}

let stack: E2eStack | undefined
let emulator: RunningEmulator
let negotiator: RunningNegotiator
/** Upgraded TCP sockets on the emulator by the token's user id, so a test can cut one user off. */
const socketsByUser = new Map<string, Set<Socket>>()
/** Connection ids of reliable resumes (`awps_connection_id`) the emulator was asked for. */
const resumes: string[] = []

beforeAll(async () => {
  stack = await startE2eStack({ vars: () => ({ POLICY }) })
  ;({ emulator, negotiator } = stack)
  // A second 'upgrade' listener: the emulator's own one handles the request, this one only watches.
  emulator.server.on('upgrade', (request, socket: Socket) => {
    const query = new URL(request.url ?? '/', 'http://x').searchParams
    const resumed = query.get('awps_connection_id')
    if (resumed !== null) resumes.push(resumed)
    const token = query.get('access_token')
    const userId = token === null ? undefined : claimsOf(token).sub
    if (typeof userId !== 'string') return
    const sockets = socketsByUser.get(userId) ?? new Set()
    sockets.add(socket)
    socketsByUser.set(userId, sockets)
    socket.once('close', () => sockets.delete(socket))
  })
})

afterAll(() => stack?.close())

const started: WebPubSubClient[] = []
afterEach(() => {
  for (const client of started.splice(0)) client.stop()
})

async function negotiate(query = ''): Promise<Negotiated> {
  const response = await fetch(`${negotiator.url}/negotiate?hub=chat${query}`)
  expect(response.status, await response.clone().text()).toBe(200)
  return (await response.json()) as Negotiated
}

/** The official client, negotiating on every new connection as the README shows; counts it. */
function negotiatingClient() {
  const negotiations: Negotiated[] = []
  const client = new WebPubSubClient(
    {
      getClientAccessUrl: async () => {
        const negotiated = await negotiate()
        negotiations.push(negotiated)
        return negotiated.url
      },
    },
    // No message retries: a Forbidden ack rejects at once instead of after 3 × 1 s.
    { messageRetryOptions: { maxRetries: 0 } },
  )
  started.push(client)
  const connected: { connectionId: string; userId: string }[] = []
  client.on('connected', (e) => connected.push({ connectionId: e.connectionId, userId: e.userId }))
  return { client, negotiations, connected }
}

function nextGroupMessage(client: WebPubSubClient, timeoutMs = 5000): Promise<GroupMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no group-message in ${timeoutMs} ms`)),
      timeoutMs,
    )
    const listener = (e: GroupMessage) => {
      clearTimeout(timer)
      client.off('group-message', listener as never)
      resolve(e)
    }
    client.on('group-message', listener as never)
  })
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: unknown) => error,
  )
}

describe('e2e: official client through the negotiator', () => {
  it('connects, joins room.a and exchanges messages with a second client', async () => {
    const ann = negotiatingClient()
    const bob = negotiatingClient()
    await ann.client.start()
    await bob.client.start()
    // The connection carries the identity and the roles the negotiator decided.
    const annId = ann.negotiations[0]!.userId
    const bobId = bob.negotiations[0]!.userId
    expect(ann.connected).toEqual([{ connectionId: expect.any(String), userId: annId }])
    expect(bob.connected).toEqual([{ connectionId: expect.any(String), userId: bobId }])
    expect(annId).not.toBe(bobId)
    expect(claimsOf(ann.negotiations[0]!.token)).toMatchObject({
      sub: annId,
      role: POLICY.hubs.chat.roles,
    })

    await ann.client.joinGroup('room.a')
    await bob.client.joinGroup('room.a')

    const toBob = nextGroupMessage(bob.client)
    const echo = nextGroupMessage(ann.client)
    await ann.client.sendToGroup('room.a', 'hello from ann', 'text', { noEcho: false })
    expect((await toBob).message).toMatchObject({
      group: 'room.a',
      fromUserId: annId,
      dataType: 'text',
      data: 'hello from ann',
    })
    expect((await echo).message).toMatchObject({ fromUserId: annId, data: 'hello from ann' })

    const toAnn = nextGroupMessage(ann.client)
    await bob.client.sendToGroup('room.a', { reply: 'hi ann' }, 'json', { noEcho: true })
    expect((await toAnn).message).toMatchObject({
      fromUserId: bobId,
      dataType: 'json',
      data: { reply: 'hi ann' },
    })
    expect(ann.negotiations).toHaveLength(1)
    expect(bob.negotiations).toHaveLength(1)
  })

  it('refuses groups the policy roles do not allow with Forbidden', async () => {
    const ann = negotiatingClient()
    await ann.client.start()
    // `secret` is outside room.*, and the `*` wildcard does not cross a dot.
    for (const group of ['secret', 'room.a.b']) {
      const join = await rejection(ann.client.joinGroup(group))
      expect(join, group).toBeInstanceOf(SendMessageError)
      expect((join as SendMessageError).errorDetail?.name).toBe('Forbidden')
      const send = await rejection(ann.client.sendToGroup(group, 'x', 'text'))
      expect((send as SendMessageError).errorDetail?.name).toBe('Forbidden')
    }
    await expect(ann.client.joinGroup('room.b')).resolves.toMatchObject({ isDuplicated: false })
  })

  it('refuses an expired token at connect with 401', async () => {
    // The policy lets the caller shorten the lifetime to its minimum, one minute.
    const before = Date.now()
    const negotiated = await negotiate('&minutesToExpire=1')
    const expiresAtMs = Date.parse(negotiated.expiresAt)
    expect(expiresAtMs).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 59_000)
    expect(expiresAtMs).toBeLessThanOrEqual(Date.now() + 61_000)
    expect(claimsOf(negotiated.token).exp).toBe(expiresAtMs / 1000)

    // Valid now: the same URL connects.
    const fresh = await TestClient.open(negotiated.url, RELIABLE_PROTOCOL)
    expect((await fresh.next()).event).toBe('connected')
    fresh.ws.close()

    // Two minutes later on the emulator's clock (which signs and verifies client tokens).
    const realNow = emulator.state.now
    emulator.state.now = () => Date.now() + 2 * 60_000
    try {
      const refused = await expectRefused(negotiated.url)
      expect(refused.status).toBe(401)
      expect(refused.body).toMatch(/expired/i)
    } finally {
      emulator.state.now = realNow
    }
  })

  it('refuses a tampered token at connect with 401', async () => {
    const negotiated = await negotiate()
    const [header, payload, signature = ''] = negotiated.token.split('.')
    // A character in the middle: the last one may only carry padding bits.
    const i = Math.floor(signature.length / 2)
    const flipped = signature[i] === 'A' ? 'B' : 'A'
    const tamperedSignature = signature.slice(0, i) + flipped + signature.slice(i + 1)
    const tampered = `${negotiated.baseUrl}?access_token=${header}.${payload}.${tamperedSignature}`
    const refused = await expectRefused(tampered)
    expect(refused).toMatchObject({ status: 401, body: expect.stringMatching(/signature/i) })

    // A changed claim under the original signature is refused the same way.
    const claims = { ...claimsOf(negotiated.token), role: ['webpubsub.joinLeaveGroup'] }
    const forged = Buffer.from(JSON.stringify(claims)).toString('base64url')
    const escalated = `${negotiated.baseUrl}?access_token=${header}.${forged}.${signature}`
    expect((await expectRefused(escalated)).status).toBe(401)
  })

  it('recovers a dropped connection on the reliable protocol without negotiating again', async () => {
    const ann = negotiatingClient()
    const bob = negotiatingClient()
    await ann.client.start()
    await bob.client.start()
    await bob.client.joinGroup('room.drop')
    const bobId = bob.negotiations[0]!.userId
    const openedBefore = emulator.clientService.counters().connectionsOpened

    let disconnections = 0
    bob.client.on('disconnected', () => disconnections++)
    const bobSockets = [...(socketsByUser.get(bobId) ?? [])]
    expect(bobSockets).toHaveLength(1)
    // As a network failure would: no close frame either way.
    for (const socket of bobSockets) socket.destroy()

    // Sent while bob may still be away: the service keeps it and re-sends it on the resume.
    const during = nextGroupMessage(bob.client, 10_000)
    await ann.client.sendToGroup('room.drop', 'while you were away', 'text')
    expect((await during).message).toMatchObject({ data: 'while you were away' })

    // The client came back with its old connection id, and the service took it back.
    expect(resumes).toContain(bob.connected[0]!.connectionId)
    expect(bob.negotiations).toHaveLength(1)
    // A resume keeps the connection: no second `connected`, no new connection at the service.
    expect(bob.connected).toHaveLength(1)
    expect(emulator.clientService.counters().connectionsOpened).toBe(openedBefore)
    // The client reports a disconnection before it gives up on a connection; the message above
    // arrived over the resumed one, so any such event has already fired by now.
    expect(disconnections).toBe(0)
  })

  it('negotiates a fresh token when the client starts again after stop()', async () => {
    const ann = negotiatingClient()
    await ann.client.start()
    const stopped = new Promise<void>((resolve) => ann.client.on('stopped', () => resolve()))
    ann.client.stop()
    await stopped
    await ann.client.start()

    expect(ann.negotiations).toHaveLength(2)
    const [first, second] = ann.negotiations
    expect(second!.token).not.toBe(first!.token)
    // Anonymous mode: every negotiation is a new identity.
    expect(ann.connected.map((c) => c.userId)).toEqual([first!.userId, second!.userId])
    await expect(ann.client.joinGroup('room.again')).resolves.toMatchObject({ isDuplicated: false })
  })

  it('negotiates again after the service closes the connection (REST :closeConnections)', async () => {
    const ann = negotiatingClient()
    await ann.client.start()
    const first = ann.negotiations[0]!

    // The REST API is Entra-authorized like :generateToken: sign in as the Owner app.
    const entraToken = await secretToken(emulator)
    const close = await fetch(
      `${emulator.url}/api/hubs/chat/users/${first.userId}/:closeConnections?api-version=2024-12-01&reason=e2e`,
      { method: 'POST', headers: { authorization: `Bearer ${entraToken}` } },
    )
    expect(close.status).toBe(204)

    // The closed connection cannot be resumed: the client starts a new one, negotiating again.
    await waitFor(() => ann.connected.length === 2, 'a second connected event', 8000)
    expect(ann.negotiations).toHaveLength(2)
    const second = ann.negotiations[1]!
    expect(second.token).not.toBe(first.token)
    expect(ann.connected[1]!.userId).toBe(second.userId)
    expect(ann.connected[1]!.connectionId).not.toBe(ann.connected[0]!.connectionId)
  })
})
