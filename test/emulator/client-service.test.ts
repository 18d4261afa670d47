// Server-side operations on client connections: group sends, closing users, close(), counters, REST.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createClientRestRoutes } from '../../emulator/client/rest'
import {
  JSON_PROTOCOL,
  RELIABLE_PROTOCOL,
  startHarness,
  TestClient,
  type Harness,
} from './client-harness'

describe('client service', () => {
  let h: Harness
  beforeEach(async () => {
    h = await startHarness()
  })
  afterEach(() => h.close())

  it('sends server messages to a group, hub names case-insensitive', async () => {
    const reliable = await h.connect({ groups: ['g'] }, RELIABLE_PROTOCOL)
    const plain = await h.connect({ groups: ['g'] }, JSON_PROTOCOL)
    await reliable.next()
    await plain.next()
    expect(h.service.sendToGroup('CHAT', 'g', { a: 1 }, 'json')).toBe(2)
    expect(await reliable.next()).toEqual({
      type: 'message',
      from: 'server',
      dataType: 'json',
      data: { a: 1 },
      sequenceId: 1,
    })
    expect(await plain.next()).toEqual({
      type: 'message',
      from: 'server',
      dataType: 'json',
      data: { a: 1 },
    })
    h.service.sendToGroup('chat', 'g', new Uint8Array([1, 2, 3]), 'binary')
    expect(await plain.next()).toMatchObject({ dataType: 'binary', data: 'AQID' })
    expect(h.service.sendToGroup('chat', 'empty', 'x', 'text')).toBe(0)
    expect(h.service.sendToGroup('other', 'g', 'x', 'text')).toBe(0)
  })

  it('closes one user’s connections with a disconnected message first', async () => {
    const ann1 = await h.connect({ userId: 'ann' })
    const ann2 = await h.connect({ userId: 'ann' }, JSON_PROTOCOL)
    const bob = await h.connect({ userId: 'bob' })
    const connected = await ann1.next()
    await ann2.next()
    await bob.next()
    expect(h.service.closeUserConnections('Chat', 'ann', 'Bye now')).toBe(2)
    for (const client of [ann1, ann2]) {
      expect(await client.next()).toEqual({
        type: 'system',
        event: 'disconnected',
        message: 'Bye now',
      })
      expect((await client.closed).code).toBe(1000)
    }
    expect(await bob.drain()).toEqual([])
    // A service-initiated close forgets the session: a resume is refused.
    const resume = await TestClient.open(
      h.url('/client/hubs/chat', {
        awps_connection_id: connected.connectionId,
        awps_reconnection_token: connected.reconnectionToken,
      }),
      RELIABLE_PROTOCOL,
    )
    expect((await resume.closed).code).toBe(1008)
    expect(h.service.counters().connectionsActive).toBe(1)
  })

  it('sends disconnected to every client before close() closes it', async () => {
    const ann = await h.connect({ userId: 'ann' })
    await ann.next()
    await h.service.close()
    expect(await ann.next()).toEqual({
      type: 'system',
      event: 'disconnected',
      message: 'The service is shutting down.',
    })
    expect((await ann.closed).code).toBe(1001)
  })

  it('counts connections and messages, and reset() zeroes the counters only', async () => {
    const ann = await h.connect({ userId: 'ann', groups: ['g'], roles: ['webpubsub.sendToGroup'] })
    const bob = await h.connect({ userId: 'bob', groups: ['g'] })
    await ann.next()
    await bob.next()
    ann.send({ type: 'sendToGroup', group: 'g', dataType: 'text', data: 'hi', ackId: 1 })
    await ann.next() // its own echo or the ack, in either order
    await ann.next()
    await bob.next()
    h.service.sendToGroup('chat', 'g', 'from server', 'text')
    await ann.next()
    await bob.next()
    expect(h.service.counters()).toEqual({
      connectionsOpened: 2,
      connectionsRejected: 0,
      connectionsActive: 2,
      messagesReceived: 1,
      messagesSent: 4,
    })
    h.service.reset()
    expect(h.service.counters()).toEqual({
      connectionsOpened: 0,
      connectionsRejected: 0,
      connectionsActive: 2,
      messagesReceived: 0,
      messagesSent: 0,
    })
    h.service.sendToGroup('chat', 'g', 'still connected', 'text')
    expect(await bob.next()).toMatchObject({ data: 'still connected' })
  })
})

describe('client REST routes', () => {
  let h: Harness
  beforeEach(async () => {
    h = await startHarness()
  })
  afterEach(() => h.close())

  const allow = async () => ({ principalId: 'app' })
  const post = (
    app: ReturnType<typeof createClientRestRoutes>,
    path: string,
    init: RequestInit = {},
  ) => app.request(`http://emulator${path}`, { method: 'POST', ...init })

  it('sends the body to a group with the dataType of its Content-Type, answering 202', async () => {
    const app = createClientRestRoutes({ service: h.service, authorize: allow })
    const client = await h.connect({ groups: ['room 1'] }, JSON_PROTOCOL)
    await client.next()
    const path = '/api/hubs/chat/groups/room%201/:send?api-version=2024-12-01'
    const cases = [
      {
        type: 'application/json; charset=utf-8',
        body: '{"a":[1,2]}',
        dataType: 'json',
        data: { a: [1, 2] },
      },
      { type: 'text/plain', body: 'hello', dataType: 'text', data: 'hello' },
      {
        type: 'application/octet-stream',
        body: new Uint8Array([255, 0]),
        dataType: 'binary',
        data: '/wA=',
      },
    ]
    for (const { type, body, dataType, data } of cases) {
      const response = await post(app, path, { headers: { 'content-type': type }, body })
      expect(response.status).toBe(202)
      expect(await client.next()).toEqual({ type: 'message', from: 'server', dataType, data })
    }
  })

  it('closes a user’s connections, passing the reason, answering 204', async () => {
    const app = createClientRestRoutes({ service: h.service, authorize: allow })
    const client = await h.connect({ userId: 'ann@example.com' })
    await client.next()
    const response = await post(
      app,
      '/api/hubs/chat/users/ann%40example.com/:closeConnections?api-version=2024-12-01&reason=kicked',
    )
    expect(response.status).toBe(204)
    expect(await client.next()).toEqual({
      type: 'system',
      event: 'disconnected',
      message: 'kicked',
    })
  })

  it('returns the authorize response unchanged, before any other check', async () => {
    const forbidden = new Response('{"code":"Error.Forbidden"}', {
      status: 403,
      headers: { 'x-ms-error-code': 'Error.Forbidden' },
    })
    let seen: Request | undefined
    const app = createClientRestRoutes({
      service: h.service,
      authorize: async (request) => {
        seen = request
        return forbidden
      },
    })
    const client = await h.connect({ userId: 'ann', groups: ['g'] })
    await client.next()
    const send = await post(app, '/api/hubs/chat/groups/g/:send', { body: 'x' })
    expect(send.status).toBe(403)
    expect(send.headers.get('x-ms-error-code')).toBe('Error.Forbidden')
    expect(await send.text()).toBe('{"code":"Error.Forbidden"}')
    expect(seen?.url).toBe('http://emulator/api/hubs/chat/groups/g/:send')
    const close = await post(
      app,
      '/api/hubs/chat/users/ann/:closeConnections?api-version=2024-12-01',
    )
    expect(close.status).toBe(403)
    expect(await client.drain()).toEqual([])
  })

  it('requires api-version', async () => {
    const app = createClientRestRoutes({ service: h.service, authorize: allow })
    const response = await post(app, '/api/hubs/chat/users/ann/:closeConnections')
    expect(response.status).toBe(400)
    expect(response.headers.get('x-ms-error-code')).toBe('Error.InvalidApiVersion')
    expect(await response.json()).toEqual({
      code: 'Error.InvalidApiVersion',
      message: 'The api-version query parameter is required.',
    })
  })

  it('refuses an unsupported Content-Type, invalid JSON and an invalid hub with 400', async () => {
    const app = createClientRestRoutes({ service: h.service, authorize: allow })
    const q = '?api-version=2024-12-01'
    const xml = await post(app, `/api/hubs/chat/groups/g/:send${q}`, {
      headers: { 'content-type': 'application/xml' },
      body: '<a/>',
    })
    expect(xml.status).toBe(400)
    const json = await post(app, `/api/hubs/chat/groups/g/:send${q}`, {
      headers: { 'content-type': 'application/json' },
      body: '{',
    })
    expect(await json.json()).toEqual({
      code: 'Error.BadRequest',
      message: 'The request body is not valid JSON.',
    })
    const hub = await post(app, `/api/hubs/9hub/groups/g/:send${q}`, {
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    })
    expect(hub.status).toBe(400)
  })

  it('matches the colon literally: other last segments are not these routes', async () => {
    const app = createClientRestRoutes({ service: h.service, authorize: allow })
    const q = '?api-version=2024-12-01'
    for (const path of [
      '/api/hubs/chat/groups/g/send',
      '/api/hubs/chat/groups/g/:sendX',
      '/api/hubs/chat/groups/g/:closeConnections',
      '/api/hubs/chat/users/u/closeConnections',
      '/api/hubs/chat/users/u/:send',
    ]) {
      expect((await post(app, path + q, { body: 'x' })).status, path).toBe(404)
    }
  })
})
