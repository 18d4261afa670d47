// Unit tests for the wildcard group patterns and the role → permission map.
import { describe, expect, it } from 'vitest'
import { compileGroupPattern } from '../../emulator/client/group-pattern'
import { permissionsFromRoles } from '../../emulator/client/permissions'

function matcher(pattern: string) {
  const match = compileGroupPattern(pattern)
  if (!match) throw new Error(`pattern ${pattern} did not compile`)
  return match
}

describe('compileGroupPattern', () => {
  it.each([
    // The examples of Microsoft's wildcard-role article.
    ['chat-*', ['chat-1', 'chat-room', 'chat-'], ['chat.1', 'xchat-1', 'chat-a.b']],
    [
      'clientA.*',
      ['clientA.alpha', 'clientA.1', 'clientA.'],
      ['clientA.alpha.room1', 'clientB.alpha'],
    ],
    [
      'clientA.**',
      ['clientA.alpha', 'clientA.alpha.room1', 'clientA.'],
      ['clientB.anything', 'clientA'],
    ],
    [
      'clientA.rooms.?1',
      ['clientA.rooms.a1', 'clientA.rooms.11'],
      ['clientA.rooms.1', 'clientA.rooms.a.1', 'clientA.rooms..1'],
    ],
    ['literal\\*star', ['literal*star'], ['literalXstar', 'literal\\*star', 'literalstar']],
  ])('matches %s like Azure documents', (pattern, yes, no) => {
    const match = matcher(pattern)
    for (const group of yes) expect(match(group), group).toBe(true)
    for (const group of no) expect(match(group), group).toBe(false)
  })

  it('treats a pattern without wildcards as an exact, case-sensitive name', () => {
    const match = matcher('Room.1')
    expect(match('Room.1')).toBe(true)
    expect(match('room.1')).toBe(false)
    expect(match('Room.10')).toBe(false)
    expect(match('XRoom.1')).toBe(false)
  })

  it('never lets ? or * match a dot, but lets ** match dots and nothing', () => {
    expect(matcher('a?c')('a.c')).toBe(false)
    expect(matcher('a?c')('abc')).toBe(true)
    expect(matcher('a?c')('ac')).toBe(false)
    expect(matcher('a*c')('ac')).toBe(true)
    expect(matcher('a*c')('a.c')).toBe(false)
    expect(matcher('a**c')('ac')).toBe(true)
    expect(matcher('a**c')('a.b.c')).toBe(true)
    expect(matcher('**')('')).toBe(true)
    expect(matcher('**')('...')).toBe(true)
    expect(matcher('*')('.')).toBe(false)
  })

  it('backtracks across several stars', () => {
    const match = matcher('*.x.*')
    expect(match('a.x.b')).toBe(true)
    expect(match('a.x.x')).toBe(true)
    expect(match('a.y.b')).toBe(false)
    expect(matcher('**.x.*')('a.x.b.x.c')).toBe(true)
    expect(matcher('**.x.*')('a.x.b.x.c.d')).toBe(false)
    expect(matcher('a*b*c')('aXbYbZc')).toBe(true)
  })

  it('escapes \\, *, ? and any other character with a backslash', () => {
    expect(matcher('a\\\\b')('a\\b')).toBe(true)
    expect(matcher('a\\?')('a?')).toBe(true)
    expect(matcher('a\\?')('ab')).toBe(false)
    expect(matcher('\\**')('*abc')).toBe(true)
    expect(matcher('\\**')('abc')).toBe(false)
    // `\` escapes the next char, so `\.` is a literal dot and `\a` is `a`.
    expect(matcher('a\\.b')('a.b')).toBe(true)
    expect(matcher('\\a')('a')).toBe(true)
  })

  it('treats regular-expression characters literally', () => {
    expect(matcher('a+(b)[c]$')('a+(b)[c]$')).toBe(true)
    expect(matcher('a+')('aa')).toBe(false)
    expect(matcher('.')('x')).toBe(false)
  })

  it('lets ? match one whole code point', () => {
    expect(matcher('room-?')('room-😀')).toBe(true)
    expect(matcher('room-??')('room-😀')).toBe(false)
  })

  it('allows five stars and refuses six, escaped stars not counting', () => {
    const fiveSegments = matcher('*.*.*.*.*')
    expect(fiveSegments('a.b.c.d.e')).toBe(true)
    expect(fiveSegments('....')).toBe(true)
    expect(fiveSegments('a.b.c.d')).toBe(false)
    expect(fiveSegments('a.b.c.d.e.f')).toBe(false)
    // `**` counts two: two of them and a `*` make five.
    const deep = matcher('**.**.*')
    expect(deep('a.b.c')).toBe(true)
    expect(deep('a.b.c.d.e')).toBe(true)
    expect(deep('a.b')).toBe(false)
    const escaped = matcher('\\*\\*\\*\\*\\*\\*.*')
    expect(escaped('******.x')).toBe(true)
    expect(escaped('abcdef.x')).toBe(false)
    expect(escaped('******.x.y')).toBe(false)
    expect(compileGroupPattern('*.*.*.*.*.*')).toBeUndefined()
    expect(compileGroupPattern('**.**.**')).toBeUndefined()
  })

  it('refuses an empty pattern and a trailing lone backslash', () => {
    expect(compileGroupPattern('')).toBeUndefined()
    expect(compileGroupPattern('abc\\')).toBeUndefined()
  })

  // No clock here: the test timeout is the guard. A backtracking matcher (a RegExp such as
  // /^[^.]*a[^.]*a[^.]*a[^.]*a[^.]*b$/) takes on the order of n⁴ steps on this name, a minute or
  // more for 320 characters on a current machine; the NFA takes one pass.
  it('refuses an adversarial name within the test timeout', () => {
    const match = matcher('*a*a*a*a*b')
    expect(match('a'.repeat(320))).toBe(false)
    expect(match(`${'a'.repeat(320)}b`)).toBe(true)
  }, 5_000)
})

describe('permissionsFromRoles', () => {
  it('grants nothing without roles', () => {
    const permissions = permissionsFromRoles([])
    expect(permissions.canJoinLeave('g')).toBe(false)
    expect(permissions.canSend('g')).toBe(false)
  })

  it('grants every group with the bare roles, each action separately', () => {
    const joiner = permissionsFromRoles(['webpubsub.joinLeaveGroup'])
    expect(joiner.canJoinLeave('anything.at.all')).toBe(true)
    expect(joiner.canSend('anything')).toBe(false)
    const sender = permissionsFromRoles(['webpubsub.sendToGroup'])
    expect(sender.canSend('anything')).toBe(true)
    expect(sender.canJoinLeave('anything')).toBe(false)
  })

  it('grants one group, which may contain dots, with the group roles', () => {
    const permissions = permissionsFromRoles([
      'webpubsub.joinLeaveGroup.room.1',
      'webpubsub.sendToGroup.news',
    ])
    expect(permissions.canJoinLeave('room.1')).toBe(true)
    expect(permissions.canJoinLeave('room')).toBe(false)
    expect(permissions.canJoinLeave('news')).toBe(false)
    expect(permissions.canSend('news')).toBe(true)
    expect(permissions.canSend('room.1')).toBe(false)
  })

  it('reads a group role literally: * in it is not a wildcard', () => {
    const permissions = permissionsFromRoles(['webpubsub.joinLeaveGroup.room-*'])
    expect(permissions.canJoinLeave('room-*')).toBe(true)
    expect(permissions.canJoinLeave('room-1')).toBe(false)
  })

  it('grants matching groups with the wildcard roles', () => {
    const permissions = permissionsFromRoles([
      'webpubsub.joinLeaveGroups.public.*',
      'webpubsub.sendToGroups.clientA.**',
    ])
    expect(permissions.canJoinLeave('public.lobby')).toBe(true)
    expect(permissions.canJoinLeave('public.lobby.x')).toBe(false)
    expect(permissions.canSend('public.lobby')).toBe(false)
    expect(permissions.canSend('clientA.a.b')).toBe(true)
    expect(permissions.canJoinLeave('clientA.a')).toBe(false)
  })

  it('ignores a wildcard role with too many stars instead of widening it', () => {
    const permissions = permissionsFromRoles(['webpubsub.sendToGroups.*.*.*.*.*.*'])
    expect(permissions.canSend('a.b.c.d.e.f')).toBe(false)
  })

  it('is case-sensitive in role names and ignores unknown roles', () => {
    const permissions = permissionsFromRoles([
      'WebPubSub.SendToGroup',
      'webpubsub.sendToGroup.',
      'x',
    ])
    expect(permissions.canSend('g')).toBe(false)
    expect(permissions.canSend('')).toBe(false)
  })
})
