// Runs one client frame against the service: groups, publishing, events, acks.
import type { RawData } from 'ws'
import {
  ackFrame,
  InvalidMessageError,
  parseClientMessage,
  PONG_FRAME,
  type AckErrorName,
  type ClientMessage,
  type DataMessage,
} from './protocol'
import type { Registry } from './registry'
import type { Session } from './session'

export interface HandlerContext {
  registry: Registry
  /** Counts a data message received from a client (`sendToGroup`, `event`, simple frames). */
  countReceived(): void
  deliverToGroup(hub: string, group: string, message: DataMessage, except?: Session): number
  /** Ends the connection for good: `disconnected`, then close with `code`. */
  terminate(session: Session, message: string, code: number): void
  log(line: Record<string, unknown>): void
}

type AckError = { name: AckErrorName; message: string }

export function handleFrame(context: HandlerContext, session: Session, data: RawData): void {
  // A simple client only sends events to an upstream server, of which there is none here.
  if (session.subprotocol === 'simple') {
    context.countReceived()
    return
  }
  let message: ClientMessage
  try {
    // Binary frames carrying UTF-8 JSON are accepted too, as Azure does.
    message = parseClientMessage(rawToString(data))
  } catch (error) {
    if (!(error instanceof InvalidMessageError)) throw error
    // Unverified: the close code Azure uses for a malformed frame. 1008 tells the official client
    // not to try a recovery that could only replay the same protocol error.
    context.terminate(session, `Invalid message: ${error.message}`, 1008)
    return
  }
  switch (message.type) {
    case 'ping':
      session.sendFrame(PONG_FRAME)
      return
    case 'sequenceAck':
      session.acknowledge(message.sequenceId)
      return
    case 'unsupported':
      context.log({ event: 'client_message_unsupported', type: message.name })
      return
    default:
      withAck(session, message.ackId, () => run(context, session, message))
  }
}

function run(
  context: HandlerContext,
  session: Session,
  message: Extract<ClientMessage, { ackId: number | undefined }>,
): AckError | undefined {
  switch (message.type) {
    case 'joinGroup':
    case 'leaveGroup': {
      const { group } = message
      if (!session.permissions.canJoinLeave(group)) {
        return forbidden(`The connection has no permission to join or leave group '${group}'.`)
      }
      if (message.type === 'joinGroup') context.registry.join(session, group)
      else context.registry.leave(session, group)
      return undefined
    }
    case 'sendToGroup': {
      context.countReceived()
      const { group } = message
      // Sending needs the permission, not membership.
      if (!session.permissions.canSend(group)) {
        return forbidden(`The connection has no permission to send to group '${group}'.`)
      }
      const data: DataMessage = {
        from: 'group',
        group,
        fromUserId: session.userId,
        dataType: message.dataType,
        data: message.data,
      }
      context.deliverToGroup(session.hub, group, data, message.noEcho ? session : undefined)
      return undefined
    }
    case 'event':
      // No upstream event handler exists in the emulator: the event is counted and acked as if a
      // handler had accepted it (a deliberate difference from Azure, which would fail without one).
      context.countReceived()
      context.log({
        event: 'client_event',
        connectionId: session.connectionId,
        name: message.event,
      })
      return undefined
  }
}

/** Acks only when `ackId` is present; a repeated successful `ackId` answers `Duplicate`. */
function withAck(session: Session, ackId: number | undefined, action: () => AckError | undefined) {
  if (ackId !== undefined && session.processedAckIds.has(ackId)) {
    session.sendFrame(
      ackFrame(ackId, {
        name: 'Duplicate',
        message: `Message with ack-id: ${ackId} has been processed`,
      }),
    )
    return
  }
  let error: AckError | undefined
  try {
    error = action()
  } catch {
    error = { name: 'InternalServerError', message: 'Internal server error' }
  }
  if (ackId === undefined) return
  // A failed message was not processed, so a retry with the same ackId may still succeed
  // (unverified; the official client retries Forbidden with new ackIds anyway).
  if (error === undefined) session.processedAckIds.add(ackId)
  session.sendFrame(ackFrame(ackId, error))
}

function forbidden(message: string): AckError {
  return { name: 'Forbidden', message }
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8')
  return data.toString('utf8')
}
