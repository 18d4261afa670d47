// Reads the emulator's control API (GET /_emulator/counters) over TLS, trusting its own certificate.
import { request } from 'node:https'

/** Requests per instrumented route since the emulator started (entra.token, webpubsub.generateToken, …). */
export type RouteCounters = Record<string, number>

export function readCounters(emulatorUrl: string, caCertPem: string): Promise<RouteCounters> {
  return new Promise((resolve, reject) => {
    // A fresh connection each time (agent: false) keeps these reads out of the measured sockets.
    const req = request(
      `${emulatorUrl}/_emulator/counters`,
      { ca: caCertPem, agent: false, timeout: 5000 },
      (response) => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => (body += chunk))
        response.on('end', () => {
          try {
            resolve((JSON.parse(body) as { routes: RouteCounters }).routes)
          } catch (error) {
            reject(error as Error)
          }
        })
      },
    )
    req.on('timeout', () => req.destroy(new Error('the emulator control API timed out')))
    req.on('error', reject)
    req.end()
  })
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
