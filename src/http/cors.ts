// CORS for browsers calling /negotiate: an exact allow-list, credentials only with cookies.
import type { MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import type { Config } from '../config'

/** Headers browsers may read: timings for the operator, the request id, and Retry-After on 429/503. */
const EXPOSED = ['Server-Timing', 'X-Request-Id', 'Retry-After']
const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Cf-Access-Jwt-Assertion']

/** The allowed origin for this request, or undefined; also used for Timing-Allow-Origin. */
export function allowedOrigin(config: Config, origin: string | undefined): string | undefined {
  if (origin === undefined) return undefined
  if (config.corsOrigins === '*') return '*'
  return config.corsOrigins.includes(origin) ? origin : undefined
}

export function corsMiddleware(config: Config): MiddlewareHandler {
  return cors({
    // Echo an allowed origin (never '*' with credentials); anything else gets no CORS headers.
    origin: (origin) => allowedOrigin(config, origin) ?? null,
    allowMethods: ['GET', 'POST', 'OPTIONS'],
    allowHeaders: ALLOWED_HEADERS,
    exposeHeaders: EXPOSED,
    credentials: config.corsCredentials,
    maxAge: 600,
  })
}
