// Unit tests of caller/verifier: the keys kept in KV are authenticated, clamped and re-discovered in time.
import { describe, expect, it } from 'vitest'
import { createEncryptedKv, type EncryptedKv } from '../../src/cache/encrypted-kv'
import type { AuthConfig } from '../../src/caller/auth-config'
import {
  createCallerVerifier,
  DISCOVERY_MAX_AGE_MS,
  jwksCacheKey,
  type CallerVerifier,
} from '../../src/caller/verifier'
import { KvDouble } from '../support/kv-double'
import {
  AUDIENCE,
  createFakeIssuer,
  ISSUER,
  signingKey,
  tokenRules,
  type FakeIssuer,
} from './fake-issuer'

const aesKey = () =>
  crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]) as Promise<CryptoKey>

interface Setup {
  issuer: FakeIssuer
  raw: KvDouble
  kv: EncryptedKv
  key: string
  isolate(): Promise<CallerVerifier>
  /** Verifies and runs the persist step as the route does, waiting for the KV write. */
  verify(caller: CallerVerifier, token: string): Promise<string>
}

async function setup(jwksUrl?: string): Promise<Setup> {
  const issuer = createFakeIssuer()
  const raw = new KvDouble({ now: issuer.now })
  const kv = createEncryptedKv({ kv: raw, key: await aesKey() })
  const auth: AuthConfig = { mode: 'jwt', cookieName: undefined, ...tokenRules(jwksUrl) }
  return {
    issuer,
    raw,
    kv,
    key: await jwksCacheKey(jwksUrl ?? ISSUER),
    isolate: async () =>
      (await createCallerVerifier(auth, {
        fetch: issuer.fetch,
        now: issuer.now,
        kv,
        log: () => {},
      }))!,
    async verify(caller, token) {
      const identity = await caller.verifier.verify(token)
      const writes: Promise<unknown>[] = []
      caller.persist((promise) => writes.push(promise))
      await Promise.all(writes)
      return identity.userId
    },
  }
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as { code: string; detail: string },
  )

describe('caller/verifier', () => {
  it('seeds a new isolate from KV and stores the entry encrypted', async () => {
    const t = await setup()
    const signer = await signingKey('k1')
    t.issuer.keys = [signer.jwk]
    const token = await t.issuer.sign(signer)
    expect(await t.verify(await t.isolate(), token)).toBe('alice')
    expect(t.raw.peek(t.key)).toMatch(/^v1\./)
    expect(t.raw.peek(t.key)).not.toContain('"kty"')
    expect(await t.verify(await t.isolate(), token)).toBe('alice')
    expect(t.issuer.calls).toEqual({ discovery: 1, jwks: 1, other: 0 })
  })

  describe('an entry this Worker did not write', () => {
    async function plantedAttackerKeys(plant: (t: Setup, entry: object) => Promise<void>) {
      const t = await setup()
      const genuine = await signingKey('genuine')
      const attacker = await signingKey('attacker')
      t.issuer.keys = [genuine.jwk]
      const nowMs = t.issuer.now()
      // Every field either format of the entry has ever had, so no version of the code misses it.
      await plant(t, {
        jwks: { keys: [attacker.jwk] },
        jwksUrl: t.issuer.jwksUrl,
        uat: nowMs,
        fetchedAtMs: nowMs,
        discoveredAtMs: nowMs,
      })
      const caller = await t.isolate()
      const forged = await t.issuer.sign(attacker, { sub: 'admin' })
      expect(await refusal(t.verify(caller, forged))).toMatchObject({
        code: 'caller_unauthenticated',
        detail: expect.stringContaining('unknown kid'),
      })
      // The planted entry was a miss: the genuine keys were fetched and work.
      expect(await t.verify(caller, await t.issuer.sign(genuine))).toBe('alice')
      expect(t.issuer.calls.discovery).toBe(1)
    }

    it('ignores a plaintext entry planted with an attacker key', async () => {
      await plantedAttackerKeys(async (t, entry) => t.raw.plant(t.key, JSON.stringify(entry)))
    })

    it('ignores an entry encrypted with another key', async () => {
      await plantedAttackerKeys(async (t, entry) => {
        await createEncryptedKv({ kv: t.raw, key: await aesKey() }).put(t.key, entry, 3600)
      })
    })
  })

  it.each([
    ['keys that are not a list', { keys: { kty: 'RSA' } }],
    ['keys that are not objects', { keys: ['x', 1] }],
    ['no jwks', undefined],
  ])('treats an authenticated entry with %s as a miss', async (_label, jwks) => {
    const t = await setup()
    const signer = await signingKey('k1')
    t.issuer.keys = [signer.jwk]
    const nowMs = t.issuer.now()
    await t.kv.put(
      t.key,
      { jwks, jwksUrl: t.issuer.jwksUrl, fetchedAtMs: nowMs, discoveredAtMs: nowMs },
      3600,
    )
    expect(await t.verify(await t.isolate(), await t.issuer.sign(signer))).toBe('alice')
    expect(t.issuer.calls.jwks).toBe(1)
  })

  it('clamps a stored fetch time in the future, so an unknown kid refetches after the cooldown', async () => {
    const t = await setup()
    const [old, next] = [await signingKey('old'), await signingKey('next')]
    const nowMs = t.issuer.now()
    await t.kv.put(
      t.key,
      {
        jwks: { keys: [old.jwk] },
        jwksUrl: t.issuer.jwksUrl,
        fetchedAtMs: nowMs + 365 * 24 * 3_600_000,
        discoveredAtMs: nowMs,
      },
      3600,
    )
    t.issuer.keys = [old.jwk, next.jwk]
    const caller = await t.isolate()
    const token = await t.issuer.sign(next)
    // Within the cooldown of the (clamped) fetch time, the unknown kid is refused without a fetch.
    expect(await refusal(t.verify(caller, token))).toMatchObject({
      detail: expect.stringContaining('unknown kid'),
    })
    expect(t.issuer.calls.jwks).toBe(0)
    t.issuer.advance(31_000)
    expect(await t.verify(caller, token)).toBe('alice')
    expect(t.issuer.calls.jwks).toBe(1)
  })

  it('keeps the time of discovery when re-persisting keys, and re-discovers after 24 h', async () => {
    const t = await setup()
    const signer = await signingKey('k1')
    t.issuer.keys = [signer.jwk]
    const first = await t.isolate()
    const discoveredAtMs = t.issuer.now()
    expect(await t.verify(first, await t.issuer.sign(signer))).toBe('alice')

    // The long-lived isolate refreshes its keys (stale after 10 min) and persists them again.
    t.issuer.advance(DISCOVERY_MAX_AGE_MS - 3_600_000)
    expect(await t.verify(first, await t.issuer.sign(signer))).toBe('alice')
    expect(t.issuer.calls).toMatchObject({ discovery: 1, jwks: 2 })
    expect(await t.kv.get(t.key)).toMatchObject({ discoveredAtMs, fetchedAtMs: t.issuer.now() })

    // Before the discovery is 24 h old a new isolate trusts it ...
    t.issuer.advance(1_000)
    expect(await t.verify(await t.isolate(), await t.issuer.sign(signer))).toBe('alice')
    expect(t.issuer.calls.discovery).toBe(1)
    // ... and after, it runs discovery again, although the entry itself is younger.
    t.issuer.advance(3_600_000)
    expect(await t.verify(await t.isolate(), await t.issuer.sign(signer))).toBe('alice')
    expect(t.issuer.calls.discovery).toBe(2)
  })

  it('names the cloudflare-access variables when a token is for another team or application, and logs it', async () => {
    const issuer = createFakeIssuer()
    const signer = await signingKey('k1')
    issuer.keys = [signer.jwk]
    const team = 'https://contoso.cloudflareaccess.com'
    const logs: unknown[] = []
    const accessMode = (settings: { issuer: string; audience: string }): AuthConfig => ({
      ...tokenRules(issuer.jwksUrl),
      ...settings,
      mode: 'cloudflare-access',
      teamDomain: settings.issuer,
    })
    const verify = async (auth: AuthConfig) => {
      const caller = await createCallerVerifier(auth, {
        fetch: issuer.fetch,
        now: issuer.now,
        kv: undefined,
        log: (event, fields) => logs.push({ event, ...fields }),
      })
      return refusal(caller!.verifier.verify(await issuer.sign(signer)))
    }
    const otherTeam = await verify(accessMode({ issuer: team, audience: AUDIENCE }))
    expect(otherTeam).toMatchObject({
      code: 'caller_unauthenticated',
      detail: `The token was issued by another issuer, "${ISSUER}", but CF_ACCESS_TEAM_DOMAIN is "${team}"; the two must be equal, character for character.`,
    })
    const otherApp = await verify(accessMode({ issuer: ISSUER, audience: 'aud-tag' }))
    expect(otherApp).toMatchObject({
      code: 'caller_unauthenticated',
      detail: `The token is meant for another audience, "${AUDIENCE}", but CF_ACCESS_AUD is "aud-tag".`,
    })
    expect(logs).toEqual([
      { event: 'caller_token_rejected', claim: 'iss', detail: otherTeam?.detail },
      { event: 'caller_token_rejected', claim: 'aud', detail: otherApp?.detail },
    ])
  })

  it('does not seed keys fetched from another JWKS URL than the configured one', async () => {
    const t = await setup(`${ISSUER}/keys`)
    const [planted, genuine] = [await signingKey('planted'), await signingKey('genuine')]
    t.issuer.keys = [genuine.jwk]
    const nowMs = t.issuer.now()
    await t.kv.put(
      t.key,
      { jwks: { keys: [planted.jwk] }, jwksUrl: `${ISSUER}/other`, fetchedAtMs: nowMs },
      3600,
    )
    expect(await t.verify(await t.isolate(), await t.issuer.sign(genuine))).toBe('alice')
    expect(t.issuer.calls).toEqual({ discovery: 0, jwks: 1, other: 0 })
  })
})
