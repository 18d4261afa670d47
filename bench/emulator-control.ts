// Talks to the TLS emulator from the bench process, trusting its own certificate: counters, injected latency, user tokens.
import { request } from 'node:https'

/** Requests per instrumented route since the emulator started (entra.token, webpubsub.generateToken, …). */
export type RouteCounters = Record<string, number>

export interface EmulatorAddress {
  url: string
  caCertPem: string
}

/** One JSON request; rejects on a non-2xx answer, with the status and the start of the body. */
function call<T>(
  emulator: EmulatorAddress,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const payload = body === undefined ? undefined : JSON.stringify(body)
  return new Promise((resolve, reject) => {
    // A fresh connection each time (agent: false) keeps these calls out of the measured sockets.
    const req = request(
      `${emulator.url}${path}`,
      {
        method,
        ca: emulator.caCertPem,
        agent: false,
        timeout: 5000,
        headers: payload === undefined ? {} : { 'content-type': 'application/json' },
      },
      (response) => {
        let text = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => (text += chunk))
        response.on('end', () => {
          const status = response.statusCode ?? 0
          if (status < 200 || status > 299)
            return reject(new Error(`${method} ${path}: ${status} ${text.slice(0, 300)}`))
          try {
            resolve(JSON.parse(text) as T)
          } catch (error) {
            reject(error as Error)
          }
        })
      },
    )
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: the emulator timed out`)))
    req.on('error', reject)
    req.end(payload)
  })
}

export async function readCounters(emulator: EmulatorAddress): Promise<RouteCounters> {
  return (await call<{ routes: RouteCounters }>(emulator, 'GET', '/_emulator/counters')).routes
}

/** Every request on `route` waits `ms` before it is answered (0 switches it off). */
export async function setLatency(
  emulator: EmulatorAddress,
  route: string,
  ms: number,
): Promise<void> {
  await call(emulator, 'POST', '/_emulator/latency', { route, ms })
}

/** A user token for `sub` from the emulator's OIDC issuer (`/oidc/dev/token`), valid for an hour. */
export async function mintUserToken(emulator: EmulatorAddress, sub: string): Promise<string> {
  return (await call<{ token: string }>(emulator, 'POST', '/oidc/dev/token', { sub })).token
}

/** after − before, per route, leaving out routes that did not move. */
export function counterDelta(before: RouteCounters, after: RouteCounters): RouteCounters {
  const delta: RouteCounters = {}
  for (const [route, value] of Object.entries(after)) {
    const moved = value - (before[route] ?? 0)
    if (moved !== 0) delta[route] = moved
  }
  return delta
}
