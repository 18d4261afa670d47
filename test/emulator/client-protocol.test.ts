// The JSON subprotocols: connected, groups, publishing with each dataType, acks, ping.
import WebSocket from 'ws'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  JSON_PROTOCOL,
  RELIABLE_PROTOCOL,
  startHarness,
  TestClient,
  type Harness,
} from './client-harness'

const EVERYTHING = ['webpubsub.joinLeaveGroup', 'webpubsub.sendToGroup']

describe('client endpoint protocol', () => {
  let h: Harness
  beforeEach(async () => {
    h = await startHarness()
  })
  afterEach(() => h.close())

  it('echoes json.webpubsub.azure.v1 and sends connected without a reconnection token', async () => {
    const client = await h.connect({ userId: 'ann' }, JSON_PROTOCOL)
    expect(client.ws.protocol).toBe(JSON_PROTOCOL)
    const connected = await client.next()
    expect(connected).toEqual({
      type: 'system',
      event: 'connected',
      userId: 'ann',
      connectionId: expect.stringMatching(/^[\w-]{20,}$/),
    })
  })

  it('echoes json.reliable.webpubsub.azure.v1 and adds a random reconnection token', async () => {
    const first = await h.connect({ userId: 'ann' }, RELIABLE_PROTOCOL)
    const second = await h.connect({ userId: 'ann' }, RELIABLE_PROTOCOL)
    expect(first.ws.protocol).toBe(RELIABLE_PROTOCOL)
    const a = await first.next()
    const b = await second.next()
    expect(a).toMatchObject({ type: 'system', event: 'connected', userId: 'ann' })
    expect(a.reconnectionToken).toMatch(/^[\w-]{43}$/)
    expect(a.reconnectionToken).not.toBe(b.reconnectionToken)
    expect(a.connectionId).not.toBe(b.connectionId)
  })

  it('picks the first recognised subprotocol the client offers', async () => {
    const client = await h.connect({}, ['x.custom', JSON_PROTOCOL, RELIABLE_PROTOCOL])
    expect(client.ws.protocol).toBe(JSON_PROTOCOL)
  })

  it('omits userId for a token without sub', async () => {
    const client = await h.connect({}, JSON_PROTOCOL)
    const connected = await client.next()
    expect(connected.event).toBe('connected')
    expect('userId' in connected).toBe(false)
  })

  it('joins the token groups at connect, whatever the roles', async () => {
    const member = await h.connect({ userId: 'ann', groups: ['lobby'] })
    await member.next()
    const sender = await h.connect({ userId: 'bob', roles: ['webpubsub.sendToGroup'] })
    await sender.next()
    sender.send({ type: 'sendToGroup', group: 'lobby', dataType: 'text', data: 'hi' })
    expect(await member.next()).toEqual({
      type: 'message',
      from: 'group',
      fromUserId: 'bob',
      group: 'lobby',
      dataType: 'text',
      data: 'hi',
      sequenceId: 1,
    })
  })

  it('joins, publishes json, text and binary, and leaves', async () => {
    const ann = await h.connect({ userId: 'ann', roles: EVERYTHING }, JSON_PROTOCOL)
    const bob = await h.connect({ userId: 'bob', roles: EVERYTHING }, JSON_PROTOCOL)
    await ann.next()
    await bob.next()
    expect(await ann.request({ type: 'joinGroup', group: 'g', ackId: 1 })).toEqual({
      type: 'ack',
      ackId: 1,
      success: true,
    })
    const base64 = Buffer.from([0, 1, 2, 250]).toString('base64')
    const payloads = [
      { dataType: 'json', data: { nested: [1, 'two', null] } },
      { dataType: 'json', data: 'a json string' },
      { dataType: 'json', data: 42 },
      { dataType: 'text', data: 'plain text' },
      { dataType: 'binary', data: base64 },
    ]
    for (const [index, payload] of payloads.entries()) {
      const ack = await bob.request({
        type: 'sendToGroup',
        group: 'g',
        ackId: 10 + index,
        ...payload,
      })
      expect(ack).toEqual({ type: 'ack', ackId: 10 + index, success: true })
      expect(await ann.next()).toEqual({
        type: 'message',
        from: 'group',
        fromUserId: 'bob',
        group: 'g',
        ...payload,
      })
    }
    expect(await ann.request({ type: 'leaveGroup', group: 'g', ackId: 2 })).toMatchObject({
      ackId: 2,
      success: true,
    })
    await bob.request({
      type: 'sendToGroup',
      group: 'g',
      ackId: 20,
      dataType: 'text',
      data: 'gone',
    })
    expect(await ann.drain()).toEqual([])
  })

  it('defaults dataType to json', async () => {
    const ann = await h.connect({ roles: EVERYTHING, groups: ['g'] }, JSON_PROTOCOL)
    await ann.next()
    ann.send({ type: 'sendToGroup', group: 'g', data: { a: 1 } })
    expect(await ann.next()).toMatchObject({ dataType: 'json', data: { a: 1 } })
  })

  it('echoes to the sender unless noEcho is true', async () => {
    const ann = await h.connect({ userId: 'ann', roles: EVERYTHING, groups: ['g'] }, JSON_PROTOCOL)
    const bob = await h.connect({ userId: 'bob', groups: ['g'] }, JSON_PROTOCOL)
    await ann.next()
    await bob.next()
    ann.send({ type: 'sendToGroup', group: 'g', dataType: 'text', data: 'echo' })
    expect(await ann.next()).toMatchObject({ data: 'echo' })
    expect(await bob.next()).toMatchObject({ data: 'echo' })
    ann.send({ type: 'sendToGroup', group: 'g', dataType: 'text', data: 'quiet', noEcho: true })
    expect(await bob.next()).toMatchObject({ data: 'quiet' })
    expect(await ann.drain()).toEqual([])
  })

  it('sends to a group without being a member', async () => {
    const ann = await h.connect(
      { userId: 'ann', roles: ['webpubsub.sendToGroup.g'] },
      JSON_PROTOCOL,
    )
    const bob = await h.connect({ groups: ['g'] }, JSON_PROTOCOL)
    await ann.next()
    await bob.next()
    expect(
      await ann.request({ type: 'sendToGroup', group: 'g', ackId: 1, dataType: 'text', data: 'x' }),
    ).toEqual({ type: 'ack', ackId: 1, success: true })
    expect(await bob.next()).toMatchObject({
      from: 'group',
      group: 'g',
      data: 'x',
      fromUserId: 'ann',
    })
  })

  it('acks only when ackId is present, and answers Duplicate for a repeated ackId', async () => {
    const ann = await h.connect({ roles: EVERYTHING }, JSON_PROTOCOL)
    await ann.next()
    ann.send({ type: 'joinGroup', group: 'g' })
    expect(await ann.drain()).toEqual([])
    expect(await ann.request({ type: 'joinGroup', group: 'h', ackId: 7 })).toEqual({
      type: 'ack',
      ackId: 7,
      success: true,
    })
    expect(await ann.request({ type: 'leaveGroup', group: 'h', ackId: 7 })).toEqual({
      type: 'ack',
      ackId: 7,
      success: false,
      error: { name: 'Duplicate', message: 'Message with ack-id: 7 has been processed' },
    })
    // The duplicate was not run: ann is still in h.
    ann.send({ type: 'sendToGroup', group: 'h', dataType: 'text', data: 'still here' })
    expect(await ann.next()).toMatchObject({ group: 'h', data: 'still here' })
  })

  it('keeps ackIds per connection', async () => {
    const ann = await h.connect({ roles: EVERYTHING }, JSON_PROTOCOL)
    const bob = await h.connect({ roles: EVERYTHING }, JSON_PROTOCOL)
    await ann.next()
    await bob.next()
    expect(await ann.request({ type: 'joinGroup', group: 'g', ackId: 1 })).toMatchObject({
      success: true,
    })
    expect(await bob.request({ type: 'joinGroup', group: 'g', ackId: 1 })).toMatchObject({
      success: true,
    })
  })

  it('acks events, having no upstream to forward them to, and counts them', async () => {
    const ann = await h.connect({}, JSON_PROTOCOL)
    await ann.next()
    const ack = await ann.request({
      type: 'event',
      event: 'hello',
      ackId: 3,
      dataType: 'text',
      data: 'x',
    })
    expect(ack).toEqual({ type: 'ack', ackId: 3, success: true })
    expect(h.service.counters().messagesReceived).toBe(1)
  })

  it('answers ping with pong', async () => {
    const ann = await h.connect({}, JSON_PROTOCOL)
    await ann.next()
    expect(await ann.request({ type: 'ping' })).toEqual({ type: 'pong' })
  })

  it('ignores message types it does not implement', async () => {
    const ann = await h.connect({}, JSON_PROTOCOL)
    await ann.next()
    ann.send({ type: 'invoke', invocationId: '1', target: 'event', event: 'e' })
    expect(await ann.request({ type: 'ping' })).toEqual({ type: 'pong' })
  })

  it.each([
    ['not json', 'hello'],
    ['a join without group', { type: 'joinGroup', ackId: 1 }],
    [
      'text data that is not a string',
      { type: 'sendToGroup', group: 'g', dataType: 'text', data: 1 },
    ],
    [
      'binary data that is not base64',
      { type: 'sendToGroup', group: 'g', dataType: 'binary', data: '%%' },
    ],
    ['an unknown dataType', { type: 'sendToGroup', group: 'g', dataType: 'xml', data: '<a/>' }],
    ['a string ackId', { type: 'joinGroup', group: 'g', ackId: 'one' }],
  ])('declines a client that sends %s: disconnected, then 1008', async (_name, frame) => {
    const ann = await h.connect({ roles: EVERYTHING }, JSON_PROTOCOL)
    await ann.next()
    ann.send(frame)
    expect(await ann.next()).toMatchObject({ type: 'system', event: 'disconnected' })
    expect((await ann.closed).code).toBe(1008)
  })

  it('treats a connection without subprotocol as a simple client that gets raw data', async () => {
    const token = await h.token({ groups: ['g'] })
    const raw = await TestClient.open(h.url('/client/hubs/chat', { access_token: token }))
    expect(raw.ws.protocol).toBe('')
    const ann = await h.connect({ roles: EVERYTHING }, JSON_PROTOCOL)
    await ann.next()
    ann.send({ type: 'sendToGroup', group: 'g', dataType: 'json', data: { a: 1 } })
    ann.send({ type: 'sendToGroup', group: 'g', dataType: 'json', data: 'Hello World' })
    ann.send({ type: 'sendToGroup', group: 'g', dataType: 'text', data: 'plain' })
    ann.send({ type: 'sendToGroup', group: 'g', dataType: 'binary', data: 'AAEC' })
    // No `connected` frame: the first frame a simple client sees is data.
    expect(await raw.next()).toEqual({ a: 1 })
    expect(await raw.next()).toBe('Hello World')
    expect(await raw.next()).toBe('plain')
    expect(await raw.next()).toEqual(Buffer.from([0, 1, 2]))
    raw.send('anything at all')
    await raw.drain()
    expect(h.service.counters().messagesReceived).toBe(5)
    expect(raw.ws.readyState).toBe(WebSocket.OPEN)
  })
})
