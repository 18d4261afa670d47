// The official @azure/web-pubsub + @azure/identity clients accept the TLS emulator as Azure.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { RunningEmulator } from '../../emulator/index'
import { sdkClientUrl } from '../support/sdk-runner'
import { claimsOf, useEmulator } from './helpers'

async function tlsEmulator(): Promise<RunningEmulator> {
  return useEmulator({ tls: true, tlsDir: await mkdtemp(join(tmpdir(), 'emulator-sdk-')) })
}

describe('official SDK cross-check', () => {
  const cases = [
    ['default', 'client/hubs/chat'],
    ['mqtt', 'clients/mqtt/hubs/chat'],
    ['socketio', 'clients/socketio/hubs/chat'],
  ] as const
  for (const [protocol, path] of cases) {
    it(`gets a ${protocol} client URL with ClientSecretCredential`, async () => {
      const emulator = await tlsEmulator()
      const result = await sdkClientUrl(emulator, emulator.demo.apps.ownerSecret, {
        userId: 'alice',
        roles: ['webpubsub.joinLeaveGroup.room1', 'webpubsub.sendToGroup.room1'],
        groups: ['room1', 'room2'],
        protocol,
        minutesToExpire: 15,
      })
      expect(result.error).toBeUndefined()
      expect(result.baseUrl).toBe(`wss://127.0.0.1:${emulator.port}/${path}`)
      expect(result.url).toBe(`${result.baseUrl}?access_token=${result.token}`)
      const claims = claimsOf(result.token!)
      expect(claims).toMatchObject({
        aud: `https://127.0.0.1:${emulator.port}/${path}`,
        sub: 'alice',
        role: ['webpubsub.joinLeaveGroup.room1', 'webpubsub.sendToGroup.room1'],
        'webpubsub.group': ['room1', 'room2'],
      })
      expect((claims.exp as number) - (claims.iat as number)).toBe(15 * 60)
      expect(emulator.state.counters).toMatchObject({
        'entra.openid': 1,
        'entra.token': 1,
        'webpubsub.generateToken': 1,
      })
    })
  }

  it('gets a client URL with ClientCertificateCredential (PS256 assertion)', async () => {
    const emulator = await tlsEmulator()
    const result = await sdkClientUrl(emulator, emulator.demo.apps.ownerCertificate, {
      userId: 'bob',
    })
    expect(result.error).toBeUndefined()
    expect(result.baseUrl).toBe(`wss://127.0.0.1:${emulator.port}/client/hubs/chat`)
    expect(claimsOf(result.token!)).toMatchObject({ sub: 'bob' })
    expect(emulator.state.jtiSeen.size).toBe(1)
  })

  it('fails for a Reader app with the 403 message', async () => {
    const emulator = await tlsEmulator()
    const result = await sdkClientUrl(emulator, emulator.demo.apps.reader, { userId: 'eve' })
    expect(result.token).toBeUndefined()
    expect(result.error).toContain('generateToken/action permission is required')
  })

  it('fails for an expired secret with AADSTS7000222', async () => {
    const emulator = await tlsEmulator()
    const result = await sdkClientUrl(emulator, emulator.demo.apps.expiredSecret, {})
    expect(result.error).toContain('AADSTS7000222')
  })
})
