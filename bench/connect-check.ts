// Before measuring: one negotiation per target, then a WebSocket connect to the emulator with the URL it gave.
// Entra-mode tokens come from the emulator's own :generateToken, but the access-key contestants
// sign theirs in the Worker: a 200 alone would not show the emulator (as the service) takes them.
import WebSocket from 'ws'
import type { Target } from './scenarios'

const CONNECT_TIMEOUT_MS = 5000

/** Opens a WebSocket with `url` and closes it; rejects with the upgrade's status if refused. */
export async function connectOnce(url: string, caCertPem: string): Promise<void> {
  const socket = new WebSocket(url, { ca: caCertPem, handshakeTimeout: CONNECT_TIMEOUT_MS })
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve())
      // A refused token is a plain 401 to the upgrade, not a WebSocket error.
      socket.once('unexpected-response', (_request, response) =>
        reject(new Error(`upgrade refused: ${response.statusCode} ${response.statusMessage}`)),
      )
      socket.once('error', reject)
    })
  } finally {
    socket.terminate()
  }
}

/** Negotiates once at `target` and connects with the answer's `url`; throws naming the target. */
export async function checkConnect(
  label: string,
  target: Target,
  caCertPem: string,
): Promise<void> {
  const response = await fetch(target.server.url + target.path, {
    headers: target.headers,
    signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS),
  })
  const body = (await response.json()) as { url?: unknown }
  if (response.status !== 200 || typeof body.url !== 'string')
    throw new Error(`${label}: negotiation answered ${response.status} without a url`)
  await connectOnce(body.url, caCertPem).catch((error: Error) => {
    throw new Error(`${label}: its token does not connect (${error.message})`)
  })
}
