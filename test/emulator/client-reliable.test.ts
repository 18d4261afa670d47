// The reliable subprotocol: sequence ids, resume within the window, 1008 after it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  JSON_PROTOCOL,
  RELIABLE_PROTOCOL,
  startHarness,
  TestClient,
  type Frame,
  type Harness,
} from './client-harness'

const WINDOW_MS = 30_000

describe('client endpoint reliable protocol', () => {
  let h: Harness
  beforeEach(async () => {
    h = await startHarness({ reconnectWindowMs: WINDOW_MS })
  })
  afterEach(() => h.close())

  async function activeBecomes(count: number): Promise<void> {
    for (let i = 0; i < 100 && h.service.counters().connectionsActive !== count; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    expect(h.service.counters().connectionsActive).toBe(count)
  }

  function resumeUrl(connected: Frame, hub = 'chat'): string {
    return h.url(`/client/hubs/${hub}`, {
      awps_connection_id: connected.connectionId,
      awps_reconnection_token: connected.reconnectionToken,
    })
  }

  /** A reliable member of group g and a sender with every permission. */
  async function memberAndSender() {
    const member = await h.connect({
      userId: 'ann',
      groups: ['g'],
      roles: ['webpubsub.joinLeaveGroup'],
    })
    const connected = await member.next()
    const sender = await h.connect(
      { userId: 'bob', roles: ['webpubsub.sendToGroup'] },
      JSON_PROTOCOL,
    )
    await sender.next()
    const say = (data: string) => sender.send(groupText(data))
    return { member, connected, sender, say }
  }

  function groupText(data: string) {
    return { type: 'sendToGroup', group: 'g', dataType: 'text', data }
  }

  it('numbers messages per connection from 1', async () => {
    const one = await h.connect({ groups: ['g'] })
    const two = await h.connect({ groups: ['g'] })
    await one.next()
    await two.next()
    h.service.sendToGroup('chat', 'g', 'a', 'text')
    expect((await one.next()).sequenceId).toBe(1)
    expect((await two.next()).sequenceId).toBe(1)
    h.service.sendToGroup('chat', 'g', 'b', 'text')
    expect((await one.next()).sequenceId).toBe(2)
    expect((await two.next()).sequenceId).toBe(2)
  })

  it('does not number messages on the plain JSON protocol', async () => {
    const client = await h.connect({ groups: ['g'] }, JSON_PROTOCOL)
    await client.next()
    h.service.sendToGroup('chat', 'g', 'a', 'text')
    expect('sequenceId' in (await client.next())).toBe(false)
  })

  it('resumes a dropped connection: same id, groups kept, unacked messages re-sent in order', async () => {
    const { member, connected, sender, say } = await memberAndSender()
    expect(await member.request({ type: 'joinGroup', group: 'extra', ackId: 1 })).toMatchObject({
      success: true,
    })
    say('m1')
    expect(await member.next()).toMatchObject({ data: 'm1', sequenceId: 1 })
    member.send({ type: 'sequenceAck', sequenceId: 1 })
    say('m2')
    expect(await member.next()).toMatchObject({ data: 'm2', sequenceId: 2 })
    await member.request({ type: 'ping' }) // the sequenceAck has been processed by now
    member.ws.terminate()
    await activeBecomes(1)
    // Acked, so both are queued for the dropped connection before it resumes.
    expect(await sender.request({ ...groupText('m3'), ackId: 1 })).toMatchObject({ success: true })
    expect(await sender.request({ ...groupText('m4'), ackId: 2 })).toMatchObject({ success: true })
    h.advance(WINDOW_MS - 1000)

    // No access token: the reconnection token alone authorises a resume.
    const resumed = await TestClient.open(resumeUrl(connected), RELIABLE_PROTOCOL)
    expect(resumed.ws.protocol).toBe(RELIABLE_PROTOCOL)
    expect(await resumed.next()).toEqual(connected)
    const replay = [await resumed.next(), await resumed.next(), await resumed.next()]
    expect(replay.map((m) => [m.data, m.sequenceId])).toEqual([
      ['m2', 2],
      ['m3', 3],
      ['m4', 4],
    ])
    say('m5')
    expect(await resumed.next()).toMatchObject({ data: 'm5', sequenceId: 5, group: 'g' })
    // ackIds survive the resume too.
    expect(await resumed.request({ type: 'leaveGroup', group: 'extra', ackId: 1 })).toMatchObject({
      success: false,
      error: { name: 'Duplicate' },
    })
    expect(h.service.counters()).toMatchObject({ connectionsOpened: 2, connectionsActive: 2 })
  })

  it('lets a resume take over a socket the service has not seen die', async () => {
    const { member, connected, say } = await memberAndSender()
    const resumed = await TestClient.open(resumeUrl(connected), RELIABLE_PROTOCOL)
    expect(await resumed.next()).toEqual(connected)
    expect((await member.closed).code).toBe(1006)
    say('after')
    expect(await resumed.next()).toMatchObject({ data: 'after', sequenceId: 1 })
  })

  it('closes a resume with 1008 once the window has passed, after a disconnected message', async () => {
    const { member, connected, sender } = await memberAndSender()
    member.ws.terminate()
    await activeBecomes(1)
    h.advance(WINDOW_MS + 1)
    const late = await TestClient.open(resumeUrl(connected), RELIABLE_PROTOCOL)
    expect(await late.next()).toEqual({
      type: 'system',
      event: 'disconnected',
      message: 'The connection cannot be recovered.',
    })
    expect((await late.closed).code).toBe(1008)
    // The ack comes after the service has delivered the message to whoever is in the group.
    expect(await sender.request({ ...groupText('nobody'), ackId: 1 })).toMatchObject({
      type: 'ack',
      ackId: 1,
      success: true,
    })
    expect(h.service.counters()).toMatchObject({
      connectionsRejected: 1,
      messagesReceived: 1,
      messagesSent: 0,
    })
  })

  it.each([
    ['a wrong reconnection token', (c: Frame) => ({ ...c, reconnectionToken: 'x'.repeat(43) })],
    ['an unknown connection id', (c: Frame) => ({ ...c, connectionId: 'nope' })],
  ])('closes a resume with %s with 1008', async (_name, tamper) => {
    const { member, connected } = await memberAndSender()
    member.ws.terminate()
    await activeBecomes(1)
    const wrong = await TestClient.open(resumeUrl(tamper(connected)), RELIABLE_PROTOCOL)
    expect((await wrong.closed).code).toBe(1008)
    // The real session is still resumable.
    const right = await TestClient.open(resumeUrl(connected), RELIABLE_PROTOCOL)
    expect(await right.next()).toEqual(connected)
  })

  it('closes a resume on another hub or another subprotocol with 1008', async () => {
    const { member, connected } = await memberAndSender()
    member.ws.terminate()
    await activeBecomes(1)
    const otherHub = await TestClient.open(resumeUrl(connected, 'other'), RELIABLE_PROTOCOL)
    expect((await otherHub.closed).code).toBe(1008)
    const plain = await TestClient.open(resumeUrl(connected), JSON_PROTOCOL)
    expect((await plain.closed).code).toBe(1008)
  })

  it('forgets a plain JSON connection as soon as it drops', async () => {
    const client = await h.connect({ groups: ['g'] }, JSON_PROTOCOL)
    const connected = await client.next()
    client.ws.terminate()
    await activeBecomes(0)
    expect(h.service.sendToGroup('chat', 'g', 'x', 'text')).toBe(0)
    const url = h.url('/client/hubs/chat', {
      awps_connection_id: connected.connectionId,
      awps_reconnection_token: 'anything',
    })
    const resumed = await TestClient.open(url, RELIABLE_PROTOCOL)
    expect((await resumed.closed).code).toBe(1008)
  })

  it('queues for a dropped reliable connection, counting it as a recipient', async () => {
    const { member } = await memberAndSender()
    member.ws.terminate()
    await activeBecomes(1)
    expect(h.service.sendToGroup('chat', 'g', 'queued', 'text')).toBe(1)
    h.advance(WINDOW_MS + 1)
    expect(h.service.sendToGroup('chat', 'g', 'dropped', 'text')).toBe(0)
  })

  it('drops a connection that leaves more than 1000 messages unacknowledged', async () => {
    const client = await h.connect({ groups: ['g'] })
    await client.next()
    for (let i = 0; i < 1001; i++) h.service.sendToGroup('chat', 'g', i, 'json')
    let last: Frame
    do last = await client.next()
    while (last.type === 'message')
    expect(last).toMatchObject({ type: 'system', event: 'disconnected' })
    expect((await client.closed).code).toBe(1008)
  })

  it('never logs a reconnection token', async () => {
    const { member, connected } = await memberAndSender()
    member.ws.terminate()
    await activeBecomes(1)
    const resumed = await TestClient.open(resumeUrl(connected), RELIABLE_PROTOCOL)
    await resumed.next()
    const logged = JSON.stringify(h.logs)
    expect(logged).toContain('client_resumed')
    expect(logged).not.toContain(connected.reconnectionToken)
  })
})
