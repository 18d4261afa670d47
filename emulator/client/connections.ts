// Connection lifecycle: open, deliver, drop, resume within the window, service-initiated close.
import type { WebSocket } from 'ws'
import type { ClientTokenClaims } from '../client-token'
import { handleFrame, type HandlerContext } from './message-handler'
import { permissionsFromRoles } from './permissions'
import { connectedFrame, disconnectedFrame, SUBPROTOCOL_NAMES, type DataMessage } from './protocol'
import type { Registry } from './registry'
import { createSession, type Session } from './session'

export interface Counts {
  opened: number
  rejected: number
  received: number
  sent: number
}

export interface Connections {
  open(socket: WebSocket, hub: string, claims: ClientTokenClaims): void
  resume(socket: WebSocket, hub: string, request: ResumeRequest): void
  deliverToGroup(hub: string, group: string, message: DataMessage, except?: Session): number
  /** A close the service initiates: `disconnected`, close, and the session is forgotten. */
  terminate(session: Session, message: string, code: number): void
  sweepExpired(): void
  dispose(): void
}

export interface ResumeRequest {
  connectionId: string
  reconnectionToken: string
}

export function createConnections(deps: {
  registry: Registry
  counts: Counts
  nowMs: () => number
  reconnectWindowMs: number
  log: (line: Record<string, unknown>) => void
}): Connections {
  const { registry, counts, nowMs, reconnectWindowMs, log } = deps
  const sweepTimers = new Set<NodeJS.Timeout>()
  const context: HandlerContext = {
    registry,
    log,
    countReceived: () => void counts.received++,
    deliverToGroup: (...args) => connections.deliverToGroup(...args),
    terminate: (...args) => connections.terminate(...args),
  }

  function attach(session: Session, socket: WebSocket): void {
    const previous = session.socket
    session.socket = socket
    session.droppedAtMs = undefined
    // A resume can arrive before the service noticed the old socket died: the new one wins.
    previous?.terminate()
    socket.on('message', (data) => handleFrame(context, session, data))
    socket.on('error', (error) => log({ event: 'client_socket_error', message: error.message }))
    socket.on('close', () => {
      if (session.socket !== socket) return
      session.socket = undefined
      if (session.subprotocol !== 'reliable') {
        registry.remove(session)
        return
      }
      // Reliable: keep groups, sequence counter and unacked messages for the window.
      session.droppedAtMs = nowMs()
      const timer = setTimeout(() => {
        sweepTimers.delete(timer)
        connections.sweepExpired()
      }, reconnectWindowMs + 1)
      timer.unref()
      sweepTimers.add(timer)
    })
  }

  function sendConnected(session: Session): void {
    const { connectionId, userId, reconnectionToken } = session
    session.sendFrame(connectedFrame(connectionId, userId, reconnectionToken))
  }

  const connections: Connections = {
    open(socket, hub, claims) {
      const session = createSession({
        // Hub names are case-insensitive in Azure: state is keyed by the lower-case name.
        hub: hub.toLowerCase(),
        userId: claims.userId,
        subprotocol: SUBPROTOCOL_NAMES[socket.protocol] ?? 'simple',
        permissions: permissionsFromRoles(claims.roles),
      })
      registry.add(session)
      // Token groups are joined by the service itself, whatever the roles say.
      for (const group of claims.groups) registry.join(session, group)
      counts.opened++
      attach(session, socket)
      if (session.subprotocol !== 'simple') sendConnected(session)
      const { connectionId, userId, subprotocol } = session
      log({ event: 'client_connected', hub: session.hub, connectionId, userId, subprotocol })
    },

    resume(socket, hub, request) {
      connections.sweepExpired()
      const session = registry.get(request.connectionId)
      const resumable =
        session !== undefined &&
        session.hub === hub.toLowerCase() &&
        SUBPROTOCOL_NAMES[socket.protocol] === 'reliable' &&
        session.reconnectionTokenMatches(request.reconnectionToken)
      if (!resumable) {
        // 1008: the session is gone, the client must start a new connection (client spec §1.4).
        counts.rejected++
        closeWithNotice(socket, socket.protocol !== '', 'The connection cannot be recovered.', 1008)
        log({ event: 'client_resume_refused', connectionId: request.connectionId })
        return
      }
      attach(session, socket)
      // The Web PubSub client spec allows a `connected` after recovery; the official client only
      // refreshes its reconnection token from it. Same id and token (unverified: Azure may rotate).
      sendConnected(session)
      session.resendUnacked()
      log({ event: 'client_resumed', connectionId: session.connectionId })
    },

    deliverToGroup(hub, group, message, except) {
      let recipients = 0
      for (const member of registry.members(hub, group)) {
        if (member === except) continue
        recipients++
        counts.sent++
        if (!member.deliver(message)) {
          connections.terminate(member, 'Too many unacknowledged messages.', 1008)
        }
      }
      return recipients
    },

    terminate(session, message, code) {
      registry.remove(session)
      const socket = session.socket
      session.socket = undefined
      if (socket) closeWithNotice(socket, session.subprotocol !== 'simple', message, code)
      log({ event: 'client_closed', connectionId: session.connectionId, code })
    },

    sweepExpired() {
      for (const session of registry.all()) {
        const { droppedAtMs } = session
        if (droppedAtMs !== undefined && nowMs() - droppedAtMs > reconnectWindowMs) {
          registry.remove(session)
        }
      }
    },

    dispose() {
      for (const timer of sweepTimers) clearTimeout(timer)
      sweepTimers.clear()
    },
  }
  return connections
}

/** `disconnected` first (not to simple clients: they only get raw data), then the close frame. */
function closeWithNotice(socket: WebSocket, notify: boolean, message: string, code: number) {
  if (notify && socket.readyState === socket.OPEN) socket.send(disconnectedFrame(message))
  // A fixed ASCII reason: the message may be long or non-ASCII, and reasons max out at 123 bytes.
  socket.close(code, 'Closed by the service')
}
