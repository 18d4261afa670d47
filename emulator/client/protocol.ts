// Frames of the `json.webpubsub.azure.v1` / `json.reliable.webpubsub.azure.v1` subprotocols.
// https://learn.microsoft.com/azure/azure-web-pubsub/reference-json-reliable-webpubsub-subprotocol

/** How a connection talks: the two JSON subprotocols, or a "simple" WebSocket with none. */
export type Subprotocol = 'json' | 'reliable' | 'simple'

export const SUBPROTOCOL_NAMES: Readonly<Record<string, Subprotocol>> = {
  'json.webpubsub.azure.v1': 'json',
  'json.reliable.webpubsub.azure.v1': 'reliable',
}

export type DataType = 'json' | 'text' | 'binary'

export type AckErrorName = 'Forbidden' | 'Duplicate' | 'InternalServerError'

export type ClientMessage =
  | { type: 'joinGroup' | 'leaveGroup'; group: string; ackId: number | undefined }
  | {
      type: 'sendToGroup'
      group: string
      ackId: number | undefined
      noEcho: boolean
      dataType: DataType
      data: unknown
    }
  | { type: 'event'; event: string; ackId: number | undefined; dataType: DataType; data: unknown }
  | { type: 'sequenceAck'; sequenceId: number }
  | { type: 'ping' }
  /** A type this emulator does not implement (e.g. `invoke`): ignored, see parseClientMessage. */
  | { type: 'unsupported'; name: string }

/** Data the service pushes to a connection: from a group member or from the server (REST). */
export interface DataMessage {
  from: 'group' | 'server'
  group?: string
  fromUserId?: string
  dataType: DataType
  data: unknown
}

export class InvalidMessageError extends Error {}

/** Azure caps group names at 1024 characters (unverified for the exact error). */
const MAX_GROUP_LENGTH = 1024
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * Parses one client frame. Throws InvalidMessageError for a frame that is not valid JSON or a
 * known type with missing or ill-typed fields: Azure "declines the client if the message does not
 * match the described format". Unknown types are returned as `unsupported` (unverified: Azure may
 * close instead), so that a newer client feature such as `invoke` does not kill the connection.
 */
export function parseClientMessage(text: string): ClientMessage {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new InvalidMessageError('The message is not valid JSON.')
  }
  if (!isRecord(value) || typeof value.type !== 'string') {
    throw new InvalidMessageError('The message has no type.')
  }
  switch (value.type) {
    case 'joinGroup':
    case 'leaveGroup':
      return { type: value.type, group: groupOf(value), ackId: ackIdOf(value) }
    case 'sendToGroup': {
      if (value.noEcho !== undefined && typeof value.noEcho !== 'boolean') {
        throw new InvalidMessageError('noEcho must be a boolean.')
      }
      const { dataType, data } = payloadOf(value)
      const noEcho = value.noEcho === true
      return {
        type: 'sendToGroup',
        group: groupOf(value),
        ackId: ackIdOf(value),
        noEcho,
        dataType,
        data,
      }
    }
    case 'event': {
      if (typeof value.event !== 'string' || value.event.length === 0) {
        throw new InvalidMessageError('event must be a non-empty string.')
      }
      return { type: 'event', event: value.event, ackId: ackIdOf(value), ...payloadOf(value) }
    }
    case 'sequenceAck':
      if (!isUint(value.sequenceId)) throw new InvalidMessageError('sequenceId must be a uint64.')
      return { type: 'sequenceAck', sequenceId: value.sequenceId }
    case 'ping':
      return { type: 'ping' }
    default:
      return { type: 'unsupported', name: value.type }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isUint(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

function groupOf(value: Record<string, unknown>): string {
  const group = value.group
  if (typeof group !== 'string' || group.length === 0 || group.length > MAX_GROUP_LENGTH) {
    throw new InvalidMessageError('group must be a non-empty string of at most 1024 characters.')
  }
  return group
}

/** `ackId` is a uint64 in Azure; JSON numbers beyond 2^53 are not representable here. */
function ackIdOf(value: Record<string, unknown>): number | undefined {
  if (value.ackId === undefined || value.ackId === null) return undefined
  if (!isUint(value.ackId)) throw new InvalidMessageError('ackId must be a uint64.')
  return value.ackId
}

/** `dataType` defaults to json; text must be a string, binary a base64 string. */
function payloadOf(value: Record<string, unknown>): { dataType: DataType; data: unknown } {
  const dataType = value.dataType ?? 'json'
  const data = value.data
  if (dataType === 'json' && data !== undefined) return { dataType, data }
  if (dataType === 'text' && typeof data === 'string') return { dataType, data }
  if (dataType === 'binary' && typeof data === 'string' && BASE64.test(data)) {
    return { dataType, data }
  }
  throw new InvalidMessageError('dataType must be json, text or binary, with matching data.')
}

export function connectedFrame(
  connectionId: string,
  userId: string | undefined,
  reconnectionToken: string | undefined,
): string {
  return JSON.stringify({
    type: 'system',
    event: 'connected',
    userId,
    connectionId,
    reconnectionToken,
  })
}

export function disconnectedFrame(message: string): string {
  return JSON.stringify({ type: 'system', event: 'disconnected', message })
}

export function ackFrame(ackId: number, error?: { name: AckErrorName; message: string }): string {
  return JSON.stringify(
    error ? { type: 'ack', ackId, success: false, error } : { type: 'ack', ackId, success: true },
  )
}

export const PONG_FRAME = JSON.stringify({ type: 'pong' })

/** A data message; `sequenceId` only on reliable connections. */
export function messageFrame(message: DataMessage, sequenceId?: number): string {
  const { from, fromUserId, group, dataType, data } = message
  return JSON.stringify({ type: 'message', from, fromUserId, group, dataType, data, sequenceId })
}

/**
 * What a simple WebSocket client receives: the bare payload, JSON stringified for json, a binary
 * frame for binary (Azure's "simple WebSocket client" rules).
 */
export function rawPayload(message: DataMessage): string | Buffer {
  if (message.dataType === 'binary') return Buffer.from(message.data as string, 'base64')
  if (message.dataType === 'text') return message.data as string
  return JSON.stringify(message.data)
}
