// Unit tests of caller/policy: parsing POLICY and the grants it renders per identity.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decide } from '../../src/caller/grant'
import { estimateUrlLength, parsePolicy } from '../../src/caller/policy'
import { matchesGroupPattern } from '../../src/caller/roles'

const endpoint = 'https://contoso.webpubsub.azure.com'
const parse = (raw: unknown, hubs = ['chat', 'lobby'], ttl = 60) => {
  const problems: string[] = []
  const policy = parsePolicy(raw, hubs, ttl, endpoint, (p) => problems.push(p))
  return { policy, problems }
}

const chatPolicy = {
  hubs: {
    chat: {
      roles: ['webpubsub.sendToGroup.user.{sub}', 'webpubsub.joinLeaveGroups.user.{sub}.*'],
      groups: ['user.{sub}', 'tenant.{claims.tid}'],
      requestableGroups: ['room.*', 'lobby'],
      ttlMinutes: { default: 30, min: 5, max: 120 },
      when: [{ claim: 'roles', includes: 'moderator', roles: ['webpubsub.sendToGroup'] }],
    },
  },
}

describe('caller/policy', () => {
  it('parses a table or a JSON string and fills hubs it does not name', () => {
    const fromTable = parse(chatPolicy)
    expect(fromTable.problems).toEqual([])
    expect(fromTable.policy.hubs.chat?.ttl).toEqual({
      defaultMinutes: 30,
      minMinutes: 5,
      maxMinutes: 120,
    })
    expect(fromTable.policy.hubs.lobby).toMatchObject({
      roles: [],
      groups: [],
      ttl: { defaultMinutes: 60 },
    })
    expect(parse(JSON.stringify(chatPolicy)).policy).toEqual(fromTable.policy)
  })

  it.each([
    [{ hubs: { chat: { roles: ['webpubsub.superuser'] } } }, 'is not a Web PubSub role'],
    [{ hubs: { chat: { roles: ['webpubsub.sendToGroups.*.*.*.*.*.*'] } } }, "6 '*' wildcards"],
    [{ hubs: { chat: { requestableGroups: ['a*b*c*d*e*f*'] } } }, "6 '*' wildcards"],
    [{ hubs: { chat: { groups: ['user.{email}'] } } }, 'only {sub}, {userId} and {claims.<name>}'],
    [
      { hubs: { chat: { requestableGroups: ['user.{email}.*'] } } },
      'requestableGroups "user.{email}.*" uses {email}',
    ],
    [{ hubs: { chat: { requestableGroups: ['{claims.}'] } } }, 'uses {claims.}'],
    [{ hubs: { chat: { requestableGroups: ['a.{sub}\\'] } } }, 'lone \\ escape'],
    [{ hubs: { other: {} } }, 'not one of WEBPUBSUB_HUBS'],
    [{ hubs: { chat: { ttlMinutes: { default: 200, max: 100 } } } }, 'min ≤ default ≤ max'],
    [
      { hubs: { chat: { when: [{ claim: 'roles', roles: [] }] } } },
      'exactly one of equals or includes',
    ],
    [{ hubs: { chat: { roles: 'webpubsub.sendToGroup' } } }, 'must be a list of strings'],
    ['{not json', 'is not valid JSON'],
  ])('rejects %j', (raw, problem) => {
    expect(parse(raw).problems.join('\n')).toContain(problem)
  })

  it('flags a grant that would make the client URL unsafely long', () => {
    const roles = Array.from(
      { length: 80 },
      (_, i) => `webpubsub.sendToGroup.some-long-group-name-${i}`,
    )
    expect(parse({ hubs: { chat: { roles } } }).problems.join('\n')).toMatch(
      /client URL would be about \d+ characters/,
    )
  })

  it('renders templates from the verified identity and adds conditional grants', () => {
    const { policy } = parse(chatPolicy)
    const hub = policy.hubs.chat!
    const plain = decide(
      hub,
      { userId: 'alice', claims: { tid: 't1', roles: ['reader'] } },
      { groups: [] },
    )
    expect(plain).toEqual({
      roles: ['webpubsub.sendToGroup.user.alice', 'webpubsub.joinLeaveGroups.user.alice.*'],
      groups: ['user.alice', 'tenant.t1'],
      minutesToExpire: 30,
    })
    const moderator = decide(
      hub,
      { userId: 'bob', claims: { tid: 't1', roles: ['moderator'] } },
      { groups: [] },
    )
    expect(moderator.roles).toContain('webpubsub.sendToGroup')
  })

  it('escapes a user named * or a.** so a wildcard role cannot widen', () => {
    const hub = parse(chatPolicy).policy.hubs.chat!
    for (const userId of ['*', 'a.**', '?']) {
      const decision = decide(hub, { userId, claims: { tid: 't' } }, { groups: [] })
      const pattern = decision.roles[1]!.slice('webpubsub.joinLeaveGroups.'.length)
      const own = decision.groups[0]!
      expect(own).toBe(`user.${userId.replace('.', '%2E')}`)
      expect(matchesGroupPattern(pattern, `${own}.x`)).toBe(true)
      expect(matchesGroupPattern(pattern, 'user.victim.x')).toBe(false)
      expect(matchesGroupPattern(pattern, `${own}.x.y`)).toBe(false)
      expect(matchesGroupPattern(pattern, `user.${userId}.x`)).toBe(userId !== 'a.**')
    }
  })

  it('refuses an identity without a claim the policy needs', () => {
    const hub = parse(chatPolicy).policy.hubs.chat!
    expect(() => decide(hub, { userId: 'alice', claims: {} }, { groups: [] })).toThrowError(
      expect.objectContaining({ code: 'caller_claims_unusable' }),
    )
  })

  it('lets the caller narrow, never widen: requested groups and lifetimes within the policy', () => {
    const hub = parse(chatPolicy).policy.hubs.chat!
    const identity = { userId: 'alice', claims: { tid: 't' } }
    expect(decide(hub, identity, { groups: ['room.1', 'lobby'], ttlMinutes: 10 })).toMatchObject({
      groups: ['user.alice', 'tenant.t', 'room.1', 'lobby'],
      minutesToExpire: 10,
    })
    expect(() => decide(hub, identity, { groups: ['admins'] })).toThrowError(
      expect.objectContaining({ code: 'group_not_allowed' }),
    )
    expect(() => decide(hub, identity, { groups: ['room.a.b'] })).toThrowError(
      expect.objectContaining({ code: 'group_not_allowed' }),
    )
    expect(() => decide(hub, identity, { groups: [], ttlMinutes: 500 })).toThrowError(
      expect.objectContaining({ code: 'parameter_invalid' }),
    )
  })

  it('reads sharedAnonymousToken (default false) and refuses anything but a boolean', () => {
    const shared = parse({
      hubs: { chat: { roles: ['webpubsub.sendToGroup.news'], sharedAnonymousToken: true } },
    })
    expect(shared.problems).toEqual([])
    expect(shared.policy.hubs.chat?.sharedAnonymousToken).toBe(true)
    expect(shared.policy.hubs.lobby?.sharedAnonymousToken).toBe(false)
    expect(parse(chatPolicy).policy.hubs.chat?.sharedAnonymousToken).toBe(false)
    expect(parse({ hubs: { chat: { sharedAnonymousToken: 'yes' } } }).problems).toEqual([
      'hubs.chat.sharedAnonymousToken must be true or false',
    ])
  })

  it.each([
    ['roles', { roles: ['webpubsub.sendToGroup.user.{sub}'] }, '{sub}'],
    ['groups', { groups: ['team.{claims.team}'] }, '{claims.team}'],
    ['requestableGroups', { requestableGroups: ['user.{userId}.*'] }, '{userId}'],
  ])(
    'refuses templates in %s of a shared anonymous hub: it has no identity',
    (_field, hub, used) => {
      const { problems } = parse({ hubs: { chat: { ...hub, sharedAnonymousToken: true } } })
      expect(problems).toEqual([expect.stringContaining(used)])
      expect(problems[0]).toContain('sharedAnonymousToken')
      // The same hub without the option is fine.
      expect(parse({ hubs: { chat: hub } }).problems).toEqual([])
    },
  )

  it('refuses "when" rules in a shared anonymous hub: it has no claims', () => {
    const when = [{ claim: 'roles', includes: 'moderator', roles: ['webpubsub.sendToGroup'] }]
    expect(parse({ hubs: { chat: { when, sharedAnonymousToken: true } } }).problems).toEqual([
      expect.stringContaining('remove its "when" rules'),
    ])
    expect(parse({ hubs: { chat: { when } } }).problems).toEqual([])
  })
})

describe('estimateUrlLength', () => {
  // The estimate sizes the client token's claims as JSON; it is computed without building them.
  const byStringify = (hub: string, roles: string[], groups: string[]) => {
    const claims = JSON.stringify({ sub: 'x'.repeat(64), role: roles, 'webpubsub.group': groups })
    const jwtLength = 80 + Math.ceil(((claims.length + 200) * 4) / 3) + 44
    return endpoint.length + hub.length + 40 + jwtLength
  }

  it('equals the length of the claims serialized as JSON, for any names', () => {
    const name = fc.oneof(
      fc.string(),
      fc.string({ unit: 'grapheme' }),
      fc.constantFrom('a"b', 'a\\b', '\u0001', ''),
    )
    fc.assert(
      fc.property(
        fc.array(name, { maxLength: 8 }),
        fc.array(name, { maxLength: 8 }),
        (roles, groups) => {
          expect(estimateUrlLength(endpoint, 'chat', { roles, groups })).toBe(
            byStringify('chat', roles, groups),
          )
        },
      ),
      { numRuns: 1_000 },
    )
  })
})
