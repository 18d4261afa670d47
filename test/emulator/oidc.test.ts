// The emulator's local OpenID Connect issuer: discovery, JWKS, dev tokens verified by jose, rotation.
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTVerifyOptions,
} from 'jose'
import { describe, expect, it } from 'vitest'
import type { RunningEmulator } from '../../emulator/index'
import { reached, settlement, useEmulator } from './helpers'

interface Jwk {
  kty: string
  kid: string
  alg: string
  use: string
  crv?: string
  n?: string
  e?: string
  x?: string
  y?: string
  d?: string
}

const issuerOf = (e: RunningEmulator) => `${e.url}/oidc`

const devToken = (e: RunningEmulator, body: unknown, init: RequestInit = {}) =>
  fetch(`${issuerOf(e)}/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  })

async function mint(e: RunningEmulator, body: Record<string, unknown>) {
  const res = await devToken(e, body)
  expect(res.status).toBe(200)
  return (await res.json()) as { token: string; expiresAt: string }
}

async function jwks(e: RunningEmulator): Promise<Jwk[]> {
  const res = await fetch(`${issuerOf(e)}/jwks`)
  expect(res.status).toBe(200)
  return ((await res.json()) as { keys: Jwk[] }).keys
}

/** Verifies as the negotiator will: a remote JWKS, the issuer and the audience. */
function verify(e: RunningEmulator, token: string, options: JWTVerifyOptions = {}) {
  const keys = createRemoteJWKSet(new URL(`${issuerOf(e)}/jwks`))
  return jwtVerify(token, keys, {
    issuer: issuerOf(e),
    audience: 'webpubsub-negotiator',
    ...options,
  })
}

const control = (e: RunningEmulator, path: string, method = 'GET') =>
  fetch(`${e.url}/_emulator${path}`, { method })

const counters = async (e: RunningEmulator) =>
  ((await (await control(e, '/counters')).json()) as { routes: Record<string, number> }).routes

describe('emulator oidc issuer', () => {
  it('names its issuer in the demo credentials and the control API', async () => {
    const emulator = await useEmulator()
    expect(emulator.demo.oidcIssuer).toBe(`${emulator.url}/oidc`)
    expect(emulator.demo.oidcIssuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oidc$/)
    const creds = (await (await control(emulator, '/credentials')).json()) as Record<
      string,
      unknown
    >
    expect(creds.oidcIssuer).toBe(emulator.demo.oidcIssuer)
  })

  it('serves the discovery document under the issuer', async () => {
    const emulator = await useEmulator()
    const issuer = issuerOf(emulator)
    const res = await fetch(`${issuer}/.well-known/openid-configuration`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await res.json()).toEqual({
      issuer,
      jwks_uri: `${issuer}/jwks`,
      token_endpoint: `${issuer}/dev/token`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256', 'ES256'],
    })
  })

  it('publishes the public halves of an RSA-2048 and a P-256 key', async () => {
    const emulator = await useEmulator()
    const keys = await jwks(emulator)
    expect(keys).toHaveLength(2)
    const [rs, es] = keys
    expect(rs).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', e: 'AQAB' })
    expect(rs!.kid).toMatch(/^emu-rs-1-[0-9a-f]+$/)
    // 2048 bits = 256 bytes = 342 base64url characters without padding.
    expect(rs!.n).toHaveLength(342)
    expect(es).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' })
    expect(es!.kid).toMatch(/^emu-es-1-[0-9a-f]+$/)
    for (const key of keys) expect(key.d).toBeUndefined()
  })

  it('keys differ between two emulators, and so do their kids', async () => {
    const [a, b] = await Promise.all([useEmulator(), useEmulator()])
    const [keysA, keysB] = await Promise.all([jwks(a), jwks(b)])
    expect(keysA[0]!.n).not.toBe(keysB[0]!.n)
    expect(keysA.map((k) => k.kid)).not.toEqual(keysB.map((k) => k.kid))
  })

  it.each(['RS256', 'ES256'] as const)(
    'mints a %s token that jose verifies against the remote JWKS',
    async (alg) => {
      const emulator = await useEmulator()
      const nowSeconds = Math.floor(Date.now() / 1000)
      emulator.state.now = () => nowSeconds * 1000
      const { token, expiresAt } = await mint(emulator, { sub: 'alice', alg })
      const { payload, protectedHeader } = await verify(emulator, token)
      const kid = (await jwks(emulator)).find((k) => k.alg === alg)!.kid
      expect(protectedHeader).toEqual({ alg, typ: 'JWT', kid })
      expect(payload).toMatchObject({
        iss: issuerOf(emulator),
        sub: 'alice',
        aud: 'webpubsub-negotiator',
      })
      expect(payload.exp! - payload.iat!).toBe(3600)
      expect(payload.nbf).toBe(payload.iat)
      expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/)
      expect(payload.iat).toBe(nowSeconds)
      expect(expiresAt).toBe(new Date(payload.exp! * 1000).toISOString())
    },
  )

  it('defaults to RS256', async () => {
    const emulator = await useEmulator()
    const { token } = await mint(emulator, { sub: 'alice' })
    expect(decodeProtectedHeader(token).alg).toBe('RS256')
  })

  it('adds extra claims and honours the audience and lifetime', async () => {
    const emulator = await useEmulator()
    const { token } = await mint(emulator, {
      sub: 'bob',
      audience: 'api://chat',
      claims: { roles: ['moderator'], tid: 'tenant-1', name: 'Bob' },
      expiresInSeconds: 120,
    })
    const { payload } = await verify(emulator, token, { audience: 'api://chat' })
    expect(payload).toMatchObject({
      sub: 'bob',
      aud: 'api://chat',
      roles: ['moderator'],
      tid: 'tenant-1',
      name: 'Bob',
    })
    expect(payload.exp! - payload.iat!).toBe(120)
    await expect(verify(emulator, token)).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      claim: 'aud',
    })
  })

  it('accepts several audiences', async () => {
    const emulator = await useEmulator()
    const { token } = await mint(emulator, {
      sub: 'c',
      audience: ['other', 'webpubsub-negotiator'],
    })
    const { payload } = await verify(emulator, token)
    expect(payload.aud).toEqual(['other', 'webpubsub-negotiator'])
  })

  it('mints an expired token that jose refuses with JWTExpired', async () => {
    const emulator = await useEmulator()
    const nowMs = Math.floor(Date.now() / 1000) * 1000
    emulator.state.now = () => nowMs
    const { token, expiresAt } = await mint(emulator, { sub: 'alice', expiresInSeconds: -60 })
    expect(expiresAt).toBe(new Date(nowMs - 60_000).toISOString())
    const failure = await verify(emulator, token).catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(errors.JWTExpired)
    expect(failure).toMatchObject({ code: 'ERR_JWT_EXPIRED' })
  })

  it('mints a not-yet-valid token when notBeforeSeconds is in the future', async () => {
    const emulator = await useEmulator()
    const { token } = await mint(emulator, { sub: 'alice', notBeforeSeconds: 600 })
    const { nbf, iat } = decodeJwt(token)
    expect(nbf! - iat!).toBe(600)
    await expect(verify(emulator, token)).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      claim: 'nbf',
    })
  })

  it('mints a wrong-issuer token when issuer is overridden', async () => {
    const emulator = await useEmulator()
    const { token } = await mint(emulator, { sub: 'alice', issuer: 'https://evil.example' })
    expect(decodeJwt(token).iss).toBe('https://evil.example')
    await expect(verify(emulator, token)).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      claim: 'iss',
    })
  })

  it('mints a token with an unknown kid when kid is overridden', async () => {
    const emulator = await useEmulator()
    const { token } = await mint(emulator, { sub: 'alice', kid: 'no-such-key' })
    expect(decodeProtectedHeader(token).kid).toBe('no-such-key')
    await expect(verify(emulator, token)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey)
  })

  it('times tokens by the emulator clock', async () => {
    const emulator = await useEmulator()
    const fixedMs = Date.parse('2030-01-01T00:00:00Z')
    emulator.state.now = () => fixedMs
    const { token, expiresAt } = await mint(emulator, { sub: 'alice' })
    expect(expiresAt).toBe('2030-01-01T01:00:00.000Z')
    expect(decodeJwt(token)).toMatchObject({ iat: fixedMs / 1000, nbf: fixedMs / 1000 })
  })

  it('rotates both keys: old tokens then fail with no matching key, new ones pass', async () => {
    const emulator = await useEmulator()
    const before = (await jwks(emulator)).map((k) => k.kid)
    const old = await mint(emulator, { sub: 'alice' })
    const oldEs = await mint(emulator, { sub: 'alice', alg: 'ES256' })
    // One long-lived key set, as in a Worker isolate; no cooldown so that it refetches at once.
    const keys = createRemoteJWKSet(new URL(`${issuerOf(emulator)}/jwks`), { cooldownDuration: 0 })
    const options = { issuer: issuerOf(emulator), audience: 'webpubsub-negotiator' }
    await jwtVerify(old.token, keys, options)

    const res = await control(emulator, '/oidc/rotate', 'POST')
    expect(res.status).toBe(200)
    const { kids } = (await res.json()) as { kids: string[] }
    expect(kids).toHaveLength(2)
    expect(kids[0]).toMatch(/^emu-rs-2-/)
    expect(kids[1]).toMatch(/^emu-es-2-/)
    expect(kids.some((kid) => before.includes(kid))).toBe(false)
    expect((await jwks(emulator)).map((k) => k.kid)).toEqual(kids)

    // A verifier that fetches the keys now no longer finds the old kids.
    await expect(verify(emulator, old.token)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey)
    await expect(verify(emulator, oldEs.token)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey)
    // The long-lived set still holds the old keys until a new kid makes it refetch.
    const fresh = await mint(emulator, { sub: 'alice' })
    expect(decodeProtectedHeader(fresh.token).kid).toBe(kids[0])
    const { payload } = await jwtVerify(fresh.token, keys, options)
    expect(payload.sub).toBe('alice')
    await expect(jwtVerify(old.token, keys, options)).rejects.toBeInstanceOf(
      errors.JWKSNoMatchingKey,
    )
  })

  it('keeps its keys across a control-API reset', async () => {
    const emulator = await useEmulator()
    const before = await jwks(emulator)
    const { token } = await mint(emulator, { sub: 'alice' })
    expect((await control(emulator, '/reset', 'POST')).status).toBe(204)
    expect(await jwks(emulator)).toEqual(before)
    await expect(verify(emulator, token)).resolves.toMatchObject({ payload: { sub: 'alice' } })
  })

  it.each([
    ['a missing sub', { claims: { roles: [] } }, 'sub must be a non-empty string'],
    ['an empty sub', { sub: '' }, 'sub must be a non-empty string'],
    ['a numeric sub', { sub: 42 }, 'sub must be a non-empty string'],
    ['a body that is not an object', [], 'the body must be a JSON object'],
    ['an unknown field', { sub: 'a', expiresIn: 5 }, 'unknown fields: expiresIn'],
    ['an unsupported alg', { sub: 'a', alg: 'HS256' }, 'alg must be one of RS256, ES256'],
    ['claims that is an array', { sub: 'a', claims: ['x'] }, 'claims must be a JSON object'],
    ['claims setting exp', { sub: 'a', claims: { exp: 1 } }, 'claims may not set exp'],
    ['a fractional lifetime', { sub: 'a', expiresInSeconds: 1.5 }, 'expiresInSeconds must be'],
    ['a string nbf offset', { sub: 'a', notBeforeSeconds: '5' }, 'notBeforeSeconds must be'],
    ['an empty audience', { sub: 'a', audience: '' }, 'audience must be'],
    ['an empty issuer', { sub: 'a', issuer: '' }, 'issuer must be a non-empty string'],
    ['an empty kid', { sub: 'a', kid: '' }, 'kid must be a non-empty string'],
  ])('answers 400 for %s', async (_name, body, message) => {
    const emulator = await useEmulator()
    const res = await devToken(emulator, body)
    expect(res.status).toBe(400)
    const error = (await res.json()) as { error: string; error_description: string }
    expect(error.error).toBe('invalid_request')
    expect(error.error_description).toContain(message)
  })

  it('answers 400 for a body that is not JSON', async () => {
    const emulator = await useEmulator()
    const res = await devToken(emulator, '{"sub": "alice"')
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({
      error: 'invalid_request',
      error_description: 'the body must be a JSON object',
    })
  })

  it('answers CORS preflights for any origin without counting them', async () => {
    const emulator = await useEmulator()
    const res = await fetch(`${issuerOf(emulator)}/dev/token`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://127.0.0.1:8787',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-allow-methods')?.split(',')).toContain('POST')
    expect(res.headers.get('access-control-allow-headers')).toBe('content-type')
    expect((await counters(emulator))['oidc.token']).toBe(0)
  })

  it('allows any origin to read tokens, keys and discovery, and errors too', async () => {
    const emulator = await useEmulator()
    const origin = { headers: { origin: 'http://127.0.0.1:8787' } }
    const responses = [
      await devToken(emulator, { sub: 'alice' }, origin),
      await devToken(emulator, {}, origin),
      await fetch(`${issuerOf(emulator)}/jwks`, origin),
      await fetch(`${issuerOf(emulator)}/.well-known/openid-configuration`, origin),
    ]
    expect(responses.map((r) => r.status)).toEqual([200, 400, 200, 200])
    for (const res of responses) expect(res.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('counts its three routes in the control API, and reset zeroes them', async () => {
    const emulator = await useEmulator()
    expect(await counters(emulator)).toMatchObject({
      'oidc.discovery': 0,
      'oidc.jwks': 0,
      'oidc.token': 0,
    })
    await fetch(`${issuerOf(emulator)}/.well-known/openid-configuration`)
    await jwks(emulator)
    await jwks(emulator)
    await mint(emulator, { sub: 'a' })
    await devToken(emulator, {})
    await mint(emulator, { sub: 'b' })
    expect(await counters(emulator)).toMatchObject({
      'oidc.discovery': 1,
      'oidc.jwks': 2,
      'oidc.token': 3,
      'entra.jwks': 0,
    })
    await control(emulator, '/reset', 'POST')
    expect(await counters(emulator)).toMatchObject({ 'oidc.jwks': 0, 'oidc.token': 0 })
  })

  it('applies queued faults and latency to its routes', async () => {
    const emulator = await useEmulator()
    const fault = await fetch(`${emulator.url}/_emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ route: 'oidc.jwks', kind: 'status', status: 503 }),
    })
    expect(fault.status).toBe(200)
    // An hour: far beyond the test timeout, so a request it delays is still waiting below.
    const latency = await fetch(`${emulator.url}/_emulator/latency`, {
      method: 'POST',
      body: JSON.stringify({ route: 'oidc.token', ms: 3_600_000 }),
    })
    expect(latency.status).toBe(200)

    expect((await fetch(`${issuerOf(emulator)}/jwks`)).status).toBe(503)
    expect((await jwks(emulator)).length).toBe(2)
    const minting = settlement(devToken(emulator, { sub: 'a' }))
    await reached(emulator, 'oidc.token', 1)
    expect((await jwks(emulator)).length).toBe(2)
    expect(minting.outcome).toBe('pending')
  })
})
