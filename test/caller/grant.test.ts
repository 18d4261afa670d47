// Unit tests of caller/grant: substituted values stay one literal segment and refuse malformed text.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decide, encodeSegment } from '../../src/caller/grant'
import { parsePolicy, type HubPolicy, type Identity } from '../../src/caller/policy'
import { matchesGroupPattern } from '../../src/caller/roles'

const hubPolicy = (hub: Record<string, unknown>): HubPolicy => {
  const problems: string[] = []
  const policy = parsePolicy({ hubs: { chat: hub } }, ['chat'], 60, 'https://x', (p) =>
    problems.push(p),
  )
  expect(problems).toEqual([])
  return policy.hubs.chat!
}

const personal = hubPolicy({
  roles: [
    'webpubsub.joinLeaveGroups.user.{sub}.*',
    'webpubsub.sendToGroups.user.{sub}.**',
    'webpubsub.joinLeaveGroups.user.{sub}',
    'webpubsub.sendToGroup.user.{sub}',
  ],
  groups: ['user.{sub}'],
  requestableGroups: ['user.{sub}.*'],
})

const user = (userId: string, claims: Record<string, unknown> = {}): Identity => ({
  userId,
  claims: { sub: userId, ...claims },
})

/** What an identity may join or send to: its wildcard patterns, and its exact-group roles. */
function reach(userId: string) {
  const decision = decide(personal, user(userId), { groups: [] })
  const patterns = decision.roles
    .filter((role) => /^webpubsub\.(joinLeaveGroups|sendToGroups)\./.test(role))
    .map((role) => role.replace(/^webpubsub\.(joinLeaveGroups|sendToGroups)\./, ''))
  const exact = decision.roles
    .filter((role) => /^webpubsub\.(joinLeaveGroup|sendToGroup)\./.test(role))
    .map((role) => role.replace(/^webpubsub\.(joinLeaveGroup|sendToGroup)\./, ''))
  const allows = (group: string) =>
    exact.includes(group) || patterns.some((pattern) => matchesGroupPattern(pattern, group))
  return { group: decision.groups[0]!, allows }
}

const refusal = (run: () => unknown) => {
  try {
    run()
  } catch (error) {
    return error
  }
  return undefined
}

describe('caller/grant', () => {
  it("does not let john join or send to john.smith's personal group", () => {
    const john = reach('john')
    const johnSmith = reach('john.smith')
    expect(johnSmith.group).toBe('user.john%2Esmith')
    expect(john.allows(johnSmith.group)).toBe(false)
    expect(john.allows(`${johnSmith.group}.notes`)).toBe(false)
    expect(john.allows('user.john.notes')).toBe(true)
    expect(johnSmith.allows(john.group)).toBe(false)
  })

  it.each([
    ['john.smith', 'john%2Esmith'],
    ['50%', '50%25'],
    ['%2E', '%252E'],
    ['a..b', 'a%2E%2Eb'],
    ['plain', 'plain'],
  ])('encodes %j as the segment %j', (value, segment) => {
    expect(encodeSegment(value)).toBe(segment)
    expect(decide(personal, user(value), { groups: [] }).groups).toEqual([`user.${segment}`])
  })

  it('escapes the encoded value inside patterns, so * and ? in a name stay literal', () => {
    const decision = decide(personal, user('a*.?\\'), { groups: [] })
    expect(decision.roles[0]).toBe('webpubsub.joinLeaveGroups.user.a\\*%2E\\?\\\\.*')
    expect(decision.roles[3]).toBe('webpubsub.sendToGroup.user.a*%2E?\\')
  })

  it('keeps personal groups apart for any two distinct user ids (property)', () => {
    // A small alphabet makes near-collisions (a / a.b / a%2Eb / a*) likely; the other arbitrary
    // covers the rest of Unicode.
    const tricky = fc.string({
      unit: fc.constantFrom('a', 'b', '.', '%', '2', 'E', 'e', '*', '?', '\\', '-'),
      minLength: 1,
      maxLength: 8,
    })
    const anyText = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 16 })
    // Control characters are refused as group names anyway (roles.ts), for every user alike.
    // eslint-disable-next-line no-control-regex
    const id = fc.oneof(tricky, anyText).filter((text) => !/[\u0000-\u001f\u007f]/.test(text))
    // Half the pairs are one id extended by the other, the shape of john / john.smith.
    const extended = fc
      .tuple(id, id, fc.constantFrom('.', '%2E', '%', '*', '?', ''), fc.boolean())
      .map(([a, b, joint, swap]) => (swap ? [`${a}${joint}${b}`, a] : [a, `${a}${joint}${b}`]))
    const pair = fc.oneof(fc.tuple(id, id), extended)
    fc.assert(
      fc.property(pair, ([a, b]) => {
        fc.pre(a !== b)
        const [ra, rb] = [reach(a), reach(b)]
        expect(ra.group).not.toBe(rb.group)
        expect(ra.allows(rb.group)).toBe(false)
        expect(ra.allows(`${rb.group}.notes`)).toBe(false)
        expect(ra.allows(ra.group)).toBe(true)
        expect(ra.allows(`${ra.group}.notes`)).toBe(true)
      }),
      { numRuns: 2_000 },
    )
  })

  describe('requestableGroups templates', () => {
    it('renders them per identity: alice may request her groups, not bob’s', () => {
      const alice = user('alice')
      expect(decide(personal, alice, { groups: ['user.alice.notes'] }).groups).toEqual([
        'user.alice',
        'user.alice.notes',
      ])
      for (const group of ['user.bob.notes', 'user.{sub}.x', 'user.alice.notes.deep']) {
        expect(refusal(() => decide(personal, alice, { groups: [group] }))).toMatchObject({
          code: 'group_not_allowed',
        })
      }
    })

    it('encodes and escapes the value: a user named * or a.b widens nothing', () => {
      expect(
        refusal(() => decide(personal, user('*'), { groups: ['user.bob.notes'] })),
      ).toMatchObject({ code: 'group_not_allowed' })
      expect(decide(personal, user('*'), { groups: ['user.*.notes'] }).groups).toContain(
        'user.*.notes',
      )
      expect(
        refusal(() => decide(personal, user('a.b'), { groups: ['user.a.b.notes'] })),
      ).toMatchObject({ code: 'group_not_allowed' })
      expect(decide(personal, user('a.b'), { groups: ['user.a%2Eb.notes'] }).groups).toContain(
        'user.a%2Eb.notes',
      )
    })

    it('needs their claims only when groups are requested', () => {
      const team = hubPolicy({ requestableGroups: ['team.{claims.team}.*', 'lobby'] })
      expect(decide(team, user('alice'), { groups: [] }).groups).toEqual([])
      expect(refusal(() => decide(team, user('alice'), { groups: ['lobby'] }))).toMatchObject({
        code: 'caller_claims_unusable',
      })
      expect(
        decide(team, user('alice', { team: 'red' }), { groups: ['team.red.x'] }).groups,
      ).toEqual(['team.red.x'])
    })
  })

  describe('what the messages name', () => {
    const lifetimes = hubPolicy({ ttlMinutes: { default: 60, min: 5, max: 120 } })

    it("names the caller's minutesToExpire, not the policy's ttlMinutes, for any lifetime out of range (property)", () => {
      const outside = fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 121, max: 9999 }))
      fc.assert(
        fc.property(outside, (minutes) => {
          const error = refusal(() =>
            decide(lifetimes, user('alice'), { groups: [], ttlMinutes: minutes }),
          )
          expect(error).toMatchObject({
            code: 'parameter_invalid',
            detail: '"minutesToExpire" must be from 5 to 120 on this hub.',
          })
        }),
      )
      expect(decide(lifetimes, user('alice'), { groups: [], ttlMinutes: 5 }).minutesToExpire).toBe(
        5,
      )
    })

    it("names a missing claim as the token has it and as the policy's template", () => {
      const team = hubPolicy({ groups: ['team.{claims.team}'] })
      expect(refusal(() => decide(team, user('alice'), { groups: [] }))).toMatchObject({
        code: 'caller_claims_unusable',
        detail:
          'The policy\'s {claims.team} needs the token\'s "team" claim as a string, and the ' +
          'verified token has none.',
      })
      expect(
        refusal(() => decide(team, user('alice', { team: '\ud800' }), { groups: [] })),
      ).toMatchObject({
        detail:
          'The token\'s "team" claim is not well-formed Unicode; the policy\'s {claims.team} ' +
          'cannot use it.',
      })
    })
  })

  describe('claims that are not well-formed Unicode', () => {
    const teams = hubPolicy({
      groups: ['team.{claims.team}'],
      requestableGroups: ['org.{claims.org}.*'],
    })

    it.each(['\ud800', 'red\udfff', '\udc00\ud800x'])(
      'refuses a lone surrogate (%j) in a claim a template uses',
      (team) => {
        expect(refusal(() => decide(teams, user('alice', { team }), { groups: [] }))).toMatchObject(
          { code: 'caller_claims_unusable' },
        )
        expect(
          refusal(() =>
            decide(teams, user('alice', { team: 'red', org: team }), { groups: ['org.x.y'] }),
          ),
        ).toMatchObject({ code: 'caller_claims_unusable' })
        expect(refusal(() => decide(personal, user(team), { groups: [] }))).toMatchObject({
          code: 'caller_claims_unusable',
        })
      },
    )

    it('accepts surrogate pairs (characters outside the BMP)', () => {
      expect(decide(teams, user('alice', { team: 'r😀' }), { groups: [] }).groups).toEqual([
        'team.r😀',
      ])
    })

    it('ignores malformed claims that no template uses', () => {
      expect(
        decide(teams, user('alice', { team: 'red', other: '\ud800' }), { groups: [] }).groups,
      ).toEqual(['team.red'])
    })
  })
})
