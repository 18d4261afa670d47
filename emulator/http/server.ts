// The Node servers behind each origin: listen (http or https), WebSocket upgrades, prompt close.
import { createServer as createHttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import type { Hono } from 'hono'
import type { ClientService } from '../client/index'
import { refuseUpgrade } from '../client/upgrade-request'
import type { SelfSigned } from '../lib/self-signed'
import type { ResourceState } from '../state'
import type { RunningEmulator } from '../types'
import type { AppEnv } from './context'

export type EmulatorServer = RunningEmulator['server']

export interface Listening {
  server: EmulatorServer
  port: number
  url: string
}

/** Listens on `host:port` (0 = random), https with `certificate` when given. */
export async function listen(
  certificate: SelfSigned | undefined,
  port: number,
  host: string,
): Promise<Listening> {
  const server = certificate
    ? createHttpsServer({ cert: certificate.certificatePem, key: certificate.privateKeyPem })
    : createHttpServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  const actual = (server.address() as AddressInfo).port
  const url = `${certificate ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${actual}`
  return { server, port: actual, url }
}

/**
 * Serves `app`, and WebSocket clients on the same origin as the REST API, as on Azure. While the
 * resource is down, upgrades are refused before any token check; open connections stay.
 */
export function serve(
  server: EmulatorServer,
  app: Hono<AppEnv>,
  state: ResourceState,
  clientService: ClientService,
): void {
  server.on('request', getRequestListener(app.fetch))
  server.on('upgrade', (request, socket, head) => {
    if (state.down) {
      socket.on('error', () => {})
      return refuseUpgrade(socket, 503, 'The Web PubSub resource is unavailable (emulated outage).')
    }
    if (!clientService.handleUpgrade(request, socket, head)) socket.destroy()
  })
}

/** Releases hanging/delayed requests first, then drops every socket so close() returns promptly. */
export function closeServer(server: EmulatorServer, closing: AbortController): Promise<void> {
  closing.abort()
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}
