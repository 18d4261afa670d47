import { describe, expect, it } from 'vitest'
import { SignJWT } from 'jose'
import { checkClientToken } from '../../src/webpubsub/token-check'

const key = new TextEncoder().encode('k'.repeat(32))
const token = (claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(key)
const endpoint = 'https://contoso.webpubsub.azure.com'

describe('webpubsub/token-check', () => {
  it('returns exp for a token whose aud names the endpoint and hub', async () => {
    const jwt = await token({
      aud: 'https://contoso.webpubsub.azure.com/client/hubs/chat',
      exp: 2_000_000_000,
    })
    expect(checkClientToken(jwt, endpoint, 'chat')).toEqual({ expiresAtMs: 2_000_000_000_000 })
  })

  it('ignores the scheme and case, and accepts MQTT and Socket.IO paths', async () => {
    const jwt = await token({
      aud: 'http://CONTOSO.webpubsub.azure.com/clients/mqtt/hubs/Chat',
      exp: 1,
    })
    expect(checkClientToken(jwt, endpoint, 'chat').expiresAtMs).toBe(1000)
  })

  it.each([
    ['another hub', { aud: 'https://contoso.webpubsub.azure.com/client/hubs/other', exp: 1 }],
    ['another host', { aud: 'https://evil.example.com/client/hubs/chat', exp: 1 }],
    ['no aud', { exp: 1 }],
    ['no exp', { aud: 'https://contoso.webpubsub.azure.com/client/hubs/chat' }],
  ])('refuses a token with %s', async (_label, claims) => {
    const jwt = await token(claims)
    expect(() => checkClientToken(jwt, endpoint, 'chat')).toThrowError(
      expect.objectContaining({ code: 'webpubsub_unexpected_response' }),
    )
  })

  it('refuses something that is not a JWT', () => {
    expect(() => checkClientToken('not-a-jwt', endpoint, 'chat')).toThrowError(/not a JWT/)
  })
})
