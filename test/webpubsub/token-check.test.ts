// Tests for the checks on a client token before it is handed out: aud, exp, nbf and iat.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeJwt, SignJWT } from 'jose'
import { checkClientToken, readClaims } from '../../src/webpubsub/token-check'

const key = new TextEncoder().encode('k'.repeat(32))
const token = (claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(key)
const endpoint = 'https://contoso.webpubsub.azure.com'
const aud = 'https://contoso.webpubsub.azure.com/client/hubs/chat'
/** The negotiator's clock in these tests: 2026-01-15T12:00:00Z. */
const NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0)
const NOW_S = NOW_MS / 1000

const refused = (detail: RegExp) =>
  expect.objectContaining({
    code: 'webpubsub_unexpected_response',
    detail: expect.stringMatching(detail),
    upstream: { service: 'webpubsub', status: 200 },
  })

describe('webpubsub/token-check', () => {
  it('returns iat and exp for a token whose aud names the endpoint and hub', async () => {
    const jwt = await token({ aud, iat: NOW_S - 30, exp: 2_000_000_000 })
    expect(checkClientToken(jwt, endpoint, 'chat', NOW_MS)).toEqual({
      issuedAtMs: NOW_MS - 30_000,
      expiresAtMs: 2_000_000_000_000,
    })
  })

  it('measures the life from nbf without iat, and from the time received without either', async () => {
    const withNbf = await token({ aud, nbf: NOW_S - 10, exp: NOW_S + 60 })
    expect(checkClientToken(withNbf, endpoint, 'chat', NOW_MS).issuedAtMs).toBe(NOW_MS - 10_000)
    const bare = await token({ aud, exp: NOW_S + 60 })
    expect(checkClientToken(bare, endpoint, 'chat', NOW_MS).issuedAtMs).toBe(NOW_MS)
  })

  it('ignores the scheme and case, and accepts MQTT and Socket.IO paths', async () => {
    const jwt = await token({
      aud: 'http://CONTOSO.webpubsub.azure.com/clients/mqtt/hubs/Chat',
      exp: NOW_S + 60,
    })
    expect(checkClientToken(jwt, endpoint, 'chat', NOW_MS).expiresAtMs).toBe(NOW_MS + 60_000)
  })

  it.each([
    ['another hub', { aud: 'https://contoso.webpubsub.azure.com/client/hubs/other', exp: 1e10 }],
    ['another host', { aud: 'https://evil.example.com/client/hubs/chat', exp: 1e10 }],
    ['no aud', { exp: 1e10 }],
    ['no exp', { aud }],
  ])('refuses a token with %s', async (_label, claims) => {
    const jwt = await token(claims)
    expect(() => checkClientToken(jwt, endpoint, 'chat', NOW_MS)).toThrowError(
      expect.objectContaining({ code: 'webpubsub_unexpected_response' }),
    )
  })

  it('refuses something that is not a JWT', () => {
    expect(() => checkClientToken('not-a-jwt', endpoint, 'chat', NOW_MS)).toThrowError(/not a JWT/)
  })

  it.each([
    ['an hour ago', NOW_S - 3600],
    ['exactly now (exp is the first instant it is invalid)', NOW_S],
    ['in 1970', 1],
  ])('refuses a token that expired %s', async (_label, exp) => {
    const jwt = await token({ aud, iat: exp - 3600, nbf: exp - 3600, exp })
    expect(() => checkClientToken(jwt, endpoint, 'chat', NOW_MS)).toThrowError(
      refused(/has already expired; retry shortly/),
    )
  })

  it('accepts a token that expires one second from now', async () => {
    const jwt = await token({ aud, iat: NOW_S, nbf: NOW_S, exp: NOW_S + 1 })
    expect(checkClientToken(jwt, endpoint, 'chat', NOW_MS).expiresAtMs).toBe(NOW_MS + 1000)
  })

  it.each([
    ['nbf after exp', { nbf: NOW_S + 7200 }, /nbf after exp/],
    ['iat after exp', { iat: NOW_S + 7200 }, /iat after exp/],
    ['a string nbf', { nbf: 'soon' }, /nbf after exp/],
    ['a string iat', { iat: 'now' }, /iat after exp/],
    ['an exp no Date can hold', { exp: 1e13 }, /exp claim that is not a time/],
  ])('refuses a token with %s', async (_label, claims, detail) => {
    const jwt = await token({ aud, iat: NOW_S, nbf: NOW_S, exp: NOW_S + 3600, ...claims })
    expect(() => checkClientToken(jwt, endpoint, 'chat', NOW_MS)).toThrowError(refused(detail))
  })

  it('accepts nbf and iat equal to exp, and a token without them', async () => {
    const exp = NOW_S + 60
    for (const claims of [{ nbf: exp, iat: exp }, {}]) {
      const jwt = await token({ aud, exp, ...claims })
      expect(checkClientToken(jwt, endpoint, 'chat', NOW_MS).expiresAtMs).toBe(exp * 1000)
    }
  })
})

describe('readClaims', () => {
  const base64url = (text: string) => {
    const bytes = new TextEncoder().encode(text)
    return btoa(String.fromCharCode(...bytes))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '')
  }
  /** jose's decodeJwt, the reference: its claims, or undefined where it throws. */
  const byJose = (jwt: string) => {
    try {
      return decodeJwt(jwt)
    } catch {
      return undefined
    }
  }

  it('reads what jose reads, for any JSON payload', () => {
    const payload = fc.oneof(
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc.string({ unit: 'grapheme' }),
      fc.string({ unit: 'binary' }),
    )
    fc.assert(
      fc.property(payload, (json) => {
        const jwt = `eyJhbGciOiJIUzI1NiJ9.${base64url(json)}.c2ln`
        expect(readClaims(jwt)).toEqual(byJose(jwt))
      }),
      { numRuns: 2_000 },
    )
  })

  it('refuses a payload in the base64 alphabet (+ and /), as jose does', () => {
    const standard = fc
      .dictionary(fc.string(), fc.string({ unit: 'grapheme' }))
      .map((claims) => base64url(JSON.stringify(claims)).replace(/-/g, '+').replace(/_/g, '/'))
      .filter((payload) => /[+/]/.test(payload))
    fc.assert(
      fc.property(standard, (payload) => {
        const jwt = `eyJhbGciOiJIUzI1NiJ9.${payload}.c2ln`
        expect(byJose(jwt)).toBeUndefined()
        expect(readClaims(jwt)).toBeUndefined()
      }),
      { numRuns: 300 },
    )
  })

  it('refuses what jose refuses, for any string', () => {
    const segment = fc.string({ unit: fc.constantFrom(...'AZaz09-_+/=. %'.split('')) })
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 5 }), (parts) => {
        const jwt = parts.join('.')
        expect(readClaims(jwt)).toEqual(byJose(jwt))
      }),
      { numRuns: 2_000 },
    )
  })
})
