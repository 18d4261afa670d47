// Forbidden acks for each kind of role over a real connection.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { JSON_PROTOCOL, startHarness, type Harness } from './client-harness'

describe('client endpoint permissions', () => {
  let h: Harness
  beforeEach(async () => {
    h = await startHarness()
  })
  afterEach(() => h.close())

  /** Connects with `roles` and returns a function that answers the ack of one request. */
  async function withRoles(roles: string[]) {
    const client = await h.connect({ userId: 'u', roles }, JSON_PROTOCOL)
    await client.next()
    let ackId = 0
    return {
      client,
      join: async (group: string) =>
        (await client.request({ type: 'joinGroup', group, ackId: ++ackId })).success,
      leave: async (group: string) =>
        (await client.request({ type: 'leaveGroup', group, ackId: ++ackId })).success,
      send: async (group: string) =>
        (
          await client.request({
            type: 'sendToGroup',
            group,
            ackId: ++ackId,
            dataType: 'text',
            data: 'x',
            noEcho: true,
          })
        ).success,
    }
  }

  it('answers Forbidden with a message naming the group', async () => {
    const client = await h.connect({ roles: [] }, JSON_PROTOCOL)
    await client.next()
    expect(await client.request({ type: 'joinGroup', group: 'secret', ackId: 1 })).toEqual({
      type: 'ack',
      ackId: 1,
      success: false,
      error: {
        name: 'Forbidden',
        message: "The connection has no permission to join or leave group 'secret'.",
      },
    })
    const sent = await client.request({
      type: 'sendToGroup',
      group: 'secret',
      ackId: 2,
      dataType: 'text',
      data: 'x',
    })
    expect(sent.error).toEqual({
      name: 'Forbidden',
      message: "The connection has no permission to send to group 'secret'.",
    })
  })

  it('lets a Forbidden ackId be retried (only successes count as processed)', async () => {
    const client = await h.connect({ roles: [] }, JSON_PROTOCOL)
    await client.next()
    const first = await client.request({ type: 'joinGroup', group: 'g', ackId: 5 })
    const again = await client.request({ type: 'joinGroup', group: 'g', ackId: 5 })
    expect(first.error.name).toBe('Forbidden')
    expect(again.error.name).toBe('Forbidden')
  })

  it('forbids everything without roles', async () => {
    const c = await withRoles([])
    expect(await c.join('g')).toBe(false)
    expect(await c.leave('g')).toBe(false)
    expect(await c.send('g')).toBe(false)
  })

  it('allows any group with webpubsub.joinLeaveGroup, but not sending', async () => {
    const c = await withRoles(['webpubsub.joinLeaveGroup'])
    expect(await c.join('any.group')).toBe(true)
    expect(await c.leave('any.group')).toBe(true)
    expect(await c.send('any.group')).toBe(false)
  })

  it('allows sending anywhere with webpubsub.sendToGroup, but not joining', async () => {
    const c = await withRoles(['webpubsub.sendToGroup'])
    expect(await c.send('any')).toBe(true)
    expect(await c.join('any')).toBe(false)
  })

  it('allows exactly one group with the group-scoped roles', async () => {
    const c = await withRoles(['webpubsub.joinLeaveGroup.room.1', 'webpubsub.sendToGroup.room.2'])
    expect(await c.join('room.1')).toBe(true)
    expect(await c.join('room.2')).toBe(false)
    expect(await c.join('room.10')).toBe(false)
    expect(await c.send('room.2')).toBe(true)
    expect(await c.send('room.1')).toBe(false)
  })

  it('allows matching groups with webpubsub.joinLeaveGroups.<pattern>', async () => {
    const c = await withRoles(['webpubsub.joinLeaveGroups.public.*'])
    expect(await c.join('public.lobby')).toBe(true)
    expect(await c.join('public.lobby.inner')).toBe(false)
    expect(await c.join('private.lobby')).toBe(false)
    expect(await c.send('public.lobby')).toBe(false)
  })

  it('allows matching groups with webpubsub.sendToGroups.<pattern>', async () => {
    const c = await withRoles([
      'webpubsub.sendToGroups.tenant-?.**',
      'webpubsub.sendToGroups.a\\*b',
    ])
    expect(await c.send('tenant-1.x.y')).toBe(true)
    expect(await c.send('tenant-12.x')).toBe(false)
    expect(await c.send('a*b')).toBe(true)
    expect(await c.send('axb')).toBe(false)
    expect(await c.join('tenant-1.x')).toBe(false)
  })

  it('grants nothing for a wildcard role with more than five stars', async () => {
    const c = await withRoles(['webpubsub.joinLeaveGroups.**.**.**'])
    expect(await c.join('a.b')).toBe(false)
  })

  it('does not deliver a Forbidden send', async () => {
    const member = await h.connect({ groups: ['g'] }, JSON_PROTOCOL)
    await member.next()
    const c = await withRoles(['webpubsub.sendToGroup.other'])
    expect(await c.send('g')).toBe(false)
    expect(await member.drain()).toEqual([])
    expect(h.service.counters().messagesSent).toBe(0)
  })
})
