// End to end over TLS: the negotiator's MQTT / Socket.IO / default URLs equal what @azure/web-pubsub's getClientAccessToken makes.
import type { IncomingMessage } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { RunningEmulator } from '../../emulator/index'
import { claimsOf } from '../emulator/helpers'
import { startE2eStack, type E2eStack } from '../support/e2e-stack'
import { emulatorVars } from '../support/emulator-vars'
import { startNegotiator, type RunningNegotiator } from '../support/negotiator-process'
import { sdkClientUrl } from '../support/sdk-runner'

const POLICY = {
  hubs: {
    chat: {
      roles: ['webpubsub.joinLeaveGroups.room.*', 'webpubsub.sendToGroups.room.*'],
      groups: [],
    },
  },
}

interface ClientAccess {
  baseUrl: string
  token: string
  url: string
}

/** What the emulator saw of one `:generateToken` call. */
interface GenerateTokenCall {
  clientType: string | null
  fromSdk: boolean
}

let stack: E2eStack | undefined
let emulator: RunningEmulator
let negotiator: RunningNegotiator
const calls: GenerateTokenCall[] = []

beforeAll(async () => {
  stack = await startE2eStack({
    emulator: { tls: true, tlsDir: '.emulator/tls-e2e' },
    vars: () => ({ POLICY }),
  })
  ;({ emulator, negotiator } = stack)
  // A second 'request' listener only watches: which clientType each :generateToken call asked for.
  emulator.server.on('request', (request: IncomingMessage) => {
    const url = new URL(request.url ?? '/', emulator.url)
    if (!url.pathname.endsWith('/:generateToken')) return
    calls.push({
      clientType: url.searchParams.get('clientType'),
      // The Azure SDK's pipeline identifies itself as azsdk-js-…; workerd's fetch does not.
      fromSdk: /azsdk-js/.test(request.headers['user-agent'] ?? ''),
    })
  })
})

afterAll(() => stack?.close())

async function negotiate(base: string, protocol: string): Promise<Response> {
  return fetch(`${base}/negotiate?hub=chat&protocol=${protocol}`)
}

/** The official SDKs, as the Owner app with its secret. */
async function sdkClientAccess(protocol: 'default' | 'mqtt' | 'socketio'): Promise<ClientAccess> {
  const result = await sdkClientUrl(emulator, emulator.demo.apps.ownerSecret, {
    // The SDK forwards clientProtocol verbatim as clientType, so an explicit 'default' would send
    // clientType=default; the usual call gives no protocol and sends none, as the negotiator does.
    protocol: protocol === 'default' ? undefined : protocol,
  })
  if (result.error !== undefined) throw new Error(`the SDK failed: ${result.error}`)
  return result
}

describe('e2e: client protocols against the official SDK on the TLS emulator', () => {
  const cases = [
    ['default', '/client/hubs/chat', null],
    ['mqtt', '/clients/mqtt/hubs/chat', 'mqtt'],
    ['socketio', '/clients/socketio/hubs/chat', 'socketio'],
  ] as const

  it.each(cases)('protocol=%s gives the SDK URL shape, path %s', async (protocol, path, type) => {
    const response = await negotiate(negotiator.url, protocol)
    expect(response.status, await response.clone().text()).toBe(200)
    const ours = (await response.json()) as ClientAccess
    const negotiatorCall = calls.at(-1)
    const sdk = await sdkClientAccess(protocol)
    const sdkCall = calls.at(-1)

    const origin = emulator.url.replace(/^https:/, 'wss:')
    expect(ours.baseUrl).toBe(`${origin}${path}`)
    expect(ours.baseUrl).toBe(sdk.baseUrl)
    expect(ours.url).toBe(`${ours.baseUrl}?access_token=${ours.token}`)
    expect(sdk.url).toBe(`${sdk.baseUrl}?access_token=${sdk.token}`)

    const ourClaims = claimsOf(ours.token)
    const sdkClaims = claimsOf(sdk.token)
    // The service bound each token to host + path; both name the same one.
    expect(ourClaims.aud).toBe(`${emulator.url}${path}`)
    expect(ourClaims.aud).toBe(sdkClaims.aud)
    expect(new URL(String(ourClaims.aud)).pathname).toBe(new URL(ours.baseUrl).pathname)
    // Same default lifetime (60 minutes) on both sides.
    expect(Number(ourClaims.exp) - Number(ourClaims.iat)).toBe(3600)
    expect(Number(sdkClaims.exp) - Number(sdkClaims.iat)).toBe(3600)

    // The clientType the emulator received, character for character.
    expect(negotiatorCall).toEqual({ clientType: type, fromSdk: false })
    expect(sdkCall).toEqual({ clientType: type, fromSdk: true })
  })

  it('connects over wss with a default-protocol URL', async () => {
    const response = await negotiate(negotiator.url, 'default')
    const { url } = (await response.json()) as ClientAccess
    const ws = new WebSocket(url, 'json.webpubsub.azure.v1', { ca: emulator.caCertPem })
    const first = await new Promise<Record<string, unknown>>((resolve, reject) => {
      ws.once('message', (data) => resolve(JSON.parse(data.toString()) as Record<string, unknown>))
      ws.once('error', reject)
    })
    ws.close()
    expect(first).toMatchObject({ type: 'system', event: 'connected' })
  })

  it('fails closed when workerd does not trust the endpoint certificate', async () => {
    const untrusting = await startNegotiator({ vars: emulatorVars(emulator, { POLICY }) })
    try {
      const response = await negotiate(untrusting.url, 'default')
      // The first upstream is Entra; a TLS failure is a network error there, never a token.
      expect(response.status).toBe(503)
      expect(await response.json()).toMatchObject({ code: 'entra_unavailable' })
    } finally {
      await untrusting.dispose()
    }
  })
})
