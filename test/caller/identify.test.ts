// Unit tests of caller/identify: where each mode takes the token from, and hostile Cookie headers.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { AuthConfig } from '../../src/caller/auth-config'
import { identifyCaller } from '../../src/caller/identify'
import type { JwtVerifier } from '../../src/caller/jwt'
import { NegotiatorError } from '../../src/errors'

const rules = {
  issuer: 'https://issuer.example.com',
  audience: 'negotiator',
  jwksUrl: undefined,
  algorithms: ['RS256'],
  userClaim: 'sub',
  clockToleranceSeconds: 0,
}
const jwtMode: AuthConfig = { mode: 'jwt', cookieName: 'session', ...rules }
const accessMode: AuthConfig = {
  mode: 'cloudflare-access',
  teamDomain: 'https://team.cloudflareaccess.com',
  ...rules,
}

/** Echoes the token it is given as the user id, so a test sees what identify extracted. */
const echo: JwtVerifier = {
  verify: async (token) => ({ userId: token, claims: {} }),
  snapshot: () => undefined,
}

const withHeaders = (headers: Record<string, string>) => ({
  header: (name: string) => headers[name.toLowerCase()],
})

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  )

describe('caller/identify', () => {
  it.each([
    [jwtMode, 'session=%E0%A4%A'],
    [jwtMode, 'theme=dark; session=%'],
    [accessMode, 'CF_Authorization=%'],
    [accessMode, 'CF_Authorization=%ZZ'],
  ])(
    'refuses a cookie that is not valid percent-encoding with invalid_token',
    async (auth, cookie) => {
      const error = await refusal(identifyCaller(auth, echo, withHeaders({ cookie })))
      expect(error).toBeInstanceOf(NegotiatorError)
      expect(error).toMatchObject({ code: 'caller_unauthenticated' })
      const challenge = (error as NegotiatorError).headers?.['www-authenticate'] ?? ''
      expect(challenge).toContain('error="invalid_token"')
      expect(challenge).not.toContain('%')
    },
  )

  it.each([
    ['the first of duplicate names', 'session=one; session=two', 'one'],
    ['a value containing =', 'session=a=b', 'a=b'],
    ['a quoted value', 'session="abc"', 'abc'],
    ['a percent-encoded value', 'session=a%2Eb', 'a.b'],
    ['spaces around the pair', '  session = abc ;x=1', 'abc'],
    ['a part without =', 'garbage; session=abc', 'abc'],
  ])('reads %s', async (_label, cookie, token) => {
    expect((await identifyCaller(jwtMode, echo, withHeaders({ cookie }))).userId).toBe(token)
  })

  it.each(['', ';;;', 'session', 'sessionx=abc', 'session=', 'session=""'])(
    'treats the cookie header %j as no credentials (bare challenge)',
    async (cookie) => {
      const error = await refusal(identifyCaller(jwtMode, echo, withHeaders({ cookie })))
      expect(error).toMatchObject({
        code: 'caller_unauthenticated',
        headers: { 'www-authenticate': 'Bearer realm="negotiate"' },
      })
    },
  )

  it('never fails with anything but a NegotiatorError, whatever the Cookie header', async () => {
    // Mostly pairs with the names identify looks for, so odd values reach the decoder; the rest
    // is arbitrary text, separators and quotes included.
    const fragment = fc.oneof(
      fc.constantFrom('%', '%E0', '%A4', '%2', '%41', '=', '"', ' ', 'x'),
      fc.string({ unit: 'binary', maxLength: 6 }),
    )
    const text = fc.array(fragment, { maxLength: 8 }).map((parts) => parts.join(''))
    const name = fc.oneof(fc.constantFrom('session', 'CF_Authorization', ' session', ''), text)
    const pair = fc.oneof(
      fc.tuple(name, text).map(([key, value]) => `${key}=${value}`),
      text,
    )
    const header = fc
      .tuple(fc.array(pair, { maxLength: 6 }), fc.constantFrom(';', '; ', ' ;'))
      .map(([pairs, separator]) => pairs.join(separator))
    await fc.assert(
      fc.asyncProperty(header, fc.boolean(), async (cookie, access) => {
        const auth = access ? accessMode : jwtMode
        const error = await refusal(identifyCaller(auth, echo, withHeaders({ cookie })))
        if (error !== undefined) {
          expect(error).toBeInstanceOf(NegotiatorError)
          expect((error as NegotiatorError).code).toBe('caller_unauthenticated')
        }
      }),
      { numRuns: 1_000 },
    )
  })

  it('copes with a huge Cookie header of many pairs', async () => {
    const cookie = `${Array.from({ length: 20_000 }, (_, i) => `c${i}=%`).join('; ')}; session=ok`
    expect((await identifyCaller(jwtMode, echo, withHeaders({ cookie }))).userId).toBe('ok')
    const bad = `${cookie.replace('session=ok', 'session=%')}`
    expect(
      await refusal(identifyCaller(jwtMode, echo, withHeaders({ cookie: bad }))),
    ).toMatchObject({
      code: 'caller_unauthenticated',
    })
  })
})
