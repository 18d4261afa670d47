// The client endpoint's upgrade: where the token comes from, and every 401 it answers.
import { randomBytes } from 'node:crypto'
import WebSocket from 'ws'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createClientTokenSigner } from '../../emulator/client-token'
import {
  expectRefused,
  RELIABLE_PROTOCOL,
  startHarness,
  TestClient,
  type Harness,
} from './client-harness'

describe('client endpoint upgrade', () => {
  let h: Harness
  beforeEach(async () => {
    h = await startHarness()
  })
  afterEach(() => h.close())

  it('accepts a token in access_token on /client/hubs/{hub}', async () => {
    const client = await TestClient.open(
      h.url('/client/hubs/chat', { access_token: await h.token({ userId: 'ann' }) }),
      RELIABLE_PROTOCOL,
    )
    expect(await client.next()).toMatchObject({ type: 'system', event: 'connected', userId: 'ann' })
  })

  it('accepts a token in Authorization: Bearer', async () => {
    const token = await h.token({ userId: 'bob' })
    const client = await TestClient.open(h.url('/client/hubs/chat'), RELIABLE_PROTOCOL, {
      Authorization: `Bearer ${token}`,
    })
    expect(await client.next()).toMatchObject({ event: 'connected', userId: 'bob' })
  })

  it('accepts /client?hub={hub}', async () => {
    const token = await h.token({ userId: 'cy' })
    const client = await TestClient.open(
      h.url('/client', { hub: 'chat', access_token: token }),
      RELIABLE_PROTOCOL,
    )
    expect(await client.next()).toMatchObject({ event: 'connected', userId: 'cy' })
  })

  it('treats hub names case-insensitively', async () => {
    const token = await h.token({ hub: 'Chat', userId: 'dee' })
    const client = await TestClient.open(
      h.url('/client/hubs/CHAT', { access_token: token }),
      RELIABLE_PROTOCOL,
    )
    expect(await client.next()).toMatchObject({ event: 'connected', userId: 'dee' })
  })

  it('answers 401 without a token', async () => {
    expect(await expectRefused(h.url('/client/hubs/chat'))).toEqual({
      status: 401,
      body: 'No access token was provided.\n',
    })
  })

  it('answers 401 for a token signed with another key', async () => {
    const other = createClientTokenSigner(randomBytes(32))
    const token = await other.sign({
      host: h.host,
      hub: 'chat',
      clientType: 'Default',
      roles: [],
      groups: [],
      minutesToExpire: 60,
      nowSeconds: Math.floor(h.nowMs() / 1000),
    })
    const refused = await expectRefused(h.url('/client/hubs/chat', { access_token: token }))
    expect(refused).toEqual({ status: 401, body: 'The access token signature is invalid.\n' })
  })

  it('answers 401 for a malformed token', async () => {
    const refused = await expectRefused(h.url('/client/hubs/chat', { access_token: 'not-a-jwt' }))
    expect(refused).toEqual({ status: 401, body: 'The access token is malformed.\n' })
  })

  it('answers 401 for an expired token, using the injected clock', async () => {
    const token = await h.token({ minutesToExpire: 1 })
    h.advance(61_000)
    const refused = await expectRefused(h.url('/client/hubs/chat', { access_token: token }))
    expect(refused).toEqual({ status: 401, body: 'The access token is expired.\n' })
  })

  it('answers 401 for a token that is not yet valid', async () => {
    const token = await h.token({ nowSeconds: Math.floor(h.nowMs() / 1000) + 600 })
    const refused = await expectRefused(h.url('/client/hubs/chat', { access_token: token }))
    expect(refused).toEqual({ status: 401, body: 'The access token is not yet valid.\n' })
  })

  it('answers 401 for a token issued to another host', async () => {
    const token = await h.token({ host: 'other.example:443' })
    const refused = await expectRefused(h.url('/client/hubs/chat', { access_token: token }))
    expect(refused.status).toBe(401)
    expect(refused.body).toContain('audience')
  })

  it('answers 401 for a token issued for another hub', async () => {
    const token = await h.token({ hub: 'other' })
    const refused = await expectRefused(h.url('/client/hubs/chat', { access_token: token }))
    expect(refused.status).toBe(401)
    expect(refused.body).toContain('audience')
  })

  it('answers 401 for a token issued for another client type path', async () => {
    const token = await h.token({ clientType: 'MQTT' })
    const refused = await expectRefused(h.url('/client/hubs/chat', { access_token: token }))
    expect(refused.status).toBe(401)
  })

  it('answers 400 for an invalid hub name', async () => {
    const refused = await expectRefused(h.url('/client/hubs/1abc', { access_token: 'x' }))
    expect(refused).toEqual({ status: 400, body: 'The hub name is missing or not valid.\n' })
  })

  it('leaves other paths to other handlers', async () => {
    const ws = new WebSocket(h.url('/elsewhere'))
    const error = await new Promise<Error>((resolve) => ws.on('error', resolve))
    // The harness destroys sockets nobody handled: the client sees a hang-up, not a 401.
    expect(error.message).toMatch(/socket hang up|ECONNRESET/)
  })

  it('counts refusals and never logs a token', async () => {
    const token = await h.token({ hub: 'other' })
    await expectRefused(h.url('/client/hubs/chat', { access_token: token }))
    await expectRefused(h.url('/client/hubs/chat'))
    const ok = await h.connect({ userId: 'eve' })
    await ok.next()
    expect(h.service.counters()).toMatchObject({ connectionsRejected: 2, connectionsOpened: 1 })
    const logged = JSON.stringify(h.logs)
    expect(logged).toContain('client_rejected')
    expect(logged).not.toContain(token)
    expect(logged).not.toContain(token.split('.')[2])
  })
})
