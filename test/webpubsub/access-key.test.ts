import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { createAccessKeySigner } from '../../src/webpubsub/access-key'

const KEY = 'ABCdef0123456789ABCdef0123456789ABCdef01234='
const NOW_MS = 1_780_000_000_500

describe('webpubsub/access-key', () => {
  it('signs HS256 over the UTF-8 bytes of the key, with the SDK header and claims', async () => {
    const signer = createAccessKeySigner(KEY)
    const issued = await signer.sign(
      {
        endpoint: 'https://contoso.example:8443',
        hub: 'chat',
        protocol: 'default',
        userId: 'alice',
        roles: ['webpubsub.joinLeaveGroup'],
        groups: ['room'],
        minutesToExpire: 30,
      },
      NOW_MS,
    )
    const { payload } = await jwtVerify(issued.token, new TextEncoder().encode(KEY), {
      algorithms: ['HS256'],
      currentDate: new Date(NOW_MS),
    })
    expect(decodeProtectedHeader(issued.token)).toEqual({ alg: 'HS256', typ: 'JWT' })
    expect(payload).toEqual({
      aud: 'https://contoso.example:8443/client/hubs/chat',
      sub: 'alice',
      role: ['webpubsub.joinLeaveGroup'],
      'webpubsub.group': ['room'],
      iat: 1_780_000_000,
      exp: 1_780_000_000 + 30 * 60,
    })
    expect(issued.issuedAtMs).toBe(1_780_000_000_000)
    expect(issued.expiresAtMs).toBe((1_780_000_000 + 1800) * 1000)
  })

  it.each([
    ['mqtt', 'https://contoso.example/clients/mqtt/hubs/chat'],
    ['socketio', 'https://contoso.example/clients/socketio/hubs/chat'],
  ] as const)(
    'names the %s client path in aud, and no sub without a user',
    async (protocol, aud) => {
      const issued = await createAccessKeySigner(KEY).sign(
        {
          endpoint: 'https://contoso.example',
          hub: 'chat',
          protocol,
          roles: [],
          groups: [],
          minutesToExpire: 60,
        },
        NOW_MS,
      )
      const claims = decodeJwt(issued.token)
      expect(claims.aud).toBe(aud)
      expect(claims).not.toHaveProperty('sub')
      // As the SDK: the lists it is given, empty ones included.
      expect(claims.role).toEqual([])
      expect(claims['webpubsub.group']).toEqual([])
    },
  )

  it('signs a REST bearer for one URL, query included, living five minutes (data-plane REST)', async () => {
    const url =
      'https://contoso.example/api/hubs/chat/users/alice/:closeConnections?api-version=2024-12-01'
    const token = await createAccessKeySigner(KEY).signRestToken(url, NOW_MS)
    const { payload } = await jwtVerify(token, new TextEncoder().encode(KEY), {
      algorithms: ['HS256'],
      audience: url,
      currentDate: new Date(NOW_MS),
    })
    const iat = Math.floor(NOW_MS / 1000)
    expect(payload).toEqual({ aud: url, iat, exp: iat + 300 })
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' })
    const other = await createAccessKeySigner(`${KEY}x`).signRestToken(url, NOW_MS)
    await expect(jwtVerify(other, new TextEncoder().encode(KEY))).rejects.toThrow()
  })
})
