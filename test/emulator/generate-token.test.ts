// Web PubSub `:generateToken`: bearer checks (401/403), api-version and parameter validation, token claims.
import { SignJWT, generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
import { issueAccessToken } from '../../emulator/entra/access-token'
import type { RunningEmulator } from '../../emulator/index'
import { bearer, claimsOf, generateTokenUrl, secretToken, useEmulator } from './helpers'

const V = 'api-version=2024-12-01'

async function generate(emulator: RunningEmulator, hub: string, query: string, token?: string) {
  return fetch(
    generateTokenUrl(emulator, hub, query),
    bearer(token ?? (await secretToken(emulator))),
  )
}

describe('webpubsub :generateToken', () => {
  it('signs a client token whose claims follow the query', async () => {
    const emulator = await useEmulator()
    const now = Math.floor(Date.now() / 1000)
    const query = `${V}&userId=alice&role=webpubsub.joinLeaveGroup.a&role=webpubsub.sendToGroup.a&group=a&group=b&minutesToExpire=5`
    const res = await generate(emulator, 'chat', query)
    expect(res.status).toBe(200)
    expect(res.headers.get('x-ms-request-id')).toBeTruthy()
    const body = (await res.json()) as { token: string }
    expect(Object.keys(body)).toEqual(['token'])
    const [header] = body.token.split('.')
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toMatchObject({
      alg: 'HS256',
      kid: emulator.state.clientTokenSigner.keyId,
    })
    const claims = claimsOf(body.token)
    expect(claims).toMatchObject({
      iss: 'https://webpubsub.azure.com',
      aud: `https://127.0.0.1:${emulator.port}/client/hubs/chat`,
      sub: 'alice',
      role: ['webpubsub.joinLeaveGroup.a', 'webpubsub.sendToGroup.a'],
      'webpubsub.group': ['a', 'b'],
    })
    expect(claims.iat).toBeGreaterThanOrEqual(now)
    expect(claims.exp).toBe((claims.iat as number) + 5 * 60)
    const verified = await emulator.state.clientTokenSigner.verify(body.token, {
      host: `127.0.0.1:${emulator.port}`,
      path: '/client/hubs/chat',
      nowSeconds: claims.iat as number,
    })
    expect(verified.userId).toBe('alice')
  })

  it('defaults to 60 minutes and no sub/role/group claims', async () => {
    const emulator = await useEmulator()
    const claims = claimsOf(
      ((await (await generate(emulator, 'chat', V)).json()) as { token: string }).token,
    )
    expect(claims.exp).toBe((claims.iat as number) + 3600)
    expect(claims).not.toHaveProperty('sub')
    expect(claims).not.toHaveProperty('role')
    expect(claims).not.toHaveProperty('webpubsub.group')
  })

  it('maps clientType case-insensitively to the MQTT and Socket.IO paths', async () => {
    const emulator = await useEmulator()
    const token = await secretToken(emulator)
    for (const [type, path] of [
      ['mqtt', '/clients/mqtt/hubs/h1'],
      ['MQTT', '/clients/mqtt/hubs/h1'],
      ['socketio', '/clients/socketio/hubs/h1'],
      ['Default', '/client/hubs/h1'],
    ] as const) {
      const res = await generate(emulator, 'h1', `${V}&clientType=${type}`, token)
      const { aud } = claimsOf(((await res.json()) as { token: string }).token)
      expect(aud).toBe(`https://127.0.0.1:${emulator.port}${path}`)
    }
  })

  it('uses the Host header the caller sent as the audience host', async () => {
    const emulator = await useEmulator()
    const res = await fetch(
      `http://localhost:${emulator.port}/api/hubs/chat/:generateToken?${V}`,
      bearer(await secretToken(emulator)),
    )
    expect(claimsOf(((await res.json()) as { token: string }).token).aud).toBe(
      `https://localhost:${emulator.port}/client/hubs/chat`,
    )
  })

  describe('401 for a bad bearer token', () => {
    const cases: [string, (e: RunningEmulator) => Promise<RequestInit>, RegExp][] = [
      ['no Authorization header', async () => ({ method: 'POST' }), /no bearer token/],
      ['a token signed by another key', async () => bearer(await foreignToken()), /signature/],
      ['an expired token', async (e) => bearer(await expiredToken(e)), /expired/],
      [
        'a token for another audience',
        async (e) => bearer(await tokenWithAudience(e, 'https://management.azure.com')),
        /audience/,
      ],
      ['garbage', async () => bearer('abc.def'), /malformed/],
    ]
    for (const [name, init, message] of cases) {
      it(`with ${name}`, async () => {
        const emulator = await useEmulator()
        const res = await fetch(generateTokenUrl(emulator, 'chat', V), await init(emulator))
        expect(res.status).toBe(401)
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
        expect(res.headers.get('x-ms-error-code')).toBe('Error.Unauthorized')
        expect(res.headers.get('x-ms-request-id')).toBeTruthy()
        const body = (await res.json()) as { code: string; message: string }
        expect(body.code).toBe('Error.Unauthorized')
        expect(body.message).toMatch(message)
      })
    }
  })

  it('accepts the audience with a trailing slash', async () => {
    const emulator = await useEmulator()
    const res = await fetch(
      generateTokenUrl(emulator, 'chat', V),
      bearer(await tokenWithAudience(emulator, 'https://webpubsub.azure.com/')),
    )
    expect(res.status).toBe(200)
  })

  it('answers 403 Error.Forbidden to Reader and no-role apps, as Azure words it', async () => {
    const emulator = await useEmulator()
    for (const app of [emulator.demo.apps.reader, emulator.demo.apps.noRole]) {
      const res = await generate(emulator, 'chat', V, await secretToken(emulator, app))
      expect(res.status).toBe(403)
      expect(res.headers.get('x-ms-error-code')).toBe('Error.Forbidden')
      expect(await res.text()).toBe(
        '{"code":"Error.Forbidden","message":"Microsoft.SignalRService/WebPubSub/clientConnection/generateToken/action permission is required to access this API. Please check your role assignments."}',
      )
    }
  })

  it('follows role assignment changes at once', async () => {
    const emulator = await useEmulator()
    const token = await secretToken(emulator)
    const assign = (role: string) =>
      fetch(`${emulator.url}/_emulator/role-assignments`, {
        method: 'PUT',
        body: JSON.stringify({ clientId: emulator.demo.apps.ownerSecret.clientId, role }),
      })
    expect((await assign('reader')).status).toBe(200)
    expect((await generate(emulator, 'chat', V, token)).status).toBe(403)
    await assign('owner')
    expect((await generate(emulator, 'chat', V, token)).status).toBe(200)
  })

  describe('400 for invalid input', () => {
    const cases: [string, string, string, string][] = [
      ['a missing api-version', 'chat', 'userId=a', 'api-version'],
      ['an unknown api-version', 'chat', 'api-version=2020-01-01', 'api-version'],
      ['a hub starting with a digit', '1chat', V, 'hub'],
      ['a hub with a dash', 'my-hub', V, 'hub'],
      ['a hub with a broken escape', 'chat%E0', V, 'hub'],
      ['a hub of 129 characters', 'h'.repeat(129), V, 'hub'],
      ['minutesToExpire 0', 'chat', `${V}&minutesToExpire=0`, 'minutesToExpire'],
      ['minutesToExpire not an integer', 'chat', `${V}&minutesToExpire=1.5`, 'minutesToExpire'],
      ['an unknown clientType', 'chat', `${V}&clientType=signalr`, 'clientType'],
      ['group before 2022-11-01', 'chat', 'api-version=2021-10-01&group=a', 'group'],
      [
        'clientType before 2024-01-01',
        'chat',
        'api-version=2023-07-01&clientType=MQTT',
        'clientType',
      ],
    ]
    for (const [name, hub, query, target] of cases) {
      it(`for ${name}`, async () => {
        const emulator = await useEmulator()
        const res = await generate(emulator, hub, query)
        expect(res.status).toBe(400)
        const body = (await res.json()) as { code: string; message: string; target: string }
        expect(body.target).toBe(target)
        expect(res.headers.get('x-ms-error-code')).toBe(body.code)
        expect(body.message.length).toBeGreaterThan(10)
      })
    }
  })

  it('accepts every known api-version and the hub characters Azure allows', async () => {
    const emulator = await useEmulator()
    const token = await secretToken(emulator)
    for (const version of ['2021-10-01', '2022-11-01', '2023-07-01', '2024-01-01', '2024-12-01']) {
      expect(
        (await generate(emulator, 'chat', `api-version=${version}&userId=u`, token)).status,
      ).toBe(200)
    }
    const hub = 'A_b`c,d.e[f]9'
    const res = await generate(emulator, encodeURIComponent(hub), V, token)
    expect(res.status).toBe(200)
    expect(claimsOf(((await res.json()) as { token: string }).token).aud).toBe(
      `https://127.0.0.1:${emulator.port}/client/hubs/${hub}`,
    )
  })

  it('answers 404 with a Web PubSub error for other data-plane paths', async () => {
    const emulator = await useEmulator()
    const res = await fetch(`${emulator.url}/api/hubs/chat/:unknownAction?${V}`, { method: 'POST' })
    expect(res.status).toBe(404)
    expect(res.headers.get('x-ms-error-code')).toBe('Error.NotFound')
  })

  it('answers GET /api/health with 200 and no authentication', async () => {
    const emulator = await useEmulator()
    const res = await fetch(`${emulator.url}/api/health`)
    expect(res.status).toBe(200)
    expect(res.headers.get('x-ms-request-id')).toBeTruthy()
  })
})

async function foreignToken(): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256')
  return new SignJWT({ appid: 'x' })
    .setProtectedHeader({ alg: 'RS256' })
    .setAudience('https://webpubsub.azure.com')
    .setExpirationTime('1h')
    .sign(privateKey)
}

function expiredToken(emulator: RunningEmulator): Promise<string> {
  const app = emulator.state.apps.get(emulator.demo.apps.ownerSecret.clientId)!
  const nowSeconds = Math.floor(Date.now() / 1000) - 7200
  return issueAccessToken(emulator.state, app, {
    nowSeconds,
    lifetimeSeconds: 3600,
    credential: 'secret',
  })
}

function tokenWithAudience(emulator: RunningEmulator, aud: string): Promise<string> {
  const app = emulator.state.apps.get(emulator.demo.apps.ownerSecret.clientId)!
  return new SignJWT({ appid: app.clientId, oid: app.objectId })
    .setProtectedHeader({ alg: 'RS256', kid: emulator.state.entraKey.kid })
    .setAudience(aud)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(emulator.state.entraKey.privateKey)
}
