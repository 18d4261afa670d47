// One client connection's state, which on the reliable subprotocol outlives its socket for 30 s.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import WebSocket from 'ws'
import type { Permissions } from './permissions'
import { messageFrame, rawPayload, type DataMessage, type Subprotocol } from './protocol'

/**
 * Azure queues at most 1000 unacknowledged messages (or 16 MB) per reliable connection and then
 * drops the connection for good (Web PubSub client spec §3.2). Only the count is enforced here.
 */
export const MAX_UNACKED_MESSAGES = 1000

export interface Session {
  readonly connectionId: string
  /** Lower case: hub names are case-insensitive in Azure. */
  readonly hub: string
  readonly userId: string | undefined
  readonly subprotocol: Subprotocol
  readonly permissions: Permissions
  /** Only on reliable connections; random, 256 bits. */
  readonly reconnectionToken: string | undefined
  readonly groups: Set<string>
  /** ackIds that succeeded: a repeat answers `Duplicate` instead of running again. */
  readonly processedAckIds: Set<number>
  /** The live socket; `undefined` while a reliable connection waits to be resumed. */
  socket: WebSocket | undefined
  droppedAtMs: number | undefined
  /** Delivers data; returns false when the unacked queue overflowed and the session must end. */
  deliver(message: DataMessage): boolean
  /** Sends a non-data frame (ack, pong, system) if the socket is open; never queued. */
  sendFrame(frame: string): void
  /** Forgets messages up to and including `sequenceId` (a cumulative ack). */
  acknowledge(sequenceId: number): void
  /** Re-sends, in order, every queued message the client has not acknowledged. */
  resendUnacked(): void
  reconnectionTokenMatches(candidate: string): boolean
}

export function createSession(init: {
  hub: string
  userId: string | undefined
  subprotocol: Subprotocol
  permissions: Permissions
}): Session {
  let nextSequenceId = 1
  const unacked: { sequenceId: number; frame: string }[] = []
  const reliable = init.subprotocol === 'reliable'

  const session: Session = {
    ...init,
    connectionId: randomBytes(18).toString('base64url'),
    reconnectionToken: reliable ? randomBytes(32).toString('base64url') : undefined,
    groups: new Set(),
    processedAckIds: new Set(),
    socket: undefined,
    droppedAtMs: undefined,
    deliver(message) {
      if (init.subprotocol === 'simple') {
        send(session.socket, rawPayload(message))
        return true
      }
      if (!reliable) {
        send(session.socket, messageFrame(message))
        return true
      }
      // Reliable: number it and keep it until the client acks it, even while detached.
      const sequenceId = nextSequenceId++
      const frame = messageFrame(message, sequenceId)
      unacked.push({ sequenceId, frame })
      if (unacked.length > MAX_UNACKED_MESSAGES) return false
      send(session.socket, frame)
      return true
    },
    sendFrame(frame) {
      send(session.socket, frame)
    },
    acknowledge(sequenceId) {
      while (unacked.length > 0 && (unacked[0]?.sequenceId ?? Infinity) <= sequenceId) {
        unacked.shift()
      }
    },
    resendUnacked() {
      for (const { frame } of unacked) send(session.socket, frame)
    },
    reconnectionTokenMatches(candidate) {
      const expected = session.reconnectionToken
      if (expected === undefined) return false
      const a = Buffer.from(candidate)
      const b = Buffer.from(expected)
      return a.length === b.length && timingSafeEqual(a, b)
    },
  }
  return session
}

function send(socket: WebSocket | undefined, data: string | Buffer): void {
  if (socket?.readyState === WebSocket.OPEN) socket.send(data)
}
