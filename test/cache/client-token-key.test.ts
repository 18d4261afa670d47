// Property tests of the client-token reuse key: distinct grants never share a key; order is moot.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  clientTokenHash,
  clientTokenKey,
  type ClientTokenGrant,
} from '../../src/cache/client-token-key'

const text = fc.string({ maxLength: 12 })
const names = fc.uniqueArray(text, { maxLength: 5 })
const grant: fc.Arbitrary<ClientTokenGrant> = fc.record({
  endpoint: fc.constantFrom('https://a.webpubsub.azure.com', 'https://b.webpubsub.azure.com'),
  hub: fc.constantFrom('chat', 'Chat', 'lobby'),
  protocol: fc.constantFrom('default', 'mqtt', 'socketio'),
  userId: fc.option(text, { nil: undefined }),
  roles: names,
  groups: names,
  minutesToExpire: fc.integer({ min: 1, max: 1440 }),
})

/** The grant as a set-based value: what two interchangeable tokens must have in common. */
const meaning = (g: ClientTokenGrant) =>
  JSON.stringify([
    g.endpoint,
    g.hub,
    g.protocol,
    g.userId ?? null,
    [...g.roles].sort(),
    [...g.groups].sort(),
    g.minutesToExpire,
  ])

const FIELDS = [
  'endpoint',
  'hub',
  'protocol',
  'userId',
  'roles',
  'groups',
  'minutesToExpire',
] as const

/** The same grant with exactly one field changed. */
function changeOne(g: ClientTokenGrant, field: (typeof FIELDS)[number]): ClientTokenGrant {
  switch (field) {
    case 'endpoint':
    case 'hub':
      return { ...g, [field]: `${g[field]}x` }
    case 'protocol':
      return { ...g, protocol: g.protocol === 'mqtt' ? 'socketio' : 'mqtt' }
    case 'userId':
      return { ...g, userId: g.userId === undefined ? '' : undefined }
    case 'roles':
    case 'groups':
      return { ...g, [field]: [...g[field], '\u0000extra'] }
    case 'minutesToExpire':
      return { ...g, minutesToExpire: g.minutesToExpire + 1 }
  }
}

describe('cache/client-token-key', () => {
  it('gives different grants different keys (property)', async () => {
    await fc.assert(
      fc.asyncProperty(grant, grant, async (a, b) => {
        fc.pre(meaning(a) !== meaning(b))
        expect(clientTokenKey(a)).not.toBe(clientTokenKey(b))
      }),
      { numRuns: 500 },
    )
  })

  it('gives grants that differ in one field only different keys (property)', async () => {
    // Near misses that random pairs rarely produce: a role moved into groups, a user id of "null",
    // a value split differently between two neighbouring fields.
    const pairs: [ClientTokenGrant, ClientTokenGrant][] = []
    const base = { endpoint: 'https://a', hub: 'chat', protocol: 'default', minutesToExpire: 60 }
    pairs.push([
      { ...base, roles: ['x'], groups: [] },
      { ...base, roles: [], groups: ['x'] },
    ])
    pairs.push([
      { ...base, userId: 'null', roles: [], groups: [] },
      { ...base, roles: [], groups: [] },
    ])
    pairs.push([
      { ...base, roles: ['a,b'], groups: [] },
      { ...base, roles: ['a', 'b'], groups: [] },
    ])
    pairs.push([
      { ...base, userId: '', roles: [], groups: [] },
      { ...base, roles: [], groups: [] },
    ])
    for (const [a, b] of pairs) expect(clientTokenKey(a)).not.toBe(clientTokenKey(b))
    await fc.assert(
      fc.asyncProperty(grant, fc.constantFrom(...FIELDS), async (g, field) => {
        const changed = changeOne(g, field)
        expect(meaning(changed)).not.toBe(meaning(g))
        expect(clientTokenKey(changed)).not.toBe(clientTokenKey(g))
      }),
      { numRuns: 200 },
    )
  })

  it('ignores the order of roles and groups (property)', async () => {
    await fc.assert(
      fc.asyncProperty(grant, fc.nat(), fc.nat(), async (g, i, j) => {
        const rotate = (list: readonly string[], n: number) =>
          list.length === 0
            ? []
            : [...list.slice(n % list.length), ...list.slice(0, n % list.length)]
        const reordered = { ...g, roles: rotate(g.roles, i).reverse(), groups: rotate(g.groups, j) }
        expect(clientTokenKey(reordered)).toBe(clientTokenKey(g))
      }),
      { numRuns: 300 },
    )
  })

  it('is hashed for the Cache API: unpadded base64url of 32 bytes, naming nothing of the grant', async () => {
    const grant = clientTokenKey({
      endpoint: 'https://a',
      hub: 'chat',
      protocol: 'default',
      userId: 'alice@example.com',
      roles: [],
      groups: [],
      minutesToExpire: 60,
    })
    const key = await clientTokenHash(grant)
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(key).not.toContain('alice')
    // SHA-256 of the key as it is: what every earlier version wrote its Cache API entries under.
    const digest = new Uint8Array(
      await crypto.subtle.digest('SHA-256', new TextEncoder().encode(grant)),
    )
    expect(key).toBe(Buffer.from(digest).toString('base64url'))
    expect(await clientTokenHash(grant.replace('alice', 'bob'))).not.toBe(key)
  })
})
