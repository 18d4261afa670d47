// Unit tests of caller/roles: the role grammar and the wildcard group-pattern matcher.
import { describe, expect, it } from 'vitest'
import { escapePatternLiteral, matchesGroupPattern, roleProblem } from '../../src/caller/roles'

describe('caller/roles', () => {
  it.each([
    'webpubsub.joinLeaveGroup',
    'webpubsub.sendToGroup',
    'webpubsub.joinLeaveGroup.room.1',
    'webpubsub.sendToGroup.user.alice',
    'webpubsub.joinLeaveGroups.room.*',
    'webpubsub.sendToGroups.a.*.b.*.c.*.d.*.e.*',
    'webpubsub.sendToGroups.literal\\*star',
  ])('accepts %s', (role) => {
    expect(roleProblem(role)).toBeUndefined()
  })

  it.each([
    ['webpubsub.admin', 'is not a Web PubSub role'],
    ['webpubsub.joinLeaveGroup.', 'is not a Web PubSub role'],
    ['webpubsub.sendToGroups.a*b*c*d*e*f*', "6 '*' wildcards"],
    ['webpubsub.sendToGroups.trailing\\', 'lone \\ escape'],
    ['webpubsub.sendToGroup.bad\u0001name', 'control characters'],
    [`webpubsub.sendToGroup.${'g'.repeat(1025)}`, 'longer than 1024'],
  ])('rejects %s', (role, problem) => {
    expect(roleProblem(role)).toContain(problem)
  })

  it.each([
    ['room.*', 'room.lobby', true],
    ['room.*', 'room.a.b', false],
    ['room.**', 'room.a.b', true],
    ['room.?', 'room.a', true],
    ['room.?', 'room..', false],
    ['room.?', 'room.ab', false],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['*', '', true],
    ['exact', 'exact', true],
    ['exact', 'exactly', false],
    // Characters outside the BMP are one character on either side (surrogate pairs in UTF-16).
    ['user.😀.*', 'user.😀.x', true],
    ['a\\😀', 'a😀', true],
    ['room.?', 'room.😀', true],
    ['room.??', 'room.😀', false],
  ])('pattern %s against %s is %s', (pattern, group, expected) => {
    expect(matchesGroupPattern(pattern, group)).toBe(expected)
  })

  it('answers a hostile name without backtracking', () => {
    // A backtracking matcher would not finish here within the test timeout; no clock is read.
    expect(matchesGroupPattern('*a*a*a*a*b', 'a'.repeat(1024))).toBe(false)
    expect(matchesGroupPattern('*a*a*a*a*b', `${'a'.repeat(1024)}b`)).toBe(true)
  })

  it('escapes values so they stay literal inside patterns', () => {
    expect(escapePatternLiteral('a.**')).toBe('a.\\*\\*')
    expect(escapePatternLiteral('x?\\')).toBe('x\\?\\\\')
    const pattern = `user.${escapePatternLiteral('*')}`
    expect(matchesGroupPattern(pattern, 'user.*')).toBe(true)
    expect(matchesGroupPattern(pattern, 'user.bob')).toBe(false)
  })
})
