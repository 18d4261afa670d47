// The emulator's Web PubSub client endpoint: WebSocket upgrades, groups, reliable resume.
// Protocol: https://learn.microsoft.com/azure/azure-web-pubsub/concept-client-protocols and
// https://learn.microsoft.com/azure/azure-web-pubsub/reference-json-reliable-webpubsub-subprotocol
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import { ClientTokenError, type ClientTokenClaims, type ClientTokenSigner } from '../client-token'
import { createConnections, type Counts } from './connections'
import { SUBPROTOCOL_NAMES, type DataType } from './protocol'
import { createRegistry } from './registry'
import { readUpgradeTarget, refuseUpgrade, type UpgradeTarget } from './upgrade-request'

export interface ClientServiceOptions {
  signer: ClientTokenSigner
  /** Injectable clock (default Date.now); drives token time checks and the resume window. */
  nowMs?: () => number
  /** How long a dropped reliable connection may be resumed; default 30 s, as on Azure. */
  reconnectWindowMs?: number
  /** Structured log lines; never receives tokens. */
  log?: (line: Record<string, unknown>) => void
}

export interface ClientCounters {
  /** New connections accepted (a resume is not a new connection). */
  connectionsOpened: number
  /** Upgrades answered 400/401, and resumes refused with close code 1008. */
  connectionsRejected: number
  /** Connections with an open socket now (a dropped reliable one waiting for resume is not). */
  connectionsActive: number
  /** Data messages from clients: `sendToGroup` and `event` frames, and simple clients' frames. */
  messagesReceived: number
  /** Data messages to clients, one per recipient (resends after a resume are not counted). */
  messagesSent: number
}

export interface ClientService {
  /** Handles an upgrade for /client/hubs/{hub} or /client?hub=; false (untouched) otherwise. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean
  /** Server → group message, as POST /api/hubs/{hub}/groups/{group}/:send does. */
  sendToGroup(hub: string, group: string, data: unknown, dataType: DataType): number
  /** Closes every connection of one user in a hub, `disconnected` first; returns how many. */
  closeUserConnections(hub: string, userId: string, reason?: string): number
  counters(): ClientCounters
  /** Zeroes the counters; live connections stay. */
  reset(): void
  /** Closes every socket, each with a `disconnected` system message first. */
  close(): Promise<void>
}

/** Azure's maximum message size is 1 MB (unverified whether it is 1,000,000 or 1 MiB). */
const MAX_PAYLOAD_BYTES = 1024 * 1024

export function createClientService(options: ClientServiceOptions): ClientService {
  const nowMs = options.nowMs ?? Date.now
  const log = options.log ?? (() => {})
  const registry = createRegistry()
  const counts: Counts = { opened: 0, rejected: 0, received: 0, sent: 0 }
  const reconnectWindowMs = options.reconnectWindowMs ?? 30_000
  const connections = createConnections({ registry, counts, nowMs, reconnectWindowMs, log })
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_PAYLOAD_BYTES,
    // The first protocol the client offers that we speak. None → a "simple" WebSocket client,
    // which Azure accepts too: it receives raw data and can only send events upstream.
    handleProtocols: (offered) => [...offered].find((name) => name in SUBPROTOCOL_NAMES) ?? false,
  })

  async function accept(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    target: Extract<UpgradeTarget, { kind: 'client' }>,
  ): Promise<void> {
    const { hub, resume } = target
    if (resume) {
      // A resume is authorised by the reconnection token alone: the access token in the URL may
      // have expired meanwhile and is not checked (Web PubSub client spec §1.4, §2.2:
      // https://github.com/Azure/azure-webpubsub/blob/main/protocols/client/client-spec.md).
      wss.handleUpgrade(req, socket, head, (ws) => connections.resume(ws, hub, resume))
      return
    }
    if (target.accessToken === undefined) {
      return refuse(socket, 'missing_token', 'No access token was provided.')
    }
    let claims: ClientTokenClaims
    try {
      // Expected audience: the Host header and the canonical path, scheme ignored, as on Azure.
      claims = await options.signer.verify(target.accessToken, {
        host: req.headers.host ?? '',
        path: `/client/hubs/${hub}`,
        nowSeconds: Math.floor(nowMs() / 1000),
      })
    } catch (error) {
      if (!(error instanceof ClientTokenError)) throw error
      return refuse(socket, error.reason, error.message)
    }
    if (socket.destroyed) return
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => connections.open(ws, hub, claims))
  }

  function refuse(socket: Duplex, reason: string, message: string, status: 400 | 401 = 401) {
    counts.rejected++
    log({ event: 'client_rejected', status, reason })
    refuseUpgrade(socket, status, message)
  }

  return {
    handleUpgrade(req, socket, head) {
      const target = readUpgradeTarget(req)
      if (target === undefined) return false
      if (target.kind === 'invalid') {
        refuse(socket, 'invalid_hub', target.reason, 400)
        return true
      }
      // A client that resets mid-verification must not crash the process.
      socket.on('error', () => {})
      accept(req, socket, head, target).catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error)
        log({ event: 'client_upgrade_failed', message })
        if (!socket.destroyed) refuseUpgrade(socket, 500, 'Internal error.')
      })
      return true
    },
    sendToGroup(hub, group, data, dataType) {
      connections.sweepExpired()
      const payload =
        dataType === 'binary' && data instanceof Uint8Array
          ? Buffer.from(data).toString('base64')
          : data
      return connections.deliverToGroup(hub.toLowerCase(), group, {
        from: 'server',
        dataType,
        data: payload,
      })
    },
    closeUserConnections(hub, userId, reason) {
      const sessions = registry.ofUser(hub.toLowerCase(), userId)
      for (const session of sessions) {
        connections.terminate(session, reason ?? 'Closed by the server.', 1000)
      }
      return sessions.length
    },
    counters: () => ({
      connectionsOpened: counts.opened,
      connectionsRejected: counts.rejected,
      connectionsActive: registry.all().filter((s) => s.socket !== undefined).length,
      messagesReceived: counts.received,
      messagesSent: counts.sent,
    }),
    reset() {
      Object.assign(counts, { opened: 0, rejected: 0, received: 0, sent: 0 })
    },
    async close() {
      connections.dispose()
      const closed = [...wss.clients].map(waitForClose)
      for (const session of registry.all()) {
        connections.terminate(session, 'The service is shutting down.', 1001)
      }
      await Promise.all(closed)
      await new Promise<void>((resolve) => wss.close(() => resolve()))
    },
  }
}

/** Resolves when the socket has closed; forces it after 2 s if the peer never answers. */
function waitForClose(socket: WebSocket): Promise<void> {
  if (socket.readyState === socket.CLOSED) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => socket.terminate(), 2000)
    socket.once('close', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}
