// Reads a WebSocket upgrade request: which hub, which token, whether it resumes a connection.
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'

/** Hub names as Azure accepts them (the Generate Client Token API's `hub` pattern). */
const HUB_NAME = /^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$/

export type UpgradeTarget =
  | { kind: 'invalid'; reason: string }
  | {
      kind: 'client'
      /** As written in the request: the token's `aud` is checked against this spelling. */
      hub: string
      accessToken: string | undefined
      resume: { connectionId: string; reconnectionToken: string } | undefined
    }

/**
 * Returns `undefined` when the path is not a client endpoint, so that another upgrade handler may
 * take the request. Accepts `/client/hubs/{hub}` and `/client?hub={hub}`.
 */
export function readUpgradeTarget(req: IncomingMessage): UpgradeTarget | undefined {
  let url: URL
  try {
    url = new URL(req.url ?? '/', 'http://emulator.invalid')
  } catch {
    return undefined
  }
  let hub: string | null
  const match = /^\/client\/hubs\/([^/]+)\/?$/.exec(url.pathname)
  if (match) {
    try {
      hub = decodeURIComponent(match[1] as string)
    } catch {
      return { kind: 'invalid', reason: 'The hub name is not valid.' }
    }
  } else if (url.pathname === '/client' || url.pathname === '/client/') {
    hub = url.searchParams.get('hub')
  } else {
    return undefined
  }
  if (hub === null || !HUB_NAME.test(hub)) {
    return { kind: 'invalid', reason: 'The hub name is missing or not valid.' }
  }
  const connectionId = url.searchParams.get('awps_connection_id')
  const reconnectionToken = url.searchParams.get('awps_reconnection_token')
  return {
    kind: 'client',
    hub,
    accessToken: url.searchParams.get('access_token') ?? bearerToken(req),
    resume:
      connectionId !== null && reconnectionToken !== null
        ? { connectionId, reconnectionToken }
        : undefined,
  }
}

function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')
  return match?.[1]
}

/** Answers the upgrade with a plain HTTP error and closes the socket (no WebSocket is opened). */
export function refuseUpgrade(socket: Duplex, status: 400 | 401 | 500 | 503, reason: string): void {
  const statusText = {
    400: 'Bad Request',
    401: 'Unauthorized',
    500: 'Internal Server Error',
    503: 'Service Unavailable',
  }[status]
  const body = `${reason}\n`
  socket.once('finish', () => socket.destroy())
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `\r\n${body}`,
  )
}
