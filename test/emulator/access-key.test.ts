// The emulator with an access key: connects accept HS256 tokens signed with it, checked as the service checks them.
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startEmulator, type RunningEmulator } from '../../emulator/index'
import { expectRefused, RELIABLE_PROTOCOL } from './client-harness'
import { useEmulator } from './helpers'

const ACCESS_KEY = 'EmulatorAccessKey0123456789abcdefABCDEFghij='

let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await startEmulator({ quiet: true, accessKey: ACCESS_KEY })
})
afterAll(() => emulator.close())

async function keyToken(options: { key?: string; aud?: string; expSeconds?: number } = {}) {
  const nowSeconds = Math.floor(Date.now() / 1000)
  return new SignJWT({ role: [], 'webpubsub.group': [] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('key-user')
    .setAudience(options.aud ?? `${emulator.url}/client/hubs/chat`)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(options.expSeconds ?? nowSeconds + 600)
    .sign(new TextEncoder().encode(options.key ?? ACCESS_KEY))
}

const wsUrl = (token: string) =>
  `${emulator.url.replace(/^http/, 'ws')}/client/hubs/chat?access_token=${token}`

function connectedUserId(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, RELIABLE_PROTOCOL)
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { event?: string; userId?: string }
      if (message.event === 'connected') {
        ws.close()
        resolve(message.userId ?? '')
      }
    })
    ws.on('unexpected-response', (_req, res) => reject(new Error(`refused ${res.statusCode}`)))
    ws.on('error', reject)
  })
}

describe('emulator: access key (local auth)', () => {
  it('offers a connection string in the demo credentials', () => {
    expect(emulator.demo.connectionString).toBe(
      `Endpoint=${emulator.url};AccessKey=${ACCESS_KEY};Version=1.0;`,
    )
  })

  it('accepts a token signed with the access key', async () => {
    expect(await connectedUserId(wsUrl(await keyToken()))).toBe('key-user')
  })

  it.each([
    ['another key', { key: 'AnotherKey0123456789abcdefABCDEFghijklmn=' }, /signature/],
    ['another hub in aud', { aud: 'http://127.0.0.1/client/hubs/other' }, /audience/],
    ['an expired token', { expSeconds: Math.floor(Date.now() / 1000) - 60 }, /expired/],
  ])('refuses %s with 401', async (_, options, message) => {
    const refused = await expectRefused(wsUrl(await keyToken(options)))
    expect(refused.status).toBe(401)
    expect(refused.body).toMatch(message)
  })
})

describe('emulator: without an access key', () => {
  it('refuses tokens signed with any key but its own, and offers no connection string', async () => {
    const plain = await useEmulator()
    try {
      expect(plain.demo.connectionString).toBeUndefined()
      const token = await keyToken({ aud: `${plain.url}/client/hubs/chat` })
      const url = `${plain.url.replace(/^http/, 'ws')}/client/hubs/chat?access_token=${token}`
      expect((await expectRefused(url)).status).toBe(401)
    } finally {
      await plain.close()
    }
  })
})
