// Route tests of how verified claims become roles and groups: one literal segment per value.
import { beforeEach, describe, expect, it } from 'vitest'
import { matchesGroupPattern } from '../../src/caller/roles'
import { emulator, emulatorUrl, mintUserToken } from '../support/emulator'
import { createHarness, problemOf } from '../support/harness'

beforeEach(() => emulator.reset())

const AUDIENCE = 'webpubsub-negotiator'
const POLICY = {
  hubs: {
    chat: {
      roles: ['webpubsub.joinLeaveGroups.user.{sub}.*', 'webpubsub.sendToGroups.user.{sub}.*'],
      groups: ['user.{sub}', 'team.{claims.team}'],
      requestableGroups: ['user.{sub}.*', 'room.*'],
    },
  },
}
const jwtVars = () => ({
  AUTH_MODE: 'jwt',
  AUTH_ISSUER: `${emulatorUrl()}/oidc`,
  AUTH_AUDIENCE: AUDIENCE,
  POLICY,
})

interface Negotiated {
  userId: string
  roles: string[]
  groups: string[]
}

async function negotiate(sub: string, query = '', team: unknown = 'red') {
  const h = await createHarness({ vars: jwtVars() })
  const token = await mintUserToken({ sub, audience: AUDIENCE, claims: { team } })
  return h.request(`/negotiate?hub=chat${query}`, {
    headers: { authorization: `Bearer ${token}` },
  })
}

const patternsOf = (body: Negotiated) =>
  body.roles.map((role) => role.replace(/^webpubsub\.(joinLeaveGroups|sendToGroups)\./, ''))

describe('claims in the policy (AUTH_MODE=jwt)', () => {
  it("keeps user john out of user john.smith's personal group", async () => {
    const johnSmith = (await (await negotiate('john.smith')).json()) as Negotiated
    expect(johnSmith.userId).toBe('john.smith')
    expect(johnSmith.groups).toEqual(['user.john%2Esmith', 'team.red'])
    const john = (await (await negotiate('john')).json()) as Negotiated
    expect(john.roles).toEqual([
      'webpubsub.joinLeaveGroups.user.john.*',
      'webpubsub.sendToGroups.user.john.*',
    ])
    for (const pattern of patternsOf(john)) {
      expect(matchesGroupPattern(pattern, johnSmith.groups[0]!)).toBe(false)
      expect(matchesGroupPattern(pattern, `${johnSmith.groups[0]}.notes`)).toBe(false)
    }
  })

  it('lets alice request her own groups from a requestableGroups template, not bob’s', async () => {
    const allowed = await negotiate('alice', '&group=user.alice.notes&group=room.1')
    expect(allowed.status).toBe(200)
    expect(((await allowed.json()) as Negotiated).groups).toEqual([
      'user.alice',
      'team.red',
      'user.alice.notes',
      'room.1',
    ])
    const refused = await negotiate('alice', '&group=user.bob.notes')
    expect(refused.status).toBe(403)
    expect((await problemOf(refused)).code).toBe('group_not_allowed')
  })

  it.each([
    ['a user id', 'alice\ud800', 'red'],
    ['a claim a template uses', 'alice', 'red\udfff'],
  ])('refuses %s that is not well-formed Unicode', async (_label, sub, team) => {
    const response = await negotiate(sub, '', team)
    expect(response.status).toBe(403)
    const problem = await problemOf(response)
    expect(problem.code).toBe('caller_claims_unusable')
    expect(JSON.stringify(problem)).not.toMatch(/\\ud800|\\udfff/i)
    expect((await emulator.counters())['webpubsub.generateToken']).toBe(0)
  })
})
